"""The indexes the return, dashboard and entry list rely on are used (EXPLAIN), so a schema or
query change that loses them fails here rather than in committee week."""

from datetime import date

import pytest
from sqlalchemy import event, text

from incometrack.models import IncomeEntry
from incometrack.periods import FinancialYear
from incometrack.reports.income import year_actuals
from incometrack.reports.returns import build_return
from tests.factories import make_entry, make_stream

AGGREGATE_INDEX = "ix_income_entries_year_period_stream"
TOTALS_KEY = "pk_income_totals"


def plan(session, statement) -> str:
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return "\n".join(str(row[-1]) for row in rows)
    session.execute(text("SET LOCAL enable_seqscan = off"))  # tiny test tables would otherwise be scanned
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {compiled}")))


def plans_of(session, run) -> list[str]:
    """The plan of every statement ``run`` sends to the database, explained with its own
    parameters: the statements the reports really run, not copies of them."""
    sent = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    connection = session.connection()
    if engine.dialect.name == "sqlite":
        return [
            "\n".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in sent
        ]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return [
        "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}", params))
        for sql, params in sent
    ]


@pytest.mark.parametrize("quarter", [2, 4])
def test_the_year_aggregate_reads_the_kept_totals_by_their_key(session, quarter):
    """The return's income to a month end comes from the totals' primary key (year, period,
    stream), never from the entries: its cost does not grow with the ledger."""
    stream = make_stream(session)
    for day in range(1, 20):
        make_entry(session, stream, date(2026, 5, day), 100 + day, reference=f"R{day}")
    session.flush()
    [explained] = plans_of(session, lambda: year_actuals(session, FinancialYear(2026).quarter(quarter)))
    assert "income_entries" not in explained, explained
    if session.get_bind().dialect.name == "sqlite":
        assert "SEARCH income_totals USING INDEX sqlite_autoindex_income_totals_1" in explained, explained
    else:
        assert TOTALS_KEY in explained, explained
    assert year_actuals(session, FinancialYear(2026).quarter(quarter))[stream.id][2] == (  # May: P2
        sum(100 + d for d in range(1, 20)),
        19,
    )


def test_the_returns_entries_stream_in_date_order_from_the_date_index(session):
    stream = make_stream(session)
    make_entry(session, stream, date(2026, 5, 1), 100)
    session.flush()
    entries = build_return(session, FinancialYear(2026).quarter(2)).entries
    [explained] = plans_of(session, lambda: list(entries))
    assert "ix_income_entries_date" in explained, explained
    if session.get_bind().dialect.name == "sqlite":
        assert "TEMP B-TREE" not in explained, explained  # no sort of the whole year


def test_an_entry_list_filtered_by_stream_and_sorted_by_date_uses_an_index(session):
    from sqlalchemy import select

    stream = make_stream(session)
    make_entry(session, stream, date(2026, 5, 1), 100)
    statement = (
        select(IncomeEntry.id)
        .where(IncomeEntry.stream_id == stream.id, IncomeEntry.date_received >= date(2026, 4, 1))
        .order_by(IncomeEntry.date_received.desc())
        .limit(50)
    )
    explained = plan(session, statement)
    assert "ix_income_entries_stream_date" in explained, explained
