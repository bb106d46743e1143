"""The budget monitoring pack: the return's computation and files as at any month end."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from incometrack import periods, policy
from incometrack.auth.access import roles_required
from incometrack.database import reads_first
from incometrack.extensions import db
from incometrack.forms import AppForm
from incometrack.models import ExportRecord
from incometrack.reports.returns import build_monitoring
from incometrack.returns.views import render_preview, report_meta, send_report
from incometrack.services import returns as return_service

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")


def _month_or_404(year_label: str, period: str) -> periods.MonthPeriod:
    try:
        return periods.MonthPeriod.parse(year_label, period)
    except periods.PeriodError:
        abort(404)


#: How many years back the month list of the index goes.
YEARS_BACK = 3


def ended_months(today: date) -> list[periods.MonthPeriod]:
    """The month periods that have ended, newest first, back to the start of the financial year
    :data:`YEARS_BACK` years before the latest: the only packs there are to open."""
    month = periods.latest_ended_month(today)
    first = periods.MonthPeriod(periods.FinancialYear(month.year.start - YEARS_BACK), 1)
    months = []
    while True:
        months.append(month)
        if month == first:
            return months
        month = month.previous()


@bp.route("/")
@roles_required(policy.FINANCE_READERS)
def index():
    """Choose a month that has ended (by default the latest)."""
    months = ended_months(date.today())
    chosen = request.args.get("month", "")
    if chosen:
        year_label, _, period = chosen.partition(" ")
        month = _month_or_404(year_label, period)
        return redirect(url_for("monitoring.pack", year_label=month.year.label, period=month.number))
    if request.args.get("year") and request.args.get("period"):  # the form's fields before issue 28
        month = _month_or_404(request.args["year"], request.args["period"])
        return redirect(url_for("monitoring.pack", year_label=month.year.label, period=month.number))
    return render_template("monitoring/index.html", latest=months[0], months=months)


@bp.route("/<year_label>/<period>")
@roles_required(policy.FINANCE_READERS)
def pack(year_label: str, period: str):
    """Preview budget monitoring as at the end of a month period, with downloads."""
    month = _month_or_404(year_label, period)
    if refusal := return_service.monitoring_refusal(month, date.today()):
        flash(refusal, "error")
        latest = periods.latest_ended_month(date.today())
        return redirect(url_for("monitoring.pack", year_label=latest.year.label, period=latest.number)), 303
    report = build_monitoring(db.session, month, **report_meta())
    return render_preview(
        report,
        month.quarter,
        select(ExportRecord).where(ExportRecord.filename.like(f"{report.meta.file_stem}.%")),
        can_submit=False,
        download_urls={
            fmt: url_for("monitoring.download", year_label=month.year.label, period=month.number, fmt=fmt)
            for fmt in return_service.FORMATS
        },
    )


@bp.route("/<year_label>/<period>/export/<fmt>", methods=["POST"])
@roles_required(policy.FINANCE_READERS)
@reads_first
def download(year_label: str, period: str, fmt: str):
    """Produce the pack's workbook or PDF and send it (built in a file of this request's own)."""
    month = _month_or_404(year_label, period)
    if fmt not in return_service.FORMATS:
        abort(404)
    if not AppForm().validate_on_submit():
        abort(400)
    if refusal := return_service.monitoring_refusal(month, date.today()):
        abort(400, refusal)
    report = build_monitoring(db.session, month, **report_meta())
    return send_report(
        report, fmt, back=url_for("monitoring.pack", year_label=month.year.label, period=month.number)
    )
