"""Milestones and projects as they stand on a date: RAG, slippage and the latest update.

The dashboard and screens rate at today; the quarterly return at the quarter's last day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
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
    latest_id = (
        select(MilestoneUpdate.milestone_id, func.max(MilestoneUpdate.id).label("update_id"))
        .where(MilestoneUpdate.update_on <= on)
        .group_by(MilestoneUpdate.milestone_id)
        .subquery()
    )
    latest = aliased(MilestoneUpdate)
    owner = aliased(User)
    query = (
        select(Milestone, Project.name, Project.service_id, Project.lead_id, owner.name, latest)
        .join(Project, Milestone.project_id == Project.id)
        .outerjoin(owner, Milestone.owner_id == owner.id)
        .join(latest_id, latest_id.c.milestone_id == Milestone.id)
        .join(latest, latest.id == latest_id.c.update_id)
        .order_by(latest.forecast_due, Milestone.id)
    )
    if filters.owner_id is not None:
        query = query.where(Milestone.owner_id == filters.owner_id)
    if filters.milestone_id is not None:
        query = query.where(Milestone.id == filters.milestone_id)
    if filters.project_id is not None:
        query = query.where(Milestone.project_id == filters.project_id)
    if filters.service_id is not None:
        query = query.where(Project.service_id == filters.service_id)
    if filters.involving_user_id is not None:
        user_id = filters.involving_user_id
        query = query.where((Milestone.owner_id == user_id) | (Project.lead_id == user_id))
    rows = []
    for milestone, project, service_id, lead_id, owner_name, state in session.execute(query):
        rag, slip = milestone_rag(
            complete=state.status is MilestoneStatus.COMPLETE,
            cancelled=state.status is MilestoneStatus.CANCELLED,
            baseline=state.baseline_due,
            forecast=state.forecast_due,
            on=on,
        )
        rows.append(
            MilestoneRow(
                id=milestone.id,
                project_id=milestone.project_id,
                project=project,
                service_id=service_id,
                project_lead_id=lead_id,
                title=milestone.title,
                owner_id=milestone.owner_id,
                owner=owner_name or "",
                baseline=state.baseline_due,
                forecast=state.forecast_due,
                completed=state.completed_on,
                status=state.status,
                rag=rag,
                slippage_days=slip,
                latest_update=state.note,
                latest_update_on=state.update_on,
                version=milestone.version,
            )
        )
    return rows


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
