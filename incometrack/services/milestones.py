"""Projects and their milestones: baselines fixed once set, dated updates kept as history.

Finance and admin change everything; a lead changes the projects they lead and the milestones of
those projects or that they own; viewers change nothing. Only an admin re-baselines, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import (
    GrantBid,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    Outcome,
    Project,
    Service,
    User,
)
from incometrack.services import NotAllowed, ValidationErrors, audit, check_version, within


def can_edit_project(user: User, project: Project) -> bool:
    return policy.can_act_for_lead(user, project.lead_id)


def can_update_milestone(user: User, milestone: Milestone) -> bool:
    return policy.can_update_milestone(user, milestone.project.lead_id, milestone.owner_id)


def why_not_project(project: Project) -> str:
    """Why someone who may not change ``project`` is refused: whose project it is."""
    return (
        f"{project.name} is led by {project.lead.name}. Only its lead, finance officers and administrators"
        " can change it or add milestones."
    )


def why_not_milestone(milestone: Milestone) -> str:
    """Why someone who may not update ``milestone`` is refused: whose milestone it is."""
    owner = f" and owned by {milestone.owner.name}" if milestone.owner else ""
    return (
        f"This milestone is on {milestone.project.name}, led by {milestone.project.lead.name}{owner}. Only"
        " they, finance officers and administrators can update it."
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


@dataclass(frozen=True)
class ProjectInput:
    name: str
    lead_id: int
    service_id: int
    bid_id: int | None = None
    outcome_ids: tuple[int, ...] = ()
    description: str = ""
    starts_on: date | None = None
    learning: str = ""


def project_problems(session: Session, data: ProjectInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Enter the project's name"
    elif len(data.name.strip()) > 255:
        errors["name"] = "Name must be 255 characters or fewer"
    lead = session.get(User, data.lead_id) if data.lead_id else None
    if lead is None or not lead.active:
        errors["lead_id"] = "Select the project lead"
    if session.get(Service, data.service_id) is None:
        errors["service_id"] = "Select a service"
    if data.bid_id is not None and session.get(GrantBid, data.bid_id) is None:
        errors["bid_id"] = "Select a grant from the list, or none"
    if set(data.outcome_ids) - set(session.scalars(select(Outcome.id))):
        errors["outcome_ids"] = "Select outcomes from the list"
    return errors


def _apply(session: Session, project: Project, data: ProjectInput) -> None:
    project.name = data.name.strip()
    project.lead_id = data.lead_id
    project.service_id = data.service_id
    project.bid_id = data.bid_id
    project.description = data.description.strip()
    project.starts_on = data.starts_on
    project.learning = data.learning.strip()
    project.outcomes = list(session.scalars(select(Outcome).where(Outcome.id.in_(data.outcome_ids))))


def create_project(session: Session, data: ProjectInput, *, actor: User) -> Project:
    """:raises NotAllowed: for viewers, or a lead creating a project someone else leads.
    :raises ValidationErrors: naming each wrong field."""
    _require(
        policy.can_act_for_lead(actor, data.lead_id),
        "You can only add projects that you lead",
    )
    if errors := project_problems(session, data):
        raise ValidationErrors(errors)
    project = Project()
    _apply(session, project, data)
    session.add(project)
    audit.record_create(session, actor, project, summary=project.name)
    return project


def update_project(
    session: Session, project: Project, data: ProjectInput, *, actor: User, expected_version: int | None
) -> Project:
    """:raises NotAllowed: unless the actor manages projects or leads this one.
    :raises StaleEdit: when the project changed since the form was drawn."""
    _require(can_edit_project(actor, project), "You can only change projects that you lead")
    check_version(project, expected_version, {"name": data.name})
    if errors := project_problems(session, data):
        raise ValidationErrors(errors)
    if not policy.can_act_for_lead(actor, data.lead_id):
        raise ValidationErrors(
            {"lead_id": "Only finance or an administrator can hand a project to another lead"}
        )
    before = audit.snapshot(project)
    _apply(session, project, data)
    audit.record_update(session, actor, project, before, summary=project.name)
    return project


def add_milestone(
    session: Session,
    project: Project,
    *,
    title: str,
    owner_id: int | None,
    baseline_due: date,
    actor: User | None,
    on: date | None = None,
    today: date | None = None,
    forecast_due: date | None = None,
    status: MilestoneStatus = MilestoneStatus.NOT_STARTED,
    completed_on: date | None = None,
    note: str = "Milestone set",
) -> Milestone:
    """A new milestone: its baseline is fixed from now on, and its forecast starts there unless
    given (a milestone imported with its plan so far). ``actor`` None is the command line.

    :raises NotAllowed: unless the actor manages projects or leads this one.
    :raises ValidationErrors: for the problems :func:`milestone_problems` finds, or an unknown owner.
    """
    _require(
        actor is None or can_edit_project(actor, project),
        "You can only add milestones to projects that you lead",
    )
    errors = milestone_problems(
        title=title, status=status, completed_on=completed_on, today=today or date.today()
    )
    if owner_id is not None and session.get(User, owner_id) is None:
        errors["owner_id"] = "Select an owner from the list"
    if errors:
        raise ValidationErrors(errors)
    milestone = Milestone(
        project_id=project.id,
        title=title.strip(),
        owner_id=owner_id,
        baseline_due=baseline_due,
        forecast_due=forecast_due or baseline_due,
        status=status,
        completed_on=completed_on,
    )
    milestone.updates.append(
        MilestoneUpdate(
            kind="created",
            update_on=on or (today or date.today()),
            note=note[:255],
            status=milestone.status,
            forecast_due=milestone.forecast_due,
            completed_on=completed_on,
            baseline_due=baseline_due,
            made_by_id=actor.id if actor else None,
        )
    )
    session.add(milestone)
    audit.record_create(session, actor, milestone, summary=f"{project.name}: {milestone.title}")
    return milestone


def milestone_problems(
    *, title: str, status: MilestoneStatus, completed_on: date | None, today: date
) -> dict[str, str]:
    """A new milestone's title, status and completion date checked, without the database: the rule
    for one added on screen and one imported alike."""
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Enter the milestone"
    elif len(title.strip()) > 255:
        errors["title"] = "Milestone must be 255 characters or fewer"
    return errors | completion_problems(status, completed_on, today)


def completion_problems(status: MilestoneStatus, completed_on: date | None, today: date) -> dict[str, str]:
    """A milestone's status and completion date agree, and it was not completed in the future:
    the rule for an update on screen and a milestone imported alike (keyed ``completed_on``)."""
    errors: dict[str, str] = {}
    if status is MilestoneStatus.COMPLETE and completed_on is None:
        errors["completed_on"] = "Enter the date it was completed"
    if completed_on is not None and status is not MilestoneStatus.COMPLETE:
        errors["completed_on"] = (
            "Only a complete milestone has a completion date: leave it empty or mark it complete"
        )
    if completed_on is not None and completed_on > today:
        errors["completed_on"] = "Completion date must be today or in the past"
    return errors


def update_milestone(
    session: Session,
    milestone: Milestone,
    *,
    forecast_due: date,
    status: MilestoneStatus,
    completed_on: date | None,
    note: str,
    actor: User,
    update_on: date | None = None,
    expected_version: int | None,
    today: date | None = None,
) -> MilestoneUpdate:
    """A dated update: new forecast, status and completion, with a note kept in the history.

    :raises NotAllowed: unless the actor may update this milestone.
    :raises StaleEdit: when the milestone changed since the form was drawn.
    :raises ValidationErrors: for a completion without a date (or the reverse), a future
        completion, or a missing note.
    """
    _require(
        can_update_milestone(actor, milestone), "You can only update milestones of your projects or your own"
    )
    check_version(
        milestone, expected_version, {"forecast_due": forecast_due.isoformat(), "status": status.value}
    )
    today = today or date.today()
    update_on = update_on or today
    errors = completion_problems(status, completed_on, today)
    if update_on > today:
        errors["update_on"] = "Date of the update must be today or in the past"
    if not (note or "").strip():
        errors["note"] = "Enter a note saying what has happened"
    if errors:
        raise ValidationErrors(errors)
    before = audit.snapshot(milestone)
    milestone.forecast_due = forecast_due
    milestone.status = status
    milestone.completed_on = completed_on
    update = MilestoneUpdate(
        kind="update",
        update_on=update_on,
        note=note.strip(),
        status=status,
        forecast_due=forecast_due,
        completed_on=completed_on,
        baseline_due=milestone.baseline_due,
        made_by_id=actor.id,
    )
    milestone.updates.append(update)
    audit.record_update(session, actor, milestone, before, summary=f"{milestone.title}: {note.strip()}"[:255])
    return update


def rebaseline(
    session: Session,
    milestone: Milestone,
    *,
    baseline_due: date,
    reason: str,
    actor: User,
    expected_version: int | None,
    today: date | None = None,
) -> MilestoneUpdate:
    """Move a milestone's baseline (administrators only), keeping the reason in its history.

    :raises NotAllowed: for anyone but an admin.
    :raises ValidationErrors: without a reason.
    """
    _require(policy.can_administer(actor), "Only an administrator can re-baseline a milestone")
    check_version(milestone, expected_version, {"baseline_due": baseline_due.isoformat()})
    if not (reason or "").strip():
        raise ValidationErrors({"reason": "Enter the reason for re-baselining"})
    before = audit.snapshot(milestone)
    old = milestone.baseline_due
    milestone.baseline_due = baseline_due
    update = MilestoneUpdate(
        kind="rebaseline",
        update_on=(today or date.today()),
        status=milestone.status,
        forecast_due=milestone.forecast_due,
        completed_on=milestone.completed_on,
        baseline_due=baseline_due,
        made_by_id=actor.id,
        note=f"Re-baselined from {old:%d/%m/%Y} to {baseline_due:%d/%m/%Y}: {reason.strip()}",
    )
    milestone.updates.append(update)
    audit.record_update(session, actor, milestone, before, summary=f"{milestone.title} re-baselined")
    return update


def change_milestone_details(
    session: Session,
    milestone: Milestone,
    *,
    title: str,
    owner_id: int | None,
    actor: User,
    expected_version: int | None,
) -> Milestone:
    """Rename a milestone or give it another owner (finance, admin or the project's lead)."""
    _require(
        can_edit_project(actor, milestone.project), "You can only change milestones of projects that you lead"
    )
    check_version(milestone, expected_version, {"title": title})
    if not title.strip():
        raise ValidationErrors({"title": "Enter the milestone"})
    if owner_id is not None and session.get(User, owner_id) is None:
        raise ValidationErrors({"owner_id": "Select an owner from the list"})
    values = {"title": within(title, 255, field="title", label="Milestone"), "owner_id": owner_id}
    audit.update(session, actor, milestone, values, summary=values["title"])
    return milestone
