"""Who a single sign-on is, decided from the ID token's claims (already checked: signature, issuer,
audience, expiry, nonce) and the settings.

People are matched by the directory's stable subject (``tid:oid``, or ``sub`` where there is no
``oid``), stored at their first sign-on and never matched by email afterwards; their role is the
most privileged IncomeTrack app role the directory gives them, read again at every sign-on.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.models import Role, User
from incometrack.models.base import utcnow
from incometrack.services import ServiceError, audit, users

#: The Entra ID app roles (their values) and the IncomeTrack role each gives.
APP_ROLES = {
    "IncomeTrack.Admin": Role.ADMIN,
    "IncomeTrack.Finance": Role.FINANCE,
    "IncomeTrack.Lead": Role.LEAD,
    "IncomeTrack.Viewer": Role.VIEWER,
}
#: The most privileged first: a person given two roles gets the first of these.
PRIVILEGE = (Role.ADMIN, Role.FINANCE, Role.LEAD, Role.VIEWER)

NO_ACCOUNT = "No IncomeTrack account: ask an administrator"


class SignInRefused(ServiceError):
    """The provider vouched for the person, but IncomeTrack will not let them in; ``status`` is
    the HTTP status of the page, ``reason`` what the audit log records."""

    def __init__(self, message: str, *, reason: str, status: int = 403) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class SsoSettings:
    allowed_tenants: tuple[str, ...]
    role_claim: str = "roles"
    allow_admin: bool = False
    provisioning: str = "precreated"


def subject_of(claims: Mapping[str, object]) -> str:
    """``tid:oid`` where the token has both (Entra ID), else the provider's ``sub``."""
    tid, oid = claims.get("tid"), claims.get("oid")
    if tid and oid:
        return f"{tid}:{oid}"
    return str(claims.get("sub") or "")


def role_from(claims: Mapping[str, object], settings: SsoSettings) -> Role | None:
    """The most privileged IncomeTrack role the claims give (admin only where allowed), or None.

    :raises SignInRefused: for a groups overage, which names no roles at all."""
    names = claims.get("_claim_names")
    if claims.get("hasgroups") or (isinstance(names, Mapping) and "groups" in names):
        raise SignInRefused(
            "Your directory sent too many groups to read your role. Ask your administrator to give you an"
            " IncomeTrack app role (app roles, not groups, decide roles here).",
            reason="groups overage",
        )
    values = claims.get(settings.role_claim) or []
    if isinstance(values, str):
        values = [values]
    given = {APP_ROLES[v] for v in values if isinstance(v, str) and v in APP_ROLES}
    if not settings.allow_admin:
        given.discard(Role.ADMIN)
    return next((role for role in PRIVILEGE if role in given), None)


def sign_in(session: Session, claims: Mapping[str, object], settings: SsoSettings) -> User:
    """The user these claims sign in as, linked or created as the settings say, with the role the
    directory gives them now (a change audited).

    :raises SignInRefused: for a tenant not allowed, no mapped role, a groups overage, no account
        (``precreated``), or a disabled account."""
    tenant = str(claims.get("tid") or "")
    if tenant not in settings.allowed_tenants:
        raise SignInRefused(
            "Your organisation's accounts cannot sign in to IncomeTrack.", reason=f"tenant {tenant or 'none'}"
        )
    role = role_from(claims, settings)
    if role is None:
        raise SignInRefused(
            "You have no IncomeTrack role in the directory: ask an administrator to assign you one.",
            reason="no mapped role",
        )
    subject = subject_of(claims)
    if not subject:
        raise SignInRefused("The sign-in did not say who you are.", reason="no subject", status=401)
    email = users.normalise_email(str(claims.get("email") or claims.get("preferred_username") or ""))
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is None:
        user = _first_sign_in(session, subject, email, str(claims.get("name") or ""), role, settings)
    if not user.active:
        raise SignInRefused("This IncomeTrack account is disabled: ask an administrator.", reason="disabled")
    if user.role is not role:
        before = user.role
        user.role = role
        user.version += 1  # an open admin page about this person is now stale
        audit.record(
            session,
            None,
            "update",
            "users",
            user.id,
            summary=f"{user.email}: role from the directory at sign-in",
            changes={"role": [before.value, role.value]},
        )
    user.last_login_at = utcnow()
    session.flush()
    return user


def _first_sign_in(
    session: Session, subject: str, email: str, name: str, role: Role, settings: SsoSettings
) -> User:
    if settings.provisioning == "jit":
        if not email or users.find_by_email(session, email) is not None:
            raise SignInRefused(NO_ACCOUNT, reason="jit: email missing or taken")
        user = User(
            email=email,
            name=name.strip() or email,
            role=role,
            # a password nobody knows: this person signs in through the directory
            password_hash=users.hash_password(secrets.token_urlsafe(32)),
            oidc_subject=subject,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            None,
            "create",
            "users",
            user.id,
            summary=f"{email} as {role.value}, from the directory",
            changes={"email": [None, email], "role": [None, role.value]},
        )
        return user
    # precreated: an active account of the same email with no identity yet, linked once
    user = users.find_by_email(session, email) if email else None
    if user is None or user.oidc_subject is not None or not user.active:
        raise SignInRefused(NO_ACCOUNT, reason="no account")
    user.oidc_subject = subject
    audit.record(
        session, None, "update", "users", user.id, summary=f"{email}: linked to the directory",
        changes={"oidc_subject": [None, subject]},
    )  # fmt: skip
    return user
