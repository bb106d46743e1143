from __future__ import annotations

import dataclasses
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from incometrack import periods, policy
from incometrack.auth.access import roles_required
from incometrack.database import reads_first, start_writing
from incometrack.exports import html as html_return
from incometrack.exports.files import ExportError
from incometrack.extensions import db
from incometrack.forms import AppForm, commit_or_show, form_status, year_choices
from incometrack.jobs import queue as jobs
from incometrack.models import ExportRecord, ReturnSnapshot
from incometrack.reports import return_layout
from incometrack.reports.income import forecast_versions
from incometrack.reports.returns import first_entries, income_summary, return_for
from incometrack.returns.forms import CommentaryForm, SubmitReturnForm
from incometrack.services import NO_RECORD, StaleEdit
from incometrack.services import income as income_service
from incometrack.services import returns as return_service

bp = Blueprint("returns", __name__, url_prefix="/returns")


def _quarter_or_404(year_label: str, quarter: str) -> periods.Quarter:
    try:
        return periods.Quarter.parse(year_label, quarter)
    except periods.PeriodError:
        abort(404)


def report_meta() -> dict[str, str]:
    """Who a return or monitoring pack is for: the council and service the app is set up for."""
    return {"council": current_app.config["COUNCIL_NAME"], "service_name": current_app.config["SERVICE_NAME"]}


@bp.route("/")
@roles_required(policy.FINANCE_READERS)
def index():
    """Choose a year and quarter; list submitted returns and the files produced."""
    if request.args.get("year") and request.args.get("quarter"):
        quarter = _quarter_or_404(request.args["year"], request.args["quarter"])
        return redirect(url_for("returns.preview", year_label=quarter.year.label, quarter=quarter.number))
    today = date.today()
    snapshots = db.session.scalars(
        select(ReturnSnapshot).order_by(ReturnSnapshot.year.desc(), ReturnSnapshot.quarter.desc())
    ).all()
    history = db.session.scalars(select(ExportRecord).order_by(ExportRecord.id.desc()).limit(50)).all()
    return render_template(
        "returns/index.html",
        years=year_choices(periods.fy_for(today), ahead=0),
        suggested=periods.quarter_for(today).previous(),
        snapshots=snapshots,
        history=history,
    )


@bp.route("/<year_label>/<quarter>")
@roles_required(policy.FINANCE_READERS)
def preview(year_label: str, quarter: str):
    """Show the return as the committee will read it, with downloads and submission."""
    period = _quarter_or_404(year_label, quarter)
    report = return_for(db.session, period, **report_meta())
    history = select(ExportRecord).where(
        ExportRecord.year == period.year.start, ExportRecord.quarter == period.number
    )
    return render_preview(
        report,
        period,
        history,
        can_submit=policy.can_manage(current_user),
        not_yet=return_service.production_refusal(period, date.today()),
    )


def render_preview(report, period: periods.Quarter, history, *, can_submit: bool, **extra):
    """The preview page of a return or a monitoring pack: every section, the chart beside its
    table, the downloads and the files produced (``history``, a SELECT of export records)."""
    return render_template(
        "returns/preview.html",
        report=report,
        period=period,
        chart=html_return.quarters_chart(report),
        tables=html_return,
        layout=return_layout,
        history=db.session.scalars(history.order_by(ExportRecord.id.desc())).all(),
        form=AppForm(),
        can_submit=can_submit,
        sample=first_entries(report, 50),
        **extra,
    )


MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html",  # Flask adds "; charset=utf-8"
}


@bp.route("/<year_label>/<quarter>/export/<fmt>", methods=["POST"])
@roles_required(policy.FINANCE_READERS)
@reads_first
def download(year_label: str, quarter: str, fmt: str):
    """Produce the workbook or the PDF (from the submitted figures once submitted) and send it.

    The file is built in a temporary file of this request's own while the database is only read;
    then one short write records its checksum, and exactly those bytes are sent.
    """
    period = _quarter_or_404(year_label, quarter)
    if fmt not in return_service.FORMATS:
        abort(404)
    if not AppForm().validate_on_submit():
        abort(400)
    if refusal := return_service.production_refusal(period, date.today()):
        abort(400, refusal)
    report = return_for(db.session, period, **report_meta())
    return send_report(
        report, fmt, back=url_for("returns.preview", year_label=period.year.label, quarter=period.number)
    )


def send_report(report, fmt: str, *, back: str):
    """Build one file of a return or monitoring pack in a temporary file of this request's own while
    the database is only read, record its checksum in one short write, and send exactly those
    bytes; a file that cannot be built is reported, and the person goes ``back``.

    A workbook whose entry sheet holds more than ``JOBS_ROW_THRESHOLD`` entries is made by a
    background job instead: the person goes to its progress page, and the worker makes this same
    request again and writes the file, its checksum recorded just the same."""
    count = report.entries_summary.count
    job = jobs.current()
    if job is None and fmt == "xlsx" and count > current_app.config["JOBS_ROW_THRESHOLD"]:
        return jobs.start(
            f"{return_service.file_name(report, fmt)}: workbook with {count:,} income entries",
            total=count,
            back=back,
        )
    try:
        if job is not None:
            report = dataclasses.replace(report, entries=job.counting(report.entries))
            checksum = job.write_file(
                return_service.file_name(report, fmt),
                MIMETYPES[fmt],
                lambda stream: return_service.write_file(return_service.stamped(report), fmt, stream),
            )
            handle = None
        else:
            handle, filename, checksum = return_service.build_download(report, fmt)
    except ExportError as error:
        db.session.rollback()
        current_app.logger.error("Export failed: %s", error)
        flash(f"The file could not be produced: {error}. Tell your administrator.", "error")
        return redirect(back), 303
    try:
        start_writing(db.session)
        return_service.record_export(db.session, report, fmt, checksum, actor=current_user)
        db.session.commit()
    except BaseException:
        if handle is not None:
            handle.close()
        raise
    if job is not None:
        return job.done()
    return send_file(handle, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=filename, max_age=0)


@bp.route("/<year_label>/<quarter>/submit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def submit(year_label: str, quarter: str):
    """Check and submit: what is outstanding, which quarters submitting locks, a confirmation
    (and a reason where commentary is missing); then freeze the figures and lock the quarters."""
    period = _quarter_or_404(year_label, quarter)
    here = url_for("returns.preview", year_label=period.year.label, quarter=period.number)
    form = SubmitReturnForm()
    if form.validate_on_submit():
        snapshot = commit_or_show(
            form,
            lambda: return_service.submit(
                db.session, period, actor=current_user, reason=form.reason.data or "", **report_meta()
            ),
        )
        if snapshot is not None:
            flash(
                f"The {period.label} return is submitted: its figures are frozen and the quarter is locked."
            )
            return redirect(here)
        if not form.reason.errors:  # refused outright (too early, or submitted already)
            flash(form.form_errors[-1] if form.form_errors else "The return was not submitted.", "error")
            return redirect(here), 303
    refusal = return_service.submission_refusal(db.session, period, date.today())
    if refusal and request.method == "POST":
        flash(refusal, "error")
        return redirect(here), 303
    report = None if refusal else return_for(db.session, period, **report_meta())
    return render_template(
        "returns/submit.html",
        period=period,
        form=form,
        refusal=refusal,
        outstanding=report.streams_needing_commentary if report else (),
        to_lock=return_service.quarters_to_lock(db.session, period),
    ), form_status(form)


@bp.route("/<year_label>/<quarter>/commentary", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def commentary(year_label: str, quarter: str):
    """The quarter's commentary for every Amber and Red stream on one page, open until the
    return is submitted (even once the quarter's entries are locked)."""
    period = _quarter_or_404(year_label, quarter)
    here = url_for("returns.commentary", year_label=period.year.label, quarter=period.number)
    submitted = income_service.return_submitted(db.session, period)
    flagged = [row for row in income_summary(db.session, period)[2] if row.position.rag.needs_commentary]
    versions = forecast_versions(db.session, period, [row.stream.id for row in flagged])
    if request.method == "POST":
        form = CommentaryForm()
    else:
        form = CommentaryForm(
            formdata=None,
            data={
                "rows": [
                    {
                        "stream_id": row.stream.id,
                        "commentary": row.position.commentary,
                        "version": versions.get(row.stream.id, NO_RECORD),
                    }
                    for row in flagged
                ]
            },
        )
    if not submitted and form.validate_on_submit():
        items = [
            income_service.CommentaryInput(row.stream_id.data, row.commentary.data or "", row.version.data)
            for row in form.rows
        ]
        try:
            saved = commit_or_show(
                form, lambda: income_service.save_commentaries(db.session, period, items, actor=current_user)
            )
        except StaleEdit:
            flash(
                "Someone else changed commentary on this page after you opened it: it now shows theirs. "
                "Make your changes again.",
                "error",
            )
            return redirect(here), 303
        if saved is not None:
            flash(f"Commentary saved for {saved} {'stream' if saved == 1 else 'streams'} in {period.label}.")
            return redirect(here)
    by_id = {row.stream.id: row for row in flagged}
    return render_template(
        "returns/commentary.html",
        period=period,
        form=form,
        rows=[(entry, by_id.get(entry.stream_id.data)) for entry in form.rows],
        submitted=submitted,
    ), form_status(form)
