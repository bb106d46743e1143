"""People who sign in, and what their role lets them do."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incometrack.models.base import Base, intpk, str120, str255, timestamp


class Role(enum.Enum):
    ADMIN = "admin"
    FINANCE = "finance"
    LEAD = "lead"  #: project lead
    VIEWER = "viewer"  #: committee member: reads everything, changes nothing

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.FINANCE: "Finance officer",
    Role.LEAD: "Project lead",
    Role.VIEWER: "Viewer (committee)",
}


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class ReminderFrequency(enum.Enum):
    """How often a person is emailed what is due: daily, on Mondays (the default), or never."""

    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)  #: stored lower-case
    name: Mapped[str120]
    role: Mapped[Role]
    password_hash: Mapped[str255]
    active: Mapped[bool] = mapped_column(default=True)
    #: What the login cookie holds instead of the id: replacing it ends every session of the user
    #: (logout, disabling, password reset), which a signed cookie alone cannot do.
    session_token: Mapped[str] = mapped_column(unique=True, default=new_session_token)
    created_at: Mapped[timestamp]
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[timestamp]
    reminder_frequency: Mapped[ReminderFrequency] = mapped_column(default=ReminderFrequency.WEEKLY)
    #: counts the changes administrators make (role, access), which their forms must be drawn from;
    #: sign-ins and reminder times leave it, so a sign-in never makes an open page stale
    version: Mapped[int] = mapped_column(default=1)
    reminders_last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The secret in the address of the person's calendar feed; replacing it revokes the old one.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: who the directory says this is (``tid:oid``, or the provider's ``sub``): stored at the first
    #: single sign-on and matched ever after, never the email
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: may still sign in with a password where PASSWORD_LOGIN=break_glass_only (an admin's spare key)
    break_glass: Mapped[bool] = mapped_column(default=False)

    # Flask-Login protocol, kept here rather than through UserMixin so get_id is the token.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __str__(self) -> str:
        return self.name


class LoginAttempt(Base):
    """A sign-in attempt, kept so that repeated failures can be slowed and then refused across all
    workers (the table is shared where process memory is not)."""

    __tablename__ = "login_attempts"

    id: Mapped[intpk]
    at: Mapped[timestamp] = mapped_column(index=True)
    email: Mapped[str255] = mapped_column(index=True)  #: as typed, lower-cased
    address: Mapped[str] = mapped_column(String(64), index=True)  #: the client's IP address
    succeeded: Mapped[bool] = mapped_column(default=False)


class ReminderSent(Base):
    """An item emailed to a person on a day. A run claims the row before it sends (the unique key
    lets one run of several claim it), marks it delivered after; a claim never delivered (the run
    crashed) is taken over by a later run once it is old, so nothing is sent twice or lost."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "item", "sent_on"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str120]  #: what was due, e.g. "report:12" or "milestone:5"
    sent_on: Mapped[date]
    sent_at: Mapped[timestamp]  #: when it was claimed
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
