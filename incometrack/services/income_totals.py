"""Income per stream, year and month period (``income_totals``), kept exact in the transaction of
every write to ``income_entries``.

Two ways in, one rule: an entry written through the ORM (the entry form, the demo, a test's
factory) moves its totals by mapper events inside the same flush; an import's lines and an undone
batch, written by Core statements, move them by one grouped ``INSERT … SELECT`` of the batch's own
entries. Each change is an upsert that adds to the row (``ON CONFLICT … DO UPDATE SET amount =
amount + excluded.amount``), so two transactions changing the same total both count on either
database, and rows are touched in key order, so two imports never wait on each other in a circle.
Totals whose last entry went are removed, so a total always has at least one entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes

from incometrack.models import IncomeEntry, IncomeTotal

_KEY = ("financial_year", "period", "stream_id")


def _insert(connection: Connection):
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(IncomeTotal)
    if dialect == "sqlite":
        return sqlite.insert(IncomeTotal)
    raise NotImplementedError(f"income totals are not kept on {dialect}")


def _adding(statement):
    return statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            "amount": IncomeTotal.amount + statement.excluded.amount,
            "entries": IncomeTotal.entries + statement.excluded.entries,
        },
    )


def _apply(connection: Connection, changes: dict[tuple[int, int, int], tuple[int, int]]) -> None:
    """Add (amount, entries) to each (year, period, stream) total, in key order."""
    changes = {key: change for key, change in changes.items() if change != (0, 0)}
    if not changes:
        return
    ordered = sorted(changes.items())
    # A total that loses entries exists already (its entries were counted): a plain UPDATE, since
    # an upsert's candidate row of -1 entries would fail the CHECK before it met the conflict.
    if taking := [
        {"y": y, "p": p, "s": s, "by_amount": amount, "by_entries": count}
        for (y, p, s), (amount, count) in ordered
        if count < 0
    ]:
        connection.execute(_TAKING, taking)
    if adding := [
        {"financial_year": y, "period": p, "stream_id": s, "amount": amount, "entries": count}
        for (y, p, s), (amount, count) in ordered
        if count >= 0
    ]:
        connection.execute(_adding(_insert(connection)), adding)
    if taking:
        _drop_empty(connection)


_TAKING = (
    update(IncomeTotal)
    .where(
        IncomeTotal.financial_year == bindparam("y"),
        IncomeTotal.period == bindparam("p"),
        IncomeTotal.stream_id == bindparam("s"),
    )
    .values(
        amount=IncomeTotal.amount + bindparam("by_amount"),
        entries=IncomeTotal.entries + bindparam("by_entries"),
    )
)


def _drop_empty(connection: Connection) -> None:
    connection.execute(delete(IncomeTotal).where(IncomeTotal.entries == 0))


def _grouped(where):
    return (
        select(
            IncomeEntry.financial_year,
            IncomeEntry.period,
            IncomeEntry.stream_id,
            func.sum(IncomeEntry.amount),
            func.count(),
        )
        .where(where)
        .group_by(IncomeEntry.financial_year, IncomeEntry.period, IncomeEntry.stream_id)
        .order_by(IncomeEntry.financial_year, IncomeEntry.period, IncomeEntry.stream_id)
    )


def add_batch(session: Session, batch_id: int) -> None:
    """Count an import's entries, just inserted by Core statements: one grouped statement."""
    connection = session.connection()
    rows = connection.execute(_grouped(IncomeEntry.batch_id == batch_id)).all()
    _apply(connection, {(y, p, s): (int(total), n) for y, p, s, total, n in rows})


def remove_batch(session: Session, batch_id: int) -> None:
    """Take an import's entries out of the totals, before the entries are deleted."""
    connection = session.connection()
    rows = connection.execute(_grouped(IncomeEntry.batch_id == batch_id)).all()
    _apply(connection, {(y, p, s): (-int(total), -n) for y, p, s, total, n in rows})


@dataclass(frozen=True)
class Difference:
    financial_year: int
    period: int
    stream_id: int
    kept: tuple[int, int]  #: (amount, entries) in income_totals
    recorded: tuple[int, int]  #: (amount, entries) summed from income_entries


def differences(session: Session) -> list[Difference]:
    """Every total that differs from a fresh aggregate of the entries (none, while the upkeep holds)."""
    recorded = {
        (y, p, s): (int(total), n)
        for y, p, s, total, n in session.execute(_grouped(IncomeEntry.id.is_not(None)))
    }
    kept = {
        (y, p, s): (amount, n)
        for y, p, s, amount, n in session.execute(
            select(
                IncomeTotal.financial_year,
                IncomeTotal.period,
                IncomeTotal.stream_id,
                IncomeTotal.amount,
                IncomeTotal.entries,
            )
        )
    }
    return [
        Difference(*key, kept.get(key, (0, 0)), recorded.get(key, (0, 0)))
        for key in sorted(recorded.keys() | kept.keys())
        if kept.get(key, (0, 0)) != recorded.get(key, (0, 0))
    ]


def rebuild(session: Session) -> int:
    """Recount every total from the entries (after a restore, or a repair): the totals' rows."""
    connection = session.connection()
    connection.execute(delete(IncomeTotal))
    rows = connection.execute(_grouped(IncomeEntry.id.is_not(None))).all()
    if rows:
        connection.execute(
            _insert(connection),
            [
                {"financial_year": y, "period": p, "stream_id": s, "amount": int(total), "entries": n}
                for y, p, s, total, n in rows
            ],
        )
    return len(rows)


# An entry written through the ORM moves its totals within the same flush ---------------------


def _key_of(entry: IncomeEntry) -> tuple[int, int, int]:
    return (entry.financial_year, entry.period, entry.stream_id)


@event.listens_for(IncomeEntry, "after_insert")
def _inserted(_mapper, connection: Connection, entry: IncomeEntry) -> None:
    _apply(connection, {_key_of(entry): (entry.amount, 1)})


@event.listens_for(IncomeEntry, "after_delete")
def _deleted(_mapper, connection: Connection, entry: IncomeEntry) -> None:
    _apply(connection, {_key_of(entry): (-entry.amount, -1)})


def _before(entry: IncomeEntry, name: str):
    """An attribute's value before this flush: its committed value when it changed."""
    history = attributes.get_history(entry, name)
    return history.deleted[0] if history.deleted else getattr(entry, name)


@event.listens_for(IncomeEntry, "after_update")
def _updated(_mapper, connection: Connection, entry: IncomeEntry) -> None:
    old_key = tuple(_before(entry, name) for name in _KEY)
    old_amount = _before(entry, "amount")
    new_key = _key_of(entry)
    changes: dict[tuple[int, int, int], tuple[int, int]] = {}
    if old_key == new_key:
        changes[new_key] = (entry.amount - old_amount, 0)
    else:
        changes[old_key] = (-old_amount, -1)
        changes[new_key] = (entry.amount, 1)
    _apply(connection, changes)
