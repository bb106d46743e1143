"""The quarterly financial resilience return: computed once, rendered by HTML, XLSX and PDF alike.

:func:`build_return` gathers every figure with SQL aggregates into frozen dataclasses. The
year-to-date income entries are not held in memory: the return carries an iterable that streams
them from the database each time a renderer walks it. A submitted return is kept as JSON
(:func:`dump_return`) and read back (:func:`load_return`) so that its figures never change.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from itertools import islice

from sqlalchemy import Date, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from incometrack.models import (
    PENDING_STATUSES,
    WON_STATUSES,
    BidStatus,
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
    MilestoneStatus,
    Outcome,
    Programme,
    Project,
    ReturnSnapshot,
    Service,
    Site,
    StreamStatus,
    bid_outcomes,
    project_outcomes,
)
from incometrack.money import percent_of
from incometrack.periods import FinancialYear, MonthPeriod, Quarter, format_date, uk_date
from incometrack.rag import IncomeThresholds, Rag, income_rag
from incometrack.reports.grants import AWARDED_TOTAL, bid_states, grant_figures
from incometrack.reports.impact import Impact, build_impact
from incometrack.reports.income import (
    AsAt,
    StreamPosition,
    budget_figures,
    load_thresholds,
    month_of,
    stream_positions,
    year_actuals,
)
from incometrack.reports.milestones import MilestoneRow, milestone_rows, rag_counts
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

#: What a success rate reads before any bid has been decided (never a blank or 0%), in every
#: rendering of the return.
NO_DECISIONS = "No decisions yet"


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
    #: a budget monitoring pack as at the end of month period ``period``, not a quarterly return
    monitoring: bool = False
    period: int | None = None

    @property
    def draft(self) -> bool:
        """Every file of a return says DRAFT until the return is submitted (DOMAIN.md); a
        monitoring pack is never submitted, so never a draft of anything."""
        return self.submitted_at is None and not self.monitoring

    @property
    def title(self) -> str:
        """The return's title, ending "DRAFT" before it is submitted; or the monitoring pack's,
        ``Budget monitoring 2026-27 P7 (to 31 Oct 2026)``."""
        if self.monitoring:
            return f"Budget monitoring {self.year_label} P{self.period} (to {format_date(self.period_end)})"
        title = f"Financial resilience return {self.year_label} Q{self.quarter}"
        return f"{title} DRAFT" if self.draft else title

    @property
    def file_stem(self) -> str:
        if self.monitoring:
            return f"budget-monitoring-{self.year_label}-P{self.period:02d}"
        stem = f"financial-resilience-return-{self.year_label}-Q{self.quarter}"
        return f"{stem}-DRAFT" if self.draft else stem


@dataclass(frozen=True)
class IncomeFigures:
    """The figures of one line of income, whether a stream, a service or the total."""

    annual_budget: int
    #: actual income per quarter; None for quarters after the return's
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
    rag: Rag


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
    rag: Rag
    count: int


@dataclass(frozen=True)
class StreamLine:
    code: str
    name: str
    service: str
    category: str
    figures: IncomeFigures
    #: no forecast entered this year up to the quarter: the default stands
    forecast_is_default: bool
    commentary: str
    commentary_missing: bool


@dataclass(frozen=True)
class GrantLine:
    funder: str
    programme: str
    bid: str
    status: BidStatus
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
    status: MilestoneStatus
    rag: Rag
    slippage_days: int
    latest_update: str

    @property
    def slipped(self) -> bool:
        return self.rag is Rag.AMBER


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
class SubmissionNote:
    """Why a return went to committee with Amber or Red streams lacking commentary."""

    reason: str
    streams: tuple[str, ...]  #: the codes of those streams


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
    grants: tuple[GrantLine, ...]
    milestones: tuple[MilestoneLine, ...]
    outcomes: tuple[OutcomeLine, ...]
    #: bids awarded in the year and projects active in it, each counted once
    outcome_totals: OutcomeLine
    cipfa: tuple[CipfaTotal, ...]
    entries_summary: EntriesSummary
    #: set when submitted with commentary missing
    submission_note: SubmissionNote | None = None
    #: the income RAG thresholds the streams were rated by (settings), printed as the key; a
    #: snapshot submitted before they were kept reads the defaults
    thresholds: IncomeThresholds = field(default_factory=IncomeThresholds)
    #: impact and outcomes: measures against targets, consented evidence, the roll-ups (a
    #: snapshot submitted before impact was recorded reads none)
    impact: Impact = field(default_factory=Impact)
    #: the year-to-date entries, streamed on each iteration (not part of equality)
    entries: Iterable[EntryLine] = field(compare=False, repr=False, default=())

    @property
    def streams_needing_commentary(self) -> tuple[StreamLine, ...]:
        return tuple(s for s in self.streams if s.commentary_missing)

    @property
    def submitted(self) -> bool:
        return self.meta.submitted_at is not None

    @property
    def draft(self) -> bool:
        return self.meta.draft


# Building ------------------------------------------------------------------------------------

LIBRARIES_OFF_LINE = "Libraries: not on a CIPFA line"


def outside_cipfa(service: str) -> str:
    return f"{service} (outside CIPFA library statistics)"


def _figures(
    *,
    annual: int,
    actuals: tuple[int | None, ...],
    profiled: int,
    actual: int,
    previous: int,
    forecast: int,
    rag: Rag,
) -> IncomeFigures:
    variance = actual - profiled
    forecast_variance = forecast - annual
    return IncomeFigures(
        annual_budget=annual,
        actuals=actuals,
        profiled_to_date=profiled,
        actual_to_date=actual,
        variance_to_date=variance,
        variance_to_date_pct=percent_of(variance, profiled),
        previous_forecast=previous,
        forecast_outturn=forecast,
        movement=forecast - previous,
        forecast_variance=forecast_variance,
        forecast_variance_pct=percent_of(forecast_variance, annual),
        rag=rag,
    )


def _stream_figures(p: StreamPosition, previous: int | None) -> IncomeFigures:
    """A stream's figures; ``previous`` is the forecast its previous submitted return reported."""
    return _figures(
        annual=p.annual_budget,
        actuals=p.actuals,
        profiled=p.profiled_to_date,
        actual=p.actual_to_date,
        previous=p.previous_forecast if previous is None else previous,
        forecast=p.forecast_outturn,
        rag=p.rag,
    )


def _summed(items: list[IncomeFigures], thresholds: IncomeThresholds, quarter: int) -> IncomeFigures:
    """Lines added up: a service's or the total, rated on its summed figures (DOMAIN.md)."""
    annual = sum(f.annual_budget for f in items)
    forecast = sum(f.forecast_outturn for f in items)
    return _figures(
        annual=annual,
        actuals=tuple(sum(f.actuals[q] or 0 for f in items) if q < quarter else None for q in range(4)),
        profiled=sum(f.profiled_to_date for f in items),
        actual=sum(f.actual_to_date for f in items),
        previous=sum(f.previous_forecast for f in items),
        forecast=forecast,
        rag=income_rag(annual, forecast, thresholds),
    )


@dataclass(frozen=True)
class StreamRef:
    id: int
    code: str
    name: str
    cipfa_line_id: int | None
    #: the stream belongs to the library service, whose income the CIPFA lines report
    library_statistics: bool = False


@dataclass(frozen=True)
class IncomeRow:
    """A stream as the return lists it: who it is, where it stands, and its figures."""

    stream: StreamRef
    service: str
    category: str
    position: StreamPosition
    figures: IncomeFigures


_STREAM_REFS = (
    select(
        IncomeStream.id,
        IncomeStream.code,
        IncomeStream.name,
        IncomeStream.status,
        Service.name,
        IncomeCategory.name,
        IncomeCategory.cipfa_line_id,
        Service.library_statistics,
        Budget.annual,
        Budget.q1,
        Budget.q2,
        Budget.q3,
        Budget.q4,
        *(getattr(Budget, f"p{n}") for n in range(1, 13)),
    )
    .join(Service, IncomeStream.service_id == Service.id)
    .join(IncomeCategory, IncomeStream.category_id == IncomeCategory.id)
    .outerjoin(Budget, and_(Budget.stream_id == IncomeStream.id, Budget.year == bindparam("year")))
    .order_by(IncomeStream.code)
)
_SNAPSHOT_DATA = select(ReturnSnapshot.data).where(
    ReturnSnapshot.year == bindparam("year"), ReturnSnapshot.quarter == bindparam("quarter")
)


def submitted_forecasts(session: Session, quarter: Quarter) -> dict[str, int] | None:
    """The forecast outturn per stream code that ``quarter``'s submitted return reported, or None
    where it was not submitted."""
    data = read(session, _SNAPSHOT_DATA, {"year": quarter.year.start, "quarter": quarter.number}).scalar()
    if data is None:
        return None
    return {line.code: line.figures.forecast_outturn for line in load_return(data, entries=False).streams}


def income_summary(
    session: Session,
    as_at: AsAt,
    actuals: dict | None = None,
    thresholds: IncomeThresholds | None = None,
) -> tuple[tuple[ServiceSummary, ...], IncomeFigures, list[IncomeRow]]:
    """Totals by service and overall as at the end of ``as_at`` (a quarter or a month period),
    and the stream rows behind them by stream code (shared by the return, monitoring and the
    dashboard).

    The previous forecast is what the previous quarter's submitted return reported where it was
    submitted (whatever changed since), otherwise the forecast that stood at its end."""
    month = month_of(as_at)
    quarter = month.quarter
    thresholds = thresholds or load_thresholds(session)
    refs, budgets, ceased = [], {}, set()
    for stream_id, code, name, status, service, category, cipfa_line_id, library, *figures in read(
        session, _STREAM_REFS, {"year": quarter.year.start}
    ):
        refs.append((StreamRef(stream_id, code, name, cipfa_line_id, library), service, category))
        if figures[0] is not None:
            budgets[stream_id] = budget_figures(figures)
        if status is StreamStatus.CEASED:
            ceased.add(stream_id)
    positions = stream_positions(
        session, month, actuals=actuals, thresholds=thresholds, budgets=budgets, ceased=frozenset(ceased)
    )
    submitted = submitted_forecasts(session, quarter.previous()) if quarter.number > 1 else None
    rows = []
    for stream, service, category in refs:
        position = positions.get(stream.id)
        if position is not None:
            previous = submitted.get(stream.code) if submitted is not None else None
            rows.append(IncomeRow(stream, service, category, position, _stream_figures(position, previous)))
    by_service: dict[str, list[IncomeFigures]] = {}
    for row in rows:
        by_service.setdefault(row.service, []).append(row.figures)
    n = quarter.number
    summaries = tuple(
        ServiceSummary(name, _summed(by_service[name], thresholds, n)) for name in sorted(by_service)
    )
    return summaries, _summed([row.figures for row in rows], thresholds, n), rows


def _stream_lines(rows: list[IncomeRow]) -> tuple[StreamLine, ...]:
    return tuple(
        StreamLine(
            code=row.stream.code,
            name=row.stream.name,
            service=row.service,
            category=row.category,
            figures=row.figures,
            forecast_is_default=row.position.forecast_is_default,
            commentary=row.position.commentary,
            commentary_missing=row.position.commentary_missing,
        )
        for row in rows
    )


def _quarter_bars(rows: list[IncomeRow], overall: IncomeFigures) -> tuple[QuarterBar, ...]:
    return tuple(
        QuarterBar(
            label=f"Q{q + 1}",
            actual=overall.actuals[q],
            profiled=sum(row.position.profile_to_date[q] for row in rows),
        )
        for q in range(4)
    )


@cache
def _grants_statement():
    """The bids of the year as they stood at the quarter end (DOMAIN.md, the return's Grants):
    pending, awarded or in delivery then, or whose status changed in the year up to it; with
    received and spent to the quarter end and the next funder report then outstanding."""
    first, as_of = bindparam("first", type_=Date), bindparam("as_of", type_=Date)
    state = bid_states(first, as_of)
    live = or_(
        state.c.status.in_(PENDING_STATUSES | {BidStatus.AWARDED, BidStatus.IN_DELIVERY}),
        state.c.moved_in_year == 1,
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
            state.c.status,
            case((GrantBid.submitted_on <= as_of, GrantBid.submitted_on)),
            func.coalesce(state.c.awarded_on, state.c.refused_on),
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
        .join(state, state.c.bid_id == GrantBid.id)
        .join(Funder, GrantBid.funder_id == Funder.id)
        .outerjoin(Programme, GrantBid.programme_id == Programme.id)
        .outerjoin(received, received.c.bid_id == GrantBid.id)
        .outerjoin(spent, spent.c.bid_id == GrantBid.id)
        .outerjoin(next_due, next_due.c.bid_id == GrantBid.id)
        .outerjoin(report, and_(report.bid_id == GrantBid.id, report.due_on == next_due.c.due))
        .where(live)
        .order_by(Funder.name, GrantBid.title, GrantBid.id)
    )


_BID_OUTCOMES = (
    select(bid_outcomes.c.bid_id, Outcome.id, Outcome.name).join(Outcome).order_by(Outcome.position)
)


_PROJECTS = (
    select(Project.id, Project.name, project_outcomes.c.outcome_id)
    .outerjoin(project_outcomes, project_outcomes.c.project_id == Project.id)
    .order_by(Project.name)
)
_OUTCOME_NAMES = select(Outcome.id, Outcome.name).order_by(Outcome.position)
_CIPFA_LINES = select(CipfaLine.id, CipfaLine.name).order_by(CipfaLine.position)


@dataclass(frozen=True)
class _Awards:
    """The bids awarded in the year up to the as-at day (by the date of the award), with their
    value and outcomes: read off the grants section's rows, which list every one of them."""

    value: dict[int, int]
    outcomes: dict[int, list[int]]


def _grants(session: Session, quarter: AsAt) -> tuple[tuple[GrantLine, ...], _Awards]:
    outcome_names: dict[int, list[str]] = {}
    outcome_ids: dict[int, list[int]] = {}
    for bid_id, outcome_id, name in read(session, _BID_OUTCOMES):
        outcome_names.setdefault(bid_id, []).append(name)
        outcome_ids.setdefault(bid_id, []).append(outcome_id)
    awards: dict[int, int] = {}
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
        if won and decision_on is not None and decision_on >= quarter.year.first_day:
            awards[bid_id] = awarded
        lines.append(
            GrantLine(
                funder=funder,
                programme=programme or "",
                bid=title,
                status=status,
                submitted_on=submitted_on,
                decision_on=decision_on,
                # An award's dates and reports exist only once it is awarded: a bid still pending
                # at the quarter end shows none of what its later award brought.
                start_on=start_on if won else None,
                end_on=end_on if won else None,
                requested=requested,
                awarded=awarded,
                match_funding=int(match_funding),
                received=int(got),
                spent=int(used),
                remaining=awarded - int(used) if won else None,
                next_report=(due_title or "") if won else "",
                next_report_due=due if won else None,
                outcomes="; ".join(outcome_names.get(bid_id, [])),
            )
        )
    return tuple(lines), _Awards(awards, {bid: outcome_ids.get(bid, []) for bid in awards})


def _active_projects(milestones: list[MilestoneRow], year: FinancialYear) -> set[int]:
    """Projects active in the year to the as-at day: with a milestone open then, or one completed
    within the year (``milestones`` as they stood that day)."""
    return {
        m.project_id
        for m in milestones
        if m.status not in (MilestoneStatus.COMPLETE, MilestoneStatus.CANCELLED)
        or (m.completed is not None and m.completed >= year.first_day)
    }


def _outcomes(
    session: Session, quarter: AsAt, milestones: list[MilestoneRow], awarded: _Awards
) -> tuple[tuple[OutcomeLine, ...], OutcomeLine]:
    """Per Libraries Deliver outcome, the grants awarded in the year to date and the projects
    active in it; and the totals, counting a bid or project serving several outcomes once."""
    awards = awarded.value
    bids_by_outcome: dict[int, set[int]] = {}
    for bid_id, outcome_ids in awarded.outcomes.items():
        for outcome_id in outcome_ids:
            bids_by_outcome.setdefault(outcome_id, set()).add(bid_id)
    active = _active_projects(milestones, quarter.year)
    names: dict[int, str] = {}
    projects_by_outcome: dict[int, list[str]] = {}
    for project_id, name, outcome_id in read(session, _PROJECTS):
        if project_id in active:
            names[project_id] = name
            if outcome_id is not None:
                projects_by_outcome.setdefault(outcome_id, []).append(name)
    lines = tuple(
        OutcomeLine(
            outcome=name,
            grants_awarded=len(bids_by_outcome.get(outcome_id, ())),
            grants_value=sum(awards[b] for b in bids_by_outcome.get(outcome_id, ())),
            projects=len(projects_by_outcome.get(outcome_id, [])),
            project_names="; ".join(projects_by_outcome.get(outcome_id, [])),
        )
        for outcome_id, name in read(session, _OUTCOME_NAMES)
    )
    total = OutcomeLine(
        outcome="Total (each grant and project once)",
        grants_awarded=len(awards),
        grants_value=sum(awards.values()),
        projects=len(names),
        project_names="",
    )
    return lines, total


def _cipfa(session: Session, rows: list[IncomeRow]) -> tuple[CipfaTotal, ...]:
    """Year-to-date income on each CIPFA line (DOMAIN.md): the library service's (known by its
    mark, whatever it is called) by its categories' lines, then its income on no line, then each
    other service whatever its categories; together all the year's income to date."""
    libraries: dict[int | None, int] = {}
    others: dict[str, int] = {}
    for row in rows:
        actual = row.figures.actual_to_date
        if row.stream.library_statistics:
            line = row.stream.cipfa_line_id
            libraries[line] = libraries.get(line, 0) + actual
        else:
            others[row.service] = others.get(row.service, 0) + actual
    lines = [CipfaTotal(name, libraries.get(line_id, 0)) for line_id, name in read(session, _CIPFA_LINES)]
    lines.append(CipfaTotal(LIBRARIES_OFF_LINE, libraries.get(None, 0)))
    lines.extend(CipfaTotal(outside_cipfa(service), others[service]) for service in sorted(others))
    return tuple(lines)


class LiveEntries:
    """The year-to-date entries, streamed in batches from the database on each iteration."""

    def __init__(self, session: Session, quarter: AsAt, batch: int = 5000) -> None:
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
    as_at: AsAt,
    *,
    council: str = "",
    service_name: str = "",
    now: datetime | None = None,
    monitoring: bool = False,
) -> FinancialReturn:
    """Compute the return as at the end of ``as_at``: a quarter (the quarterly return) or any
    month period (``monitoring``: the budget monitoring pack). Every section uses only what was
    true on that day (DOMAIN.md), whenever it is computed."""
    month = month_of(as_at)
    quarter = month.quarter
    thresholds = load_thresholds(session)
    # One read of the year's kept totals feeds the streams, the services, CIPFA and the entry totals.
    actuals = year_actuals(session, month)
    services, overall, rows = income_summary(session, month, actuals, thresholds)
    figures = grant_figures(session, month.year, as_of=month.last_day)
    milestones = milestone_rows(session, month.last_day)
    grants, awards = _grants(session, month)
    outcomes, outcome_totals = _outcomes(session, month, milestones, awards)
    produced_at = now or datetime.now(UTC)
    # consents are read for the day the pack is produced: an item withdrawn since is withheld
    impact = build_impact(session, quarter, on=month.last_day, consent_on=uk_date(produced_at))
    count = sum(n for by_period in actuals.values() for _total, n in by_period.values())
    total = sum(t for by_period in actuals.values() for t, _n in by_period.values())
    return FinancialReturn(
        meta=ReturnMeta(
            council=council,
            service_name=service_name,
            year=month.year.start,
            year_label=month.year.label,
            quarter=quarter.number,
            period_end=month.last_day,
            produced_at=produced_at,
            monitoring=monitoring,
            period=month.number,
        ),
        services=services,
        overall=overall,
        quarters=_quarter_bars(rows, overall),
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
        milestone_counts=tuple(RagCount(rag, n) for rag, n in rag_counts(milestones).items()),
        streams=_stream_lines(rows),
        grants=grants,
        milestones=tuple(
            MilestoneLine(
                project=m.project,
                milestone=m.title,
                owner=m.owner,
                baseline=m.baseline,
                forecast=m.forecast,
                completed=m.completed,
                status=m.status,
                rag=m.rag,
                slippage_days=m.slippage_days,
                latest_update=m.latest_update,
            )
            for m in sorted(milestones, key=lambda m: (_RAG_ORDER[m.rag], m.forecast, m.project, m.title))
        ),
        outcomes=outcomes,
        outcome_totals=outcome_totals,
        cipfa=_cipfa(session, rows),
        entries_summary=EntriesSummary(int(count), int(total)),
        thresholds=thresholds,
        impact=impact,
        entries=LiveEntries(session, month),
    )


def build_monitoring(session: Session, month: MonthPeriod, **meta) -> FinancialReturn:
    """The budget monitoring pack as at the end of ``month``: the return's computation, sheets
    and rules for any month end; never submitted, never frozen."""
    return build_return(session, month, monitoring=True, **meta)


_RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.COMPLETE: 3, Rag.CANCELLED: 4}


# Snapshots -----------------------------------------------------------------------------------

#: the layout of a snapshot's JSON; 1 (no "format" key) is the flat layout before figures were
#: shared by streams, services and the total, read by :func:`_upgrade_from_1`
SNAPSHOT_FORMAT = 2


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
    if isinstance(value, enum.Enum):
        return value.value
    return value


def dump_return(report: FinancialReturn) -> str:
    """JSON of every figure and every entry line: what a submitted return keeps."""
    data = _encode(report)
    data["format"] = SNAPSHOT_FORMAT
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
        hints = _hints(kind)
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
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


@cache
def _hints(kind) -> dict:
    return typing.get_type_hints(kind)


_FIGURE_FIELDS = tuple(f.name for f in dataclasses.fields(IncomeFigures))


def _upgrade_from_1(raw: dict) -> dict:
    """A snapshot of the first layout in the current one: its figures as submitted, moved into
    the shared figures type. Services had no quarters or previous forecast then: the total's
    stand for the overall line, and a service's previous forecast is taken as its forecast."""
    totals = raw.pop("stream_totals")

    def figures(flat: dict, like: dict | None = None) -> dict:
        merged = {**(like or {}), **flat}
        merged.setdefault("actuals", [None] * 4)
        merged.setdefault("previous_forecast", merged["forecast_outturn"])
        merged.setdefault("movement", merged["forecast_outturn"] - merged["previous_forecast"])
        return {name: merged[name] for name in _FIGURE_FIELDS}

    raw["streams"] = [
        {
            "code": s["code"],
            "name": s["name"],
            "service": s["service"],
            "category": s["category"],
            "figures": figures(s),
            "forecast_is_default": s["forecast_is_default"],
            "commentary": s["commentary"],
            "commentary_missing": s["commentary_missing"],
        }
        for s in raw["streams"]
    ]
    raw["overall"] = figures(raw["overall"], totals)
    for service in raw["services"]:
        service["figures"] = figures(service["figures"])
    outcomes = raw["outcomes"]
    raw["outcome_totals"] = {
        "outcome": "Total",
        "grants_awarded": sum(o["grants_awarded"] for o in outcomes),
        "grants_value": sum(o["grants_value"] for o in outcomes),
        "projects": sum(o["projects"] for o in outcomes),
        "project_names": "",
    }
    return raw


def load_return(data: str, *, entries: bool = True) -> FinancialReturn:
    """A submitted return read back from its JSON (without its entry lines if not ``entries``)."""
    raw = json.loads(data)
    if raw.get("format", 1) == 1:
        raw = _upgrade_from_1(raw)
    report = _decode(FinancialReturn, raw)
    if not entries:
        return report
    lines = tuple(_decode(EntryLine, entry) for entry in raw.get("entries", []))
    return dataclasses.replace(report, entries=lines)


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
