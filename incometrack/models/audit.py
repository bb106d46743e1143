"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, intpk, str40, str255, timestamp
from incometrack.models.users import User


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[intpk]
    at: Mapped[timestamp] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str40]  #: create, update, delete, or a named action such as lock or login
    entity: Mapped[str40]  #: table name of the record
    entity_id: Mapped[int | None]
    summary: Mapped[str255] = mapped_column(default="")
    #: {"field": [old, new]} with JSON-safe values (pence as integers, dates as ISO text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
