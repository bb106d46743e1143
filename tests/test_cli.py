"""The commands in the README: create-user and load-demo (db upgrade is Flask-Migrate's)."""

from datetime import date

import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

from incometrack import demo, periods
from incometrack.models import (
    Base,
    BidStatus,
    Budget,
    GrantBid,
    IncomeEntry,
    IncomeStream,
    Milestone,
    MilestoneStatus,
    Role,
    Site,
    User,
)
from incometrack.services import users
from tests.conftest import PASSWORD


def test_create_user_reads_the_password_from_stdin(runner, session):
    result = runner.invoke(
        args=["create-user", "Ann@Council.example", "--name", "Ann", "--role", "finance"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created ann@council.example (finance)" in result.output
    assert users.authenticate(session, "ann@council.example", PASSWORD).role is Role.FINANCE


def test_create_user_refuses_a_short_password(runner, session):
    result = runner.invoke(
        args=["create-user", "b@council.example", "--name", "B", "--role", "viewer"], input="short\n"
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=["create-user", "c@council.example", "--name", "C", "--role", "boss"], input=PASSWORD
    )
    assert result.exit_code == 2


def test_load_demo_fills_an_empty_database(runner, session):
    result = runner.invoke(args=["load-demo", "--today", "28/11/2026"])
    assert result.exit_code == 0, result.output
    assert "DEMO ONLY" in result.output
    assert f"password: {demo.DEMO_PASSWORD}" in result.output
    assert {u.role for u in session.scalars(select(User))} == set(Role)
    assert session.scalar(select(func.count()).select_from(IncomeStream)) == 30
    assert 10 <= session.scalar(select(func.count()).select_from(Site)) <= 15
    entries = session.scalar(select(func.count()).select_from(IncomeEntry))
    assert entries > 20_000
    assert session.scalar(select(func.max(IncomeEntry.date_received))) <= date(2026, 11, 28)
    years = set(session.scalars(select(Budget.year).distinct()))
    assert years == {2025, 2026}
    assert {b.status for b in session.scalars(select(GrantBid))} == set(BidStatus)
    lofe = session.scalar(select(GrantBid).where(GrantBid.title == "Kent's Digital Playground"))
    assert lofe.amount_awarded == 100_000_00
    assert lofe.programme.name == "Libraries: Opportunities for Everyone"
    assert {m.status for m in session.scalars(select(Milestone))} == set(MilestoneStatus)
    # Every entry carries the year and quarter that incometrack.periods gives its date.
    for entry in session.scalars(select(IncomeEntry).limit(500)):
        quarter = periods.quarter_for(entry.date_received)
        assert (entry.financial_year, entry.quarter) == (quarter.year.start, quarter.number)


def test_the_demo_is_written_through_the_services_with_its_audit_trail(runner, session):
    from incometrack.models import AuditEvent, ImportBatch

    assert runner.invoke(args=["load-demo", "--today", "2026-11-28"]).exit_code == 0
    audited = set(session.scalars(select(AuditEvent.entity).distinct()))
    assert audited >= {
        "users", "sites", "income_streams", "budgets", "import_batches", "forecasts", "funders", "programmes",
        "grant_bids", "grant_payments", "grant_spend", "funder_reports", "projects", "milestones",
    }  # fmt: skip
    [batch] = session.scalars(select(ImportBatch))
    assert batch.rows_imported == session.scalar(select(func.count()).select_from(IncomeEntry))


@pytest.mark.parametrize("today", ["2027-01-03", "2026-04-01", "2027-03-31"])
def test_the_demo_loads_on_any_day_of_the_year(runner, session, today):
    """Nothing in the demo is dated after the day it is loaded as (the services refuse it)."""
    result = runner.invoke(args=["load-demo", "--today", today])
    assert result.exit_code == 0, result.output


def test_load_demo_is_deterministic(runner, session, reference_rows):
    runner.invoke(args=["load-demo", "--today", "2026-11-28"])
    first = session.execute(select(func.count(), func.sum(IncomeEntry.amount))).one()
    assert tuple(first) == tuple(_totals_of_a_second_load(reference_rows))


def _totals_of_a_second_load(reference_rows):
    """Load the demo again into a separate in-memory database with the same reference data."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as other:
        for table in Base.metadata.sorted_tables:
            if reference_rows.get(table.name):
                other.execute(insert(table), reference_rows[table.name])
        demo.load(other, today=date(2026, 11, 28))
        return other.execute(select(func.count(), func.sum(IncomeEntry.amount))).one()


def test_load_demo_refuses_a_database_with_data(runner, make_user):
    make_user(Role.ADMIN)
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 1
    assert "only fills an empty one" in result.output
    quiet = runner.invoke(args=["load-demo", "--if-empty"])
    assert quiet.exit_code == 0
    assert "demo not loaded" in quiet.output


def test_load_demo_refuses_production(app, runner):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 1
    assert "refuses to run with" in result.output
    assert "INCOMETRACK_ENV=production" in result.output


#: What starting the app must not load: each is loaded by the command or page that uses it.
NOT_AT_START = (
    "alembic",  # flask db
    "openpyxl",  # workbooks
    "reportlab",  # PDFs
    "zxcvbn",  # password strength, when a password is set
    "huey",  # the job queue
    "icalendar",  # the calendar feed
    "smtplib",  # sending reminders
    "incometrack.account.feed",
    "incometrack.services.reminders",
    "incometrack.reports.reminders",
    "incometrack.demo",  # load-demo
)


def test_starting_the_app_does_not_load_what_it_does_not_use():
    """As the README says: heavy libraries load when a command or page uses them (issue 33)."""
    import subprocess
    import sys

    code = f"import sys, wsgi; print([m for m in {NOT_AT_START!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
