"""The audit log, filtered and a page at a time, and its events in business terms.

The log stores what changed as the database holds it (``{"amount": [152000, 15200]}``,
``stream_id: 18``); :func:`describe` turns a page of events into what a finance officer reads:
"Amount: £1,520.00 → £152.00", "Stream: LIB-PRINT Printing and photocopying", each record named
and linked. What a column holds is read off the models themselves (a money column is a ``Pence``
column, a reference is a foreign key), so a new column is described without a list to update; the
names come from one query per kind of record on the page, never one per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Enum, func, select
from sqlalchemy.orm import Session, joinedload

from incometrack.models import (
    AuditEvent,
    Base,
    Funder,
    FunderReport,
    GrantBid,
    ImportBatch,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    Milestone,
    PeriodLock,
    Programme,
    Project,
    ReturnSnapshot,
    Service,
    Site,
    User,
)
from incometrack.money import format_gbp
from incometrack.periods import FinancialYear, format_date, format_datetime
from incometrack.reports.pagination import Page, paginate

#: Actions that record a person coming and going rather than a change: hidden unless asked for.
SIGN_IN_ACTIONS = ("login", "logout")

#: What each table's records are called.
NOUNS = {
    "budgets": "Budget",
    "cipfa_lines": "CIPFA line",
    "export_records": "File produced",
    "forecasts": "Forecast",
    "funder_reports": "Funder report",
    "funders": "Funder",
    "grant_bids": "Bid",
    "grant_payments": "Grant payment",
    "grant_spend": "Grant spend",
    "import_batches": "Import",
    "import_profiles": "Import profile",
    "income_categories": "Category",
    "income_entries": "Income entry",
    "income_streams": "Stream",
    "milestones": "Milestone",
    "outcomes": "Outcome",
    "period_locks": "Quarter lock",
    "programmes": "Programme",
    "projects": "Project",
    "return_snapshots": "Return",
    "services": "Service",
    "settings": "Setting",
    "sites": "Site",
    "users": "Account",
}

#: How a record is named where it is referred to.
NAMES = {
    "users": User.name,
    "income_streams": IncomeStream.code + " " + IncomeStream.name,
    "grant_bids": GrantBid.title,
    "funders": Funder.name,
    "programmes": Programme.name,
    "funder_reports": FunderReport.title,
    "projects": Project.name,
    "milestones": Milestone.title,
    "sites": Site.name,
    "services": Service.name,
    "income_categories": IncomeCategory.name,
    "income_entries": IncomeEntry.reference,
}

#: The page of each kind of record that has one: its endpoint and the URL argument of its id.
PAGES = {
    "income_streams": ("income.stream_detail", "stream_id"),
    "income_entries": ("income.entry_edit", "entry_id"),
    "grant_bids": ("grants.bid_detail", "bid_id"),
    "funders": ("grants.funder_detail", "funder_id"),
    "projects": ("projects.detail", "project_id"),
    "milestones": ("projects.milestone_detail", "milestone_id"),
    "users": ("admin.user_detail", "user_id"),
}

#: How records without a name column are named, in the committee's words: "2026-27 Q2",
#: "Import of 12 lines (ledger-november.csv)". Each reads its columns in one query per page.
LABELLED = {
    "period_locks": (
        (PeriodLock.id, PeriodLock.year, PeriodLock.quarter),
        lambda year, quarter: FinancialYear(year).quarter(quarter).label,
    ),
    "return_snapshots": (
        (ReturnSnapshot.id, ReturnSnapshot.year, ReturnSnapshot.quarter),
        lambda year, quarter: FinancialYear(year).quarter(quarter).label,
    ),
    "import_batches": (
        (ImportBatch.id, ImportBatch.rows_imported, ImportBatch.filename),
        lambda lines, filename: f"Import of {lines:,} {'line' if lines == 1 else 'lines'} ({filename})",
    ),
}

#: Fields never shown: the record's own id (the Record column names it), and what is kept for
#: scripts and checks rather than for reading (checksums, internal counts): the download has them.
_HIDDEN = frozenset({"id", "checksum", "rows_imported", "rows_skipped", "version"})
#: Fields holding a financial year by its starting calendar year: shown as "2026-27".
_YEAR_FIELDS = frozenset({"year", "financial_year"})
_LABELS = {"annual": "Annual budget", "outturn": "Forecast outturn", "ledger_codes": "Ledger codes"}


@dataclass(frozen=True)
class AuditFilters:
    entity: str = ""
    action: str = ""
    user_id: int | None = None
    entity_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: sign-ins and sign-outs swamp the changes: shown only when asked for (or filtered to)
    sign_ins: bool = False


def conditions(filters: AuditFilters) -> list:
    """The WHERE conditions of the filters: the page and its download share them."""
    conditions = []
    if filters.entity:
        conditions.append(AuditEvent.entity == filters.entity)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    elif not filters.sign_ins:
        conditions.append(AuditEvent.action.not_in(SIGN_IN_ACTIONS))
    if filters.user_id is not None:
        conditions.append(AuditEvent.user_id == filters.user_id)
    if filters.entity_id is not None:
        conditions.append(AuditEvent.entity_id == filters.entity_id)
    if filters.date_from is not None:
        conditions.append(AuditEvent.at >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to is not None:
        conditions.append(
            AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        )
    return conditions


def list_events(
    session: Session, filters: AuditFilters, *, page: int = 1, per_page: int = 50
) -> Page[AuditEvent]:
    where = conditions(filters)
    total = session.scalar(select(func.count(AuditEvent.id)).where(*where))
    statement = (
        select(AuditEvent).options(joinedload(AuditEvent.user)).where(*where).order_by(AuditEvent.id.desc())
    )
    return paginate(session, statement, page=page, per_page=per_page, total=total)


def distinct_values(session: Session) -> tuple[list[str], list[str]]:
    """The entities and actions that occur in the log, for the filter lists."""
    entities = list(session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)))
    actions = list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    return entities, actions


# In business terms ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRef:
    """A record as a person knows it: "Stream LIB-PRINT Printing", with its page where it has one."""

    noun: str
    name: str
    endpoint: str | None = None
    args: tuple[tuple[str, int], ...] = ()

    @property
    def url_args(self) -> dict[str, int]:
        return dict(self.args)


@dataclass(frozen=True)
class Change:
    field: str
    old: str | RecordRef
    new: str | RecordRef


@dataclass(frozen=True)
class DescribedEvent:
    event: AuditEvent
    record: RecordRef | None
    changes: tuple[Change, ...]

    @property
    def action(self) -> str:
        """What happened, in the committee's words: "Q2 locked", "Q2 reopened", "2026-27 Q2 return
        submitted", "Import of 12 lines (file.csv)"; otherwise the action in sentence case."""
        return describe_action(self.event.entity, self.event.action, self.record.name if self.record else "")


def describe_action(entity: str, action: str, name: str) -> str:
    if entity == "period_locks" and action in ("lock", "reopen") and " Q" in name:
        return f"{name.rsplit(' ', 1)[1]} {'locked' if action == 'lock' else 'reopened'}"
    if entity == "return_snapshots" and action == "submit" and name:
        return f"{name} return submitted"
    if entity == "import_batches" and name.startswith("Import of"):
        return name if action == "import" else f"{action_label(action)}: {name}"
    return action_label(action)


def action_label(action: str) -> str:
    """An action as the filter list and the log show it: "Undo import", "Create"."""
    return action[:1].upper() + action[1:]


def field_label(name: str) -> str:
    """``date_received`` → "Date received", ``stream_id`` → "Stream", ``q1`` → "Q1"."""
    if name in _LABELS:
        return _LABELS[name]
    if len(name) <= 3 and name[0] in "qp" and name[1:].isdigit():
        return name.upper()
    if name.endswith("_id"):
        name = name[: -len("_id")]
    return name.replace("_", " ").capitalize()


def _column(entity: str, name: str):
    table = Base.metadata.tables.get(entity)
    return None if table is None else table.columns.get(name)


def _references(entity: str, name: str) -> str | None:
    """The table a field of ``entity`` refers to, if it is a foreign key."""
    column = _column(entity, name)
    if column is None or not column.foreign_keys:
        return None
    return next(iter(column.foreign_keys)).column.table.name


def _named(names: dict[tuple[str, int], str], table: str, record_id: int) -> RecordRef:
    noun = NOUNS.get(table, field_label(table))
    endpoint, argument = PAGES.get(table, (None, ""))
    if (table in NAMES or table in LABELLED) and (table, record_id) not in names:
        return RecordRef(noun, f"number {record_id} (deleted)")
    name = names.get((table, record_id)) or f"number {record_id}"
    if endpoint is None:
        return RecordRef(noun, name)
    return RecordRef(noun, name, endpoint, ((argument, record_id),))


def _value(entity: str, name: str, value: object, names: dict[tuple[str, int], str]) -> str | RecordRef:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name in _YEAR_FIELDS and isinstance(value, int):
        return FinancialYear(value).label
    column = _column(entity, name)
    if column is None:
        return str(value)
    if column.foreign_keys and isinstance(value, int):
        return _named(names, next(iter(column.foreign_keys)).column.table.name, value)
    kind = column.type
    if isinstance(kind, BigInteger) and isinstance(value, int):
        return format_gbp(value)
    if isinstance(kind, Boolean):
        return "Yes" if value else "No"
    if isinstance(kind, DateTime) and isinstance(value, str):
        return format_datetime(datetime.fromisoformat(value))
    if isinstance(kind, Date) and isinstance(value, str):
        return format_date(date.fromisoformat(value))
    if isinstance(kind, Enum):
        return str(value).replace("_", " ").capitalize()
    return str(value)


def _model(table: str) -> type[Base]:
    return next(m.class_ for m in Base.registry.mappers if m.local_table.name == table)


def _names(session: Session, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """The names of the records wanted, one query per kind of record."""
    names: dict[tuple[str, int], str] = {}
    for table, ids in wanted.items():
        if table in LABELLED and ids:
            columns, label = LABELLED[table]
            for record_id, *values in session.execute(select(*columns).where(columns[0].in_(ids))):
                names[(table, record_id)] = label(*values)
        if table not in NAMES or not ids:
            continue
        model = _model(table)
        for record_id, name in session.execute(select(model.id, NAMES[table]).where(model.id.in_(ids))):
            names[(table, record_id)] = name
    return names


def describe(session: Session, events: Iterable[AuditEvent]) -> list[DescribedEvent]:
    """A page of events in business terms: money in pounds, dates in words, every record and
    reference by name (with a link to its page), fields named as the forms name them."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.entity_id is not None:
            wanted[event.entity].add(event.entity_id)
        for name, values in (event.changes or {}).items():
            table = _references(event.entity, name)
            if table is not None:
                wanted[table].update(v for v in values if isinstance(v, int))
    names = _names(session, wanted)
    described = []
    for event in events:
        record = None if event.entity_id is None else _named(names, event.entity, event.entity_id)
        if record is None and event.entity in NOUNS:
            record = RecordRef(NOUNS[event.entity], "")
        changes = tuple(
            Change(
                field_label(name),
                _value(event.entity, name, old, names),
                _value(event.entity, name, new, names),
            )
            for name, (old, new) in (event.changes or {}).items()
            if name not in _HIDDEN
        )
        described.append(DescribedEvent(event, record, changes))
    return described
