"""Tokens for the read-only API: made by their owner (scopes never beyond the owner's role, at most
365 days), shown once as ``itk_<id>_<secret>``, kept as a hash of the secret, compared in constant
time, revoked by the owner or an administrator, useless once the owner is disabled. Each request
is counted in the database, a minute at a time, so every worker and host shares one limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import ApiMinute, ApiToken, Role, User
from incometrack.models.base import utcnow
from incometrack.services import NotAllowed, ServiceError, ValidationErrors, audit, within

PREFIX = "itk_"
MAX_DAYS = 365
#: Each scope and the roles that may hold it: the same readers as the screens.
SCOPES = {
    "income:read": policy.FINANCE_READERS,
    "budgets:read": policy.FINANCE_READERS,
    "grants:read": policy.EVERYONE,
    "projects:read": policy.EVERYONE,
    "returns:read": policy.FINANCE_READERS,
    "audit:read": policy.MANAGERS,
}


def scopes_for(role: Role) -> list[str]:
    """The scopes a person of ``role`` may give a token."""
    return [scope for scope, roles in SCOPES.items() if role in roles]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    #: the whole token, shown once and never again
    plaintext: str


def create_token(
    session: Session,
    owner: User,
    *,
    name: str,
    scopes: list[str] | tuple[str, ...],
    days: int,
    actor: User | None,
) -> NewToken:
    """:raises NotAllowed: for someone making a token for another person.
    :raises ValidationErrors: for no name, no scope, a scope beyond the owner's role, or an
        expiry outside 1 to 365 days."""
    if actor is not None and actor.id != owner.id:
        raise NotAllowed("People make their own tokens")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter a name for the token, such as Power BI income dashboard"
    elif len(name) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    chosen = list(dict.fromkeys(scopes))
    if not chosen:
        errors["scopes"] = "Select what the token may read"
    elif beyond := [s for s in chosen if s not in scopes_for(owner.role)]:
        errors["scopes"] = f"A {owner.role.value} cannot give a token {', '.join(beyond)}"
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = f"A token lasts from 1 to {MAX_DAYS} days"
    if errors:
        raise ValidationErrors(errors)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=within(name, 120, field="name", label="Name"),
        scopes=chosen,
        secret_hash=_hash(secret),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "api_tokens",
        token.id,
        summary=f"API token {name} for {owner.email}: {', '.join(chosen)}, {days} days",
        changes={"name": [None, name], "scopes": [None, chosen]},
    )
    return NewToken(token, f"{PREFIX}{token.id}_{secret}")


def revoke(session: Session, token: ApiToken, *, actor: User | None) -> ApiToken:
    """:raises NotAllowed: unless the owner or an administrator. :raises ServiceError: if revoked."""
    if actor is not None and actor.id != token.user_id and not policy.can_administer(actor):
        raise NotAllowed("Only the token's owner or an administrator can revoke it")
    if token.revoked_at is not None:
        raise ServiceError("This token is already revoked")
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id if actor is not None else None
    session.flush()
    audit.record(session, actor, "revoke", "api_tokens", token.id, summary=f"API token {token.name}")
    return token


class BadToken(Exception):
    """Why a request's token does not admit it (all answered 401)."""


def authenticate(session: Session, presented: str, *, now: datetime | None = None) -> ApiToken:
    """The live token ``presented`` names, its ``last_used_at`` noted.

    :raises BadToken: for a malformed, unknown, wrong, expired or revoked token, or a disabled owner."""
    now = now or utcnow()
    if not presented.startswith(PREFIX) or presented.count("_") < 2:
        raise BadToken("malformed")
    number, _, secret = presented[len(PREFIX) :].partition("_")
    if not number.isdigit() or not secret:
        raise BadToken("malformed")
    token = session.get(ApiToken, int(number))
    # compare in constant time even for an unknown id, so timing tells nothing
    expected = token.secret_hash if token is not None else _hash("no such token")
    if not hmac.compare_digest(expected, _hash(secret)) or token is None:
        raise BadToken("unknown")
    if token.revoked_at is not None:
        raise BadToken("revoked")
    if token.expires_at.replace(tzinfo=token.expires_at.tzinfo or now.tzinfo) <= now:
        raise BadToken("expired")
    if not token.user.active:
        raise BadToken("owner disabled")
    return token


def count_request(session: Session, token: ApiToken, *, now: datetime | None = None) -> tuple[int, int]:
    """Count a request in this minute's window: (requests so far this minute, seconds until the
    next minute). The count is one UPDATE … RETURNING (or the minute's first INSERT), so workers
    never lose one and each request learns its own place in the minute."""
    now = now or utcnow()
    minute = int(now.timestamp()) // 60
    counted = (
        update(ApiMinute)
        .where(ApiMinute.token_id == token.id, ApiMinute.minute == minute)
        .values(count=ApiMinute.count + 1)
        .returning(ApiMinute.count)
        .execution_options(synchronize_session=False)
    )
    # RETURNING gives this request's own number: a SELECT after the UPDATE could also count
    # requests other workers committed meanwhile, and refuse one still within the limit.
    count = session.execute(counted).scalar()
    if count is None:
        try:
            with session.begin_nested():
                session.add(ApiMinute(token_id=token.id, minute=minute, count=1))
            count = 1
        except IntegrityError:  # another worker made the row first
            count = session.execute(counted).scalar()
    token.last_used_at = now
    return int(count), 60 - int(now.timestamp()) % 60
