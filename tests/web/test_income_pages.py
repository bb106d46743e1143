"""The income screens through the test client: roles, messages beside fields, status codes."""

from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import event, func, select

from incometrack.models import AuditEvent, Budget, Forecast, IncomeEntry, Role
from incometrack.periods import FinancialYear
from incometrack.services import locks
from tests.factories import make_budget, make_entry, make_stream

READ_ONLY = ["/income/entries", "/income/streams", "/income/budgets/2026-27", "/income/locks"]
WRITE_PAGES = ["/income/entries/new", "/income/streams/new"]


@pytest.mark.parametrize("path", READ_ONLY)
def test_viewers_read_income_but_leads_do_not(login_as, path):
    assert login_as(Role.VIEWER).client.get(path).status_code == 200
    assert login_as(Role.LEAD).client.get(path).status_code == 403


@pytest.mark.parametrize("path", WRITE_PAGES)
def test_only_finance_and_admin_write(login_as, path):
    assert login_as(Role.VIEWER).client.get(path).status_code == 403
    assert login_as(Role.VIEWER).client.post(path, data={}).status_code == 403
    assert login_as(Role.FINANCE).client.get(path).status_code == 200
    assert login_as(Role.ADMIN).client.get(path).status_code == 200


def test_viewer_cannot_post_the_budget_grid_or_lock(login_as, session):
    viewer = login_as(Role.VIEWER).client
    assert viewer.post("/income/budgets/2026-27", data={}).status_code == 403
    assert viewer.post("/income/locks", data={"year": "2026-27", "quarter": "1"}).status_code == 403


def test_record_an_entry_and_find_it_in_the_filtered_list_with_its_total(login_as, session):
    finance = login_as(Role.FINANCE)
    stream = make_stream(session, "LIB-PRINT")
    other = make_stream(session, "LIB-ROOM")
    make_entry(session, other, date(2026, 5, 1), 999_00)
    response = finance.client.post(
        "/income/entries/new",
        data={
            "date_received": "01/05/2026",
            "stream_id": stream.id,
            "amount": "£1,234.50",
            "reference": "INV-7",
        },
    )
    assert response.status_code == 302
    finance.client.post(
        "/income/entries/new",
        data={
            "date_received": "2026-05-02",
            "stream_id": stream.id,
            "amount": "(34.50)",
            "reference": "CN-1",
        },
    )
    page = finance.client.get(f"/income/entries?year=2026-27&stream={stream.id}").get_data(as_text=True)
    assert "INV-7" in page and "CN-1" in page
    assert "Total of all 2 filtered entries: <strong>£1,200.00</strong>" in page
    assert "Refund or correction" in page
    assert "-£34.50" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "12.345"}, "amount", "Amount must not have more than 2 decimal places"),
        ({"amount": "twelve"}, "amount", "Amount must be in pounds and pence"),
        ({"amount": ""}, "amount", "Enter amount"),
        ({"amount": "0"}, "amount", "Amount cannot be zero"),
        ({"date_received": "12/31/2026"}, "date_received", "real date, day then month"),
        ({"date_received": ""}, "date_received", "Enter date received"),
        ({"stream_id": ""}, "stream_id", "Select an income stream"),
    ],
)
def test_bad_entries_get_a_message_beside_the_field(login_as, session, data, field, message):
    stream = make_stream(session)
    form = {"date_received": "01/05/2026", "stream_id": stream.id, "amount": "10.00", "reference": "R"}
    form.update(data)
    response = login_as(Role.FINANCE).client.post("/income/entries/new", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert f'id="{field}-error"' in html  # and the message sits beside it
    assert message in html
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0


def test_an_entry_in_a_locked_quarter_is_refused_with_the_reason(login_as, session, make_user):
    stream = make_stream(session)
    locks.lock(session, FinancialYear(2026).quarter(1), actor=make_user(Role.FINANCE))
    session.commit()
    response = login_as(Role.FINANCE).client.post(
        "/income/entries/new", data={"date_received": "01/05/2026", "stream_id": stream.id, "amount": "10"}
    )
    assert response.status_code == 400
    assert (
        "2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
        in response.get_data(as_text=True)
    )


def test_a_locked_entry_cannot_be_changed_or_deleted_through_the_pages(login_as, session, make_user):
    stream = make_stream(session)
    entry = make_entry(session, stream, date(2026, 5, 1), 10_00)
    locks.lock(session, FinancialYear(2026).quarter(1), actor=make_user(Role.FINANCE))
    session.commit()
    client = login_as(Role.ADMIN).client
    page = client.get(f"/income/entries/{entry.id}/edit").get_data(as_text=True)
    assert "locked quarter" in page and "Delete entry" not in page
    response = client.post(
        f"/income/entries/{entry.id}/edit",
        data={
            "date_received": "01/05/2026",
            "stream_id": stream.id,
            "amount": "99",
            "version": entry.version,
        },
    )
    assert response.status_code == 409  # the locked entry is shown read-only
    response = client.post(f"/income/entries/{entry.id}/delete", data={"version": entry.version})
    assert response.status_code == 303
    session.reread()
    assert session.get(IncomeEntry, entry.id).amount == 10_00


def test_a_stale_edit_gets_409_showing_what_changed_and_saves_nothing(login_as, session):
    stream = make_stream(session)
    entry = make_entry(session, stream, date(2026, 5, 1), 10_00, reference="ORIGINAL")
    first, second = login_as(Role.FINANCE).client, login_as(Role.FINANCE).client
    opened = entry.version
    form = {"date_received": "01/05/2026", "stream_id": stream.id, "version": opened}
    assert (
        first.post(
            f"/income/entries/{entry.id}/edit", data=form | {"amount": "20.00", "reference": "FIRST"}
        ).status_code
        == 302
    )
    response = second.post(
        f"/income/entries/{entry.id}/edit", data=form | {"amount": "30.00", "reference": "SECOND"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "has changed since you opened it" in html
    assert "20.00" in html and "30.00" in html and "FIRST" in html and "SECOND" in html
    session.reread()
    saved = session.get(IncomeEntry, entry.id)
    assert (saved.amount, saved.reference) == (20_00, "FIRST")


def test_delete_removes_the_entry_and_audits_it(login_as, session):
    stream = make_stream(session)
    entry = make_entry(session, stream, date(2026, 5, 1), 10_00)
    client = login_as(Role.FINANCE).client
    assert (
        client.post(f"/income/entries/{entry.id}/delete", data={"version": entry.version}).status_code == 302
    )
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "delete")).changes["amount"] == [
        10_00,
        None,
    ]


def test_entry_list_filters_sort_and_paginate(login_as, session):
    stream = make_stream(session)
    for day in range(1, 31):
        make_entry(session, stream, date(2026, 6, day), day * 100, reference=f"R{day:02d}")
    client = login_as(Role.VIEWER).client
    html = client.get("/income/entries?year=2026-27&sort=-amount&per_page=10&page=2").get_data(as_text=True)
    assert "Showing 11 to 20 of 30 entries" in html
    assert html.index("R20") < html.index("R11")
    assert "£465.00" in html  # the total covers every filtered row, not just the page
    html = client.get(
        "/income/entries?year=2026-27&text=r0&date_from=03/06/2026&date_to=05/06/2026"
    ).get_data(as_text=True)
    assert "of 3 entries" in html and "£12.00" in html
    response = client.get("/income/entries?date_from=31/02/2026")
    assert response.status_code == 400
    assert "From date must be a real date" in response.get_data(as_text=True)


def count_queries(engine):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(engine, "before_cursor_execute", before)


def test_entry_list_queries_do_not_grow_with_the_data(login_as, session, engine):
    client = login_as(Role.FINANCE).client
    stream = make_stream(session)
    make_entry(session, stream, date(2026, 6, 1), 1_00, reference="A")
    statements, stop = count_queries(engine)
    client.get("/income/entries?year=2026-27")
    few = len(statements)
    stop()
    for n in range(60):
        make_entry(session, make_stream(session, f"S{n}") if n % 20 == 0 else stream, date(2026, 6, 2), 1_00,
                   reference=f"B{n}")  # fmt: skip
    statements, stop = count_queries(engine)
    client.get("/income/entries?year=2026-27")
    stop()
    assert len(statements) == few


def test_stream_create_edit_and_conflict(login_as, session):
    client = login_as(Role.FINANCE).client
    from tests.factories import category_id, service_id

    form = {"code": "LIB-NEW", "name": "New", "service_id": service_id(session), "category_id": category_id(session),
            "status": "active"}  # fmt: skip
    response = client.post("/income/streams/new", data=form)
    assert response.status_code == 302
    stream_id = int(response.headers["Location"].rsplit("/", 1)[1])
    again = client.post("/income/streams/new", data=form)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    ok = client.post(f"/income/streams/{stream_id}/edit", data=form | {"name": "Renamed", "version": 1})
    assert ok.status_code == 302
    stale = client.post(f"/income/streams/{stream_id}/edit", data=form | {"name": "Stale", "version": 1})
    assert stale.status_code == 409
    assert "Renamed" in stale.get_data(as_text=True)
    detail = client.get(f"/income/streams/{stream_id}")
    assert detail.status_code == 200 and "Renamed" in detail.get_data(as_text=True)


def test_budget_form_explains_a_profile_that_does_not_add_up(login_as, session):
    stream = make_stream(session)
    client = login_as(Role.FINANCE).client
    response = client.post(
        f"/income/streams/{stream.id}/budget/2026-27",
        data={"profile_by": "quarter", "annual": "1,000", "q1": "250", "q2": "250", "q3": "250", "q4": "200"},
    )
    assert response.status_code == 400
    assert (
        "The quarters add up to £950.00, £50.00 short of the annual budget of £1,000.00"
        in response.get_data(as_text=True)
    )
    done = client.post(
        f"/income/streams/{stream.id}/budget/2026-27", data={"profile_by": "quarter", "annual": "1,000"}
    )
    assert done.status_code == 302
    assert session.scalar(select(Budget)).profile == (250_00, 250_00, 250_00, 250_00)


def test_a_seasonal_budget_is_profiled_by_month(login_as, session):
    stream = make_stream(session)
    client = login_as(Role.FINANCE).client
    url = f"/income/streams/{stream.id}/budget/2026-27"
    months = {f"p{n}": "0" for n in range(1, 13)} | {"p4": "500", "p5": "2,000", "p6": "500", "p9": "1,000"}
    missing = client.post(url, data={"profile_by": "month", **months, "p12": ""})
    assert missing.status_code == 400
    assert "Enter the P12 budget, or leave all twelve months empty" in missing.get_data(as_text=True)
    wrong_total = client.post(url, data={"profile_by": "month", "annual": "5,000", **months})
    assert "The months add up to £4,000.00, £1,000.00 short of the annual budget" in wrong_total.get_data(
        as_text=True
    )
    assert client.post(url, data={"profile_by": "month", **months}).status_code == 302
    session.reread()
    budget = session.scalar(select(Budget))
    assert (budget.annual, budget.profile, budget.profiled_by_month) == (
        4_000_00,
        (0, 3_000_00, 1_000_00, 0),
        True,
    )
    form = client.get(url).get_data(as_text=True)
    assert 'value="month" checked' in form


def test_budget_grid_saves_every_row_or_shows_each_problem(login_as, session):
    a, b = make_stream(session, "A-1"), make_stream(session, "B-1")
    client = login_as(Role.FINANCE).client
    page = client.get("/income/budgets/2026-27").get_data(as_text=True)
    assert 'for="rows-0-annual"' in page and "Annual budget, A-1" in page
    data = {"rows-0-stream_id": a.id, "rows-0-annual": "400", "rows-1-stream_id": b.id, "rows-1-annual": "100",
            "rows-1-q1": "10", "rows-1-q2": "20", "rows-1-q3": "30", "rows-1-q4": "39"}  # fmt: skip
    response = client.post("/income/budgets/2026-27", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#rows-1-q4"' in html and "B-1: The quarters add up to £99.00" in html
    assert session.scalar(select(func.count()).select_from(Budget)) == 0
    data["rows-1-q4"] = "40"
    assert client.post("/income/budgets/2026-27", data=data).status_code == 302
    session.reread()
    assert session.scalar(select(func.sum(Budget.annual))) == 500_00


def test_forecast_form_shows_the_rating_and_needs_commentary_for_amber(login_as, session):
    stream = make_stream(session)
    make_budget(session, stream, 100_000_00)
    client = login_as(Role.FINANCE).client
    url = f"/income/streams/{stream.id}/forecast/2026-27/2"
    page = client.get(url).get_data(as_text=True)
    assert "Profiled budget to date" in page and "£50,000.00" in page
    check = client.post(url, data={"outturn": "97,000", "commentary": "", "check": "Check the rating"})
    assert check.status_code == 200
    html = " ".join(check.get_data(as_text=True).split())
    assert "A forecast of <strong>£97,000.00</strong> rates" in html and 'govuk-tag--orange">Amber<' in html
    assert session.scalar(select(func.count()).select_from(Forecast)) == 0
    refused = client.post(
        url, data={"outturn": "97,000", "commentary": "", "version": "0", "submit": "Save forecast"}
    )
    assert refused.status_code == 400
    assert "This forecast is Amber" in refused.get_data(as_text=True)
    saved = client.post(
        url,
        data={"outturn": "97,000", "commentary": "Hall closed", "version": "0", "submit": "Save forecast"},
    )
    assert saved.status_code == 302
    session.reread()
    assert session.scalar(select(Forecast.outturn)) == 97_000_00


def test_locks_page_finance_locks_and_only_admin_reopens(login_as, session):
    finance, admin = login_as(Role.FINANCE).client, login_as(Role.ADMIN).client
    asked = finance.post("/income/locks", data={"year": "2026-27", "quarter": "1"})
    assert asked.status_code == 200 and "Lock 2026-27 Q1?" in asked.get_data(as_text=True)
    assert (
        session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lock")) == 0
    )
    confirmed = finance.post("/income/locks", data={"year": "2026-27", "quarter": "1", "confirmed": "1"})
    assert confirmed.status_code == 302
    page = finance.get("/income/locks").get_data(as_text=True)
    assert "2026-27 Q1" in page and "Locked" in page and "/reopen" not in page
    lock_id = session.scalar(select(func.max(AuditEvent.entity_id)).where(AuditEvent.action == "lock"))
    assert finance.get(f"/income/locks/{lock_id}/reopen").status_code == 403
    no_reason = admin.post(f"/income/locks/{lock_id}/reopen", data={"reason": ""})
    assert no_reason.status_code == 400 and "Enter the reason" in no_reason.get_data(as_text=True)
    reopen_page = admin.get(f"/income/locks/{lock_id}/reopen").get_data(as_text=True)
    assert '<input type="hidden" name="version" value="1">' in reopen_page
    unversioned = admin.post(f"/income/locks/{lock_id}/reopen", data={"reason": "Late ledger journal"})
    assert unversioned.status_code == 400
    reopened = admin.post(
        f"/income/locks/{lock_id}/reopen", data={"reason": "Late ledger journal", "version": "1"}
    )
    assert reopened.status_code == 302
    assert "Late ledger journal" in admin.get("/income/locks").get_data(as_text=True)


def test_audit_log_is_for_admin_and_finance_and_filters(login_as, session):
    finance = login_as(Role.FINANCE)
    make_stream(session, "LIB-AUD", actor=finance.user)
    assert login_as(Role.VIEWER).client.get("/admin/audit").status_code == 403
    html = finance.client.get("/admin/audit?entity=income_streams&action=create").get_data(as_text=True)
    assert "LIB-AUD" in html and ">1 event</caption>" in html
    assert login_as(Role.ADMIN).client.get("/admin/audit?entity_id=abc").status_code == 400


def test_the_budget_grid_profiles_by_month(login_as, session):
    a, b = make_stream(session, "A-1"), make_stream(session, "B-1")
    client = login_as(Role.FINANCE).client
    page = client.get("/income/budgets/2026-27?by=month").get_data(as_text=True)
    assert (
        "Monthly profile (P1 April to P12 March) of every stream" in page
        and 'name="by" value="month"' in page
    )
    row = {f"rows-0-p{n}": "0" for n in range(1, 13)} | {
        "rows-0-p9": "6,000",
        "rows-0-stream_id": str(a.id),
        "rows-0-version": "0",
    }
    blank = {f"rows-1-p{n}": "" for n in range(1, 13)} | {
        "rows-1-stream_id": str(b.id),
        "rows-1-version": "0",
    }
    done = client.post("/income/budgets/2026-27", data={"by": "month", **row, **blank})
    assert done.status_code == 302 and done.headers["Location"].endswith("by=month")
    session.reread()
    budget = session.scalar(select(Budget))
    assert (budget.stream_id, budget.annual, budget.profile, budget.months[8]) == (
        a.id,
        6_000_00,
        (0, 0, 6_000_00, 0),
        6_000_00,
    )
    # The quarterly grid marks it and, left unchanged, keeps its months.
    quarterly = client.get("/income/budgets/2026-27").get_data(as_text=True)
    assert "Profiled by month" in quarterly


def test_locking_asks_first_locks_earlier_quarters_too_and_refuses_the_future(login_as, session):
    """Issue 18: one click locked any quarter, out of order or not yet ended."""
    from incometrack import periods
    from incometrack.models import PeriodLock

    finance = login_as(Role.FINANCE).client
    current = periods.quarter_for(date.today())
    future = finance.post("/income/locks", data={"year": current.year.label, "quarter": str(current.number)})
    assert future.status_code == 400
    assert f"{current.label} has not ended yet: it can be locked from" in future.get_data(as_text=True)
    asked = finance.post("/income/locks", data={"year": "2025-26", "quarter": "3"}).get_data(as_text=True)
    assert "this will also lock the earlier quarters of 2025-26" in asked
    assert "Lock 2025-26 Q1 and 2025-26 Q2 and 2025-26 Q3" in asked
    done = finance.post("/income/locks", data={"year": "2025-26", "quarter": "3", "confirmed": "1"})
    assert done.status_code == 302
    session.reread()
    assert sorted(session.execute(select(PeriodLock.year, PeriodLock.quarter)).all()) == [
        (2025, 1),
        (2025, 2),
        (2025, 3),
    ]


def test_deleting_asks_first_and_the_list_keeps_its_filters(login_as, session):
    """Issue 18: deleting had no confirmation, and a correction lost the list's filters."""
    stream = make_stream(session, "LIB-PRINT")
    entry = make_entry(session, stream, date(2026, 5, 4), 10_00, reference="R1")
    finance = login_as(Role.FINANCE).client
    listing = "/income/entries?year=2026-27&stream=" + str(stream.id) + "&sort=amount"
    page = finance.get(listing).get_data(as_text=True)
    edit = f"/income/entries/{entry.id}/edit?back=" + quote(listing, safe="/?")
    assert f'href="{edit}"' in page
    data = {"date_received": "04/05/2026", "stream_id": stream.id, "amount": "12.00", "reference": "R1",
            "version": entry.version}  # fmt: skip
    saved = finance.post(edit, data=data)
    assert saved.headers["Location"] == listing
    asked = finance.get(f"/income/entries/{entry.id}/delete")
    assert asked.status_code == 200 and "Delete this income entry?" in asked.get_data(as_text=True)
    session.reread()
    assert session.get(IncomeEntry, entry.id) is not None
    outside = finance.post(
        f"/income/entries/{entry.id}/edit?back=//evil.example/", data={**data, "version": 2}
    )
    assert outside.headers["Location"] == "/income/entries?year=2026-27"


def test_a_locked_entry_is_shown_read_only_with_the_way_to_correct_it(login_as, session):
    stream = make_stream(session, "LIB-PRINT")
    entry = make_entry(session, stream, date(2026, 5, 4), 10_00, reference="R1")
    finance = login_as(Role.FINANCE)
    locks.lock(session, FinancialYear(2026).quarter(1), actor=finance.user)
    session.commit()
    page = finance.client.get(f"/income/entries/{entry.id}/edit").get_data(as_text=True)
    assert "cannot be changed or deleted" in page and "Record a correcting entry" in page
    assert "Save entry" not in page and 'name="amount"' not in page
    refused = finance.client.post(f"/income/entries/{entry.id}/edit", data={"amount": "1.00"})
    assert refused.status_code == 409


def test_the_audit_log_speaks_in_business_terms(login_as, session, app):
    """Money in pounds, references by name and linked, fields as the forms name them; sign-ins
    hidden unless asked for; each record's history one link away, from the log and its own page."""
    from incometrack.services import income

    finance = login_as(Role.FINANCE, name="Farah Finance")
    printing = make_stream(session, "LIB-PRINT", name="Printing and photocopying", actor=finance.user)
    other = make_stream(session, "LIB-SHOP", name="Library shop", actor=finance.user)
    entry = make_entry(session, printing, date(2026, 5, 1), 1_520_00, reference="INV-1", actor=finance.user)
    income.update_entry(
        session,
        entry,
        income.EntryInput(date(2026, 5, 2), other.id, 152_00, "INV-1"),
        actor=finance.user,
        expected_version=entry.version,
    )
    session.commit()
    client = finance.client

    html = client.get(f"/admin/audit?entity=income_entries&entity_id={entry.id}").get_data(as_text=True)
    assert "Amount:</dt>" in html and "£1,520.00 → £152.00" in html
    assert "1 May 2026 → 2 May 2026" in html
    assert (
        f'<a class="govuk-link" href="/income/streams/{printing.id}">LIB-PRINT Printing and photocopying</a> → '
        f'<a class="govuk-link" href="/income/streams/{other.id}">LIB-SHOP Library shop</a>'
    ) in html
    assert "stream_id" not in html and "152000" not in html
    assert f'Income entry <a class="govuk-link" href="/income/entries/{entry.id}/edit">INV-1</a>' in html

    everything = client.get("/admin/audit").get_data(as_text=True)
    row = '<td class="govuk-table__cell">Login</td>'
    assert row not in everything  # the sign-in of login_as is not a change
    assert '<option value="login">Login</option>' in everything  # actions listed in sentence case
    assert row in client.get("/admin/audit?sign_ins=y").get_data(as_text=True)
    assert row in client.get("/admin/audit?action=login").get_data(as_text=True)

    # One query per kind of record named, however many events the page holds.
    for n in range(20):
        make_entry(
            session, printing, date(2026, 6, 1 + n), 100 + n, reference=f"MORE-{n}", actor=finance.user
        )
    session.commit()
    statements = []

    def count(*_args):
        statements.append(1)

    from incometrack.extensions import db

    with app.app_context():
        engine = db.engine
    one_entry = f"/admin/audit?entity=income_entries&entity_id={entry.id}"
    event.listen(engine, "before_cursor_execute", count)
    try:
        few = len(statements)
        client.get(one_entry)
        few = len(statements) - few
        many = len(statements)
        client.get("/admin/audit?entity=income_entries")
        many = len(statements) - many
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert many == few

    stream_page = client.get(f"/income/streams/{printing.id}").get_data(as_text=True)
    assert f'href="/admin/audit?entity=income_streams&amp;entity_id={printing.id}"' in stream_page
    viewer_page = login_as(Role.VIEWER).client.get(f"/income/streams/{printing.id}").get_data(as_text=True)
    assert "/admin/audit" not in viewer_page  # only those who may read the log see the link


def test_each_records_page_links_to_its_history(login_as, session):
    from tests.factories import make_bid, make_milestone, make_project

    admin = login_as(Role.ADMIN)
    stream = make_stream(session, "LIB-H")
    entry = make_entry(session, stream, date(2026, 5, 1), 1_00, reference="H-1")
    bid = make_bid(session, admin.user, title="History bid")
    project = make_project(session, admin.user, name="History project")
    milestone = make_milestone(session, project, admin.user, title="History milestone")
    session.commit()
    pages = {
        f"/income/streams/{stream.id}": ("income_streams", stream.id),
        f"/income/entries/{entry.id}/edit": ("income_entries", entry.id),
        f"/grants/bids/{bid.id}": ("grant_bids", bid.id),
        f"/grants/funders/{bid.funder_id}": ("funders", bid.funder_id),
        f"/projects/{project.id}": ("projects", project.id),
        f"/projects/milestones/{milestone.id}": ("milestones", milestone.id),
        f"/admin/users/{admin.user.id}": ("users", admin.user.id),
    }
    for path, (entity, record_id) in pages.items():
        html = admin.client.get(path).get_data(as_text=True)
        assert f'href="/admin/audit?entity={entity}&amp;entity_id={record_id}"' in html, path
