from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from incometrack import charts, downloads, policy
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import arg_id, commit_or_show, conflict_response, form_status, validate_with
from incometrack.models import Milestone, MilestoneStatus, Project, Service
from incometrack.projects.forms import (
    MilestoneDetailsForm,
    MilestoneForm,
    MilestoneUpdateForm,
    ProjectFilterForm,
    ProjectForm,
    RebaselineForm,
)
from incometrack.rag import Rag
from incometrack.reports import listings
from incometrack.reports import milestones as milestone_reports
from incometrack.services import StaleEdit
from incometrack.services import milestones as milestone_service

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.route("/")
@roles_required(policy.EVERYONE)
def index():
    """List projects, filtered by service, lead, grant, outcome and rating."""
    form = ProjectFilterForm(MultiDict(request.args))
    form.fill_choices(db.session)
    form.validate()  # a filter that is no id is refused beside it, and filters nothing
    rag = None
    if form.rag.data:
        try:
            rag = Rag(form.rag.data)
        except ValueError:
            form.rag.errors = ["Choose a rating from the list"]
    filters = milestone_reports.ProjectFilters(
        service_id=form.service.data,
        lead_id=form.lead.data,
        bid_id=form.grant.data,
        outcome_id=form.outcome.data,
        rag=rag,
    )
    rows = milestone_reports.project_rows(db.session, date.today(), filters)
    if (fmt := downloads.wanted()) and not form.errors:
        return downloads.send(listings.projects(rows, described=downloads.described(form)), fmt)
    return render_template("projects/index.html", rows=rows, form=form), form_status(form)


def _project_input(form: ProjectForm) -> milestone_service.ProjectInput:
    return milestone_service.ProjectInput(
        name=form.name.data or "",
        lead_id=form.lead_id.data or 0,
        service_id=form.service_id.data or 0,
        bid_id=form.bid_id.data,
        outcome_ids=tuple(form.outcome_ids.data or ()),
        description=form.description.data or "",
        starts_on=form.starts_on.data,
        learning=form.learning.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def project_new():
    """Add a project (a lead adds projects they lead)."""
    form = ProjectForm()
    form.fill_choices(db.session)
    if request.method == "GET" and not policy.can_manage(current_user):  # a lead adds their own
        form.lead_id.data = current_user.id
    if validate_with(form, lambda: milestone_service.project_problems(db.session, _project_input(form))):
        project = commit_or_show(
            form,
            lambda: milestone_service.create_project(db.session, _project_input(form), actor=current_user),
        )
        if project is not None:
            flash(f"Project {project.name} added.")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/project_form.html", form=form, project=None), form_status(form)


@bp.route("/<int:project_id>")
@roles_required(policy.EVERYONE)
def detail(project_id: int):
    """Show a project: its grant, outcomes, milestones in date order and their timeline."""
    project = db.get_or_404(Project, project_id)
    today = date.today()
    rows = milestone_reports.milestone_rows(
        db.session, today, milestone_reports.MilestoneFilters(project_id=project.id)
    )
    timeline = charts.timeline_svg(
        [charts.TimelineItem(r.title, r.baseline, r.forecast, r.completed, r.rag.value) for r in rows],
        chart_id="timeline",
        title=f"Timeline of {project.name}: baseline against forecast for each milestone",
        today=today,
    )
    return render_template(
        "projects/detail.html",
        project=project,
        rows=rows,
        timeline=timeline,
        can_edit=milestone_service.can_edit_project(current_user, project),
        can_update_ids={r.id for r in rows if _may_update(r)},
        milestone_form=_milestone_form(),
    )


def _may_update(row: milestone_reports.MilestoneRow) -> bool:
    return policy.can_update_milestone(current_user, row.project_lead_id, row.owner_id)


def _milestone_form() -> MilestoneForm:
    form = MilestoneForm()
    form.fill_choices(db.session)
    return form


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def project_edit(project_id: int):
    """Change a project's details."""
    project = db.get_or_404(Project, project_id)
    if not milestone_service.can_edit_project(current_user, project):
        abort(403, milestone_service.why_not_project(project))
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    if request.method == "GET":
        form.outcome_ids.data = [o.id for o in project.outcomes]
    form.fill_choices(db.session)
    if validate_with(form, lambda: milestone_service.project_problems(db.session, _project_input(form))):
        try:
            done = commit_or_show(
                form,
                lambda: milestone_service.update_project(
                    db.session,
                    project,
                    _project_input(form),
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            fresh = db.session.get(Project, project_id)
            saved = ProjectForm(obj=fresh, formdata=None)
            saved.outcome_ids.data = [o.id for o in fresh.outcomes]
            saved.fill_choices(db.session)
            return conflict_response(
                form, saved, url_for("projects.project_edit", project_id=project_id), "project"
            )
        if done is not None:
            flash("Project saved.")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/project_form.html", form=form, project=project), form_status(form)


@bp.route("/<int:project_id>/milestones", methods=["POST"])
@roles_required(policy.CREATORS)
def milestone_add(project_id: int):
    """Add a milestone with its baseline date."""
    project = db.get_or_404(Project, project_id)
    if not milestone_service.can_edit_project(current_user, project):
        abort(403, milestone_service.why_not_project(project))
    form = _milestone_form()
    if form.validate_on_submit():
        done = commit_or_show(
            form,
            lambda: milestone_service.add_milestone(
                db.session,
                project,
                title=form.title.data,
                owner_id=form.owner_id.data,
                baseline_due=form.baseline_due.data,
                actor=current_user,
            ),
        )
        if done is not None:
            flash("Milestone added.")
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template(
        "projects/milestone_form.html",
        form=form,
        project=project,
        milestone=None,
        title="Add a milestone",
        action=url_for("projects.milestone_add", project_id=project.id),
    ), 400


def _milestone_or_404(milestone_id: int) -> Milestone:
    return db.get_or_404(Milestone, milestone_id)


@bp.route("/milestones/<int:milestone_id>")
@roles_required(policy.EVERYONE)
def milestone_detail(milestone_id: int):
    """Show a milestone with its whole history of updates."""
    milestone = _milestone_or_404(milestone_id)
    rows = milestone_reports.milestone_rows(
        db.session, date.today(), milestone_reports.MilestoneFilters(milestone_id=milestone.id)
    )
    return render_template(
        "projects/milestone_detail.html",
        milestone=milestone,
        row=rows[0] if rows else None,
        can_update=milestone_service.can_update_milestone(current_user, milestone),
        can_edit=milestone_service.can_edit_project(current_user, milestone.project),
    )


@bp.route("/milestones/<int:milestone_id>/update", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def milestone_update(milestone_id: int):
    """Update a milestone's forecast, status and completion with a dated note."""
    milestone = _milestone_or_404(milestone_id)
    if not milestone_service.can_update_milestone(current_user, milestone):
        abort(403, milestone_service.why_not_milestone(milestone))
    form = (
        MilestoneUpdateForm(obj=milestone, update_on=date.today())
        if request.method == "GET"
        else MilestoneUpdateForm()
    )
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: milestone_service.update_milestone(
                    db.session,
                    milestone,
                    forecast_due=form.forecast_due.data,
                    status=MilestoneStatus(form.status.data),
                    completed_on=form.completed_on.data,
                    note=form.note.data or "",
                    update_on=form.update_on.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            fresh = db.session.get(Milestone, milestone_id)
            saved = MilestoneUpdateForm(
                formdata=None,
                update_on=form.update_on.data,
                status=fresh.status.value,
                forecast_due=fresh.forecast_due,
                completed_on=fresh.completed_on,
                note=fresh.updates[0].note if fresh.updates else "",
            )
            here = url_for("projects.milestone_update", milestone_id=milestone_id)
            return conflict_response(form, saved, here, "milestone")
        if done is not None:
            flash(f"{milestone.title}: update saved.")
            return redirect(url_for("projects.detail", project_id=milestone.project_id))
    return render_template("projects/milestone_update.html", form=form, milestone=milestone), form_status(
        form
    )


@bp.route("/milestones/<int:milestone_id>/rebaseline", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def milestone_rebaseline(milestone_id: int):
    """Move a milestone's baseline, with the reason kept (administrators only)."""
    milestone = _milestone_or_404(milestone_id)
    form = RebaselineForm(obj=milestone) if request.method == "GET" else RebaselineForm()
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: milestone_service.rebaseline(
                    db.session,
                    milestone,
                    baseline_due=form.baseline_due.data,
                    reason=form.reason.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            flash("The milestone changed after you opened this page. Check it and try again.", "error")
            return redirect(url_for("projects.milestone_detail", milestone_id=milestone_id)), 303
        if done is not None:
            flash(f"{milestone.title} re-baselined.")
            return redirect(url_for("projects.milestone_detail", milestone_id=milestone.id))
    return render_template(
        "projects/milestone_form.html",
        form=form,
        project=milestone.project,
        milestone=milestone,
        title="Re-baseline",
        action=url_for("projects.milestone_rebaseline", milestone_id=milestone.id),
    ), form_status(form)


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def milestone_edit(milestone_id: int):
    """Rename a milestone or change its owner."""
    milestone = _milestone_or_404(milestone_id)
    if not milestone_service.can_edit_project(current_user, milestone.project):
        abort(403, milestone_service.why_not_project(milestone.project))
    form = MilestoneDetailsForm(obj=milestone) if request.method == "GET" else MilestoneDetailsForm()
    form.fill_choices(db.session)
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: milestone_service.change_milestone_details(
                    db.session,
                    milestone,
                    title=form.title.data,
                    owner_id=form.owner_id.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            saved = MilestoneDetailsForm(obj=db.session.get(Milestone, milestone_id), formdata=None)
            saved.fill_choices(db.session)
            return conflict_response(
                form, saved, url_for("projects.milestone_edit", milestone_id=milestone_id), "milestone"
            )
        if done is not None:
            flash("Milestone saved.")
            return redirect(url_for("projects.milestone_detail", milestone_id=milestone.id))
    return render_template(
        "projects/milestone_form.html",
        form=form,
        project=milestone.project,
        milestone=milestone,
        title="Change milestone",
        action=url_for("projects.milestone_edit", milestone_id=milestone.id),
    ), form_status(form)


@bp.route("/milestones/mine")
@roles_required(policy.EVERYONE)
def my_milestones():
    """Everything the signed-in person owns or whose project they lead: overdue first, then due soon."""
    today = date.today()
    rows = milestone_reports.milestone_rows(
        db.session, today, milestone_reports.MilestoneFilters(involving_user_id=current_user.id)
    )
    if fmt := downloads.wanted():
        described = f"Owned by {current_user.name} or on projects they lead"
        return downloads.send(
            listings.milestones(rows, title="My milestones", stem="my-milestones", described=described), fmt
        )
    return render_template(
        "projects/milestones.html",
        groups=milestone_reports.group_by_urgency(rows, today),
        heading="My milestones",
        services=None,
        service_id=None,
    )


@bp.route("/milestones")
@roles_required(policy.FINANCE_READERS)
def all_milestones():
    """Every milestone of the service (or one service), grouped as in My milestones."""
    today = date.today()
    service_id = arg_id("service")
    rows = milestone_reports.milestone_rows(
        db.session, today, milestone_reports.MilestoneFilters(service_id=service_id)
    )
    services = db.session.scalars(select(Service).order_by(Service.name)).all()
    if fmt := downloads.wanted():
        chosen = next((s.name for s in services if s.id == service_id), "every service")
        listing = listings.milestones(
            rows, title="All milestones", stem="milestones", described=f"Service: {chosen}"
        )
        return downloads.send(listing, fmt)
    return render_template(
        "projects/milestones.html",
        groups=milestone_reports.group_by_urgency(rows, today),
        heading="All milestones",
        services=services,
        service_id=service_id,
    )
