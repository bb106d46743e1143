"""Reference data: services, sites, CIPFA income lines, income categories, outcomes and settings."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, Versioned, intpk, str120, str255


class SiteKind(enum.Enum):
    BRANCH_LIBRARY = "branch library"
    REGISTER_OFFICE = "register office"
    ARCHIVE_CENTRE = "archive centre"
    HUB = "hub"


class Service(Versioned, Base):
    """Libraries, Registration or Archives (editable, seeded)."""

    __tablename__ = "services"
    __table_args__ = (
        Index(
            "uq_services_library_statistics",
            "library_statistics",
            unique=True,
            sqlite_where=text("library_statistics"),
            postgresql_where=text("library_statistics"),
        ),
    )

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: the library service, whose income the CIPFA library statistics report: known by this mark,
    #: kept through renames, never by its name (at most one service has it)
    library_statistics: Mapped[bool] = mapped_column(default=False)

    sites: Mapped[list[Site]] = relationship(back_populates="service", order_by="Site.name")

    def __str__(self) -> str:
        return self.name


class Site(Versioned, Base):
    __tablename__ = "sites"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    kind: Mapped[SiteKind]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    #: where the venue is, for a funder's report ("venues with postcodes")
    postcode: Mapped[str] = mapped_column(String(10), default="")

    service: Mapped[Service] = relationship(back_populates="sites")

    def __str__(self) -> str:
        return self.name


class CipfaLine(Base):
    """An income line of CIPFA's Public Library Statistics actuals return (seeded)."""

    __tablename__ = "cipfa_lines"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    position: Mapped[int] = mapped_column(unique=True)  #: order on CIPFA's form

    def __str__(self) -> str:
        return self.name


class IncomeCategory(Versioned, Base):
    """Kind of income, mapped to a CIPFA line; Registration and Archives income maps to none."""

    __tablename__ = "income_categories"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    cipfa_line_id: Mapped[int | None] = mapped_column(ForeignKey("cipfa_lines.id"))
    #: why a category has no CIPFA line, e.g. "Registration"
    cipfa_note: Mapped[str120] = mapped_column(default="")
    active: Mapped[bool] = mapped_column(default=True)

    cipfa_line: Mapped[CipfaLine | None] = relationship()

    def __str__(self) -> str:
        return self.name


class Outcome(Base):
    """One of the seven Libraries Deliver outcomes (seeded, fixed wording)."""

    __tablename__ = "outcomes"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    position: Mapped[int] = mapped_column(unique=True)

    def __str__(self) -> str:
        return self.name


class Setting(Base):
    """A numeric setting, such as an income RAG threshold (seeded with DOMAIN.md's defaults)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[int]
    description: Mapped[str255] = mapped_column(default="")
