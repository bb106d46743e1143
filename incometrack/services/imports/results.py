"""Impact results from a file (sign-in sheets and survey exports, summed): each row a quarter's
value of a project's measure, recorded through :func:`impact.record_result` and checked first by
the same rules (:func:`impact.parse_value`, :func:`impact.result_problems`, the quarter's lock)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import periods, policy
from incometrack.models import Measure, MeasureResult, Project, ProjectMeasure, ResultSource, Site, User
from incometrack.services import AS_READ, ValidationErrors, locks
from incometrack.services import impact as impact_service
from incometrack.services.imports.common import (
    KEY_COLUMNS,
    ImportResult,
    RowError,
    cell_text,
    data_rows,
    finish_batch,
    open_table,
    start_batch,
)


def _quarter(
    year_text: str, quarter_text: str, number: int, errors: list[RowError]
) -> periods.Quarter | None:
    """``2026-27`` (or the year it starts, ``2026``) and ``2`` (or ``Q2``)."""
    year = None
    try:
        year = (
            periods.FinancialYear(int(year_text))
            if year_text.isdigit()
            else periods.FinancialYear.parse(year_text)
        )
    except periods.PeriodError as error:
        errors.append(RowError(number, "year", str(error), year_text))
    raw = quarter_text.upper().removeprefix("Q")
    if raw not in ("1", "2", "3", "4"):
        errors.append(RowError(number, "quarter", "Quarter must be 1, 2, 3 or 4 (or Q1 to Q4)", quarter_text))
        return None
    return year.quarter(int(raw)) if year is not None else None


def import_results(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Record results from ``project,measure,year,quarter,value`` and optionally ``site,source``.
    The project must report the measure (its target set); a quarter already holding the same value
    is a duplicate, a different value refuses the file (correct it on the project's impact page);
    a locked quarter refuses the file."""
    result, table = open_table("results", data, filename, sheet, dry_run)
    if table is None:
        return result
    if not dry_run:
        locks.serialise_recording(session)
    today = today or date.today()
    projects = {name.lower(): (pid, name, lead) for pid, name, lead in session.execute(
        select(Project.id, Project.name, Project.lead_id))}  # fmt: skip
    targets = {
        (project_id, name.lower()): target_id
        for target_id, project_id, name in session.execute(
            select(ProjectMeasure.id, ProjectMeasure.project_id, Measure.name).join(Measure)
        )
    }
    measures = {name.lower() for (name,) in session.execute(select(Measure.name))}
    recorded = {
        (target_id, year, quarter): value
        for target_id, year, quarter, value in session.execute(
            select(
                MeasureResult.project_measure_id,
                MeasureResult.year,
                MeasureResult.quarter,
                MeasureResult.value,
            )
        )
    }
    sites = dict(session.execute(select(func.lower(Site.name), Site.id)).all())
    sources = {source.value: source for source in ResultSource}
    locked = locks.locked_quarters(session)
    seen: dict[tuple[int, int, int], int] = {}
    accepted: list[dict[str, object]] = []
    for number, cells in data_rows(table, result, KEY_COLUMNS["results"], "a project or a measure"):
        errors: list[RowError] = []
        project_name = cell_text(table.cell(cells, "project"))
        measure_name = cell_text(table.cell(cells, "measure"))
        project = projects.get(project_name.lower())
        target_id = None
        if project is None:
            errors.append(RowError(number, "project", "No project is called this", project_name))
        elif actor is not None and not policy.can_act_for_lead(actor, project[2]):
            errors.append(RowError(number, "project", "You can only record results for projects you lead",
                                   project_name))  # fmt: skip
        if measure_name.lower() not in measures:
            errors.append(RowError(number, "measure", "No measure is called this", measure_name))
        elif project is not None:
            target_id = targets.get((project[0], measure_name.lower()))
            if target_id is None:
                unreported = (
                    f"{project[1]} does not report this measure: set its target on its impact page first"
                )
                errors.append(RowError(number, "measure", unreported, measure_name))
        quarter = _quarter(
            cell_text(table.cell(cells, "year")), cell_text(table.cell(cells, "quarter")), number, errors
        )
        raw_value = cell_text(table.cell(cells, "value"))
        value = None
        try:
            value = impact_service.parse_value(raw_value, field="value", label="Value")
        except ValidationErrors as error:
            errors.append(RowError(number, "value", error.message, raw_value))
        site_name = cell_text(table.cell(cells, "site"))
        site_id = sites.get(site_name.lower()) if site_name else None
        if site_name and site_id is None:
            errors.append(RowError(number, "site", "No site is called this", site_name))
        source_text = cell_text(table.cell(cells, "source")).lower()
        source = sources.get(source_text) if source_text else None
        if source_text and source is None:
            errors.append(
                RowError(number, "source", f"Source must be one of: {', '.join(sources)}", source_text)
            )
        if quarter is not None:
            if (quarter.year.start, quarter.number) in locked:
                errors.append(RowError(number, "quarter", impact_service.locked_result_message(quarter)))
            if target_id is not None:
                target = session.get(ProjectMeasure, target_id)
                for field, message in impact_service.result_problems(
                    session, target, quarter, None, today=today
                ).items():
                    errors.append(RowError(number, field, message))
        if errors:
            result.add_errors(errors)
            continue
        key = (target_id, quarter.year.start, quarter.number)
        if key in seen:
            result.add_errors([RowError(number, "quarter", f"The file gives this quarter's {measure_name} for"
                                        f" {project[1]} twice (row {seen[key]} too)")])  # fmt: skip
            continue
        seen[key] = number
        if key in recorded:
            if recorded[key] == value:
                result.duplicates += 1
                continue
            shown = impact_service.format_value(recorded[key])
            result.add_errors([RowError(number, "value", f"{quarter.label} is already recorded as {shown}:"
                                        " correct it on the project's impact page", raw_value)])  # fmt: skip
            continue
        accepted.append(
            {"target_id": target_id, "quarter": quarter, "value": value, "site_id": site_id, "source": source,
             "project": project[1], "measure": measure_name}
        )  # fmt: skip
    result.imported = len(accepted)
    result.sample = [
        {"project": r["project"], "measure": r["measure"], "quarter": r["quarter"].label,
         "value": impact_service.format_value(r["value"])}
        for r in accepted[:10]
    ]  # fmt: skip
    if not result.ok or dry_run:
        return result
    batch = start_batch(session, result, actor)
    for r in accepted:
        impact_service.record_result(
            session,
            session.get(ProjectMeasure, r["target_id"]),
            r["quarter"],
            r["value"],
            site_id=r["site_id"],
            source=r["source"],
            actor=actor,
            expected_version=AS_READ,
            batch_id=batch.id,
            today=today,
        )
    finish_batch(session, batch, result, actor)
    return result
