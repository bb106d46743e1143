"""Submitted quarterly returns (frozen figures) and the history of files produced."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, intpk, str40, str255, timestamp
from incometrack.models.users import User


class ReturnSnapshot(Base):
    """The figures of a return as finance submitted it; later exports of the quarter render these."""

    __tablename__ = "return_snapshots"
    __table_args__ = (
        UniqueConstraint("year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_valid"),
    )

    id: Mapped[intpk]
    year: Mapped[int]
    quarter: Mapped[int]
    data: Mapped[str] = mapped_column(Text)  #: the return object serialised as JSON
    checksum: Mapped[str]  #: SHA-256 of data
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[timestamp]

    submitted_by: Mapped[User | None] = relationship()


class ExportRecord(Base):
    """Who produced which file of a return, when, and its checksum."""

    __tablename__ = "export_records"

    id: Mapped[intpk]
    year: Mapped[int]
    quarter: Mapped[int]
    format: Mapped[str40]
    filename: Mapped[str255]
    checksum: Mapped[str]
    from_snapshot: Mapped[bool] = mapped_column(default=False)
    produced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    produced_at: Mapped[timestamp]

    produced_by: Mapped[User | None] = relationship()
