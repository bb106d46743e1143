from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from incometrack import downloads, periods, policy
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import (
    commit_or_show,
    conflict_response,
    form_status,
    validate_with,
    year_choices,
)
from incometrack.grants.forms import (
    MOVE_LABELS,
    BidFilterForm,
    BidForm,
    FunderForm,
    MoveForm,
    PaymentForm,
    ProgrammeForm,
    ReceiptForm,
    ReportForm,
    ReportSubmittedForm,
    SpendForm,
)
from incometrack.models import (
    BID_TRANSITIONS,
    BidStatus,
    Funder,
    FunderReport,
    FunderType,
    GrantBid,
    GrantPayment,
    GrantSpend,
    Programme,
)
from incometrack.reports import grants as grant_reports
from incometrack.reports import listings
from incometrack.services import StaleEdit
from incometrack.services import grants as grant_service

bp = Blueprint("grants", __name__, url_prefix="/grants")


# Bids ---------------------------------------------------------------------------------------


def _filters(form: BidFilterForm) -> grant_reports.BidFilters:
    year = None
    if form.year.data:
        try:
            year = periods.FinancialYear.parse(form.year.data)
        except periods.PeriodError:
            form.year.errors = ["Choose a financial year from the list"]
    status = None
    if form.status.data:
        try:
            status = BidStatus(form.status.data)
        except ValueError:
            form.status.errors = ["Choose a status from the list"]
    return grant_reports.BidFilters(
        status=status,
        funder_id=form.funder.data,
        service_id=form.service.data,
        outcome_id=form.outcome.data,
        lead_id=form.lead.data,
        decision_year=year,
    )


@bp.route("/")
@bp.route("/bids")
@roles_required(policy.EVERYONE)
def bids():
    """List bids with filters, the pipeline board and the year's figures."""
    current = periods.fy_for(date.today())
    form = BidFilterForm(MultiDict(request.args))
    form.fill_choices(db.session, year_choices(current))
    form.validate()
    filters = _filters(form)
    if (fmt := downloads.wanted()) and not form.errors:
        return downloads.send(listings.bids(db.session, filters, described=downloads.described(form)), fmt)
    figures_year = filters.decision_year or current
    return render_template(
        "grants/bids.html",
        form=form,
        bids=grant_reports.list_bids(db.session, filters),
        board=grant_reports.pipeline(db.session, grant_reports.filtered_bid_ids(filters)),
        figures=grant_reports.grant_figures(db.session, figures_year),
        figures_year=figures_year,
        can_add=current_user.role in policy.CREATORS,
    ), form_status(form)


@bp.route("/pipeline")
@roles_required(policy.EVERYONE)
def pipeline():
    """Show the pipeline board: bids grouped by status with each column's count and value."""
    board = grant_reports.pipeline(db.session)
    grouped = {column.status: [] for column in board}
    for bid in grant_reports.list_bids(db.session, grant_reports.BidFilters()):
        grouped[bid.status].append(bid)
    return render_template("grants/pipeline.html", board=board, grouped=grouped)


@bp.route("/due")
@roles_required(policy.EVERYONE)
def due():
    """List funder reports and payments due in the next 30 days, overdue and late ones first."""
    mine = request.args.get("mine") == "1"
    items = grant_reports.due_soon(db.session, date.today(), lead_id=current_user.id if mine else None)
    return render_template("grants/due.html", items=items, mine=mine, today=date.today())


def _bid_input(form: BidForm) -> grant_service.BidInput:
    return grant_service.BidInput(
        title=form.title.data or "",
        funder_id=form.funder_id.data or 0,
        service_id=form.service_id.data or 0,
        programme_id=form.programme_id.data,
        lead_id=form.lead_id.data,
        outcome_ids=tuple(form.outcome_ids.data or ()),
        amount_requested=form.amount_requested.data or 0,
        match_cash=form.match_cash.data or 0,
        match_in_kind=form.match_in_kind.data or 0,
        submission_deadline=form.submission_deadline.data,
        submitted_on=form.submitted_on.data,
        decision_on=form.decision_on.data,
        awarded_resource=form.awarded_resource.data,
        awarded_capital=form.awarded_capital.data,
        start_on=form.start_on.data,
        end_on=form.end_on.data,
        probability=form.probability.data if form.probability.data is not None else 50,
        description=form.description.data or "",
    )


@bp.route("/bids/new", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def bid_new():
    """Record a new bid; it starts the pipeline as an idea."""
    form = BidForm()
    form.fill_choices(db.session)
    if request.method == "GET":
        form.probability.data = 50
        if not policy.can_manage(current_user):  # a lead adds bids they lead
            form.lead_id.data = current_user.id
    if validate_with(form, lambda: grant_service.bid_problems(db.session, _bid_input(form))):
        bid = commit_or_show(
            form, lambda: grant_service.create_bid(db.session, _bid_input(form), actor=current_user)
        )
        if bid is not None:
            flash(f"Bid “{bid.title}” recorded as an idea.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id))
    return render_template("grants/bid_form.html", form=form, bid=None), form_status(form)


def _bid_or_404(bid_id: int) -> GrantBid:
    bid = db.session.scalar(
        select(GrantBid)
        .where(GrantBid.id == bid_id)
        .options(selectinload(GrantBid.history), selectinload(GrantBid.outcomes))
    )
    if bid is None:
        abort(404)
    return bid


@bp.route("/bids/<int:bid_id>")
@roles_required(policy.EVERYONE)
def bid_detail(bid_id: int):
    """Show a bid: its details, history, award, payments, spend and reports."""
    bid = _bid_or_404(bid_id)
    payments = db.session.scalars(
        select(GrantPayment).where(GrantPayment.bid_id == bid.id).order_by(GrantPayment.expected_on)
    ).all()
    spend = db.session.scalars(
        select(GrantSpend).where(GrantSpend.bid_id == bid.id).order_by(GrantSpend.spent_on)
    ).all()
    reports = db.session.scalars(
        select(FunderReport).where(FunderReport.bid_id == bid.id).order_by(FunderReport.due_on)
    ).all()
    return render_template(
        "grants/bid_detail.html",
        bid=bid,
        balance=grant_reports.bid_balances(db.session, [bid.id])[bid.id],
        payments=payments,
        spend=spend,
        reports=reports,
        moves=[
            (status, MOVE_LABELS[status]) for status in BidStatus if status in BID_TRANSITIONS[bid.status]
        ],
        can_edit=grant_service.can_edit_bid(current_user, bid),
        can_manage=policy.can_manage(current_user),
        today=date.today(),
        payment_form=PaymentForm(),
        spend_form=SpendForm(),
        report_form=ReportForm(),
    )


@bp.route("/bids/<int:bid_id>/edit", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def bid_edit(bid_id: int):
    """Change a bid's details."""
    bid = _bid_or_404(bid_id)
    if not grant_service.can_edit_bid(current_user, bid):
        abort(403, grant_service.why_not_bid(bid))
    form = BidForm(obj=bid) if request.method == "GET" else BidForm()
    if request.method == "GET":
        form.outcome_ids.data = [o.id for o in bid.outcomes]
    form.fill_choices(db.session)
    if validate_with(form, lambda: grant_service.bid_problems(db.session, _bid_input(form))):
        try:
            done = commit_or_show(
                form,
                lambda: grant_service.update_bid(
                    db.session, bid, _bid_input(form), actor=current_user, expected_version=form.version.data
                ),
            )
        except StaleEdit:
            fresh = db.session.get(GrantBid, bid_id)
            saved = BidForm(obj=fresh, formdata=None)
            saved.outcome_ids.data = [o.id for o in fresh.outcomes]
            saved.fill_choices(db.session)
            return conflict_response(form, saved, url_for("grants.bid_edit", bid_id=bid_id), "bid")
        if done is not None:
            flash("Bid saved.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id))
    return render_template("grants/bid_form.html", form=form, bid=bid), form_status(form)


@bp.route("/bids/<int:bid_id>/status/<to>", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def bid_move(bid_id: int, to: str):
    """Move a bid along the pipeline, with its date and a note."""
    bid = _bid_or_404(bid_id)
    try:
        target = BidStatus(to)
    except ValueError:
        abort(404)
    if not grant_service.can_edit_bid(current_user, bid):
        abort(403, grant_service.why_not_bid(bid))
    form = MoveForm()
    if request.method == "GET":
        form.on.data = date.today()
        form.version.data = bid.version
        form.awarded_resource.data = bid.awarded_resource
        form.awarded_capital.data = bid.awarded_capital
    if form.validate_on_submit():
        try:
            change = commit_or_show(
                form,
                lambda: grant_service.move_bid(
                    db.session,
                    bid,
                    target,
                    on=form.on.data,
                    actor=current_user,
                    note=form.note.data or "",
                    awarded_resource=form.awarded_resource.data,
                    awarded_capital=form.awarded_capital.data,
                    reason=form.reason.data or "",
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            flash("The bid changed after you opened this page; its status is unchanged. Try again.", "error")
            return redirect(url_for("grants.bid_detail", bid_id=bid_id)), 303
        if change is not None:
            flash(f"“{bid.title}” is now {target.value}.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id))
        if form.form_errors:  # a move the pipeline does not allow: said on the bid's page
            flash(form.form_errors[-1], "error")
            return redirect(url_for("grants.bid_detail", bid_id=bid_id)), 303
    allowed = target in BID_TRANSITIONS[bid.status]
    return render_template(
        "grants/bid_move.html",
        form=form,
        bid=bid,
        target=target,
        label=MOVE_LABELS.get(target, target.value),
        allowed=allowed,
    ), (form_status(form) if allowed else 409)


@bp.route("/bids/<int:bid_id>/payments", methods=["POST"])
@roles_required(policy.MANAGERS)
def payment_add(bid_id: int):
    """Add an expected (or already received) payment of an award."""
    bid = _bid_or_404(bid_id)
    form = PaymentForm()
    if form.validate_on_submit():
        done = commit_or_show(
            form,
            lambda: grant_service.add_payment(
                db.session,
                bid,
                expected_on=form.expected_on.data,
                amount_expected=form.amount_expected.data,
                received_on=form.received_on.data,
                amount_received=form.amount_received.data,
                note=form.note.data or "",
                actor=current_user,
            ),
        )
        if done is not None:
            flash("Payment added.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id, _anchor="payments"))
    return _bid_form_page(bid, "Add a payment", form, "grants.payment_add")


@bp.route("/payments/<int:payment_id>/receive", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def payment_receive(payment_id: int):
    """Record that an expected payment has been received."""
    payment = db.get_or_404(GrantPayment, payment_id)
    form = ReceiptForm(obj=payment) if request.method == "GET" else ReceiptForm()
    if request.method == "GET":
        form.received_on.data = payment.received_on or date.today()
        form.amount_received.data = payment.amount_received or payment.amount_expected
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: grant_service.record_receipt(
                    db.session,
                    payment,
                    received_on=form.received_on.data,
                    amount_received=form.amount_received.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            flash("The payment changed after you opened it. Check it and try again.", "error")
            return redirect(url_for("grants.bid_detail", bid_id=payment.bid_id)), 303
        if done is not None:
            flash("Payment received recorded.")
            return redirect(url_for("grants.bid_detail", bid_id=payment.bid_id, _anchor="payments"))
    return render_template(
        "grants/item_form.html",
        form=form,
        bid=payment.bid,
        title="Record a payment received",
        action=url_for("grants.payment_receive", payment_id=payment.id),
    ), form_status(form)


@bp.route("/bids/<int:bid_id>/spend", methods=["POST"])
@roles_required(policy.CREATORS)
def spend_add(bid_id: int):
    """Record spend against the award."""
    bid = _bid_or_404(bid_id)
    if not grant_service.can_edit_bid(current_user, bid):
        abort(403, grant_service.why_not_bid(bid))
    form = SpendForm()
    if form.validate_on_submit():
        done = commit_or_show(
            form,
            lambda: grant_service.add_spend(
                db.session,
                bid,
                spent_on=form.spent_on.data,
                amount=form.amount.data,
                description=form.description.data or "",
                capital=form.capital.data,
                actor=current_user,
            ),
        )
        if done is not None:
            flash("Spend recorded.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id, _anchor="spend"))
    return _bid_form_page(bid, "Record spend", form, "grants.spend_add")


@bp.route("/bids/<int:bid_id>/reports", methods=["POST"])
@roles_required(policy.CREATORS)
def report_add(bid_id: int):
    """Add a report the funder requires."""
    bid = _bid_or_404(bid_id)
    if not grant_service.can_edit_bid(current_user, bid):
        abort(403, grant_service.why_not_bid(bid))
    form = ReportForm()
    if form.validate_on_submit():
        done = commit_or_show(
            form,
            lambda: grant_service.add_report(
                db.session, bid, title=form.title.data or "", due_on=form.due_on.data, actor=current_user
            ),
        )
        if done is not None:
            flash("Report added.")
            return redirect(url_for("grants.bid_detail", bid_id=bid.id, _anchor="reports"))
    return _bid_form_page(bid, "Add a funder report", form, "grants.report_add")


@bp.route("/reports/<int:report_id>/submitted", methods=["GET", "POST"])
@roles_required(policy.CREATORS)
def report_submitted(report_id: int):
    """Record the date a funder report went in."""
    report = db.get_or_404(FunderReport, report_id)
    if not grant_service.can_edit_bid(current_user, report.bid):
        abort(403, grant_service.why_not_bid(report.bid))
    form = ReportSubmittedForm()
    if request.method == "GET":
        form.submitted_on.data = date.today()
        form.version.data = report.version
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: grant_service.mark_report_submitted(
                    db.session,
                    report,
                    submitted_on=form.submitted_on.data,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            flash("The report changed after you opened it. Check it and try again.", "error")
            return redirect(url_for("grants.bid_detail", bid_id=report.bid_id)), 303
        if done is not None:
            flash(f"{report.title} recorded as submitted.")
            return redirect(url_for("grants.bid_detail", bid_id=report.bid_id, _anchor="reports"))
    return render_template(
        "grants/item_form.html",
        form=form,
        bid=report.bid,
        title=f"{report.title}: submitted",
        action=url_for("grants.report_submitted", report_id=report.id),
    ), form_status(form)


def _bid_form_page(bid: GrantBid, title: str, form, endpoint: str):
    return render_template(
        "grants/item_form.html", form=form, bid=bid, title=title, action=url_for(endpoint, bid_id=bid.id)
    ), form_status(form)


# Funders and programmes ---------------------------------------------------------------------


@bp.route("/funders")
@roles_required(policy.EVERYONE)
def funders():
    """List funders with their programmes."""
    if fmt := downloads.wanted():
        return downloads.send(listings.funders(db.session), fmt)
    rows = db.session.scalars(
        select(Funder).options(selectinload(Funder.programmes)).order_by(Funder.name)
    ).all()
    return render_template("grants/funders.html", funders=rows, can_manage=policy.can_manage(current_user))


@bp.route("/funders/<int:funder_id>")
@roles_required(policy.EVERYONE)
def funder_detail(funder_id: int):
    """Show a funder: its programmes and every bid to it, with totals requested and awarded."""
    funder = db.get_or_404(Funder, funder_id)
    return render_template(
        "grants/funder_detail.html",
        funder=funder,
        bids=grant_reports.list_bids(db.session, grant_reports.BidFilters(funder_id=funder.id)),
        totals=grant_reports.funder_totals(db.session, funder.id),
        can_manage=policy.can_manage(current_user),
    )


@bp.route("/funders/new", methods=["GET", "POST"])
@bp.route("/funders/<int:funder_id>/edit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def funder_form(funder_id: int | None = None):
    """Add or change a funder."""
    funder = db.get_or_404(Funder, funder_id) if funder_id else None
    form = FunderForm(obj=funder) if request.method == "GET" and funder else FunderForm()
    if form.validate_on_submit():
        data = grant_service.FunderInput(
            form.name.data or "", FunderType(form.type.data), form.notes.data or ""
        )
        try:
            funder = commit_or_show(
                form,
                lambda: (
                    grant_service.update_funder(
                        db.session, funder, data, actor=current_user, expected_version=form.version.data
                    )
                    if funder is not None
                    else grant_service.create_funder(db.session, data, actor=current_user)
                ),
            )
        except StaleEdit:
            fresh = db.session.get(Funder, funder_id)
            saved = FunderForm(obj=fresh, formdata=None)
            saved.type.data = fresh.type.value
            return conflict_response(
                form, saved, url_for("grants.funder_form", funder_id=funder_id), "funder"
            )
        if funder is not None:
            flash(f"{funder.name} saved.")
            return redirect(url_for("grants.funder_detail", funder_id=funder.id))
    return render_template("grants/funder_form.html", form=form, funder=funder), form_status(form)


@bp.route("/funders/<int:funder_id>/programmes/new", methods=["GET", "POST"])
@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def programme_form(funder_id: int | None = None, programme_id: int | None = None):
    """Add or change a funder's programme."""
    programme = db.get_or_404(Programme, programme_id) if programme_id else None
    funder = programme.funder if programme else db.get_or_404(Funder, funder_id)
    form = ProgrammeForm(obj=programme) if request.method == "GET" and programme else ProgrammeForm()
    if form.validate_on_submit():
        data = grant_service.ProgrammeInput(
            name=form.name.data or "",
            total_pot=form.total_pot.data,
            opens_on=form.opens_on.data,
            closes_on=form.closes_on.data,
            notes=form.notes.data or "",
        )
        try:
            done = commit_or_show(
                form,
                lambda: (
                    grant_service.update_programme(
                        db.session, programme, data, actor=current_user, expected_version=form.version.data
                    )
                    if programme is not None
                    else grant_service.create_programme(db.session, funder, data, actor=current_user)
                ),
            )
        except StaleEdit:
            saved = ProgrammeForm(obj=db.session.get(Programme, programme_id), formdata=None)
            here = url_for("grants.programme_form", programme_id=programme_id)
            return conflict_response(form, saved, here, "programme")
        if done is not None:
            flash("Programme saved.")
            return redirect(url_for("grants.funder_detail", funder_id=funder.id))
    return render_template(
        "grants/programme_form.html", form=form, funder=funder, programme=programme
    ), form_status(form)
