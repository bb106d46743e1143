"""Slowing, then refusing, repeated failed sign-ins for one account or one address.

Counts live in the database so that every gunicorn worker sees the same attempts. Failures for an
account count since its last successful sign-in; failures from an address count regardless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import LoginAttempt
from incometrack.models.base import utcnow

log = logging.getLogger("incometrack.security")

WINDOW = timedelta(minutes=15)
SLOW_AFTER = 3  #: failures before each further attempt is delayed
BLOCK_AFTER = 10  #: failures before attempts are refused (HTTP 429) until the window passes
DELAY_STEP_SECONDS = 0.5
MAX_DELAY_SECONDS = 3.0


@dataclass(frozen=True)
class Verdict:
    failures: int
    delay_seconds: float
    blocked: bool
    retry_after_seconds: int


def _failures(session: Session, email: str, address: str, since: datetime) -> int:
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True))
    )
    if last_success is not None and last_success.tzinfo is None:
        last_success = last_success.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    account_since = max(since, last_success) if last_success else since
    by_account = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.at > account_since
        )
    )
    by_address = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    )
    return max(by_account or 0, by_address or 0)


def check(session: Session, email: str, address: str, *, now: datetime | None = None) -> Verdict:
    now = now or utcnow()
    failures = _failures(session, email.strip().lower(), address, now - WINDOW)
    if failures >= BLOCK_AFTER:
        return Verdict(failures, 0.0, True, int(WINDOW.total_seconds()))
    delay = (
        min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * (failures - SLOW_AFTER + 1))
        if failures >= SLOW_AFTER
        else 0.0
    )
    return Verdict(failures, delay, False, 0)


def record(session: Session, email: str, address: str, *, succeeded: bool) -> None:
    email = email.strip().lower()[:255]
    session.add(LoginAttempt(email=email, address=address[:64], succeeded=succeeded))
    session.flush()
    if not succeeded:
        log.warning("Failed sign-in for %r from %s", email, address)


def forget_old(session: Session, *, now: datetime | None = None) -> int:
    """Delete attempts older than a day (they no longer count); returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    old = session.scalars(select(LoginAttempt).where(LoginAttempt.at < cutoff)).all()
    for attempt in old:
        session.delete(attempt)
    return len(old)
