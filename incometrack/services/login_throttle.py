"""Slowing, then refusing, repeated failed sign-ins for one account or one address.

Counts live in the database so that every gunicorn worker sees the same attempts. Failures for an
account count since its last successful sign-in; failures from an address count regardless. An
account is slowed whoever fails on it, but refused only at the address its failures come from:
someone guessing from elsewhere cannot lock the owner out of their own account (ASVS 5.0 V6).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from incometrack.models import LoginAttempt
from incometrack.models.base import utcnow

log = logging.getLogger("incometrack.security")

WINDOW = timedelta(minutes=15)
SLOW_AFTER = 3  #: an account's failures (from anywhere) before each further attempt is delayed
#: an account's failures from one address before that address's attempts on it are refused (HTTP
#: 429) until the window passes
BLOCK_AFTER = 10
#: Failures from one address (all accounts together) before it is refused: far above what one
#: person mistyping makes, so one client cannot keep out everyone sharing its address.
ADDRESS_BLOCK_AFTER = 100
DELAY_STEP_SECONDS = 0.5
MAX_DELAY_SECONDS = 3.0
#: Attempts older than this no longer count and are deleted.
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Verdict:
    failures: int  #: the account's failures in the window
    delay_seconds: float
    blocked: bool
    retry_after_seconds: int


def _failures(session: Session, email: str, address: str, since: datetime) -> tuple[int, int, int]:
    """The account's failures since ``since`` (or its last success, if later), those of them from
    ``address``, and the address's on every account."""
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True))
    )
    if last_success is not None and last_success.tzinfo is None:
        last_success = last_success.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    account_since = max(since, last_success) if last_success else since
    failed = (LoginAttempt.email == email, LoginAttempt.succeeded.is_(False), LoginAttempt.at > account_since)
    from_here = func.count(LoginAttempt.id).filter(LoginAttempt.address == address)
    by_account, by_pair = session.execute(select(func.count(LoginAttempt.id), from_here).where(*failed)).one()
    by_address = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.address == address, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    )
    return by_account or 0, by_pair or 0, by_address or 0


def check(session: Session, email: str, address: str, *, now: datetime | None = None) -> Verdict:
    """How to treat a sign-in attempt: delayed from the account's :data:`SLOW_AFTER`-th failure,
    refused from its :data:`BLOCK_AFTER`-th failure from this address, or from the address's
    :data:`ADDRESS_BLOCK_AFTER`-th on any account."""
    now = now or utcnow()
    by_account, by_pair, by_address = _failures(session, email.strip().lower(), address, now - WINDOW)
    if by_pair >= BLOCK_AFTER or by_address >= ADDRESS_BLOCK_AFTER:
        return Verdict(by_account, 0.0, True, int(WINDOW.total_seconds()))
    delay = (
        min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * (by_account - SLOW_AFTER + 1))
        if by_account >= SLOW_AFTER
        else 0.0
    )
    return Verdict(by_account, delay, False, 0)


def record(
    session: Session, email: str, address: str, *, succeeded: bool, now: datetime | None = None
) -> None:
    """Keep the attempt, and forget those too old to count."""
    email = email.strip().lower()[:255]
    session.add(LoginAttempt(email=email, address=address[:64], succeeded=succeeded))
    forget_old(session, now=now)
    session.flush()
    if not succeeded:
        log.warning("Failed sign-in for %r from %s", email, address)


def forget_old(session: Session, *, now: datetime | None = None) -> int:
    """Delete attempts older than :data:`KEEP` (they no longer count); returns how many."""
    cutoff = (now or utcnow()) - KEEP
    return session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount
