"""Issue 33, item 1: the income totals by stream, year and month period that the return,
monitoring, the dashboard and the live screens read are exact after every kind of write (an
entry added, changed in amount, stream or date, removed; an import, an undone batch; the real
ledger extracts are checked in tests/test_real_extracts.py), compared each time with a fresh aggregate of the entries and with figures worked by hand;
on PostgreSQL also under imports and edits at once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.models import ImportBatch, IncomeTotal, Role
from incometrack.services import AS_READ, imports, income, income_totals
from tests.factories import make_entry, make_stream
from tests.test_races import at_once


def totals(session) -> dict[tuple[int, int, str], tuple[int, int]]:
    """(year, period, stream code) → (pence, entries), as kept."""
    session.reread()
    from incometrack.models import IncomeStream

    rows = session.execute(
        select(IncomeTotal.financial_year, IncomeTotal.period, IncomeStream.code, IncomeTotal.amount,
               IncomeTotal.entries).join(IncomeStream, IncomeStream.id == IncomeTotal.stream_id)
    )  # fmt: skip
    return {(y, p, code): (amount, n) for y, p, code, amount, n in rows}


def exact(session) -> None:
    session.reread()
    assert income_totals.differences(session) == []


def edit(session, entry, **changes):
    values = {
        "date_received": entry.date_received,
        "stream_id": entry.stream_id,
        "amount": entry.amount,
        "reference": entry.reference,
        "site_id": entry.site_id,
        "description": entry.description,
    }
    income.update_entry(
        session, entry, income.EntryInput(**{**values, **changes}), actor=None, expected_version=AS_READ,
        today=date(2099, 1, 1),
    )  # fmt: skip
    session.commit()


def test_every_kind_of_write_keeps_the_totals_exact(session, make_user):
    room = make_stream(session, "LIB-A")
    prints = make_stream(session, "LIB-P")
    first = make_entry(session, room, date(2026, 5, 1), 100_00)  # 2026-27 P2
    make_entry(session, room, date(2026, 5, 31), 50_00)
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (150_00, 2)}

    edit(session, first, amount=120_00)  # the amount
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (170_00, 2)}
    edit(session, first, stream_id=prints.id)  # the stream
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (50_00, 1), (2026, 2, "LIB-P"): (120_00, 1)}
    edit(session, first, date_received=date(2026, 3, 31))  # into March of the year before (P12)
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (50_00, 1), (2025, 12, "LIB-P"): (120_00, 1)}
    edit(session, first, date_received=date(2026, 6, 1), amount=-20_00, stream_id=room.id)  # all at once
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (50_00, 1), (2026, 3, "LIB-A"): (-20_00, 1)}

    income.delete_entry(session, first, actor=None, expected_version=AS_READ)
    session.commit()
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (50_00, 1)}  # the emptied total is gone

    data = b"date,stream_code,amount,reference\n01/05/2026,LIB-A,10.00,I1\n02/05/2026,LIB-P,2.50,I2\n" + (
        b"03/07/2026,LIB-P,1.00,I3\n"
    )
    result = imports.import_income(session, data, "a.csv", actor=None, today=date(2026, 11, 30))
    assert result.ok
    session.commit()
    exact(session)
    assert totals(session) == {
        (2026, 2, "LIB-A"): (60_00, 2),
        (2026, 2, "LIB-P"): (2_50, 1),
        (2026, 4, "LIB-P"): (1_00, 1),
    }

    batch = session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    imports.undo_batch(session, batch, actor=make_user(Role.FINANCE))
    session.commit()
    exact(session)
    assert totals(session) == {(2026, 2, "LIB-A"): (50_00, 1)}


def test_rebuild_recounts_from_the_entries(session):
    room = make_stream(session, "LIB-A")
    make_entry(session, room, date(2026, 5, 1), 100_00)
    session.execute(IncomeTotal.__table__.delete())
    session.commit()
    assert income_totals.differences(session)
    assert income_totals.rebuild(session) == 1
    session.commit()
    exact(session)


def test_imports_and_edits_at_once_keep_the_totals_exact(engine, session, make_user):
    """Two imports of different lines into the same months, and entries typed meanwhile, each in a
    transaction of its own: every total is the sum of its entries afterwards."""
    room = make_stream(session, "LIB-A")
    prints = make_stream(session, "LIB-P")
    person = make_user(Role.FINANCE)

    def lines(tag: str, order: range) -> bytes:
        rows = "".join(
            f"{1 + n % 28:02d}/{5 + n % 3:02d}/2026,{'LIB-A' if n % 2 else 'LIB-P'},{n + 1}.00,{tag}{n}\n"
            for n in order
        )
        return f"date,stream_code,amount,reference\n{rows}".encode()

    def importing(data: bytes):
        def call():
            with Session(engine) as own:
                result = imports.import_income(own, data, "x.csv", actor=own.get(type(person), person.id),
                                               today=date(2026, 11, 30))  # fmt: skip
                assert result.ok, result.errors
                own.commit()

        return call

    def typing(stream_id: int):
        def call():
            for n in range(10):
                with Session(engine) as own:
                    income.create_entry(own, income.EntryInput(date_received=date(2026, 6, 1 + n), stream_id=stream_id,
                                        amount=7_00, reference=f"T{n}"), actor=None, today=date(2099, 1, 1))  # fmt: skip
                    own.commit()

        return call

    at_once([importing(lines("A", range(150))), importing(lines("B", range(149, -1, -1))), typing(room.id),
             typing(prints.id)])  # fmt: skip
    exact(session)
    kept = totals(session)
    # by hand: each import's lines are £1 to £150 (£11,325.00) twice, and 20 typed entries of £7
    assert sum(amount for amount, _n in kept.values()) == 2 * 11_325_00 + 20 * 7_00
    assert sum(n for _amount, n in kept.values()) == 2 * 150 + 20


def test_the_command_checks_and_repairs_the_totals(runner, session):
    room = make_stream(session, "LIB-A")
    make_entry(session, room, date(2026, 5, 1), 100_00)
    assert runner.invoke(args=["check-income-totals"]).output == "The income totals agree with the entries.\n"
    session.execute(IncomeTotal.__table__.update().values(amount=1))
    session.commit()
    checked = runner.invoke(args=["check-income-totals"])
    assert checked.exit_code == 1
    assert checked.output == f"2026 P2 stream {room.id}: kept £0.01 in 1 entries, recorded £100.00 in 1\n"
    repaired = runner.invoke(args=["check-income-totals", "--repair"])
    assert repaired.exit_code == 0 and repaired.output.endswith("Recounted 1 totals from the entries.\n")
    exact(session)
