"""Impact evidence screens: the measures (administrators), a project's impact page (targets,
quarterly results, evidence), an item of evidence with its consent and approval, and the funder's
activity report of an awarded grant."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from incometrack import periods, policy
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import (
    act_and_redirect,
    commit_or_show,
    conflict_response,
    form_status,
    validate_with,
    version_of,
)
from incometrack.impact.forms import (
    ApproveForm,
    ConsentForm,
    EvidenceForm,
    MeasureForm,
    ResultForm,
    TargetForm,
    WithdrawForm,
)
from incometrack.models import (
    ConsentUse,
    Evidence,
    EvidenceKind,
    GrantBid,
    Measure,
    MeasureResult,
    Project,
    ProjectMeasure,
)
from incometrack.services import ServiceError, StaleEdit
from incometrack.services import impact as impact_service

bp = Blueprint("impact", __name__)


# Measures ------------------------------------------------------------------------------------


@bp.route("/admin/measures")
@roles_required(policy.ADMINS)
def measures():
    """The outcome measures projects report against."""
    rows = db.session.scalars(select(Measure).order_by(Measure.active.desc(), Measure.name)).all()
    return render_template("impact/measures.html", measures=rows)


def _measure_input(form: MeasureForm) -> impact_service.MeasureInput:
    return impact_service.MeasureInput(
        name=form.name.data or "",
        unit=form.unit.data,
        kind=form.kind.data,
        outcome_id=form.outcome_id.data or 0,
        definition=form.definition.data or "",
        offer=form.offer.data,
        active=bool(form.active.data),
    )


@bp.route("/admin/measures/new", methods=["GET", "POST"])
@bp.route("/admin/measures/<int:measure_id>/edit", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def measure_form(measure_id: int | None = None):
    """Add or change a measure."""
    measure = db.get_or_404(Measure, measure_id) if measure_id else None
    form = MeasureForm(obj=measure, version=version_of(measure)) if request.method == "GET" else MeasureForm()
    form.fill_choices(db.session)
    if validate_with(
        form, lambda: impact_service.measure_problems(db.session, _measure_input(form), measure=measure)
    ):
        try:
            done = commit_or_show(
                form,
                lambda: (
                    impact_service.update_measure(
                        db.session,
                        measure,
                        _measure_input(form),
                        actor=current_user,
                        expected_version=form.version.data,
                    )
                    if measure is not None
                    else impact_service.create_measure(db.session, _measure_input(form), actor=current_user)
                ),
            )
        except StaleEdit:
            saved = MeasureForm(obj=db.session.get(Measure, measure_id), formdata=None)
            saved.fill_choices(db.session)
            return conflict_response(form, saved, request.path, "measure")
        if done is not None:
            flash(f"Measure {done.name} saved.")
            return redirect(url_for("impact.measures"))
    return render_template(
        "impact/form.html",
        form=form,
        title=f"Change {measure.name}" if measure else "Add a measure",
        caption="Outcome measures",
        cancel=url_for("impact.measures"),
    ), form_status(form)


# A project's impact --------------------------------------------------------------------------


def _project(project_id: int) -> Project:
    return db.get_or_404(Project, project_id)


def _require_edit(project: Project) -> None:
    if not impact_service.can_edit(current_user, project):
        abort(
            403,
            f"{project.name} is led by {project.lead.name}: only they, finance officers and"
            " administrators can record its impact.",
        )


@bp.route("/projects/<int:project_id>/impact")
@roles_required(policy.EVERYONE)
def project_impact(project_id: int):
    """A project's measures with their targets and each quarter's result, and its evidence."""
    project = _project(project_id)
    targets = db.session.scalars(
        select(ProjectMeasure)
        .where(ProjectMeasure.project_id == project.id)
        .join(Measure)
        .order_by(Measure.name)
    ).all()
    evidence = db.session.scalars(
        select(Evidence)
        .where(Evidence.project_id == project.id)
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
    ).all()
    today = date.today()
    quarters = _quarters(project, today)
    return render_template(
        "impact/project.html",
        project=project,
        targets=targets,
        evidence=evidence,
        quarters=quarters,
        results={(r.project_measure_id, r.year, r.quarter): r for t in targets for r in t.results},
        can_edit=impact_service.can_edit(current_user, project),
        today=today,
        covers=impact_service.consent_covers,
        uses=ConsentUse,
    )


def _quarters(project: Project, today: date) -> list[periods.Quarter]:
    """The quarters a result can be recorded for: from the project's start (at most three years
    back) to the quarter running today."""
    quarter = periods.quarter_for(today)
    first = periods.quarter_for(max(project.start, periods.years_after(today, -3)))
    found = []
    while quarter.last_day >= first.first_day:
        found.append(quarter)
        quarter = quarter.previous()
    return found


def _target_input(form: TargetForm, measure_id: int) -> impact_service.TargetInput:
    return impact_service.TargetInput(
        measure_id=measure_id,
        baseline=form.baseline.data,
        target=form.target.data,
        target_on=form.target_on.data,
        funder_required=bool(form.funder_required.data),
    )


@bp.route("/projects/<int:project_id>/impact/targets/new", methods=["GET", "POST"])
@bp.route("/projects/<int:project_id>/impact/targets/<int:target_id>/edit", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def target_form(project_id: int, target_id: int | None = None):
    """Add a measure to the project with its baseline, target and date; or change them."""
    project = _project(project_id)
    _require_edit(project)
    target = db.get_or_404(ProjectMeasure, target_id) if target_id else None
    if target is not None and target.project_id != project.id:
        abort(404)
    form = TargetForm(obj=target, version=version_of(target)) if request.method == "GET" else TargetForm()
    form.fill_choices(db.session)
    if target is not None:
        form.measure_id.data = target.measure_id
    ready = form.validate_on_submit()
    if ready:
        try:
            done = commit_or_show(
                form,
                lambda: impact_service.set_target(
                    db.session,
                    project,
                    _target_input(form, form.measure_id.data or 0),
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            saved = TargetForm(obj=db.session.get(ProjectMeasure, target_id), formdata=None)
            saved.fill_choices(db.session)
            return conflict_response(form, saved, request.path, "target")
        if done is not None:
            flash("Target saved.")
            return redirect(url_for("impact.project_impact", project_id=project.id))
    if target is not None:  # the measure is the record's own: changed by adding another
        del form.measure_id
    return render_template(
        "impact/form.html",
        form=form,
        title=f"Target for {target.measure.name}" if target else "Add a measure to report",
        caption=project.name,
        cancel=url_for("impact.project_impact", project_id=project.id),
    ), form_status(form)


@bp.route(
    "/projects/<int:project_id>/impact/targets/<int:target_id>/<year_label>/q<int:quarter>",
    methods=["GET", "POST"],
)
@roles_required(policy.CREATORS)
def result_form(project_id: int, target_id: int, year_label: str, quarter: int):
    """Record or correct a quarter's result (refused once the quarter is locked)."""
    project = _project(project_id)
    _require_edit(project)
    target = db.get_or_404(ProjectMeasure, target_id)
    if target.project_id != project.id:
        abort(404)
    try:
        period = periods.Quarter.parse(year_label, str(quarter))
    except periods.PeriodError:
        abort(404)
    existing = db.session.scalar(
        select(MeasureResult).where(
            MeasureResult.project_measure_id == target.id,
            MeasureResult.year == period.year.start,
            MeasureResult.quarter == period.number,
        )
    )
    form = ResultForm(obj=existing, version=version_of(existing)) if request.method == "GET" else ResultForm()
    form.fill_choices(db.session)
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: impact_service.record_result(
                    db.session,
                    target,
                    period,
                    form.value.data,
                    site_id=form.site_id.data,
                    source=form.source.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            fresh = db.session.scalar(
                select(MeasureResult).where(
                    MeasureResult.project_measure_id == target.id,
                    MeasureResult.year == period.year.start,
                    MeasureResult.quarter == period.number,
                )
            )
            saved = ResultForm(obj=fresh, formdata=None)
            saved.fill_choices(db.session)
            return conflict_response(form, saved, request.path, "result")
        if done is not None:
            flash(f"{target.measure.name}, {period.label}: result saved.")
            return redirect(url_for("impact.project_impact", project_id=project.id))
    return render_template(
        "impact/form.html",
        form=form,
        title=f"{target.measure.name}: {period.label}",
        caption=project.name,
        intro=f"{target.measure.name} ({target.measure.unit.value}): {target.measure.definition}".strip(),
        cancel=url_for("impact.project_impact", project_id=project.id),
    ), form_status(form)


# Evidence ------------------------------------------------------------------------------------


def _consent_input(form) -> impact_service.ConsentInput | None:
    """The consent the form records, or None where it records none (no "given by")."""
    if form.given_by.data is None:
        return None
    return impact_service.ConsentInput(
        given_by=form.given_by.data,
        given_on=form.given_on.data or date.today(),
        uses=frozenset(ConsentUse(u) for u in form.uses.data or () if u in {c.value for c in ConsentUse}),
        child=bool(form.child.data),
        expires_on=form.expires_on.data,
    )


@bp.route("/projects/<int:project_id>/evidence/new", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def evidence_new(project_id: int):
    """Add a case study, quote, photo, document or link, with the consent of the person it is about."""
    project = _project(project_id)
    _require_edit(project)
    form = EvidenceForm(kind=request.args.get("kind", "quote"))
    form.fill_choices(db.session)
    if form.validate_on_submit():
        upload = None
        if form.upload.data and getattr(form.upload.data, "filename", ""):
            upload = impact_service.Upload(
                form.upload.data.read(), form.upload.data.filename.rsplit("/", 1)[-1]
            )
        data = impact_service.EvidenceInput(
            kind=form.kind.data,
            title=form.title.data or "",
            occurred_on=form.occurred_on.data,
            body=form.body.data or "",
            url=form.url.data or "",
            outcome_id=form.outcome_id.data,
            site_id=form.site_id.data,
            attribution=form.attribution.data or "",
            alt_text=form.alt_text.data or "",
        )
        consent = _consent_input(form)

        def add():
            evidence = impact_service.add_evidence(db.session, project, data, upload, actor=current_user)
            if consent is not None and data.kind.about_people:
                impact_service.record_consent(db.session, evidence, consent, actor=current_user)
            return evidence

        evidence = commit_or_show(form, add)
        if evidence is not None:
            flash(f"{evidence.title} added: it appears in outputs once a finance officer approves it.")
            return redirect(url_for("impact.evidence_detail", evidence_id=evidence.id))
    return render_template(
        "impact/form.html",
        form=form,
        title="Add evidence",
        caption=project.name,
        intro="A quote, photo or case study is about a person: record their consent (a parent's or"
        " guardian's for a child) for the uses it covers. It appears in an output only once approved, and"
        " only where its consent covers that use on the day.",
        multipart=True,
        cancel=url_for("impact.project_impact", project_id=project.id),
    ), form_status(form)


def _evidence(evidence_id: int) -> Evidence:
    return db.get_or_404(Evidence, evidence_id)


@bp.route("/evidence/<int:evidence_id>")
@roles_required(policy.EVERYONE)
def evidence_detail(evidence_id: int):
    """An item of evidence: its words or photo, its consent, its approval and the files it is in."""
    evidence = _evidence(evidence_id)
    consent_form = ConsentForm(formdata=None)
    return render_template(
        "impact/evidence.html",
        evidence=evidence,
        can_edit=impact_service.can_edit(current_user, evidence.project),
        can_approve=policy.can_manage(current_user),
        approve_form=ApproveForm(formdata=None, version=evidence.version),
        consent_form=consent_form,
        withdraw_form=WithdrawForm(
            formdata=None,
            withdrawn_on=date.today(),
            version=evidence.consent.version if evidence.consent else None,
        ),
        uses=impact_service.uses_of(db.session, evidence.id),
        covers=impact_service.consent_covers,
        consent_uses=ConsentUse,
        today=date.today(),
    )


@bp.route("/evidence/<int:evidence_id>/file")
@roles_required(policy.EVERYONE)
def evidence_file(evidence_id: int):
    """The photo (re-encoded, without EXIF or location) or the document."""
    evidence = _evidence(evidence_id)
    if not evidence.content:
        abort(404)
    from io import BytesIO

    return send_file(
        BytesIO(evidence.content),
        mimetype=evidence.content_type,
        as_attachment=evidence.kind is EvidenceKind.DOCUMENT,
        download_name=evidence.filename or f"evidence-{evidence.id}",
        max_age=0,
    )


@bp.route("/evidence/<int:evidence_id>/approve", methods=["POST"])
@roles_required(policy.MANAGERS)
def evidence_approve(evidence_id: int):
    """Approve an item for outputs (finance officers and administrators)."""
    evidence = _evidence(evidence_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    here = url_for("impact.evidence_detail", evidence_id=evidence.id)
    return act_and_redirect(
        lambda: impact_service.approve(
            db.session, evidence, actor=current_user, expected_version=form.version.data
        ),
        then=here,
        done=f"{evidence.title} approved for outputs.",
        back=here,
        stale="The item changed after you opened it: check it and approve it again.",
    )


@bp.route("/evidence/<int:evidence_id>/consent", methods=["POST"])
@roles_required(policy.CREATORS)
def evidence_consent(evidence_id: int):
    """Record the consent of the person an item is about."""
    evidence = _evidence(evidence_id)
    _require_edit(evidence.project)
    form = ConsentForm()
    if form.validate_on_submit():
        consent = _consent_input(form)
        if consent is None:
            form.given_by.errors = [*form.given_by.errors, "Choose who gave consent"]
        else:
            done = commit_or_show(
                form, lambda: impact_service.record_consent(db.session, evidence, consent, actor=current_user)
            )
            if done is not None:
                flash("Consent recorded.")
                return redirect(url_for("impact.evidence_detail", evidence_id=evidence.id))
    return render_template(
        "impact/form.html",
        form=form,
        title="Record consent",
        caption=evidence.title,
        cancel=url_for("impact.evidence_detail", evidence_id=evidence.id),
    ), 400


@bp.route("/evidence/<int:evidence_id>/withdraw", methods=["POST"])
@roles_required(policy.CREATORS)
def evidence_withdraw(evidence_id: int):
    """Record a withdrawal of consent, and list the files already produced that show the item."""
    evidence = _evidence(evidence_id)
    _require_edit(evidence.project)
    form = WithdrawForm()
    if form.validate_on_submit():
        here = url_for("impact.evidence_detail", evidence_id=evidence.id)
        try:
            uses = commit_or_show(
                form,
                lambda: impact_service.withdraw_consent(
                    db.session,
                    evidence,
                    on=form.withdrawn_on.data,
                    reason=form.reason.data or "",
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            flash("The consent changed after you opened this page. Check it and try again.", "error")
            return redirect(here), 303
        if uses is not None:
            return render_template("impact/withdrawn.html", evidence=evidence, uses=uses)
    return render_template(
        "impact/form.html",
        form=form,
        title="Withdraw consent",
        caption=evidence.title,
        cancel=url_for("impact.evidence_detail", evidence_id=evidence.id),
    ), 400


# The funder's activity report ----------------------------------------------------------------


@bp.route("/grants/bids/<int:bid_id>/activity-report/<fmt>", methods=["POST"])
@roles_required(policy.EVERYONE)
def activity_report(bid_id: int, fmt: str):
    """Download the funder's activity report of an awarded grant, as Word, PDF or HTML."""
    from incometrack.exports.files import ExportError
    from incometrack.forms import AppForm
    from incometrack.reports.activity import NotAwarded, build_activity_report

    bid = db.get_or_404(GrantBid, bid_id)
    if fmt not in impact_service.ACTIVITY_FORMATS:
        abort(404)
    if not AppForm().validate_on_submit():
        abort(400)
    try:
        report = build_activity_report(db.session, bid.id, today=date.today())
    except NotAwarded as refusal:
        abort(409, str(refusal))
    try:
        handle, filename, mimetype = impact_service.activity_download(
            db.session, report, fmt, actor=current_user
        )
    except ExportError as error:
        db.session.rollback()
        abort(503, str(error))
    except ServiceError as error:
        db.session.rollback()
        abort(400, error.message)
    db.session.commit()
    return send_file(handle, mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0)
