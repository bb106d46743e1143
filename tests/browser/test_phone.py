"""On a phone (375 CSS pixels wide) no page is wider than the screen: wide tables scroll inside
their own labelled region, and the charts' words stay readable (issue 18)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from incometrack import demo
from tests.browser.test_crawl import sign_in_as

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/income/entries",
    "/income/streams",
    "/income/streams/1",
    "/income/budgets/2026-27",
    "/income/entries/new",
    "/income/entries/batch",
    "/income/import",
    "/grants/bids",
    "/grants/pipeline",
    "/grants/due",
    "/projects/",
    "/projects/1",
    "/projects/milestones",
    "/projects/milestones/mine",
    "/returns/",
    "/returns/2026-27/2",
    "/monitoring/2026-27/7",
    "/admin/audit",
]
#: How a page's width is measured: the document's, against the window's.
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
#: The smallest rendered size of any text in the charts (SVG text scaled to the screen).
CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg text')].map(t => {
    const box = t.getBoundingClientRect(); return box.height || 99; }), 99)"""


@pytest.fixture
def demo_data(session):
    demo.load(session, today=date(2026, 11, 30))
    session.commit()


def test_no_page_is_wider_than_a_phone(browser, live_server, demo_data, axe):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 375, "height": 812}, locale="en-GB"
    )
    page = context.new_page()
    sign_in_as(page, "admin@demo.example")
    problems = []
    for url in PAGES:
        page.goto(url)
        width, window = page.evaluate(OVERFLOW)
        if width > window:
            problems.append(f"{url}: {width}px wide on a {window}px screen")
        smallest = page.evaluate(CHART_TEXT)
        if smallest < 9:
            problems.append(f"{url}: chart text {smallest:.1f}px tall")
    context.close()
    assert problems == [], "\n".join(problems)


def test_the_return_keeps_its_first_column_in_view_and_prints_without_the_screen(
    browser, live_server, demo_data
):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 375, "height": 812}, locale="en-GB"
    )
    page = context.new_page()
    sign_in_as(page, "finance@demo.example")
    page.goto("/returns/2026-27/2")
    # on a phone the streams are cards; every column is one click away, its first column in view
    expect(page.locator(".govuk-summary-card", has_text="Actual to date").first).to_be_visible()
    page.locator("#summary").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('summary').scrollIntoView({block: 'start'})")
    page.screenshot(path=str(SCREENSHOTS / "phone-return.png"))  # README: the return on a phone
    page.get_by_text("Every column: the quarters, the previous forecast and the movement").click()
    region = page.get_by_role(
        "region",
        name="Income by stream, year to date and forecast outturn (scrolls sideways on narrow screens)",
    )
    first = region.locator("tbody th").first
    assert first.evaluate("cell => getComputedStyle(cell).position") == "sticky"
    region.evaluate("region => region.scrollLeft = 400")
    # still at the left edge of its container after scrolling sideways
    assert first.bounding_box()["x"] <= region.bounding_box()["x"] + 1
    page.emulate_media(media="print")
    for hidden in ("navigation >> nth=0", "button >> nth=0", ".app-downloads"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.get_by_role("heading", name="Income by stream").is_visible()
    context.close()
