"""The income entry list: filters, sorting, one page of rows and the total of every filtered row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from incometrack.models import IncomeEntry, IncomeStream, Site
from incometrack.reports.pagination import Page, paginate

#: Sortable columns by the name used in the URL (``?sort=amount`` or ``?sort=-amount``).
SORTS = {
    "date": IncomeEntry.date_received,
    "amount": IncomeEntry.amount,
    "stream": IncomeStream.code,
    "reference": IncomeEntry.reference,
    "site": Site.name,
}
DEFAULT_SORT = "-date"


@dataclass(frozen=True)
class EntryFilters:
    year: int | None = None
    quarter: int | None = None
    service_id: int | None = None
    site_id: int | None = None
    stream_id: int | None = None
    category_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    #: the entries one import added
    batch_id: int | None = None


@dataclass(frozen=True)
class EntryListing:
    page: Page[IncomeEntry]
    count: int
    total_amount: int
    sort: str


def like_escape(text: str) -> str:
    """Escape LIKE's wildcards so a search for ``50%`` finds that text, not everything."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(statement: Select, filters: EntryFilters) -> Select:
    conditions = []
    if filters.year is not None:
        conditions.append(IncomeEntry.financial_year == filters.year)
    if filters.quarter is not None:
        # As the quarter's month periods, which the (year, period, stream) index answers.
        conditions.append(IncomeEntry.period.between(3 * filters.quarter - 2, 3 * filters.quarter))
    if filters.service_id is not None:
        conditions.append(IncomeStream.service_id == filters.service_id)
    if filters.site_id is not None:
        conditions.append(IncomeEntry.site_id == filters.site_id)
    if filters.stream_id is not None:
        conditions.append(IncomeEntry.stream_id == filters.stream_id)
    if filters.category_id is not None:
        conditions.append(IncomeStream.category_id == filters.category_id)
    if filters.date_from is not None:
        conditions.append(IncomeEntry.date_received >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(IncomeEntry.date_received <= filters.date_to)
    if filters.batch_id is not None:
        conditions.append(IncomeEntry.batch_id == filters.batch_id)
    if text := filters.text.strip():
        pattern = f"%{like_escape(text.lower())}%"
        conditions.append(
            or_(
                func.lower(IncomeEntry.reference).like(pattern, escape="\\"),
                func.lower(IncomeEntry.description).like(pattern, escape="\\"),
            )
        )
    return statement.where(*conditions)


def _order(sort: str):
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    column = SORTS[key]
    return sort, column.desc() if sort.startswith("-") else column.asc()


def filtered_rows(filters: EntryFilters, *, sort: str = DEFAULT_SORT) -> Select:
    """Every filtered entry as a row of plain values, in the list's order, for a download: date,
    stream code and name, service, site, reference, description, amount, import batch, entered by."""
    from incometrack.models import Service, User

    _, order = _order(sort)
    statement = (
        select(IncomeEntry.date_received, IncomeStream.code, IncomeStream.name, Service.name, Site.name,
               IncomeEntry.reference, IncomeEntry.description, IncomeEntry.amount, IncomeEntry.batch_id,
               User.name)
        .select_from(IncomeEntry)
        .join(IncomeEntry.stream)
        .join(IncomeStream.service)
        .outerjoin(IncomeEntry.site)
        .outerjoin(User, User.id == IncomeEntry.entered_by_id)
    )  # fmt: skip
    return _filtered(statement, filters).order_by(order, IncomeEntry.id.desc())


def list_entries(
    session: Session, filters: EntryFilters, *, sort: str = DEFAULT_SORT, page: int = 1, per_page: int = 50
) -> EntryListing:
    """Two queries whatever the data: the count with the total, and one page of rows."""
    base = select(IncomeEntry).join(IncomeEntry.stream).outerjoin(IncomeEntry.site)
    count, total = session.execute(
        _filtered(
            select(func.count(IncomeEntry.id), func.coalesce(func.sum(IncomeEntry.amount), 0))
            .select_from(IncomeEntry)
            .join(IncomeEntry.stream),
            filters,
        )
    ).one()
    sort, order = _order(sort)
    statement = (
        _filtered(base, filters)
        .join(IncomeStream.service)
        .options(
            contains_eager(IncomeEntry.stream).contains_eager(IncomeStream.service),
            contains_eager(IncomeEntry.site),
        )
        .order_by(order, IncomeEntry.id.desc())
    )
    return EntryListing(
        page=paginate(session, statement, page=page, per_page=per_page, total=count),
        count=count,
        total_amount=int(total),
        sort=sort,
    )


@dataclass(frozen=True)
class Batch:
    """Entries recorded one after another ("Save and record another"), with their count and total."""

    entries: list[IncomeEntry]
    total: int

    @property
    def count(self) -> int:
        return len(self.entries)


def entries_by_ids(session: Session, ids: list[int], *, entered_by: int) -> Batch:
    """The entries of ``ids`` that ``entered_by`` recorded (never anyone else's), oldest first."""
    if not ids:
        return Batch([], 0)
    rows = list(
        session.scalars(
            select(IncomeEntry)
            .join(IncomeEntry.stream)
            .options(contains_eager(IncomeEntry.stream))
            .where(IncomeEntry.id.in_(ids), IncomeEntry.entered_by_id == entered_by)
            .order_by(IncomeEntry.id)
        )
    )
    return Batch(rows, sum(entry.amount for entry in rows))
