"""Every page each demo role can reach, crawled from the home page through its links, passes every
axe-core rule (WCAG 2.2 AA and best practice) and shows no markup as text (issue 18).

Pages are told apart by their path with numbers as N and the names of their query parameters, and
each such kind of page is checked once a role; downloads, sign-out and the calendar feed are not
pages and are left out.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from incometrack import demo

pytestmark = pytest.mark.browser

ROLES = ["admin@demo.example", "finance@demo.example", "lead@demo.example", "viewer@demo.example"]
#: Markup that reached the page as text: a tag's opening shown to the reader.
MARKUP_AS_TEXT = re.compile(r"<(a|code|span|strong|em|div|p|br|ul|li|table|td|th)\b[^>]*>?", re.IGNORECASE)
#: Ids given to more than one element (a label's for= or a link's #fragment would find the first).
REPEATED_IDS = (
    "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
    " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
)
SKIPPED = re.compile(
    r"^/(logout|static/|calendar/)|format=|/download|/export|/templates/|\.(csv|xlsx|pdf|html|ics)$"
)


def kind_of(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query)} - {"page"})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


@pytest.fixture
def demo_data(session):
    demo.load(session, today=date.today())
    session.commit()


@pytest.mark.parametrize("email", ROLES, ids=lambda e: e.split("@")[0])
def test_every_reachable_page_passes_axe_and_shows_no_markup_as_text(page, axe, demo_data, email):
    sign_in_as(page, email)
    queue, seen, problems = ["/"], set(), []
    while queue:
        url = queue.pop(0)
        kind = kind_of(url)
        if kind in seen or SKIPPED.search(url):
            continue
        seen.add(kind)
        response = page.goto(url)
        if response is None or response.status >= 500:
            problems.append(f"{url}: HTTP {response.status if response else 'no response'}")
            continue
        results = axe.run(page)
        for violation in results.response["violations"]:
            targets = ", ".join(str(node["target"][0]) for node in violation["nodes"][:3])
            problems.append(f"{url}: {violation['id']}: {targets}")
        if repeated := page.evaluate(REPEATED_IDS):
            problems.append(f"{url}: ids used more than once: {sorted(set(repeated))}")
        shown = MARKUP_AS_TEXT.search(page.inner_text("body"))
        if shown:
            problems.append(f"{url}: shows markup as text: {shown.group(0)!r}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            if href.startswith("/") and not href.startswith("//") and kind_of(href) not in seen:
                queue.append(href.split("#")[0])
    assert len(seen) > 10
    assert problems == [], f"{len(problems)} pages of {len(seen)} have problems:\n" + "\n".join(problems)


FORMS = [
    ("/income/entries/new", "Save entry"),
    ("/income/entries/batch", "Record these lines"),
    ("/income/streams/new", "Save stream"),
    ("/income/import", "Check the file"),
    ("/income/import/profiles/new", "Read its columns"),
    ("/grants/bids/new", None),
    ("/grants/funders/new", None),
    ("/projects/new", None),
]


def sign_in_as(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_forms_with_every_error_and_the_403_page_pass_axe(page, axe, demo_data):
    sign_in_as(page, "finance@demo.example")
    problems = []
    for url, button in FORMS:
        page.goto(url)
        first = page.locator("main form :is(button, input)[type=submit]").first
        submit = page.get_by_role("button", name=button) if button else first
        submit.click()
        page.wait_for_load_state()
        if not page.locator(".govuk-error-summary").count():
            problems.append(f"{url}: no error summary after submitting it empty")
        for violation in axe.run(page).response["violations"]:
            problems.append(f"{url} (errors): {violation['id']}: {violation['nodes'][0]['target'][0]}")
    page.context.clear_cookies()
    sign_in_as(page, "lead@demo.example")
    response = page.goto("/admin/users")
    assert response.status == 403
    for violation in axe.run(page).response["violations"]:
        problems.append(f"403 page: {violation['id']}: {violation['nodes'][0]['target'][0]}")
    assert problems == [], "\n".join(problems)
