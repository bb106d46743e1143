"""The home page's figures: the year to date against profile, eight quarters of income, the grant
pipeline, milestones by RAG and the streams still needing commentary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import Budget, IncomeEntry
from incometrack.periods import Quarter, quarter_for, quarters_back
from incometrack.rag import Rag
from incometrack.reports.grants import PipelineColumn, pipeline
from incometrack.reports.milestones import MilestoneRow, milestone_rows, rag_counts
from incometrack.reports.returns import IncomeFigures, QuarterBar, ServiceSummary, income_summary


@dataclass(frozen=True)
class CommentaryNeeded:
    stream_id: int
    code: str
    name: str
    rag: Rag


@dataclass(frozen=True)
class Dashboard:
    today: date
    quarter: Quarter
    services: tuple[ServiceSummary, ...]
    overall: IncomeFigures
    recent_quarters: tuple[QuarterBar, ...]
    pipeline: tuple[PipelineColumn, ...]
    milestone_counts: dict[Rag, int]
    overdue: tuple[MilestoneRow, ...]
    needing_commentary: tuple[CommentaryNeeded, ...]


def recent_quarters(session: Session, last: Quarter, count: int = 8) -> tuple[QuarterBar, ...]:
    """Actual income and profiled budget for ``count`` quarters ending with ``last``: two grouped queries."""
    quarters = quarters_back(last, count)
    years = sorted({q.year.start for q in quarters})
    actual = {
        (year, number): int(total)
        for year, number, total in session.execute(
            select(IncomeEntry.financial_year, IncomeEntry.quarter, func.sum(IncomeEntry.amount))
            .where(IncomeEntry.financial_year.in_(years))
            .group_by(IncomeEntry.financial_year, IncomeEntry.quarter)
        )
    }
    profiled = {
        year: tuple(int(v or 0) for v in values)
        for year, *values in session.execute(
            select(
                Budget.year,
                func.sum(Budget.q1),
                func.sum(Budget.q2),
                func.sum(Budget.q3),
                func.sum(Budget.q4),
            )
            .where(Budget.year.in_(years))
            .group_by(Budget.year)
        )
    }
    return tuple(
        QuarterBar(
            label=q.label,
            actual=actual.get((q.year.start, q.number), 0),
            profiled=profiled.get(q.year.start, (0, 0, 0, 0))[q.number - 1],
        )
        for q in quarters
    )


def build_dashboard(session: Session, today: date) -> Dashboard:
    quarter = quarter_for(today)
    services, overall, rows = income_summary(session, quarter)
    milestones = milestone_rows(session, today)
    return Dashboard(
        today=today,
        quarter=quarter,
        services=services,
        overall=overall,
        recent_quarters=recent_quarters(session, quarter),
        pipeline=tuple(pipeline(session)),
        milestone_counts=rag_counts(milestones),
        overdue=tuple(m for m in milestones if m.rag is Rag.RED),
        needing_commentary=tuple(
            CommentaryNeeded(row.stream.id, row.stream.code, row.stream.name, row.position.rag)
            for row in rows
            if row.position.commentary_missing
        ),
    )
