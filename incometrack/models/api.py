"""Tokens for the read-only API, and the requests each makes a minute (counted in the database so
every worker and host shares one limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, intpk, str120, timestamp
from incometrack.models.users import User


class ApiToken(Base):
    """A named token a person made for Power BI or Excel: ``itk_<id>_<secret>``. Only a hash of
    the secret is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str120]
    #: the scopes it grants, such as ``["income:read"]``; never beyond its owner's role
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: SHA-256 of the secret, hex (the secret is 32 random bytes: no password hash is needed)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[timestamp]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiMinute(Base):
    """How many requests a token made in one minute (the rate limit's window)."""

    __tablename__ = "api_minutes"
    __table_args__ = (UniqueConstraint("token_id", "minute"),)

    id: Mapped[intpk]
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    #: the minute, as whole minutes since the epoch
    minute: Mapped[int]
    count: Mapped[int] = mapped_column(default=0)
