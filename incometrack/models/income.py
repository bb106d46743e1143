"""Income streams with their budgets, entries and forecasts; import batches and period locks."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, Pence, Versioned, intpk, str40, str120, str255, text, timestamp
from incometrack.models.reference import IncomeCategory, Service, Site
from incometrack.models.users import User

QUARTER_CHECK = "quarter BETWEEN 1 AND 4"
PERIOD_CHECK = "period BETWEEN 1 AND 12 AND quarter = (period + 2) / 3"


class StreamStatus(enum.Enum):
    PLANNED = "planned"
    ACTIVE = "active"
    CEASED = "ceased"


class IncomeStream(Versioned, Base):
    """A source of earned income, identified by its ledger or cost-centre code."""

    __tablename__ = "income_streams"

    id: Mapped[intpk]
    code: Mapped[str40] = mapped_column(unique=True)
    name: Mapped[str120]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("income_categories.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[StreamStatus] = mapped_column(default=StreamStatus.ACTIVE)
    description: Mapped[text]
    created_at: Mapped[timestamp]

    service: Mapped[Service] = relationship()
    category: Mapped[IncomeCategory] = relationship()
    site: Mapped[Site | None] = relationship()
    owner: Mapped[User | None] = relationship()
    ledger_codes: Mapped[list[LedgerCode]] = relationship(
        back_populates="stream", cascade="all, delete-orphan", order_by="LedgerCode.code"
    )

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LedgerCode(Base):
    """A code the council's ledger prints for a stream's income (cost centre and account joined
    with ``-``, as an import profile reads them), unique across streams. Kept in
    :func:`ledger_code_key` form, so that ``lib01 - 9100`` and ``LIB01-9100`` are one code."""

    __tablename__ = "stream_ledger_codes"

    id: Mapped[intpk]
    stream_id: Mapped[int] = mapped_column(ForeignKey("income_streams.id", ondelete="CASCADE"), index=True)
    code: Mapped[str120] = mapped_column(unique=True)

    stream: Mapped[IncomeStream] = relationship(back_populates="ledger_codes")


def ledger_code_key(text: str) -> str:
    """A ledger code as it is stored and compared: upper case, no spaces around its ``-`` joins,
    inner runs of spaces made one."""
    parts = ("-".join(part.strip() for part in text.split("-"))).split()
    return " ".join(parts).upper()


class UnmappedLines(enum.Enum):
    """What a ledger import does with a line whose code belongs to no stream."""

    SKIP = "skip"  #: leave it out, reported with its count and total
    REFUSE = "refuse"  #: refuse the whole file


class ImportProfile(Versioned, Base):
    """How one ledger's extract is read: which of its columns is the date, the amount, the ledger
    code (one or more, joined with ``-``), the reference and optionally the description and site;
    whether income is printed negative; and what happens to lines no stream's code matches. Column
    names are kept as the file writes them and compared as every import compares headers."""

    __tablename__ = "import_profiles"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    date_column: Mapped[str120]
    amount_column: Mapped[str120]
    code_columns: Mapped[text]  #: one column name a line, in the order they are joined
    reference_column: Mapped[str120] = mapped_column(default="")
    description_column: Mapped[str120] = mapped_column(default="")
    site_column: Mapped[str120] = mapped_column(default="")
    income_negative: Mapped[bool] = mapped_column(default=False)
    unmapped: Mapped[UnmappedLines] = mapped_column(default=UnmappedLines.SKIP)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[timestamp]

    @property
    def codes(self) -> list[str]:
        return [line for line in self.code_columns.split("\n") if line]

    def __str__(self) -> str:
        return self.name


class Budget(Versioned, Base):
    """A stream's annual budget (target) for one financial year, profiled by quarter and by month
    (P1-P12); the months of a quarter sum exactly to it, and the quarters to the annual budget."""

    __tablename__ = "budgets"
    __table_args__ = (
        UniqueConstraint("stream_id", "year"),
        CheckConstraint("q1 + q2 + q3 + q4 = annual", name="profile_sums_to_annual"),
        *(
            CheckConstraint(f"p{3 * q - 2} + p{3 * q - 1} + p{3 * q} = q{q}", name=f"months_sum_to_q{q}")
            for q in range(1, 5)
        ),
    )

    id: Mapped[intpk]
    stream_id: Mapped[int] = mapped_column(ForeignKey("income_streams.id"))
    year: Mapped[int]  #: first calendar year of the financial year: 2026 is 2026-27
    annual: Mapped[Pence]
    q1: Mapped[Pence]
    q2: Mapped[Pence]
    q3: Mapped[Pence]
    q4: Mapped[Pence]
    p1: Mapped[Pence]
    p2: Mapped[Pence]
    p3: Mapped[Pence]
    p4: Mapped[Pence]
    p5: Mapped[Pence]
    p6: Mapped[Pence]
    p7: Mapped[Pence]
    p8: Mapped[Pence]
    p9: Mapped[Pence]
    p10: Mapped[Pence]
    p11: Mapped[Pence]
    p12: Mapped[Pence]

    stream: Mapped[IncomeStream] = relationship()

    @property
    def profile(self) -> tuple[int, int, int, int]:
        return (self.q1, self.q2, self.q3, self.q4)

    @property
    def months(self) -> tuple[int, ...]:
        """P1 (April) to P12 (March)."""
        return tuple(getattr(self, f"p{n}") for n in range(1, 13))

    @property
    def profiled_by_month(self) -> bool:
        """Whether the months differ from the default split of the quarters (a seasonal profile)."""
        from incometrack.money import months_of

        return self.months != months_of(self.profile)


class ImportBatch(Base):
    """One file brought in through the import service; undoing it removes its entries as a whole."""

    __tablename__ = "import_batches"

    id: Mapped[intpk]
    kind: Mapped[str40]  #: income, streams or budgets
    filename: Mapped[str255]
    checksum: Mapped[str] = mapped_column(index=True)  #: SHA-256 of the uploaded bytes
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    #: what the import said it did: lines imported, duplicates, unmapped codes and lines in locked
    #: quarters left out with their totals, totals rows passed over
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[timestamp]
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])


class IncomeEntry(Versioned, Base):
    """Money received against a stream, net of VAT. A refund or correction is a negative entry."""

    __tablename__ = "income_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(QUARTER_CHECK, name="quarter_valid"),
        CheckConstraint(PERIOD_CHECK, name="period_valid"),
        # Grouping the entries by year, month period and stream (counting the kept totals afresh:
        # check-income-totals, a rebuild, migration 0014) reads this index alone, amount included.
        Index("ix_income_entries_year_period_stream", "financial_year", "period", "stream_id", "amount"),
        Index("ix_income_entries_stream_date", "stream_id", "date_received"),
        Index("ix_income_entries_date", "date_received"),
    )

    id: Mapped[intpk]
    stream_id: Mapped[int] = mapped_column(ForeignKey("income_streams.id"))
    date_received: Mapped[date]
    #: Derived from date_received by incometrack.periods when the entry is written, so SQL can
    #: group by year, quarter and month period (P1 April .. P12 March) without doing
    #: financial-year arithmetic itself.
    financial_year: Mapped[int]
    quarter: Mapped[int]
    period: Mapped[int]
    amount: Mapped[Pence]
    reference: Mapped[str120] = mapped_column(default="")  #: ledger journal or invoice number
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    description: Mapped[text]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[timestamp]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)

    stream: Mapped[IncomeStream] = relationship()
    site: Mapped[Site | None] = relationship()
    entered_by: Mapped[User | None] = relationship()

    @property
    def is_refund(self) -> bool:
        return self.amount < 0


class IncomeTotal(Base):
    """Income recorded per stream, financial year and month period, and how many entries make it:
    kept exact in the same transaction as every entry written, changed, removed, imported or
    undone (``incometrack.services.income_totals``), so the return, monitoring, the dashboard and
    the live screens read a few thousand rows however many entries the ledger holds."""

    __tablename__ = "income_totals"
    __table_args__ = (
        CheckConstraint("period BETWEEN 1 AND 12", name="period_valid"),
        CheckConstraint("entries >= 0", name="entries_not_negative"),
    )

    # (year, period, stream): the order the reports ask in, a year to a month end by stream
    financial_year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    period: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stream_id: Mapped[int] = mapped_column(
        ForeignKey("income_streams.id"), primary_key=True, autoincrement=False, index=True
    )
    amount: Mapped[Pence]
    entries: Mapped[int]


class Forecast(Versioned, Base):
    """A finance officer's forecast outturn for a stream's year, made in a given quarter."""

    __tablename__ = "forecasts"
    __table_args__ = (
        UniqueConstraint("stream_id", "year", "quarter"),
        CheckConstraint(QUARTER_CHECK, name="quarter_valid"),
    )

    id: Mapped[intpk]
    stream_id: Mapped[int] = mapped_column(ForeignKey("income_streams.id"))
    year: Mapped[int]
    quarter: Mapped[int]
    #: None where the quarter has commentary but no forecast was entered: the latest earlier
    #: forecast, or the default, still stands (commentary is not a forecast)
    outturn: Mapped[Pence | None]
    commentary: Mapped[text]
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[timestamp]

    stream: Mapped[IncomeStream] = relationship()
    entered_by: Mapped[User | None] = relationship()


class PeriodLock(Versioned, Base):
    """A quarter closed to new, changed or deleted entries; locked while ``reopened_at`` is empty."""

    __tablename__ = "period_locks"
    __table_args__ = (
        UniqueConstraint("year", "quarter"),
        CheckConstraint(QUARTER_CHECK, name="quarter_valid"),
    )

    id: Mapped[intpk]
    year: Mapped[int]
    quarter: Mapped[int]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    locked_at: Mapped[timestamp]
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str255] = mapped_column(default="")

    locked_by: Mapped[User | None] = relationship(foreign_keys=[locked_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])

    @property
    def is_locked(self) -> bool:
        return self.reopened_at is None


class StagedUpload(Base):
    """A file previewed for import and not yet confirmed. It lives in the database, not on one
    server's disk, so the confirmation may reach any app server; confirming consumes it once."""

    __tablename__ = "staged_uploads"

    id: Mapped[intpk]
    token: Mapped[str] = mapped_column(String(64), unique=True)  #: random, in the confirm form
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str40]  #: which importer previewed it
    #: for a ledger extract, the profile it was previewed with
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("import_profiles.id", ondelete="CASCADE"))
    #: the version of the profile the preview was read with: a confirm after the profile changed
    #: is refused, since it would import otherwise than the preview showed
    profile_version: Mapped[int | None]
    filename: Mapped[str255]
    sheet: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int]  #: bytes, counted against the person's quota
    #: lines the preview read: a confirm of more than ``JOBS_ROW_THRESHOLD`` runs as a job
    lines: Mapped[int] = mapped_column(default=0, server_default="0")
    #: income and ledger files: new lines in locked quarters are left out rather than refusing it
    skip_locked: Mapped[bool] = mapped_column(default=False, server_default="0")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[timestamp] = mapped_column(index=True)
