"""Milestones and projects as they stand on a date: RAG, slippage and the latest update.

The dashboard and screens rate at today; the quarterly return at the quarter's last day.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import Date, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from incometrack.models import (
    GrantBid,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    Project,
    Service,
    User,
    project_outcomes,
)
from incometrack.rag import Rag, milestone_rag, worst
from incometrack.reports.sql import read


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    project_id: int
    project: str
    service_id: int
    project_lead_id: int
    title: str
    owner_id: int | None
    owner: str
    baseline: date
    forecast: date
    completed: date | None
    status: MilestoneStatus
    rag: Rag
    slippage_days: int
    latest_update: str
    latest_update_on: date | None
    version: int

    @property
    def slipped(self) -> bool:
        """Rated Amber: its forecast lies after its baseline (the slippage is shown beside it)."""
        return self.rag is Rag.AMBER


@dataclass(frozen=True)
class MilestoneFilters:
    owner_id: int | None = None
    milestone_id: int | None = None
    project_id: int | None = None
    service_id: int | None = None
    #: milestones a lead may update: of projects they lead, or owned by them
    involving_user_id: int | None = None


def milestone_rows(
    session: Session, on: date, filters: MilestoneFilters = MilestoneFilters()
) -> list[MilestoneRow]:
    """Every matching milestone as it stood at ``on`` and rated then, in forecast-date order.

    Each update records the milestone's whole state, so the latest update made on or before
    ``on`` says what the baseline, forecast, status and completion were that day; a milestone with
    no update by then did not exist yet. One query: the latest update comes from a grouped
    subquery, not one query per milestone.
    """
    given = {name: value for name, value in dataclasses.asdict(filters).items() if value is not None}
    rows = []
    for (
        milestone_id,
        project_id,
        title,
        owner_id,
        version,
        project,
        service_id,
        lead_id,
        owner_name,
        baseline,
        forecast,
        completed,
        status,
        note,
        update_on,
    ) in read(session, _milestones_statement(frozenset(given)), {"on": on, **given}):
        rag, slip = milestone_rag(
            complete=status is MilestoneStatus.COMPLETE,
            cancelled=status is MilestoneStatus.CANCELLED,
            baseline=baseline,
            forecast=forecast,
            on=on,
        )
        rows.append(
            MilestoneRow(
                id=milestone_id,
                project_id=project_id,
                project=project,
                service_id=service_id,
                project_lead_id=lead_id,
                title=title,
                owner_id=owner_id,
                owner=owner_name or "",
                baseline=baseline,
                forecast=forecast,
                completed=completed,
                status=status,
                rag=rag,
                slippage_days=slip,
                latest_update=note,
                latest_update_on=update_on,
                version=version,
            )
        )
    return rows


@cache
def _milestones_statement(filters: frozenset[str]):
    """The milestones query with the given filters, built once per set of filters (their values
    are bound parameters)."""
    on = bindparam("on", type_=Date)
    # The state at ``on`` is the update dated latest on or before it (ties: the later entered),
    # not the one entered last: a backdated note speaks for its own day only.
    ranked = (
        select(
            MilestoneUpdate.milestone_id,
            MilestoneUpdate.id.label("update_id"),
            func.row_number()
            .over(
                partition_by=MilestoneUpdate.milestone_id,
                order_by=(MilestoneUpdate.update_on.desc(), MilestoneUpdate.id.desc()),
            )
            .label("rank"),
        )
        .where(MilestoneUpdate.update_on <= on)
        .subquery()
    )
    latest_id = select(ranked.c.milestone_id, ranked.c.update_id).where(ranked.c.rank == 1).subquery()
    # A milestone exists from the day its first record (made when it was created) speaks for: an
    # update backdated before that does not put it in an earlier quarter.
    created = (
        select(MilestoneUpdate.milestone_id, func.min(MilestoneUpdate.id).label("first_id"))
        .group_by(MilestoneUpdate.milestone_id)
        .subquery()
    )
    first = aliased(MilestoneUpdate)
    latest = aliased(MilestoneUpdate)
    owner = aliased(User)
    query = (
        select(
            Milestone.id,
            Milestone.project_id,
            Milestone.title,
            Milestone.owner_id,
            Milestone.version,
            Project.name,
            Project.service_id,
            Project.lead_id,
            owner.name,
            latest.baseline_due,
            latest.forecast_due,
            latest.completed_on,
            latest.status,
            latest.note,
            latest.update_on,
        )
        .join(Project, Milestone.project_id == Project.id)
        .outerjoin(owner, Milestone.owner_id == owner.id)
        .join(latest_id, latest_id.c.milestone_id == Milestone.id)
        .join(latest, latest.id == latest_id.c.update_id)
        .join(created, created.c.milestone_id == Milestone.id)
        .join(first, and_(first.id == created.c.first_id, first.update_on <= on))
        .order_by(latest.forecast_due, Milestone.id)
    )
    if "owner_id" in filters:
        query = query.where(Milestone.owner_id == bindparam("owner_id"))
    if "milestone_id" in filters:
        query = query.where(Milestone.id == bindparam("milestone_id"))
    if "project_id" in filters:
        query = query.where(Milestone.project_id == bindparam("project_id"))
    if "service_id" in filters:
        query = query.where(Project.service_id == bindparam("service_id"))
    if "involving_user_id" in filters:
        user = bindparam("involving_user_id")
        query = query.where((Milestone.owner_id == user) | (Project.lead_id == user))
    return query


def rag_counts(rows: list[MilestoneRow]) -> dict[Rag, int]:
    counts = Counter(row.rag for row in rows)
    return {rag: counts.get(rag, 0) for rag in (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE, Rag.CANCELLED)}


@dataclass(frozen=True)
class MilestoneGroups:
    overdue: list[MilestoneRow]
    due_soon: list[MilestoneRow]  #: due today or in the next 30 days
    later: list[MilestoneRow]
    done: list[MilestoneRow]  #: complete or cancelled


def group_by_urgency(rows: list[MilestoneRow], today: date, days: int = 30) -> MilestoneGroups:
    horizon = today + timedelta(days=days)
    open_rows = [r for r in rows if r.rag not in (Rag.COMPLETE, Rag.CANCELLED)]
    return MilestoneGroups(
        overdue=[r for r in open_rows if r.forecast < today],
        due_soon=[r for r in open_rows if today <= r.forecast <= horizon],
        later=[r for r in open_rows if r.forecast > horizon],
        done=[r for r in rows if r.rag in (Rag.COMPLETE, Rag.CANCELLED)],
    )


@dataclass(frozen=True)
class ProjectRow:
    id: int
    name: str
    service: str
    lead: str
    lead_id: int
    grant: str
    bid_id: int | None
    milestones: int
    rag: Rag | None


@dataclass(frozen=True)
class ProjectFilters:
    service_id: int | None = None
    lead_id: int | None = None
    bid_id: int | None = None
    outcome_id: int | None = None
    rag: Rag | None = None


def project_rows(session: Session, on: date, filters: ProjectFilters = ProjectFilters()) -> list[ProjectRow]:
    """Projects with their RAG (the worst of their milestones'); two queries whatever the size."""
    lead = aliased(User)
    query = (
        select(
            Project.id, Project.name, Service.name, lead.name, Project.lead_id, GrantBid.title, Project.bid_id
        )
        .join(Service, Project.service_id == Service.id)
        .join(lead, Project.lead_id == lead.id)
        .outerjoin(GrantBid, Project.bid_id == GrantBid.id)
        .order_by(Project.name)
    )
    if filters.service_id is not None:
        query = query.where(Project.service_id == filters.service_id)
    if filters.lead_id is not None:
        query = query.where(Project.lead_id == filters.lead_id)
    if filters.bid_id is not None:
        query = query.where(Project.bid_id == filters.bid_id)
    if filters.outcome_id is not None:
        query = query.where(
            Project.id.in_(
                select(project_outcomes.c.project_id).where(
                    project_outcomes.c.outcome_id == filters.outcome_id
                )
            )
        )
    ratings: dict[int, list[Rag]] = {}
    for row in milestone_rows(session, on):
        ratings.setdefault(row.project_id, []).append(row.rag)
    rows = [
        ProjectRow(
            pid,
            name,
            service,
            lead_name,
            lead_id,
            grant or "",
            bid_id,
            len(ratings.get(pid, [])),
            worst(ratings.get(pid, [])),
        )
        for pid, name, service, lead_name, lead_id, grant, bid_id in session.execute(query)
    ]
    if filters.rag is not None:
        rows = [row for row in rows if row.rag is filters.rag]
    return rows
