"""Period locks: a closed quarter takes no new, changed or deleted income entries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import PeriodLock, User
from incometrack.models.base import utcnow
from incometrack.periods import Quarter, quarter_for
from incometrack.services import NotAllowed, ServiceError, audit, check_version, within


class PeriodLocked(ServiceError):
    """The date falls in a locked quarter."""


#: PostgreSQL advisory lock key that orders locking a quarter against writing into one.
_LOCKS_KEY = 0x1C0_7A0C


def _serialise(session: Session, *, exclusive: bool) -> None:
    """Order this transaction against those locking quarters, so that no entry is written into
    a quarter that is locked by the time the entry commits.

    Writers take the key shared (they run side by side) before they read which quarters are
    locked; locking takes it exclusively, so it waits for writers already past their check, and
    writers that check later wait for the lock to commit and then see it. Both hold the key until
    their transaction ends. SQLite needs nothing more: every writing transaction there begins with
    ``BEGIN IMMEDIATE``, which admits one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:key)"), {"key": _LOCKS_KEY})


#: PostgreSQL advisory lock key held by whatever records imported lines, while it decides which
#: are duplicates and writes the rest.
_RECORDING_KEY = 0x1C0_1D0C


def serialise_recording(session: Session) -> None:
    """Admit one import at a time to the duplicate rule, until its transaction ends.

    Whether a line is already recorded is decided by reading, then writing: two imports of the same
    lines side by side on PostgreSQL would each read "not recorded" and both write. Holding this
    key, the second waits for the first to commit and then reads its lines (each statement sees
    what has committed). SQLite needs nothing more: a writing transaction there begins with
    ``BEGIN IMMEDIATE``, one at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RECORDING_KEY})


def serialise_writing(session: Session) -> None:
    """Take the ordering key shared, as a writer whose check depends on locks or submissions."""
    _serialise(session, exclusive=False)


def lock_for(session: Session, quarter: Quarter) -> PeriodLock | None:
    """The quarter's lock row as the database holds it now (not as this session first loaded it)."""
    return session.scalar(
        select(PeriodLock)
        .where(PeriodLock.year == quarter.year.start, PeriodLock.quarter == quarter.number)
        .execution_options(populate_existing=True)
    )


def is_locked(session: Session, quarter: Quarter) -> bool:
    """Whether ``quarter`` is locked, for a transaction about to write into it."""
    _serialise(session, exclusive=False)
    lock = lock_for(session, quarter)
    return lock is not None and lock.is_locked


def locked_quarters(session: Session) -> set[tuple[int, int]]:
    """Every locked (year, quarter) pair: one query, for a transaction about to write many dates."""
    _serialise(session, exclusive=False)
    rows = session.execute(
        select(PeriodLock.year, PeriodLock.quarter).where(PeriodLock.reopened_at.is_(None))
    )
    return {(year, quarter) for year, quarter in rows}


def serialise_locking(session: Session) -> None:
    """Take the period-lock key exclusively (see :func:`_serialise`): for locking, reopening and
    submitting, which must see every write that committed before them and none after."""
    _serialise(session, exclusive=True)


def locked_message(quarter: Quarter) -> str:
    return f"{quarter.label} is locked. Record corrections as a new entry dated in an open period."


def ensure_open(session: Session, day: date, *, field: str = "date_received") -> None:
    """:raises PeriodLocked: when ``day`` falls in a locked quarter."""
    quarter = quarter_for(day)
    if is_locked(session, quarter):
        raise PeriodLocked(locked_message(quarter), field=field)


def lock(session: Session, quarter: Quarter, *, actor: User) -> PeriodLock:
    """Lock a quarter (finance or admin); locking a locked quarter changes nothing.

    :raises NotAllowed: for other roles.
    """
    if not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators can lock a quarter")
    serialise_locking(session)
    existing = lock_for(session, quarter)
    if existing is not None and existing.is_locked:
        return existing
    if existing is None:
        existing = PeriodLock(year=quarter.year.start, quarter=quarter.number, locked_by_id=actor.id)
        session.add(existing)
    else:
        existing.locked_by_id = actor.id
        existing.locked_at = utcnow()
        existing.reopened_at = None
        existing.reopened_by_id = None
        existing.reopen_reason = ""
    session.flush()
    audit.record(
        session,
        actor,
        "lock",
        "period_locks",
        existing.id,
        summary=quarter.label,
        changes={"locked": [False, True]},
    )
    return existing


def quarters_to_lock(session: Session, quarter: Quarter) -> list[Quarter]:
    """The quarters locking ``quarter`` locks (and submitting its return): it and any earlier open
    quarter of its year, so quarters are never locked out of order."""
    locked = locked_quarters(session)
    return [
        q
        for q in (quarter.year.quarter(n) for n in range(1, quarter.number + 1))
        if (q.year.start, q.number) not in locked
    ]


def lock_refusal(quarter: Quarter, today: date) -> str | None:
    """Why ``quarter`` cannot be locked today (it has not ended), or None."""
    if quarter.last_day >= today:
        from incometrack.periods import format_date

        opens = format_date(quarter.next().first_day)
        return f"{quarter.label} has not ended yet: it can be locked from {opens}"
    return None


def lock_through(
    session: Session, quarter: Quarter, *, actor: User, today: date | None = None
) -> list[Quarter]:
    """Lock ``quarter`` and every earlier open quarter of its year; return those it locked.

    :raises NotAllowed: for roles other than finance and admin.
    :raises ServiceError: (field ``quarter``) for a quarter that has not ended.
    """
    if not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators can lock a quarter")
    if refusal := lock_refusal(quarter, today or date.today()):
        raise ServiceError(refusal, field="quarter")
    serialise_locking(session)
    locking = quarters_to_lock(session, quarter)
    for each in locking:
        lock(session, each, actor=actor)
    return locking


def reopen(
    session: Session, quarter: Quarter, *, actor: User, reason: str, expected_version: int | None
) -> PeriodLock:
    """Reopen a locked quarter (admin only), keeping the reason.

    :raises NotAllowed: for anyone but an admin.
    :raises ServiceError: when the reason is missing or the quarter is not locked.
    :raises StaleEdit: when the lock changed since the page was drawn.
    """
    if not policy.can_administer(actor):
        raise NotAllowed("Only an administrator can reopen a locked quarter")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Enter the reason for reopening the quarter", field="reason")
    serialise_locking(session)
    existing = lock_for(session, quarter)
    if existing is None or not existing.is_locked:
        raise ServiceError(f"{quarter.label} is not locked")
    check_version(existing, expected_version)
    existing.reopened_at = utcnow()
    existing.reopened_by_id = actor.id
    existing.reopen_reason = within(reason, 255, field="reason", label="Reason")
    session.flush()
    audit.record(
        session,
        actor,
        "reopen",
        "period_locks",
        existing.id,
        summary=f"{quarter.label}: {reason}"[:255],
        changes={"locked": [True, False], "reason": [None, reason]},
    )
    return existing
