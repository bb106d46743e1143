"""Reports run their statements on the session's connection (reports.sql.read): they still see
what the session holds but has not flushed, as the ORM's autoflush would show it."""

from datetime import date

from incometrack.models import IncomeEntry
from incometrack.periods import FinancialYear
from incometrack.reports.income import year_actuals
from tests.factories import make_entry, make_stream


def test_a_report_sees_changes_the_session_has_not_flushed(session):
    stream = make_stream(session)
    make_entry(session, stream, date(2026, 5, 1), 100_00, reference="SAVED")
    session.add(
        IncomeEntry(
            stream_id=stream.id,
            date_received=date(2026, 5, 2),
            financial_year=2026,
            quarter=1,
            period=2,
            amount=50_00,
            reference="PENDING",
        )
    )
    assert year_actuals(session, FinancialYear(2026).quarter(1))[stream.id][2] == (150_00, 2)  # May: P2
