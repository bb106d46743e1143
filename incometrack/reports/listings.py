"""The lists on screen as downloads: each list's columns declared once, its rows read as the list
reads them (same filters, same order), but all of them, streamed in chunks.

A :class:`Listing` is what :mod:`incometrack.exports.listing` renders as CSV or XLSX. Large lists
(entries, the audit log) are read with ``yield_per`` so a download never holds them whole; the
others are the rows the screen already reads.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from incometrack import periods
from incometrack.models import (
    AuditEvent,
    Budget,
    Funder,
    ImportBatch,
    IncomeStream,
    LedgerCode,
    Service,
    User,
)
from incometrack.reports import entries as entry_reports
from incometrack.reports import grants as grant_reports
from incometrack.reports import income as income_reports
from incometrack.reports import milestones as milestone_reports
from incometrack.reports.audit import AuditFilters, conditions

#: Rows fetched from the database at a time for the long lists.
CHUNK = 2000


class Kind(enum.StrEnum):
    TEXT = "text"
    MONEY = "money"  #: integer pence
    DATE = "date"
    NUMBER = "number"  #: a whole number, or a percentage as a Decimal


@dataclass(frozen=True)
class Column:
    heading: str
    kind: Kind = Kind.TEXT
    width: int = 16


@dataclass(frozen=True)
class Listing:
    title: str  #: the sheet's title
    stem: str  #: the file name's first words, such as ``income-entries``
    columns: tuple[Column, ...]
    rows: Iterable[tuple]  #: read once, as it is iterated
    #: what the list was filtered by, in words (under the workbook's title)
    filters: str = ""
    #: how many rows it holds, counted in the database, for the lists that can be long (a
    #: workbook of more than ``JOBS_ROW_THRESHOLD`` is made by a background job); None for lists
    #: that are always short
    size: Callable[[], int] | None = None


def _columns(*spec: tuple[str, Kind] | str) -> tuple[Column, ...]:
    columns = []
    for item in spec:
        heading, kind = (item, Kind.TEXT) if isinstance(item, str) else item
        width = {Kind.MONEY: 14, Kind.DATE: 12, Kind.NUMBER: 10}.get(kind, max(12, min(40, len(heading) + 4)))
        columns.append(Column(heading, kind, width))
    return tuple(columns)


def _streamed(session: Session, statement) -> Iterator[tuple]:
    """The statement's rows in chunks, executed only when first read: a server-side cursor lives
    in its transaction, so the query must start where the rows are consumed, not before."""
    for row in session.execute(statement.execution_options(yield_per=CHUNK)):
        yield tuple(row)


def _counter(session: Session, statement) -> Callable[[], int]:
    """Counts the statement's rows in the database when called."""
    return lambda: session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def _enum(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


# Income --------------------------------------------------------------------------------------


def entries(session: Session, filters: entry_reports.EntryFilters, *, sort: str, described: str) -> Listing:
    statement = entry_reports.filtered_rows(filters, sort=sort)

    def rows() -> Iterator[tuple]:
        yield from session.execute(statement.execution_options(yield_per=CHUNK))

    return Listing(
        "Income entries",
        "income-entries",
        _columns(
            ("Date received", Kind.DATE),
            "Stream code",
            "Stream",
            "Service",
            "Site",
            "Reference",
            "Description",
            ("Amount", Kind.MONEY),
            ("Import batch", Kind.NUMBER),
            "Entered by",
        ),
        rows(),
        described,
        size=_counter(session, statement),
    )


def streams(session: Session, rows: list[IncomeStream], as_at, *, described: str) -> Listing:
    positions = income_reports.stream_positions(session, as_at, [s.id for s in rows])
    # One query for every stream's ledger codes, not one a stream.
    codes: dict[int, list[str]] = {}
    for stream_id, code in session.execute(
        select(LedgerCode.stream_id, LedgerCode.code)
        .where(LedgerCode.stream_id.in_([s.id for s in rows]))
        .order_by(LedgerCode.code)
    ):
        codes.setdefault(stream_id, []).append(code)

    def lines() -> Iterator[tuple]:
        for stream in rows:
            p = positions[stream.id]
            yield (
                stream.code,
                stream.name,
                stream.service.name,
                stream.category.name,
                stream.site.name if stream.site else "",
                stream.status.value,
                "; ".join(codes.get(stream.id, [])),
                p.annual_budget,
                p.profiled_to_date,
                p.actual_to_date,
                p.variance_to_date,
                p.forecast_outturn,
                p.rag.value,
            )

    return Listing(
        f"Income streams {as_at.to_label}",
        "income-streams",
        _columns(
            "Code",
            "Name",
            "Service",
            "Category",
            "Site",
            "Status",
            "Ledger codes",
            ("Annual budget", Kind.MONEY),
            ("Profiled budget to date", Kind.MONEY),
            ("Actual to date", Kind.MONEY),
            ("Variance to date", Kind.MONEY),
            ("Forecast outturn", Kind.MONEY),
            "RAG",
        ),
        lines(),
        described,
    )


def budgets(session: Session, year: periods.FinancialYear) -> Listing:
    statement = (
        select(IncomeStream.code, IncomeStream.name, Service.name, Budget)
        .join(IncomeStream.service)
        .outerjoin(Budget, (Budget.stream_id == IncomeStream.id) & (Budget.year == year.start))
        .order_by(IncomeStream.code)
    )

    def rows() -> Iterator[tuple]:
        for code, name, service, budget in session.execute(statement):
            figures = (budget.annual, *budget.profile, *budget.months) if budget else (None,) * 17
            yield (code, name, service, *figures)

    return Listing(
        f"Budgets {year.label}",
        f"budgets-{year.label}",
        _columns(
            "Stream code",
            "Stream",
            "Service",
            ("Annual budget", Kind.MONEY),
            *((f"Q{n}", Kind.MONEY) for n in range(1, 5)),
            *((f"P{n} {periods.PERIOD_NAMES[n - 1]}", Kind.MONEY) for n in range(1, 13)),
        ),
        rows(),
        "Streams without a budget for the year have empty figures",
    )


def import_batches(session: Session) -> Listing:
    undoer = aliased(User)
    statement = (
        select(
            ImportBatch.id,
            ImportBatch.created_at,
            User.name,
            ImportBatch.kind,
            ImportBatch.filename,
            ImportBatch.rows_imported,
            ImportBatch.rows_skipped,
            ImportBatch.checksum,
            ImportBatch.undone_at,
            undoer.name,
        )
        .outerjoin(User, User.id == ImportBatch.created_by_id)
        .outerjoin(undoer, undoer.id == ImportBatch.undone_by_id)
        .order_by(ImportBatch.id.desc())
    )
    return Listing(
        "Import batches",
        "import-batches",
        _columns(
            ("Batch", Kind.NUMBER),
            ("Imported at (UTC)", Kind.DATE),
            "Imported by",
            "Kind",
            "File",
            ("Rows imported", Kind.NUMBER),
            ("Rows skipped", Kind.NUMBER),
            "SHA-256",
            ("Undone at (UTC)", Kind.DATE),
            "Undone by",
        ),
        _streamed(session, statement),
    )


# Grants and projects -------------------------------------------------------------------------


def bids(session: Session, filters: grant_reports.BidFilters, *, described: str) -> Listing:
    def rows() -> Iterator[tuple]:
        for bid in grant_reports.list_bids(session, filters):
            yield (
                bid.title,
                bid.funder.name,
                bid.programme.name if bid.programme else "",
                bid.service.name,
                bid.lead.name if bid.lead else "",
                bid.status.value,
                bid.amount_requested,
                bid.probability,
                bid.match_cash,
                bid.match_in_kind,
                bid.submission_deadline,
                bid.submitted_on,
                bid.decision_on,
                bid.awarded_resource,
                bid.awarded_capital,
                bid.start_on,
                bid.end_on,
                "; ".join(o.name for o in bid.outcomes),
            )

    return Listing(
        "Grant bids",
        "grant-bids",
        _columns(
            "Title",
            "Funder",
            "Programme",
            "Service",
            "Lead",
            "Status",
            ("Amount requested", Kind.MONEY),
            ("Probability %", Kind.NUMBER),
            ("Match (cash)", Kind.MONEY),
            ("Match (in kind)", Kind.MONEY),
            ("Submission deadline", Kind.DATE),
            ("Submitted on", Kind.DATE),
            ("Decided on", Kind.DATE),
            ("Awarded (resource)", Kind.MONEY),
            ("Awarded (capital)", Kind.MONEY),
            ("Starts", Kind.DATE),
            ("Ends", Kind.DATE),
            "Outcomes",
        ),
        rows(),
        described,
    )


def funders(session: Session) -> Listing:
    def rows() -> Iterator[tuple]:
        statement = select(Funder).options(selectinload(Funder.programmes)).order_by(Funder.name)
        for funder in session.scalars(statement):
            yield (
                funder.name,
                _enum(funder.type),
                "; ".join(p.name for p in funder.programmes),
                funder.notes,
            )

    return Listing("Funders", "funders", _columns("Funder", "Type", "Programmes", "Notes"), rows())


def projects(rows: list[milestone_reports.ProjectRow], *, described: str) -> Listing:
    return Listing(
        "Projects",
        "projects",
        _columns("Project", "Service", "Lead", "Grant", ("Milestones", Kind.NUMBER), "RAG"),
        ((r.name, r.service, r.lead, r.grant, r.milestones, r.rag.value if r.rag else "") for r in rows),
        described,
    )


def milestones(
    rows: list[milestone_reports.MilestoneRow], *, title: str, stem: str, described: str
) -> Listing:
    return Listing(
        title,
        stem,
        _columns(
            "Project",
            "Milestone",
            "Owner",
            ("Baseline due", Kind.DATE),
            ("Forecast due", Kind.DATE),
            ("Completed on", Kind.DATE),
            "Status",
            "RAG",
            ("Slippage (days)", Kind.NUMBER),
            ("Latest update on", Kind.DATE),
            "Latest update",
        ),
        (
            (
                r.project,
                r.title,
                r.owner,
                r.baseline,
                r.forecast,
                r.completed,
                r.status.value,
                r.rag.value,
                r.slippage_days,
                r.latest_update_on,
                r.latest_update,
            )
            for r in rows
        ),
        described,
    )


# Audit ---------------------------------------------------------------------------------------


def audit(session: Session, filters: AuditFilters, *, described: str) -> Listing:
    statement = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            User.name,
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.summary,
            AuditEvent.changes,
        )
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(*conditions(filters))
        .order_by(AuditEvent.id.desc())
    )

    def rows() -> Iterator[tuple]:
        for event_id, at, who, action, entity, entity_id, summary, changes in session.execute(
            statement.execution_options(yield_per=CHUNK)
        ):
            described_changes = "; ".join(
                f"{key}: {old} → {new}" for key, (old, new) in (changes or {}).items()
            )
            yield (
                event_id,
                at,
                who or "(system)",
                action,
                entity.replace("_", " "),
                entity_id,
                summary,
                described_changes,
            )

    return Listing(
        "Audit log",
        "audit-log",
        _columns(
            ("Event", Kind.NUMBER),
            ("At (UTC)", Kind.DATE),
            "Who",
            "Action",
            "Record type",
            ("Record", Kind.NUMBER),
            "Summary",
            "Changes",
        ),
        rows(),
        described,
        size=_counter(session, statement),
    )
