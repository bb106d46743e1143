"""Milestones from a file, each added to the project it names through the milestones service
(:func:`milestones.add_milestone`, checked first by :func:`milestones.milestone_problems`)."""

from __future__ import annotations

import difflib
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import (
    Milestone,
    MilestoneStatus,
    Project,
    User,
)
from incometrack.services import locks
from incometrack.services import milestones as milestone_service
from incometrack.services.imports.common import (
    KEY_COLUMNS,
    ImportResult,
    RowError,
    cell_text,
    data_rows,
    finish_batch,
    open_table,
    optional_date,
    required_date,
    start_batch,
)

#: The file's column for each field :func:`milestones.milestone_problems` may find wrong.
_COLUMN_OF = {"title": "milestone", "completed_on": "completed_on"}


def import_milestones(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Add milestones to projects from ``project,milestone,owner_email,baseline_due,forecast_due``
    and optionally ``completed_on,status`` (default: complete where a completion date is given,
    otherwise not started). Projects are named as they are recorded; a milestone a project already
    has (by its title) is a duplicate. Each starts its history with the imported figures."""
    result, table = open_table("milestones", data, filename, sheet, dry_run)
    if table is None:
        return result
    if not dry_run:
        locks.serialise_recording(session)  # what is recorded already is read under the lock
    today = today or date.today()
    projects = {
        name.lower(): (project_id, name)
        for project_id, name in session.execute(select(Project.id, Project.name))
    }
    users = dict(session.execute(select(func.lower(User.email), User.id)).all())
    recorded = {
        (project_id, title.lower())
        for project_id, title in session.execute(select(Milestone.project_id, Milestone.title))
    }
    statuses = {status.value: status for status in MilestoneStatus}
    accepted: list[dict[str, object]] = []
    for number, cells in data_rows(table, result, KEY_COLUMNS["milestones"], "a project or a milestone"):
        errors: list[RowError] = []
        project_name = cell_text(table.cell(cells, "project"))
        title = cell_text(table.cell(cells, "milestone"))
        owner = cell_text(table.cell(cells, "owner_email")).lower()
        project = projects.get(project_name.lower())
        if project is None:
            nearest = difflib.get_close_matches(project_name, [name for _, name in projects.values()], n=3)
            hint = f"; the nearest: {', '.join(nearest)}" if nearest else ""
            errors.append(RowError(number, "project", f"No project is called this{hint}", project_name))
        if owner and owner not in users:
            errors.append(RowError(number, "owner_email", "No user has this email", owner))
        baseline = required_date(table, cells, "baseline_due", number, errors)
        forecast = required_date(table, cells, "forecast_due", number, errors)
        completed = optional_date(table, cells, "completed_on", number, errors)
        status_text = cell_text(table.cell(cells, "status")).lower().replace("_", " ")
        status = statuses.get(status_text) if status_text else (
            MilestoneStatus.COMPLETE if completed else MilestoneStatus.NOT_STARTED
        )  # fmt: skip
        if status is None:
            errors.append(
                RowError(number, "status", f"Status must be one of: {', '.join(statuses)}", status_text)
            )
        problems = milestone_service.milestone_problems(
            title=title, status=status or MilestoneStatus.NOT_STARTED, completed_on=completed, today=today
        )
        for field, message in problems.items():
            if status is not None or field == "title":  # an unreadable status is reported already
                errors.append(RowError(number, _COLUMN_OF[field], message))
        if errors:
            result.add_errors(errors)
            continue
        key = (project[0], title.lower())
        if key in recorded:
            result.duplicates += 1
            continue
        recorded.add(key)
        accepted.append(
            {"project_id": project[0], "title": title, "owner_id": users.get(owner) if owner else None,
             "baseline_due": baseline, "forecast_due": forecast, "completed_on": completed, "status": status}
        )  # fmt: skip
    result.imported = len(accepted)
    names = {project_id: name for project_id, name in projects.values()}
    result.sample = [{"project": names[m["project_id"]], "milestone": m["title"]} for m in accepted[:10]]
    if not result.ok or dry_run:
        return result
    batch = start_batch(session, result, actor)
    for values in accepted:
        project = session.get(Project, values.pop("project_id"))
        milestone_service.add_milestone(
            session, project, **values, actor=actor, today=today, note=f"Imported from {filename}"
        )
    finish_batch(session, batch, result, actor)
    return result
