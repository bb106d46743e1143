"""The home page's figures: the year to date against profile, eight quarters of income, the grant
pipeline, milestones by RAG and the streams still needing commentary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import Budget, IncomeTotal
from incometrack.periods import PERIOD_NAMES, MonthPeriod, Quarter, quarters_back
from incometrack.rag import Rag
from incometrack.reports.grants import PipelineColumn, pipeline
from incometrack.reports.income import live_as_at, received_since
from incometrack.reports.milestones import MilestoneRow, milestone_rows, rag_counts
from incometrack.reports.returns import IncomeFigures, QuarterBar, ServiceSummary, income_summary


@dataclass(frozen=True)
class CommentaryNeeded:
    stream_id: int
    code: str
    name: str
    rag: Rag


@dataclass(frozen=True)
class MonthBar:
    label: str  #: "Apr"
    actual: int | None  #: None for months after the as-at month
    profiled: int


@dataclass(frozen=True)
class Dashboard:
    today: date
    #: the latest month that has ended: every income figure is to its last day
    as_at: MonthPeriod
    quarter: Quarter  #: the as-at month's quarter, whose commentary is due
    services: tuple[ServiceSummary, ...]
    overall: IncomeFigures
    #: income recorded with dates after the as-at day, by service and in all: not in the figures
    received_since: dict[str, int]
    received_since_total: int
    months: tuple[MonthBar, ...]
    recent_quarters: tuple[QuarterBar, ...]
    pipeline: tuple[PipelineColumn, ...]
    milestone_counts: dict[Rag, int]
    overdue: tuple[MilestoneRow, ...]
    needing_commentary: tuple[CommentaryNeeded, ...]


def recent_quarters(session: Session, as_at: MonthPeriod, count: int = 8) -> tuple[QuarterBar, ...]:
    """Actual income and profiled budget for ``count`` quarters ending with ``as_at``'s: two grouped
    queries. The quarter in progress is counted to the as-at month on both sides (the page says
    so); nothing after it counts (DOMAIN.md)."""
    quarters = quarters_back(as_at.quarter, count)
    years = sorted({q.year.start for q in quarters})
    # By month period, from the kept totals (a row a stream and month, however many entries).
    actual = {
        (year, period): int(total)
        for year, period, total in session.execute(
            select(IncomeTotal.financial_year, IncomeTotal.period, func.sum(IncomeTotal.amount))
            .where(IncomeTotal.financial_year.in_(years))
            .group_by(IncomeTotal.financial_year, IncomeTotal.period)
        )
    }
    profiled = {
        (year, period): int(value or 0)
        for year, *months in session.execute(
            select(Budget.year, *(func.sum(getattr(Budget, f"p{n}")) for n in range(1, 13)))
            .where(Budget.year.in_(years))
            .group_by(Budget.year)
        )
        for period, value in enumerate(months, start=1)
    }

    def to_date(by_month: dict[tuple[int, int], int], quarter: Quarter) -> int:
        return sum(
            by_month.get((month.year.start, month.number), 0)
            for month in quarter.months
            if month.last_day <= as_at.last_day
        )

    return tuple(
        QuarterBar(label=q.label, actual=to_date(actual, q), profiled=to_date(profiled, q)) for q in quarters
    )


def month_bars(rows) -> tuple[MonthBar, ...]:
    """Income by month of the year against the monthly profile, from the stream rows already
    computed (no query)."""
    positions = [row.position for row in rows]
    return tuple(
        MonthBar(
            label=month_name,
            actual=None
            if positions and positions[0].monthly[k] is None
            else sum(p.monthly[k] or 0 for p in positions),
            profiled=sum(p.months[k] for p in positions),
        )
        for k, month_name in enumerate(PERIOD_NAMES)
    )


def build_dashboard(session: Session, today: date) -> Dashboard:
    """The home page as at the latest month that has ended (DOMAIN.md), with what has been
    received since beside it."""
    as_at = live_as_at(today)
    services, overall, rows = income_summary(session, as_at)
    milestones = milestone_rows(session, today)
    since = received_since(session, as_at, today)
    by_service: dict[str, int] = {}
    for row in rows:
        by_service[row.service] = by_service.get(row.service, 0) + since.get(row.stream.id, 0)
    return Dashboard(
        today=today,
        as_at=as_at,
        quarter=as_at.quarter,
        services=services,
        overall=overall,
        received_since=by_service,
        received_since_total=sum(since.values()),
        months=month_bars(rows),
        recent_quarters=recent_quarters(session, as_at),
        pipeline=tuple(pipeline(session)),
        milestone_counts=rag_counts(milestones),
        overdue=tuple(m for m in milestones if m.rag is Rag.RED),
        needing_commentary=tuple(
            CommentaryNeeded(row.stream.id, row.stream.code, row.stream.name, row.position.rag)
            for row in rows
            if row.position.commentary_missing
        ),
    )


#: How far ahead "your work" on the home page looks.
MY_WORK_DAYS = 14


@dataclass(frozen=True)
class MyWork:
    """What is someone's own to do: reports and payments of the bids they lead, and the milestones
    they own or whose project they lead, overdue or due within :data:`MY_WORK_DAYS`."""

    due: list  #: grants.DueItem, overdue and late first
    overdue_milestones: list  #: milestones.MilestoneRow
    due_milestones: list

    @property
    def empty(self) -> bool:
        return not (self.due or self.overdue_milestones or self.due_milestones)


def my_work(session: Session, today: date, user_id: int) -> MyWork:
    from incometrack.reports import grants as grant_reports
    from incometrack.reports import milestones as milestone_reports

    rows = milestone_reports.milestone_rows(
        session, today, milestone_reports.MilestoneFilters(involving_user_id=user_id)
    )
    groups = milestone_reports.group_by_urgency(rows, today, days=MY_WORK_DAYS)
    return MyWork(
        grant_reports.due_soon(session, today, days=MY_WORK_DAYS, lead_id=user_id),
        groups.overdue,
        groups.due_soon,
    )
