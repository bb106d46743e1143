"""Integrity holes found by attack (issue 13): each test failed before its fix.

Creating a record from a form drawn when it did not exist, editing a bid, buttons that change
state, submitting a quarter that has not ended, control characters and dates out of range.
"""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, update

from incometrack.models import Budget, Forecast, GrantBid, IncomeEntry, IncomeStream, Role, StagedUpload
from incometrack.periods import FinancialYear
from incometrack.services import AS_READ, ServiceError, income, staging
from incometrack.services import returns as return_service
from tests.factories import make_bid, make_budget, make_entry, make_milestone, make_project, make_stream, move

META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}


@pytest.fixture
def finance(login_as):
    return login_as(Role.FINANCE)


# Item 3: lost update on create --------------------------------------------------------------


def test_a_budget_form_drawn_before_someone_created_the_budget_is_refused(finance, session):
    stream = make_stream(session, "LIB-A")
    session.commit()
    url = f"/income/streams/{stream.id}/budget/2026-27"
    drawn = finance.client.get(url).get_data(as_text=True)
    assert 'name="version" value="0"' in drawn
    income.set_budget(
        session, stream, 2026, 500_00, actor=finance.user, expected_version=AS_READ
    )  # someone else, meanwhile
    session.commit()
    response = finance.client.post(url, data={"profile_by": "quarter", "annual": "900.00", "version": "0"})
    assert response.status_code == 409
    session.reread()
    assert session.scalar(select(Budget.annual)) == 500_00


def test_a_budget_grid_row_drawn_before_someone_created_the_budget_is_refused(finance, session):
    stream = make_stream(session, "LIB-A")
    session.commit()
    drawn = finance.client.get("/income/budgets/2026-27").get_data(as_text=True)
    assert 'name="rows-0-version" value="0"' in drawn
    income.set_budget(session, stream, 2026, 500_00, actor=finance.user, expected_version=AS_READ)
    session.commit()
    response = finance.client.post(
        "/income/budgets/2026-27",
        data={"rows-0-stream_id": stream.id, "rows-0-version": "0", "rows-0-annual": "900.00"},
    )
    assert response.status_code == 303  # back to the grid, which now shows their figure
    session.reread()
    assert session.scalar(select(Budget.annual)) == 500_00


def test_a_first_forecast_drawn_before_someone_made_one_is_refused(finance, session):
    stream = make_stream(session, "LIB-A")
    make_budget(session, stream, 1_000_00)
    session.commit()
    url = f"/income/streams/{stream.id}/forecast/2026-27/2"
    assert 'name="version" value="0"' in finance.client.get(url).get_data(as_text=True)
    income.save_forecast(
        session,
        stream,
        FinancialYear(2026).quarter(2),
        1_000_00,
        "",
        actor=finance.user,
        expected_version=AS_READ,
    )
    session.commit()
    response = finance.client.post(
        url, data={"outturn": "1200.00", "commentary": "", "version": "0", "submit": "y"}
    )
    assert response.status_code == 409
    session.reread()
    assert session.scalar(select(Forecast.outturn)) == 1_000_00


@pytest.mark.parametrize("version", [None, "", "abc"])
def test_cease_and_delete_buttons_must_carry_the_version(finance, session, version):
    stream = make_stream(session, "LIB-A")
    entry = make_entry(session, stream, date(2026, 5, 1), 1_00)
    session.commit()
    data = {} if version is None else {"version": version}
    assert finance.client.post(f"/income/streams/{stream.id}/cease", data=data).status_code == 400
    assert finance.client.post(f"/income/entries/{entry.id}/delete", data=data).status_code == 400
    session.reread()
    assert session.get(IncomeStream, stream.id).status.value == "active"
    assert session.get(IncomeEntry, entry.id) is not None


def test_a_delete_button_drawn_before_an_edit_is_refused(finance, session):
    stream = make_stream(session, "LIB-A")
    entry = make_entry(session, stream, date(2026, 5, 1), 1_00)
    session.commit()
    session.execute(update(IncomeEntry).values(amount=2_00, version=IncomeEntry.version + 1))
    session.commit()
    response = finance.client.post(f"/income/entries/{entry.id}/delete", data={"version": "1"})
    assert response.status_code in (303, 409)
    session.reread()
    assert session.get(IncomeEntry, entry.id) is not None


# Item 4: an edit form changes only the fields it shows -----------------------------------------


def test_editing_an_unsuccessful_bid_keeps_the_funders_reason(finance, session):
    bid = make_bid(session, finance.user)
    move(session, bid, finance.user, "drafting", "submitted")
    from incometrack.services import grants

    grants.move_bid(session, bid, grants.BidStatus.UNSUCCESSFUL, actor=finance.user, on=date(2026, 7, 1),
                    reason="Oversubscribed round", expected_version=AS_READ)  # fmt: skip
    session.commit()
    url = f"/grants/bids/{bid.id}/edit"
    assert finance.client.get(url).status_code == 200
    bid = session.get(GrantBid, bid.id)
    response = finance.client.post(
        url,
        data={
            "title": bid.title,
            "funder_id": bid.funder_id,
            "service_id": bid.service_id,
            "lead_id": bid.lead_id or "",
            "amount_requested": "10,000.00",
            "probability": "50",
            "submitted_on": "01/06/2026",
            "version": bid.version,
        },
    )
    assert response.status_code == 302
    session.reread()
    assert session.get(GrantBid, bid.id).unsuccessful_reason == "Oversubscribed round"


# Item 13: a quarter's return only after it has ended -------------------------------------------


@pytest.mark.parametrize(
    "today", [date(2026, 9, 30), date(2026, 9, 1)], ids=["its last day", "a month before"]
)
def test_a_return_is_not_submitted_before_its_quarter_ends(session, make_user, today):
    quarter = FinancialYear(2026).quarter(2)
    actor = make_user(Role.FINANCE)
    with pytest.raises(ServiceError, match="can be submitted from 1 Oct 2026, once the quarter has ended"):
        return_service.submit(session, quarter, actor=actor, today=today, **META)


def test_a_return_is_submitted_the_day_after_its_quarter_ends(session, make_user):
    actor = make_user(Role.FINANCE)
    submitted = return_service.submit(
        session, FinancialYear(2026).quarter(2), actor=actor, today=date(2026, 10, 1), **META
    )
    assert submitted.quarter == 2


def test_a_future_quarter_cannot_be_submitted_from_the_page(finance, session):
    next_year = FinancialYear.containing(date.today()).next()
    response = finance.client.post(f"/returns/{next_year.label}/4/submit", data={})
    assert response.status_code == 303
    session.reread()
    from incometrack.models import PeriodLock, ReturnSnapshot

    assert session.scalar(select(func.count()).select_from(ReturnSnapshot)) == 0
    assert session.scalar(select(func.count()).select_from(PeriodLock)) == 0


# Item 10: control characters -----------------------------------------------------------------


def test_control_characters_typed_into_a_form_are_cleaned(finance, session):
    stream = make_stream(session, "LIB-A")
    session.commit()
    response = finance.client.post(
        "/income/entries/new",
        data={
            "date_received": "01/05/2026",
            "stream_id": stream.id,
            "amount": "5.00",
            "reference": "R\x001",
            "description": "line one\x0bline two\r\nthree\x07",
        },
    )
    assert response.status_code == 302
    session.reread()
    entry = session.scalar(select(IncomeEntry))
    assert (entry.reference, entry.description) == ("R1", "line one\nline two\nthree")


def test_the_workbook_is_produced_from_text_stored_with_control_characters(finance, session):
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 1_00, reference="R1")
    session.commit()
    # Stored before inputs were cleaned: what Word pastes for a line break, and a NUL-free bell.
    session.execute(update(IncomeEntry).values(description="pasted\x0bfrom Word\x07"))
    session.commit()
    response = finance.client.post("/returns/2026-27/1/export/xlsx", data={})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    texts = [c for row in workbook["Income entries"].iter_rows(values_only=True) for c in row]
    assert "pasted\ufffdfrom Word\ufffd" in texts


def test_control_characters_in_an_imported_file_are_cleaned(session, make_user):
    from incometrack.services import imports

    make_stream(session, "LIB-A")
    data = b"date,stream_code,amount,reference,description\n01/05/2026,LIB-A,5.00,R1,a\x0bb\x1bc\n"
    result = imports.import_income(session, data, "x.csv", actor=make_user(Role.FINANCE))
    assert result.ok
    assert session.scalar(select(IncomeEntry.description)) == "a\nbc"


# Item 11: one accepted range of dates ----------------------------------------------------------


@pytest.mark.parametrize("typed", ["01/01/1989", "31/03/1990", "01/04/2100", "25/12/9999", "0001-01-01"])
def test_entry_dates_outside_the_accepted_range_are_refused_beside_the_field(finance, session, typed):
    stream = make_stream(session, "LIB-A")
    session.commit()
    response = finance.client.post(
        "/income/entries/new",
        data={"date_received": typed, "stream_id": stream.id, "amount": "5.00", "reference": "R"},
    )
    assert response.status_code == 400
    assert "Date received must be between 1 Apr 1990 and 31 Mar 2100" in response.get_data(as_text=True)


@pytest.mark.parametrize(("field", "typed"), [("forecast_due", "25/12/9999"), ("forecast_due", "01/01/0001")])
def test_milestone_dates_outside_the_range_are_refused_and_the_project_page_still_works(
    login_as, session, field, typed
):
    admin = login_as(Role.ADMIN)
    project = make_project(session, admin.user)
    milestone = make_milestone(session, project, admin.user)
    session.commit()
    response = admin.client.post(
        f"/projects/milestones/{milestone.id}/update",
        data={
            "update_on": "01/11/2026",
            "status": "in_progress",
            "forecast_due": "01/12/2026",
            field: typed,
            "note": "moved",
            "version": milestone.version,
        },
    )
    assert response.status_code == 400
    assert "must be between 1 Apr 1990 and 31 Mar 2100" in response.get_data(as_text=True)
    assert admin.client.get(f"/projects/{project.id}").status_code == 200


def test_an_imported_date_outside_the_range_is_a_row_problem(session, make_user):
    from incometrack.services import imports

    make_stream(session, "LIB-A")
    data = b"date,stream_code,amount,reference\n01/01/1989,LIB-A,5.00,R1\n"
    result = imports.import_income(session, data, "x.csv", actor=make_user(Role.FINANCE))
    assert [str(e) for e in result.errors] == [
        'row 2: date: Date must be between 1 Apr 1990 and 31 Mar 2100 (the file has "01/01/1989")'
    ]


# Item 12: money text of any length ------------------------------------------------------------


def test_a_five_thousand_digit_amount_is_refused_by_form_import_and_command_line(
    finance, session, runner, tmp_path
):
    stream = make_stream(session, "LIB-A")
    session.commit()
    huge = "9" * 5000
    response = finance.client.post(
        "/income/entries/new",
        data={"date_received": "01/05/2026", "stream_id": stream.id, "amount": huge, "reference": "R"},
    )
    assert response.status_code == 400 and "Amount must be in pounds and pence" in response.get_data(
        as_text=True
    )
    path = tmp_path / "huge.csv"
    path.write_text(f"date,stream_code,amount,reference\n01/05/2026,LIB-A,{huge},R1\n")
    result = runner.invoke(args=["import-income", str(path)])
    assert result.exit_code == 1
    assert "row 2: amount: Amount must be in pounds and pence" in result.output
    assert "Traceback" not in result.output


# Items 16 and 17: staged uploads live in the database, bounded --------------------------------


def test_staged_uploads_are_bounded_per_person_and_in_age(session, make_user):
    from datetime import timedelta

    from incometrack.models.base import utcnow

    person = make_user(Role.FINANCE)
    now = utcnow()
    tokens = [
        staging.stage(
            session, kind="income", filename=f"{n}.csv", sheet=None, user_id=person.id, data=b"x", now=now
        )
        for n in range(5)
    ]
    assert session.scalars(select(StagedUpload.token).order_by(StagedUpload.id)).all() == tokens[-3:]
    assert (
        staging.claim(session, tokens[-1], person.id, now=now + staging.MAX_AGE + timedelta(seconds=1))
        is None
    )
    assert staging.claim(session, tokens[-1], person.id + 1, now=now) is None  # another person's
    assert staging.claim(session, tokens[-1], person.id, now=now).filename == "4.csv"
    assert staging.claim(session, tokens[-1], person.id, now=now) is None  # consumed once


# Item 15: the database password never on a command line ---------------------------------------


def test_backup_passes_the_postgresql_password_in_the_environment_not_the_arguments(tmp_path):
    from sqlalchemy.engine import make_url

    from incometrack.backup import pg_dump_command

    url = make_url("postgresql+psycopg://incometrack:s3cret-Pa55@db.internal:5432/incometrack")
    command, environment = pg_dump_command("/usr/bin/pg_dump", url, tmp_path / "x.dump")
    assert not any("s3cret-Pa55" in argument for argument in command)
    assert "--dbname=postgresql://incometrack@db.internal:5432/incometrack" in command
    assert environment["PGPASSWORD"] == "s3cret-Pa55"


# Item 8: reading without SQLite's write lock ---------------------------------------------------


READ, WRITE = "BEGIN DEFERRED", "BEGIN IMMEDIATE"


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [("/login", {"email": "nobody@council.example", "password": "wrong password entirely"}, [READ, WRITE]),
     ("/returns/2026-27/1/export/pdf", {}, [READ, WRITE]),
     ("/income/import", {"kind": "income"}, [READ, WRITE, READ])],  # the preview page is drawn after
)  # fmt: skip
def test_slow_reading_requests_begin_without_the_write_lock(
    app, engine, finance, session, path, data, expected
):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from sqlalchemy import event

    if path == "/income/import":
        make_stream(session, "LIB-A")
        session.commit()
        data = {
            **data,
            "file": (io.BytesIO(b"date,stream_code,amount,reference\n01/05/2026,LIB-A,5,R1\n"), "a.csv"),
        }

    begins: list[str] = []

    def seen(_conn, _cursor, statement, *_):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        client = app.test_client() if path == "/login" else finance.client
        client.post(path, data=data)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # The reading (sign-in checks and password hash, the whole workbook, the uploaded file) happens in a deferred
    # transaction; only the short write at the end takes the lock.
    assert begins == expected


@pytest.mark.full_reset  # its own app writes through an engine of its own
def test_a_save_that_cannot_get_sqlites_write_lock_in_time_gets_503(
    app_config, reference_rows, engine, session, make_user
):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    from incometrack import create_app
    from tests.conftest import PASSWORD

    stream = make_stream(session, "LIB-A")
    person = make_user(Role.FINANCE)
    session.commit()
    app = create_app({**app_config, "SQLITE_BUSY_TIMEOUT_MS": 200})
    client = app.test_client()
    assert client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
    import sqlite3

    blocker = sqlite3.connect(engine.url.database, timeout=10, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another worker, writing
    try:
        response = client.post(
            "/income/entries/new",
            data={"date_received": "01/05/2026", "stream_id": stream.id, "amount": "5.00", "reference": "R1"},
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "The database is busy with other work. Nothing has been saved" in response.get_data(as_text=True)
    with app.app_context():
        from incometrack.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.mark.full_reset  # its own app writes through an engine of its own
def test_a_duplicate_key_that_reaches_the_database_is_a_409_page(app_config, make_user, session):
    """What two people creating the same record at once meet on PostgreSQL, made certain here by
    inserting a duplicate the service's own check cannot see."""
    from incometrack import create_app
    from incometrack.extensions import db
    from incometrack.models import PeriodLock
    from tests.conftest import PASSWORD

    app = create_app(app_config)  # a route of its own, added before the app's first request

    @app.route("/test-duplicate", methods=["POST"])
    def duplicate():
        db.session.add_all([PeriodLock(year=2025, quarter=1), PeriodLock(year=2025, quarter=1)])
        db.session.flush()
        return "unreachable"

    from incometrack import policy
    from incometrack.auth.access import roles_required

    app.view_functions["duplicate"] = roles_required(policy.MANAGERS)(duplicate)
    person = make_user(Role.FINANCE)
    client = app.test_client()
    assert client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
    response = client.post("/test-duplicate")
    assert response.status_code == 409
    assert "Someone else created the same record at the same moment" in response.get_data(as_text=True)
    session.reread()
    session.reread()
    assert session.scalar(select(func.count()).select_from(PeriodLock)) == 0
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_pages_still_work_with_extreme_dates_stored_before_the_range_was_enforced(login_as, session):
    from incometrack.models import Milestone

    admin = login_as(Role.ADMIN)
    project = make_project(session, admin.user)
    make_milestone(session, project, admin.user)
    session.commit()
    session.execute(update(Milestone).values(forecast_due=date(9999, 12, 25), baseline_due=date(1, 1, 1)))
    session.commit()
    for url in (f"/projects/{project.id}", "/projects/milestones", "/projects/", "/"):
        assert admin.client.get(url).status_code == 200, url
