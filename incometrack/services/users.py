"""Accounts: creating users, checking passwords, disabling and resetting."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import Role, User
from incometrack.models.base import utcnow
from incometrack.models.users import new_session_token
from incometrack.services import ServiceError, audit, check_version

PASSWORD_MIN_LENGTH = 12
_hasher = PasswordHasher()
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to verify against when the email is unknown, so a wrong email takes as long as a
    wrong password. Made on first use: hashing takes argon2's 64 MiB, which no process should pay
    at import time."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password, only for timing")
    return _dummy_hash


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


#: zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" against online attacks.
MIN_STRENGTH = 3


def check_password_policy(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """At least 12 characters, and not a common or easily guessed password (zxcvbn, which checks it
    against lists of common passwords, words and names, and against the person's own details).

    :raises ServiceError: naming the password field, with zxcvbn's advice where it has some.
    """
    from zxcvbn import zxcvbn  # its word lists load when a password is checked, not at start-up

    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ServiceError(f"Password must be at least {PASSWORD_MIN_LENGTH} characters", field="password")
    words = [
        part for value in user_inputs for part in value.replace("@", " ").replace(".", " ").split() if part
    ]
    # A person's name or mailbox run together ("samsmith") is as guessable as its parts.
    words += [value.split("@")[0].replace(".", "").replace(" ", "").lower() for value in user_inputs]
    result = zxcvbn(password[:100], user_inputs=[*words, "incometrack", "kent", "council", "library"])
    if result["score"] < MIN_STRENGTH:
        advice = result["feedback"]["warning"] or "It is too easy to guess"
        advice = advice.rstrip(".")
        raise ServiceError(
            f"Choose a password that is harder to guess. {advice}. A few unrelated words work well.",
            field="password",
        )


def email_problem(email: str) -> str | None:
    """Why ``email`` is not one address a message can be sent to, or None: a single address, with
    no spaces, line breaks or other control characters (which would let it carry mail headers)."""
    if not email or len(email) > 255:
        return "Enter an email address like name@council.gov.uk"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Enter an email address like name@council.gov.uk: one address, with no spaces or line breaks"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    actor: User | None = None,
    break_glass: bool = False,
) -> User:
    """:raises ServiceError: for a bad email, an email already in use or a weak password."""
    email = normalise_email(email)
    if problem := email_problem(email):
        raise ServiceError(problem, field="email")
    if not (name or "").strip():
        raise ServiceError("Enter the person's name", field="name")
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ServiceError("A user with this email address already exists", field="email")
    check_password_policy(password, user_inputs=(email, name))
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=_hasher.hash(password),
        break_glass=break_glass,
    )
    session.add(user)
    session.flush()
    changes = {"email": [None, email], "role": [None, role.value], "name": [None, user.name]}
    if break_glass:
        changes["break_glass"] = [None, True]
    audit.record(
        session,
        actor,
        "create",
        "users",
        user.id,
        summary=f"{email} as {role.value}{', break-glass' if break_glass else ''}",
        changes=changes,
    )
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Only reads: :func:`note_sign_in`
    records a successful one."""
    user = find_by_email(session, email)
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy(), password or "")
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    return user


def note_sign_in(session: Session, user: User, password: str) -> None:
    """Record a successful sign-in, rehashing a password hashed with outdated argon2 parameters."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    session.flush()


def end_sessions(user: User) -> None:
    """Invalidate every login cookie of the user: the cookie holds the old token."""
    user.session_token = new_session_token()


def end_access(user: User) -> None:
    """Disabling and a password reset end every way in: the sessions and the calendar feed's
    address (someone who had it keeps nothing; the person makes a new one when they next ask)."""
    end_sessions(user)
    user.calendar_token = None


def set_active(
    session: Session, user: User, active: bool, *, actor: User | None, expected_version: int | None
) -> User:
    """:raises StaleEdit: when the account changed since the page was drawn."""
    if actor is not None and actor.id == user.id and not active:
        raise ServiceError("You cannot disable your own account")
    check_version(user, expected_version)
    before = user.active
    if before != active:
        user.version += 1
    user.active = active
    if not active:
        end_access(user)
    session.flush()
    if before != active:
        audit.record(
            session,
            actor,
            "enable" if active else "disable",
            "users",
            user.id,
            changes={"active": [before, active]},
            summary=user.email,
        )
    return user


def reset_password(session: Session, user: User, password: str, *, actor: User | None) -> User:
    check_password_policy(password, user_inputs=(user.email, user.name))
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = utcnow()
    end_access(user)
    session.flush()
    audit.record(session, actor, "reset password", "users", user.id, summary=user.email)
    return user


def change_role(
    session: Session, user: User, role: Role, *, actor: User | None, expected_version: int | None
) -> User:
    """:raises StaleEdit: when the account changed since the form was drawn."""
    if actor is not None and actor.id == user.id and role not in policy.ADMINS:
        raise ServiceError("You cannot remove your own administrator role", field="role")
    check_version(user, expected_version)
    before = user.role
    if before is not role:
        user.version += 1
    user.role = role
    session.flush()
    if before is not role:
        audit.record(
            session,
            actor,
            "update",
            "users",
            user.id,
            changes={"role": [before.value, role.value]},
            summary=user.email,
        )
    return user
