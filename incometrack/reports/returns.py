"""The quarterly financial resilience return: computed once, rendered by HTML, XLSX and PDF alike.

:func:`build_return` gathers every figure with SQL aggregates into frozen dataclasses. The
year-to-date income entries are not held in memory: the return carries an iterable that streams
them from the database each time a renderer walks it. A submitted return is kept as JSON
(:func:`dump_return`) and read back (:func:`load_return`) so that its figures never change.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from itertools import islice

from sqlalchemy import Date, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from incometrack.models import (
    PENDING_STATUSES,
    WON_STATUSES,
    Budget,
    CipfaLine,
    Funder,
    FunderReport,
    GrantBid,
    GrantPayment,
    GrantSpend,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    Outcome,
    Programme,
    Project,
    ReturnSnapshot,
    Service,
    Site,
    bid_outcomes,
    project_outcomes,
)
from incometrack.money import percent_of
from incometrack.periods import Quarter
from incometrack.rag import IncomeThresholds, Rag, income_rag
from incometrack.reports.grants import AWARDED_TOTAL, grant_figures
from incometrack.reports.income import StreamPosition, load_thresholds, stream_positions, year_actuals
from incometrack.reports.milestones import milestone_rows, rag_counts
from incometrack.reports.sql import read

SHEET_NAMES = (
    "Summary",
    "Income by stream",
    "Grants",
    "Milestones",
    "Outcomes",
    "CIPFA lines",
    "Income entries",
)
STREAM_COLUMNS = (
    "Stream code",
    "Stream",
    "Service",
    "Category",
    "Annual budget",
    "Q1 actual",
    "Q2 actual",
    "Q3 actual",
    "Q4 actual",
    "Profiled budget to date",
    "Actual to date",
    "Variance to date",
    "Variance to date %",
    "Previous forecast",
    "Forecast outturn",
    "Movement",
    "Forecast variance",
    "Forecast variance %",
    "RAG",
    "Commentary",
)
NOT_CIPFA = "Not in CIPFA library statistics (Registration, Archives)"


@dataclass(frozen=True)
class ReturnMeta:
    council: str
    service_name: str
    year: int
    year_label: str
    quarter: int
    period_end: date
    produced_at: datetime
    submitted_at: datetime | None = None
    submitted_by: str = ""

    @property
    def title(self) -> str:
        return f"Financial resilience return {self.year_label} Q{self.quarter}"

    @property
    def file_stem(self) -> str:
        return f"financial-resilience-return-{self.year_label}-Q{self.quarter}"


@dataclass(frozen=True)
class IncomeFigures:
    annual_budget: int
    profiled_to_date: int
    actual_to_date: int
    variance_to_date: int
    variance_to_date_pct: Decimal | None
    forecast_outturn: int
    forecast_variance: int
    forecast_variance_pct: Decimal | None
    rag: str


@dataclass(frozen=True)
class ServiceSummary:
    service: str
    figures: IncomeFigures


@dataclass(frozen=True)
class QuarterBar:
    label: str
    actual: int | None  #: None for quarters after the return's
    profiled: int


@dataclass(frozen=True)
class GrantsHeadline:
    awarded_in_year: int
    received_in_year: int
    pending_count: int
    pending_requested: int
    weighted_pipeline: int
    decided_awarded: int
    decided_unsuccessful: int
    success_rate_count: Decimal | None
    success_rate_value: Decimal | None


@dataclass(frozen=True)
class RagCount:
    rag: str
    count: int


@dataclass(frozen=True)
class StreamLine:
    code: str
    name: str
    service: str
    category: str
    annual_budget: int
    actuals: tuple[int | None, ...]
    profiled_to_date: int
    actual_to_date: int
    variance_to_date: int
    variance_to_date_pct: Decimal | None
    previous_forecast: int
    forecast_outturn: int
    forecast_is_default: bool
    movement: int
    forecast_variance: int
    forecast_variance_pct: Decimal | None
    rag: str
    commentary: str
    commentary_missing: bool


@dataclass(frozen=True)
class StreamTotals:
    annual_budget: int
    actuals: tuple[int | None, ...]
    profiled_to_date: int
    actual_to_date: int
    variance_to_date: int
    variance_to_date_pct: Decimal | None
    previous_forecast: int
    forecast_outturn: int
    movement: int
    forecast_variance: int
    forecast_variance_pct: Decimal | None
    rag: str


@dataclass(frozen=True)
class GrantLine:
    funder: str
    programme: str
    bid: str
    status: str
    submitted_on: date | None
    decision_on: date | None
    start_on: date | None
    end_on: date | None
    requested: int
    awarded: int | None
    match_funding: int
    received: int
    spent: int
    remaining: int | None
    next_report: str
    next_report_due: date | None
    outcomes: str


@dataclass(frozen=True)
class MilestoneLine:
    project: str
    milestone: str
    owner: str
    baseline: date
    forecast: date
    completed: date | None
    status: str
    rag: str
    slippage_days: int
    latest_update: str


@dataclass(frozen=True)
class OutcomeLine:
    outcome: str
    grants_awarded: int
    grants_value: int
    projects: int
    project_names: str


@dataclass(frozen=True)
class CipfaTotal:
    line: str
    actual_to_date: int


@dataclass(frozen=True)
class EntryLine:
    date_received: date
    quarter: int
    stream_code: str
    stream: str
    service: str
    category: str
    site: str
    reference: str
    description: str
    amount: int


@dataclass(frozen=True)
class EntriesSummary:
    count: int
    total: int


@dataclass(frozen=True)
class FinancialReturn:
    meta: ReturnMeta
    services: tuple[ServiceSummary, ...]
    overall: IncomeFigures
    quarters: tuple[QuarterBar, ...]
    grants_headline: GrantsHeadline
    milestone_counts: tuple[RagCount, ...]
    streams: tuple[StreamLine, ...]
    stream_totals: StreamTotals
    grants: tuple[GrantLine, ...]
    milestones: tuple[MilestoneLine, ...]
    outcomes: tuple[OutcomeLine, ...]
    cipfa: tuple[CipfaTotal, ...]
    entries_summary: EntriesSummary
    #: the year-to-date entries, streamed on each iteration (not part of equality)
    entries: Iterable[EntryLine] = field(compare=False, repr=False, default=())

    @property
    def streams_needing_commentary(self) -> tuple[StreamLine, ...]:
        return tuple(s for s in self.streams if s.commentary_missing)

    @property
    def submitted(self) -> bool:
        return self.meta.submitted_at is not None


# Building ------------------------------------------------------------------------------------


def _figures(annual, profiled, actual, forecast, thresholds: IncomeThresholds) -> IncomeFigures:
    variance = actual - profiled
    forecast_variance = forecast - annual
    return IncomeFigures(
        annual_budget=annual,
        profiled_to_date=profiled,
        actual_to_date=actual,
        variance_to_date=variance,
        variance_to_date_pct=percent_of(variance, profiled),
        forecast_outturn=forecast,
        forecast_variance=forecast_variance,
        forecast_variance_pct=percent_of(forecast_variance, annual),
        rag=income_rag(annual, forecast, thresholds).value,
    )


def _sum_positions(positions: Iterable[StreamPosition], thresholds: IncomeThresholds) -> IncomeFigures:
    items = list(positions)
    return _figures(
        sum(p.annual_budget for p in items),
        sum(p.profiled_to_date for p in items),
        sum(p.actual_to_date for p in items),
        sum(p.forecast_outturn for p in items),
        thresholds,
    )


@dataclass(frozen=True)
class StreamRef:
    id: int
    code: str
    name: str
    cipfa_line_id: int | None


_STREAM_REFS = (
    select(
        IncomeStream.id,
        IncomeStream.code,
        IncomeStream.name,
        Service.name,
        IncomeCategory.name,
        IncomeCategory.cipfa_line_id,
        Budget.annual,
        Budget.q1,
        Budget.q2,
        Budget.q3,
        Budget.q4,
    )
    .join(Service, IncomeStream.service_id == Service.id)
    .join(IncomeCategory, IncomeStream.category_id == IncomeCategory.id)
    .outerjoin(Budget, and_(Budget.stream_id == IncomeStream.id, Budget.year == bindparam("year")))
    .order_by(IncomeStream.code)
)


def income_summary(
    session: Session,
    quarter: Quarter,
    actuals: dict | None = None,
    thresholds: IncomeThresholds | None = None,
) -> tuple[tuple[ServiceSummary, ...], IncomeFigures, list]:
    """Totals by service and overall as at the end of ``quarter``, and the positions behind them
    as ``(stream, service, category, position)`` by stream code (shared by the return and the
    dashboard)."""
    thresholds = thresholds or load_thresholds(session)
    refs, budgets = [], {}
    for stream_id, code, name, service, category, cipfa_line_id, annual, *profile in read(
        session, _STREAM_REFS, {"year": quarter.year.start}
    ):
        refs.append((StreamRef(stream_id, code, name, cipfa_line_id), service, category))
        if annual is not None:
            budgets[stream_id] = (annual, tuple(profile))
    positions = stream_positions(session, quarter, actuals=actuals, thresholds=thresholds, budgets=budgets)
    by_service: dict[str, list[StreamPosition]] = {}
    rows = []
    for stream, service, category in refs:
        position = positions.get(stream.id)
        if position is not None:
            by_service.setdefault(service, []).append(position)
            rows.append((stream, service, category, position))
    summaries = tuple(
        ServiceSummary(name, _sum_positions(by_service[name], thresholds)) for name in sorted(by_service)
    )
    return summaries, _sum_positions(positions.values(), thresholds), rows


def _stream_lines(rows, overall: IncomeFigures) -> tuple[tuple[StreamLine, ...], StreamTotals]:
    """A line per stream, and their totals: ``overall`` (the same streams' sums) and the
    quarters' actuals and previous forecasts summed here."""
    lines = tuple(
        StreamLine(
            code=stream.code,
            name=stream.name,
            service=service,
            category=category,
            annual_budget=p.annual_budget,
            actuals=p.actuals,
            profiled_to_date=p.profiled_to_date,
            actual_to_date=p.actual_to_date,
            variance_to_date=p.variance_to_date,
            variance_to_date_pct=p.variance_to_date_pct,
            previous_forecast=p.previous_forecast,
            forecast_outturn=p.forecast_outturn,
            forecast_is_default=p.forecast_is_default,
            movement=p.movement,
            forecast_variance=p.forecast_variance,
            forecast_variance_pct=p.forecast_variance_pct,
            rag=p.rag.value,
            commentary=p.commentary,
            commentary_missing=p.commentary_missing,
        )
        for stream, service, category, p in rows
    )
    positions = [p for *_, p in rows]
    previous = sum(p.previous_forecast for p in positions)
    quarter_count = len(positions[0].actuals) if positions else 4
    actuals = tuple(
        None if positions and positions[0].actuals[q] is None else sum(p.actuals[q] or 0 for p in positions)
        for q in range(quarter_count)
    )
    totals = StreamTotals(
        annual_budget=overall.annual_budget,
        actuals=actuals,
        profiled_to_date=overall.profiled_to_date,
        actual_to_date=overall.actual_to_date,
        variance_to_date=overall.variance_to_date,
        variance_to_date_pct=overall.variance_to_date_pct,
        previous_forecast=previous,
        forecast_outturn=overall.forecast_outturn,
        movement=overall.forecast_outturn - previous,
        forecast_variance=overall.forecast_variance,
        forecast_variance_pct=overall.forecast_variance_pct,
        rag=overall.rag,
    )
    return lines, totals


def _quarter_bars(rows) -> tuple[QuarterBar, ...]:
    positions = [p for *_, p in rows]
    return tuple(
        QuarterBar(
            label=f"Q{q + 1}",
            actual=None
            if positions and positions[0].actuals[q] is None
            else sum(p.actuals[q] or 0 for p in positions),
            profiled=sum(p.profile[q] for p in positions),
        )
        for q in range(4)
    )


@cache
def _grants_statement():
    """Bids live in the year: pending, awarded or in delivery, or decided or ended this year;
    with received and spent to the quarter end and the next funder report then outstanding."""
    first, as_of = bindparam("first", type_=Date), bindparam("as_of", type_=Date)
    live = or_(
        GrantBid.status.in_(PENDING_STATUSES | {s for s in WON_STATUSES if s.value != "closed"}),
        GrantBid.decision_on.between(first, as_of),
        GrantBid.end_on >= first,
    )
    received = (
        select(GrantPayment.bid_id, func.sum(GrantPayment.amount_received).label("total"))
        .where(GrantPayment.received_on <= as_of)
        .group_by(GrantPayment.bid_id)
        .subquery()
    )
    spent = (
        select(GrantSpend.bid_id, func.sum(GrantSpend.amount).label("total"))
        .where(GrantSpend.spent_on <= as_of)
        .group_by(GrantSpend.bid_id)
        .subquery()
    )
    next_due = (
        select(FunderReport.bid_id, func.min(FunderReport.due_on).label("due"))
        .where(or_(FunderReport.submitted_on.is_(None), FunderReport.submitted_on > as_of))
        .group_by(FunderReport.bid_id)
        .subquery()
    )
    report = aliased(FunderReport)
    return (
        select(
            GrantBid.id,
            GrantBid.title,
            GrantBid.status,
            GrantBid.submitted_on,
            GrantBid.decision_on,
            GrantBid.start_on,
            GrantBid.end_on,
            GrantBid.amount_requested,
            AWARDED_TOTAL,
            GrantBid.match_cash + GrantBid.match_in_kind,
            Funder.name,
            Programme.name,
            func.coalesce(received.c.total, 0),
            func.coalesce(spent.c.total, 0),
            next_due.c.due,
            report.title,
        )
        .join(Funder, GrantBid.funder_id == Funder.id)
        .outerjoin(Programme, GrantBid.programme_id == Programme.id)
        .outerjoin(received, received.c.bid_id == GrantBid.id)
        .outerjoin(spent, spent.c.bid_id == GrantBid.id)
        .outerjoin(next_due, next_due.c.bid_id == GrantBid.id)
        .outerjoin(report, and_(report.bid_id == GrantBid.id, report.due_on == next_due.c.due))
        .where(live)
        .order_by(Funder.name, GrantBid.title, GrantBid.id)
    )


_BID_OUTCOMES = select(bid_outcomes.c.bid_id, Outcome.name).join(Outcome).order_by(Outcome.position)
_OUTCOME_GRANTS = (
    select(
        bid_outcomes.c.outcome_id,
        func.count(GrantBid.id).label("count"),
        func.sum(AWARDED_TOTAL).label("value"),
    )
    .join(GrantBid, GrantBid.id == bid_outcomes.c.bid_id)
    .where(GrantBid.status.in_(WON_STATUSES))
    .group_by(bid_outcomes.c.outcome_id)
    .subquery()
)
_OUTCOME_PROJECTS = (
    select(project_outcomes.c.outcome_id, Project.name)
    .join(Project, Project.id == project_outcomes.c.project_id)
    .order_by(Project.name)
)
_OUTCOMES = (
    select(
        Outcome.id,
        Outcome.name,
        func.coalesce(_OUTCOME_GRANTS.c.count, 0),
        func.coalesce(_OUTCOME_GRANTS.c.value, 0),
    )
    .outerjoin(_OUTCOME_GRANTS, _OUTCOME_GRANTS.c.outcome_id == Outcome.id)
    .order_by(Outcome.position)
)
_CIPFA_LINES = select(CipfaLine.id, CipfaLine.name).order_by(CipfaLine.position)


def _grants(session: Session, quarter: Quarter) -> tuple[GrantLine, ...]:
    outcome_names: dict[int, list[str]] = {}
    for bid_id, name in read(session, _BID_OUTCOMES):
        outcome_names.setdefault(bid_id, []).append(name)
    lines, seen = [], set()
    rows = read(session, _grants_statement(), {"first": quarter.year.first_day, "as_of": quarter.last_day})
    for (
        bid_id,
        title,
        status,
        submitted_on,
        decision_on,
        start_on,
        end_on,
        requested,
        awarded_total,
        match_funding,
        funder,
        programme,
        got,
        used,
        due,
        due_title,
    ) in rows:
        if bid_id in seen:  # two reports due the same day: keep one row per bid
            continue
        seen.add(bid_id)
        won = status in WON_STATUSES
        awarded = int(awarded_total) if won else None
        lines.append(
            GrantLine(
                funder=funder,
                programme=programme or "",
                bid=title,
                status=status.value,
                submitted_on=submitted_on,
                decision_on=decision_on,
                start_on=start_on,
                end_on=end_on,
                requested=requested,
                awarded=awarded,
                match_funding=int(match_funding),
                received=int(got),
                spent=int(used),
                remaining=awarded - int(used) if won else None,
                next_report=due_title or "",
                next_report_due=due,
                outcomes="; ".join(outcome_names.get(bid_id, [])),
            )
        )
    return tuple(lines)


def _outcomes(session: Session) -> tuple[OutcomeLine, ...]:
    projects: dict[int, list[str]] = {}
    for outcome_id, name in read(session, _OUTCOME_PROJECTS):
        projects.setdefault(outcome_id, []).append(name)
    return tuple(
        OutcomeLine(
            outcome=name,
            grants_awarded=int(count),
            grants_value=int(value),
            projects=len(projects.get(outcome_id, [])),
            project_names="; ".join(projects.get(outcome_id, [])),
        )
        for outcome_id, name, count, value in read(session, _OUTCOMES)
    )


def _cipfa(session: Session, rows) -> tuple[CipfaTotal, ...]:
    """Year-to-date income per CIPFA line, from the stream positions already computed."""
    totals: dict[int | None, int] = {}
    for stream, _service, _category, position in rows:
        line = stream.cipfa_line_id
        totals[line] = totals.get(line, 0) + position.actual_to_date
    lines = [CipfaTotal(name, totals.get(line_id, 0)) for line_id, name in read(session, _CIPFA_LINES)]
    lines.append(CipfaTotal(NOT_CIPFA, totals.get(None, 0)))
    return tuple(lines)


class LiveEntries:
    """The year-to-date entries, streamed in batches from the database on each iteration."""

    def __init__(self, session: Session, quarter: Quarter, batch: int = 5000) -> None:
        self.session, self.quarter, self.batch = session, quarter, batch

    def __iter__(self) -> Iterator[EntryLine]:
        yield from self._lines(_LIVE_ENTRIES.execution_options(yield_per=self.batch), {})

    def first(self, count: int) -> list[EntryLine]:
        """The first ``count`` lines, read with a LIMIT rather than a batch of the stream."""
        return list(self._lines(_FIRST_ENTRIES, {"count": count}))

    def _lines(self, statement, params) -> Iterator[EntryLine]:
        bounds = {"first": self.quarter.year.first_day, "last": self.quarter.last_day}
        for row in read(self.session, statement, {**bounds, **params}):
            yield EntryLine(
                row[0], row[1], row[2], row[3], row[4], row[5], row[6] or "", row[7], row[8], row[9]
            )


def first_entries(report: FinancialReturn, count: int) -> list[EntryLine]:
    """The return's first ``count`` entry lines (a preview's sample), live or submitted."""
    if isinstance(report.entries, LiveEntries):
        return report.entries.first(count)
    return list(islice(report.entries, count))


_LIVE_ENTRIES = (
    select(
        IncomeEntry.date_received,
        IncomeEntry.quarter,
        IncomeStream.code,
        IncomeStream.name,
        Service.name,
        IncomeCategory.name,
        Site.name,
        IncomeEntry.reference,
        IncomeEntry.description,
        IncomeEntry.amount,
    )
    .join(IncomeStream, IncomeEntry.stream_id == IncomeStream.id)
    .join(Service, IncomeStream.service_id == Service.id)
    .join(IncomeCategory, IncomeStream.category_id == IncomeCategory.id)
    .outerjoin(Site, IncomeEntry.site_id == Site.id)
    # The same rows as "year Y, quarter <= N", said as a date range so that the date index
    # delivers them in order (a preview of the first rows then reads only those).
    .where(IncomeEntry.date_received.between(bindparam("first", type_=Date), bindparam("last", type_=Date)))
    .order_by(IncomeEntry.date_received, IncomeEntry.id)
)
_FIRST_ENTRIES = _LIVE_ENTRIES.limit(bindparam("count"))


def build_return(
    session: Session,
    quarter: Quarter,
    *,
    council: str = "",
    service_name: str = "",
    now: datetime | None = None,
) -> FinancialReturn:
    """Compute the return for ``quarter`` from the database as it stands."""
    thresholds = load_thresholds(session)
    # One pass over the year's entries feeds the streams, the services, CIPFA and the entry totals.
    actuals = year_actuals(session, quarter)
    services, overall, rows = income_summary(session, quarter, actuals, thresholds)
    lines, totals = _stream_lines(rows, overall)
    figures = grant_figures(session, quarter.year, as_of=quarter.last_day)
    milestones = milestone_rows(session, quarter.last_day)
    count = sum(n for by_quarter in actuals.values() for _total, n in by_quarter.values())
    total = sum(t for by_quarter in actuals.values() for t, _n in by_quarter.values())
    return FinancialReturn(
        meta=ReturnMeta(
            council=council,
            service_name=service_name,
            year=quarter.year.start,
            year_label=quarter.year.label,
            quarter=quarter.number,
            period_end=quarter.last_day,
            produced_at=now or datetime.now(UTC),
        ),
        services=services,
        overall=overall,
        quarters=_quarter_bars(rows),
        grants_headline=GrantsHeadline(
            awarded_in_year=figures.awarded_value,
            received_in_year=figures.received_in_year,
            pending_count=figures.pending_count,
            pending_requested=figures.pending_requested,
            weighted_pipeline=figures.weighted_pipeline,
            decided_awarded=figures.decided_awarded,
            decided_unsuccessful=figures.decided_unsuccessful,
            success_rate_count=figures.success_rate_count,
            success_rate_value=figures.success_rate_value,
        ),
        milestone_counts=tuple(RagCount(rag.value, n) for rag, n in rag_counts(milestones).items()),
        streams=lines,
        stream_totals=totals,
        grants=_grants(session, quarter),
        milestones=tuple(
            MilestoneLine(
                project=m.project,
                milestone=m.title,
                owner=m.owner,
                baseline=m.baseline,
                forecast=m.forecast,
                completed=m.completed,
                status=m.status.value,
                rag=m.rag.value,
                slippage_days=m.slippage_days,
                latest_update=m.latest_update,
            )
            for m in sorted(milestones, key=lambda m: (_RAG_ORDER[m.rag], m.forecast, m.project, m.title))
        ),
        outcomes=_outcomes(session),
        cipfa=_cipfa(session, rows),
        entries_summary=EntriesSummary(int(count), int(total)),
        entries=LiveEntries(session, quarter),
    )


_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.COMPLETE: 3, Rag.CANCELLED: 4}


# Snapshots -----------------------------------------------------------------------------------


def _encode(value):
    if dataclasses.is_dataclass(value):
        return {
            f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "entries"
        }
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def dump_return(report: FinancialReturn) -> str:
    """JSON of every figure and every entry line: what a submitted return keeps."""
    data = _encode(report)
    data["entries"] = [_encode(entry) for entry in report.entries]
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _decode(kind, value):
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _decode(options[0], value)
    if origin is tuple:
        inner = typing.get_args(kind)[0]
        return tuple(_decode(inner, v) for v in value)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(
            **{
                f.name: _decode(hints[f.name], value[f.name])
                for f in dataclasses.fields(kind)
                if f.name != "entries" and f.name in value
            }
        )
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    return value


def load_return(data: str) -> FinancialReturn:
    raw = json.loads(data)
    report = _decode(FinancialReturn, raw)
    entries = tuple(_decode(EntryLine, entry) for entry in raw.get("entries", []))
    return dataclasses.replace(report, entries=entries)


def return_for(session: Session, quarter: Quarter, **meta) -> FinancialReturn:
    """The submitted figures where the quarter's return was submitted, otherwise the live ones."""
    snapshot = session.scalar(
        select(ReturnSnapshot).where(
            ReturnSnapshot.year == quarter.year.start, ReturnSnapshot.quarter == quarter.number
        )
    )
    if snapshot is not None:
        return load_return(snapshot.data)
    return build_return(session, quarter, **meta)
