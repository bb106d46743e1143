"""Saving an edit page without touching a field changes no record (issue 26).

Each demo role opens every edit page it reaches in Chromium and presses the page's save button as
it stands: the browser sends what the page shows, selected options and checked boxes included. The
rows of every table are compared before and after. A page that first asks for a note (a milestone
update, a rebaseline) gets one and nothing else; that note is the only row it may add.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from incometrack import demo, periods
from incometrack.models import (
    Base,
    Budget,
    Forecast,
    Funder,
    GrantBid,
    ImportProfile,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    Measure,
    MeasureResult,
    Milestone,
    Programme,
    Project,
    ProjectMeasure,
    Service,
    Site,
    User,
)
from tests.browser.test_crawl import sign_in_as

pytestmark = pytest.mark.browser

ROLES = ["admin@demo.example", "finance@demo.example", "lead@demo.example", "viewer@demo.example"]
#: Rows written by signing in and by reading pages, not by saving a form.
NOT_RECORDS = {"login_attempts", "staged_uploads"}
#: Pages that ask for a note before saving: the label of the note and the table its note goes to.
NOTE_PAGES = {"/update": ("Note", "milestone_updates"), "/rebaseline": ("Reason", "milestone_updates")}


def _rows(session) -> dict[str, list[tuple]]:
    session.reread()
    found = {}
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_RECORDS:
            continue
        order = [column for column in table.primary_key.columns]
        found[table.name] = [tuple(row) for row in session.execute(select(table).order_by(*order))]
    return found


def _first(session, model, *where):
    return session.scalars(select(model).where(*where).order_by(model.id).limit(1)).first()


def _edit_pages(session) -> list[str]:
    demo_year = session.execute(text("SELECT MIN(year) FROM budgets")).scalar()
    stream = _first(session, IncomeStream)
    entry = session.scalars(
        select(IncomeEntry).order_by(IncomeEntry.date_received.desc(), IncomeEntry.id).limit(1)
    ).first()
    budget = _first(session, Budget)
    forecast = _first(session, Forecast)
    milestone = _first(session, Milestone, Milestone.completed_on.is_(None))
    profile = _first(session, ImportProfile)
    quarter = periods.quarter_for(date.today()).previous()
    pages = [
        "/account",
        f"/income/streams/{stream.id}/edit",
        f"/income/entries/{entry.id}/edit",
        f"/income/streams/{budget.stream_id}/budget/{budget.year}",
        f"/income/budgets/{demo_year}",
        f"/income/streams/{forecast.stream_id}/forecast/{forecast.year}/{forecast.quarter}",
        f"/grants/bids/{_first(session, GrantBid).id}/edit",
        f"/grants/funders/{_first(session, Funder).id}/edit",
        f"/grants/programmes/{_first(session, Programme).id}/edit",
        f"/projects/{_first(session, Project).id}/edit",
        f"/projects/milestones/{milestone.id}/edit",
        f"/projects/milestones/{milestone.id}/update",
        f"/projects/milestones/{milestone.id}/rebaseline",
        f"/returns/{quarter.year.label}/{quarter.number}/commentary",
        f"/admin/services/{_first(session, Service).id}/edit",
        f"/admin/categories/{_first(session, IncomeCategory).id}/edit",
        f"/admin/users/{_first(session, User, User.email == 'lead@demo.example').id}",
    ]
    pages += [f"/admin/sites/{site.id}/edit" for site in session.scalars(select(Site).order_by(Site.id))]
    pages += [
        f"/grants/funders/{funder.id}/edit" for funder in session.scalars(select(Funder).order_by(Funder.id))
    ]
    if profile is not None:
        pages.append(f"/income/import/profiles/{profile.id}/edit")
    # impact (issue 29): a measure, a project's target and a recorded quarter's result
    result = _first(session, MeasureResult)
    target = session.get(ProjectMeasure, result.project_measure_id)
    result_quarter = periods.FinancialYear(result.year).quarter(result.quarter)
    pages += [
        f"/admin/measures/{_first(session, Measure).id}/edit",
        f"/projects/{target.project_id}/impact/targets/{target.id}/edit",
        f"/projects/{target.project_id}/impact/targets/{target.id}/{result_quarter.year.label}/q{result.quarter}",
    ]
    return pages


@pytest.fixture
def demo_data(session):
    demo.load(session, today=date.today())
    session.commit()


def _open_form(page, url):
    """The page's form that saves the record (the one carrying its version), or None where the
    role may not open the page."""
    response = page.goto(url)
    if response.status in (403, 404):
        return None
    assert response.status == 200, f"{url}: HTTP {response.status}"
    form = page.locator("main form:has(input[name=version])").first
    form = form if form.count() else page.locator("main form[method=post]").first
    form.evaluate("f => f.setAttribute('data-under-test', '')")  # found again once changed
    return page.locator("main form[data-under-test]")


def _send(page, form, url) -> tuple[int, str | None]:
    """Press the form's first button as it stands (a note written where the page asks for one);
    the POST's status and the table a note goes to."""
    note_table = None
    for ending, (label, table) in NOTE_PAGES.items():
        if url.endswith(ending):
            form.get_by_label(label, exact=True).fill("Checked, nothing changed")
            note_table = table
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.locator(":is(button, input)[type=submit]").first.click()
    page.wait_for_load_state()
    return posted.value.status, note_table


def _differences(url, before, after, note_table) -> list[str]:
    found = []
    for table, rows in after.items():
        if table == note_table:
            added = [row for row in rows if row not in before[table]]
            if len(rows) != len(before[table]) + 1 or len(added) != 1:
                found.append(f"{url}: {table} gained {added}")
            continue
        if table == "audit_events" and note_table:
            rows = [row for row in rows if row in before[table] or note_table not in row]
        if rows != before[table]:
            gone = [row for row in before[table] if row not in rows]
            came = [row for row in rows if row not in before[table]]
            found.append(f"{url}: {table} {gone} -> {came}")
    return found


@pytest.mark.parametrize("email", ROLES, ids=lambda e: e.split("@")[0])
def test_saving_every_edit_page_unchanged_changes_no_record(page, session, demo_data, email):
    sign_in_as(page, email)
    changed, saved = [], []
    for url in _edit_pages(session):
        form = _open_form(page, url)
        if form is None:
            continue
        for legend in form.locator("fieldset").evaluate_all(
            "sets => sets.map(s => (s.querySelector('legend') || {}).textContent || '')"
        ):
            if not legend.strip():
                changed.append(f"{url}: a group of radios or checkboxes has no question in its legend")
        before = _rows(session)
        status, note_table = _send(page, form, url)
        if status >= 400:
            changed.append(f"{url}: saving it unchanged answered {status}")
        changed += _differences(url, before, _rows(session), note_table)
        saved.append(url)
    assert saved, "the role reached no edit page"
    assert changed == [], "\n".join(changed)


def test_a_save_without_the_version_its_page_carried_is_refused(page, session, demo_data):
    """Every edit page's form carries its record's version; the same form sent without it (an old
    page, a hand-made request) is refused with a 400 and changes nothing."""
    sign_in_as(page, "admin@demo.example")
    problems, tried = [], 0
    for url in _edit_pages(session):
        form = _open_form(page, url)
        if form is None or not form.locator("input[name=version]").count():
            continue
        form.locator("input[name=version]").evaluate_all("inputs => inputs.forEach(i => i.remove())")
        before = _rows(session)
        status, _note_table = _send(page, form, url)
        tried += 1
        if status != 400:
            problems.append(f"{url}: answered {status} without a version")
        problems += _differences(url, before, _rows(session), None)
    assert tried >= 12
    assert problems == [], "\n".join(problems)
