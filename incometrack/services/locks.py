"""Period locks: a closed quarter takes no new, changed or deleted income entries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.models import PeriodLock, Role, User
from incometrack.models.base import utcnow
from incometrack.periods import Quarter, quarter_for
from incometrack.services import NotAllowed, ServiceError, audit


class PeriodLocked(ServiceError):
    """The date falls in a locked quarter."""


def lock_for(session: Session, quarter: Quarter) -> PeriodLock | None:
    return session.scalar(
        select(PeriodLock).where(PeriodLock.year == quarter.year.start, PeriodLock.quarter == quarter.number)
    )


def is_locked(session: Session, quarter: Quarter) -> bool:
    lock = lock_for(session, quarter)
    return lock is not None and lock.is_locked


def locked_quarters(session: Session) -> set[tuple[int, int]]:
    """Every locked (year, quarter) pair: one query, for checking many dates at once."""
    rows = session.execute(
        select(PeriodLock.year, PeriodLock.quarter).where(PeriodLock.reopened_at.is_(None))
    )
    return {(year, quarter) for year, quarter in rows}


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
    if actor.role not in (Role.FINANCE, Role.ADMIN):
        raise NotAllowed("Only finance officers and administrators can lock a quarter")
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


def reopen(session: Session, quarter: Quarter, *, actor: User, reason: str) -> PeriodLock:
    """Reopen a locked quarter (admin only), keeping the reason.

    :raises NotAllowed: for anyone but an admin.
    :raises ServiceError: when the reason is missing or the quarter is not locked.
    """
    if actor.role is not Role.ADMIN:
        raise NotAllowed("Only an administrator can reopen a locked quarter")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Enter the reason for reopening the quarter", field="reason")
    existing = lock_for(session, quarter)
    if existing is None or not existing.is_locked:
        raise ServiceError(f"{quarter.label} is not locked")
    existing.reopened_at = utcnow()
    existing.reopened_by_id = actor.id
    existing.reopen_reason = reason[:255]
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
