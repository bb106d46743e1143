from __future__ import annotations

import dataclasses
from contextlib import suppress
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from incometrack import charts, downloads, money, periods, policy
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import (
    NO_RECORD,
    act_and_redirect,
    arg_id,
    arg_int,
    commit_or_show,
    confirm_page,
    conflict_response,
    form_status,
    optional_int,
    validate_with,
    version_of,
    year_choices,
)
from incometrack.income.forms import (
    BudgetForm,
    BudgetGridForm,
    ConfirmForm,
    EntryFilterForm,
    EntryForm,
    ForecastForm,
    LockForm,
    ReopenForm,
    StreamFilterForm,
    StreamForm,
    VersionedActionForm,
)
from incometrack.models import (
    Budget,
    Forecast,
    ImportBatch,
    IncomeEntry,
    IncomeStream,
    PeriodLock,
    StreamStatus,
)
from incometrack.reports import entries as entry_reports
from incometrack.reports import income as income_reports
from incometrack.reports import listings
from incometrack.reports.pagination import page_size
from incometrack.reports.returns import income_summary
from incometrack.services import StaleEdit, ValidationErrors
from incometrack.services import income as income_service
from incometrack.services import locks as lock_service

bp = Blueprint("income", __name__, url_prefix="/income")


def _year_or_404(label: str) -> periods.FinancialYear:
    try:
        return periods.FinancialYear.parse(label)
    except periods.PeriodError:
        abort(404)


def _quarter_or_404(label: str, number: int) -> periods.Quarter:
    try:
        return periods.Quarter.parse(label, number)
    except periods.PeriodError:
        abort(404)


@bp.route("/")
@roles_required(policy.FINANCE_READERS)
def index():
    """Send the Income menu item to the entry list."""
    return redirect(url_for("income.entries"))


# Streams ------------------------------------------------------------------------------------


@bp.route("/streams")
@roles_required(policy.FINANCE_READERS)
def streams():
    """List streams, filtered by service, category and status, or found by code or name."""
    filters = StreamFilterForm(request.args)
    filters.fill_choices(db.session)
    filters.validate()
    rows = income_reports.list_streams(
        db.session,
        service_id=filters.service.data,
        category_id=filters.category.data,
        status=filters.status.data,
        text=filters.text.data or "",
    )
    as_at = income_reports.live_as_at(date.today())
    if fmt := downloads.wanted():
        return downloads.send(
            listings.streams(db.session, rows, as_at, described=downloads.described(filters)), fmt
        )
    return render_template(
        "income/streams.html",
        streams=rows,
        filters=filters,
        as_at=as_at,
        positions=income_reports.stream_positions(db.session, as_at, [s.id for s in rows]),
        since=income_reports.received_since(db.session, as_at, date.today()),
    ), form_status(filters)


def _stream_input(form: StreamForm) -> income_service.StreamInput:
    return income_service.StreamInput(
        code=form.code.data or "",
        name=form.name.data or "",
        service_id=form.service_id.data or 0,
        category_id=form.category_id.data or 0,
        site_id=form.site_id.data,
        owner_id=form.owner_id.data,
        status=StreamStatus(form.status.data or StreamStatus.ACTIVE.value),
        description=form.description.data or "",
        ledger_codes=income_service.parse_ledger_codes(form.ledger_codes.data or ""),
    )


@bp.route("/streams/new", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def stream_new():
    """Create an income stream."""
    form = StreamForm()
    form.fill_choices(db.session)
    if validate_with(form, lambda: income_service.stream_problems(db.session, _stream_input(form))):
        stream = commit_or_show(
            form, lambda: income_service.create_stream(db.session, _stream_input(form), actor=current_user)
        )
        if stream is not None:
            flash(f"Stream {stream.code} created.")
            return redirect(url_for("income.stream_detail", stream_id=stream.id))
    return render_template("income/stream_form.html", form=form, stream=None), form_status(form)


@bp.route("/streams/<int:stream_id>")
@roles_required(policy.FINANCE_READERS)
def stream_detail(stream_id: int):
    """Show a stream with its budgets, forecasts and income by quarter for a year."""
    stream = db.get_or_404(IncomeStream, stream_id)
    today = date.today()
    year = _year_or_404(request.args.get("year") or periods.latest_ended_month(today).year.label)
    as_at = income_reports.live_as_at(today, year)
    position = income_reports.stream_positions(db.session, as_at, [stream.id])[stream.id]
    since = income_reports.received_since(db.session, as_at, date.today()).get(stream.id, 0)
    chart = charts.bar_chart_svg(
        [
            charts.BarGroup(name, (actual or 0, profiled))
            for name, actual, profiled in zip(
                periods.PERIOD_NAMES, position.monthly, position.months, strict=True
            )
        ],
        ("Actual income", "Monthly profile"),
        chart_id="months",
        title=f"{stream.code} income by month against the monthly profile, {year.label}",
        height=280,
    )
    budgets = db.session.scalars(
        select(Budget).where(Budget.stream_id == stream.id).order_by(Budget.year.desc())
    ).all()
    forecasts = db.session.scalars(
        select(Forecast)
        .where(Forecast.stream_id == stream.id, Forecast.year == year.start)
        .order_by(Forecast.quarter)
    ).all()
    return render_template(
        "income/stream_detail.html",
        stream=stream,
        year=year,
        as_at=as_at,
        position=position,
        since=since,
        chart=chart,
        month_names=periods.PERIOD_NAMES,
        budgets=budgets,
        forecasts=forecasts,
        years=year_choices(periods.fy_for(today)),
        confirm_form=ConfirmForm(version=stream.version),
    )


@bp.route("/streams/<int:stream_id>/edit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def stream_edit(stream_id: int):
    """Change a stream's details."""
    stream = db.get_or_404(IncomeStream, stream_id)
    form = StreamForm(obj=stream) if request.method == "GET" else StreamForm()
    if request.method == "GET":
        form.ledger_codes.data = "\n".join(code.code for code in stream.ledger_codes)
    form.fill_choices(db.session)
    if validate_with(
        form, lambda: income_service.stream_problems(db.session, _stream_input(form), existing_id=stream.id)
    ):
        try:
            done = commit_or_show(
                form,
                lambda: income_service.update_stream(
                    db.session,
                    stream,
                    _stream_input(form),
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            return _stream_conflict(form, stream)
        if done is not None:
            flash(f"Stream {stream.code} saved.")
            return redirect(url_for("income.stream_detail", stream_id=stream.id))
    return render_template("income/stream_form.html", form=form, stream=stream), form_status(form)


def _stream_conflict(form: StreamForm, stream: IncomeStream):
    stream = db.session.get(IncomeStream, stream.id)
    saved = StreamForm(obj=stream, formdata=None)
    saved.status.data = stream.status.value
    saved.ledger_codes.data = "\n".join(code.code for code in stream.ledger_codes)
    saved.fill_choices(db.session)
    return conflict_response(
        form, saved, url_for("income.stream_edit", stream_id=stream.id), f"stream {stream.code}"
    )


@bp.route("/streams/<int:stream_id>/cease", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def stream_cease(stream_id: int):
    """Ask, then mark a stream as ceased (its history stays)."""
    stream = db.get_or_404(IncomeStream, stream_id)
    here = url_for("income.stream_detail", stream_id=stream_id)
    if request.method == "GET":
        return confirm_page(
            f"Cease {stream.code} {stream.name}?",
            rows=[
                {"key": {"text": "Service"}, "value": {"text": stream.service.name}},
                {"key": {"text": "Status now"}, "value": {"text": stream.status.value.capitalize()}},
            ],
            consequences=[
                "A ceased stream earns nothing more: its default forecast becomes its income to date.",
                "Its budgets, income and history stay as they are; the audit log records that you ceased it.",
            ],
            button="Cease stream",
            back=here,
            form=VersionedActionForm(version=stream.version),
        )
    form = VersionedActionForm()
    if not form.validate_on_submit():
        abort(
            400, "This change did not say which version of the stream it was made from, so it was not saved."
        )
    return act_and_redirect(
        lambda: income_service.cease_stream(
            db.session, stream, actor=current_user, expected_version=form.version.data
        ),
        then=here,
        done=f"Stream {stream.code} has ceased.",
        back=here,
        stale="The stream changed after you opened it, so it was not ceased. Check it and try again.",
    )


# Budgets ------------------------------------------------------------------------------------


@bp.route("/streams/<int:stream_id>/budget/<year_label>", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def budget_edit(stream_id: int, year_label: str):
    """Set a stream's annual budget and quarterly profile for a year."""
    stream = db.get_or_404(IncomeStream, stream_id)
    year = _year_or_404(year_label)
    budget = income_reports.budget_for(db.session, stream.id, year.start)
    if request.method == "GET":
        form = BudgetForm(obj=budget, version=version_of(budget))
        form.profile_by.data = "month" if budget is not None and budget.profiled_by_month else "quarter"
    else:
        form = BudgetForm()
    if form.validate_on_submit():
        try:
            done = commit_or_show(
                form,
                lambda: income_service.set_budget(
                    db.session,
                    stream,
                    year.start,
                    form.annual.data,
                    form.profile,
                    months=form.months,
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            saved = BudgetForm(
                obj=income_reports.budget_for(db.session, stream.id, year.start), formdata=None
            )
            here = url_for("income.budget_edit", stream_id=stream.id, year_label=year.label)
            return conflict_response(form, saved, here, f"budget of {stream.code} for {year.label}")
        if done is not None:
            flash(f"Budget for {stream.code} in {year.label} saved.")
            return redirect(url_for("income.stream_detail", stream_id=stream.id, year=year.label))
    return render_template(
        "income/budget_form.html", form=form, stream=stream, year=year, budget=budget
    ), form_status(form)


@bp.route("/budgets")
@roles_required(policy.FINANCE_READERS)
def budgets_current():
    """Open the budget grid of the current financial year."""
    return redirect(url_for("income.budget_grid", year_label=periods.fy_for(date.today()).label))


@bp.route("/budgets/<year_label>", methods=["GET", "POST"])
@roles_required(policy.FINANCE_READERS)
def budget_grid(year_label: str):
    """Show every stream's budget for a year, editable (by finance) in one form."""
    year = _year_or_404(year_label)
    #: "month": the grid of P1-P12 (seasonal streams); otherwise annual budgets and quarters
    by_month_grid = (request.values.get("by") or "") == "month"
    if request.method == "GET" and (fmt := downloads.wanted()):
        return downloads.send(listings.budgets(db.session, year), fmt)
    streams = db.session.scalars(select(IncomeStream).order_by(IncomeStream.code)).all()
    budgets = {b.stream_id: b for b in db.session.scalars(select(Budget).where(Budget.year == year.start))}
    if request.method == "POST":
        if not policy.can_manage(current_user):
            abort(403, "Only finance officers and administrators change this.")
        form = BudgetGridForm()
        known = {stream.id for stream in streams}
        if any(row.stream_id.data not in known for row in form.rows):
            abort(400, "The grid was sent with a row for no stream of this year's grid. Open it again.")
    else:
        form = BudgetGridForm(
            formdata=None,
            data={"rows": [_grid_row(stream, budgets.get(stream.id)) for stream in streams]},
        )
    by_id = {s.id: s for s in streams}
    refused = False
    if form.validate_on_submit():
        rows = [
            income_service.BudgetRow(
                stream_id=row.stream_id.data,
                annual=None if by_month_grid else row.annual.data,
                profile=None if by_month_grid else (row.q1.data, row.q2.data, row.q3.data, row.q4.data),
                version=row.version.data,
                months=tuple(getattr(row, f"p{n}").data for n in range(1, 13)) if by_month_grid else None,
            )
            for row in form.rows
        ]
        try:
            saved = income_service.save_budget_grid(db.session, year.start, rows, actor=current_user)
        except StaleEdit as error:
            db.session.rollback()
            flash(
                f"{error.message} Another person saved budgets after you opened the grid: "
                "it now shows their figures. Make your changes again.",
                "error",
            )
            return redirect(
                url_for("income.budget_grid", year_label=year.label, by=request.values.get("by"))
            ), 303
        except ValidationErrors as error:
            db.session.rollback()
            refused = True
            for key, message in error.errors.items():
                _, index, field = key.split("-", 2)
                getattr(form.rows[int(index)], field).errors = [message]
        else:
            db.session.commit()
            flash(f"{saved} budgets for {year.label} saved.")
            return redirect(url_for("income.budget_grid", year_label=year.label, by=request.values.get("by")))
    totals = _grid_totals(budgets.values())
    status = 400 if refused or form.errors else 200
    as_at = income_reports.live_as_at(date.today(), year)
    services, overall, _rows = income_summary(db.session, as_at)
    return render_template(
        "income/budget_grid.html",
        form=form,
        year=year,
        streams=by_id,
        as_at=as_at,
        services=services,
        overall=overall,
        since=sum(income_reports.received_since(db.session, as_at, date.today()).values()),
        by_month={b.stream_id for b in budgets.values() if b.profiled_by_month},
        by_month_grid=by_month_grid,
        month_totals=[sum(b.months[n] for b in budgets.values()) for n in range(12)],
        totals=totals,
        years=year_choices(periods.fy_for(date.today())),
        can_edit=policy.can_manage(current_user),
    ), status


def _grid_row(stream: IncomeStream, budget: Budget | None) -> dict[str, object]:
    if budget is None:
        return {"stream_id": stream.id, "version": NO_RECORD}
    return {
        "stream_id": stream.id,
        "annual": budget.annual,
        "q1": budget.q1,
        "q2": budget.q2,
        "q3": budget.q3,
        "q4": budget.q4,
        **{f"p{n}": budget.months[n - 1] for n in range(1, 13)},
        "version": budget.version,
    }


def _grid_totals(budgets) -> dict[str, int]:
    totals = {"annual": 0, "q1": 0, "q2": 0, "q3": 0, "q4": 0}
    for budget in budgets:
        for key in totals:
            totals[key] += getattr(budget, key)
    return totals


# Entries ------------------------------------------------------------------------------------


def _entry_filters(form: EntryFilterForm) -> entry_reports.EntryFilters:
    year = None
    if form.year.data:
        try:
            year = periods.FinancialYear.parse(form.year.data).start
        except periods.PeriodError:
            form.year.errors = ["Choose a financial year from the list"]
    return entry_reports.EntryFilters(
        year=year,
        quarter=optional_int(form.quarter.data),
        service_id=form.service.data,
        site_id=form.site.data,
        stream_id=form.stream.data,
        category_id=form.category.data,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        text=form.text.data or "",
    )


@bp.route("/entries")
@roles_required(policy.FINANCE_READERS)
def entries():
    """List income entries with filters, sorting, pages and the total of the filtered rows."""
    current = periods.fy_for(date.today())
    args = request.args.to_dict()
    if "year" not in args:
        args["year"] = current.label
    filters = EntryFilterForm(formdata=MultiDict(args))
    filters.fill_choices(db.session, current)
    filters.validate()
    if filters.date_from.errors or filters.date_to.errors or filters.year.errors:
        criteria = entry_reports.EntryFilters(year=-1)  # show nothing until the filter is put right
    else:
        criteria = _entry_filters(filters)
    # An import's page links here for its own entries: the batch is a filter the links keep.
    batch = db.get_or_404(ImportBatch, batch_id) if (batch_id := arg_id("batch")) else None
    criteria = dataclasses.replace(criteria, batch_id=batch_id)
    if (fmt := downloads.wanted()) and not filters.errors:
        sort = request.args.get("sort", entry_reports.DEFAULT_SORT)
        listing = listings.entries(db.session, criteria, sort=sort, described=downloads.described(filters))
        return downloads.send(listing, fmt)
    listing = entry_reports.list_entries(
        db.session,
        criteria,
        sort=request.args.get("sort", entry_reports.DEFAULT_SORT),
        page=arg_int("page", 1),
        per_page=page_size(arg_int("per_page")),
    )
    # Links keep the filters (and a chosen page size), never any other parameter a URL carried.
    query = {k: v for k, v in args.items() if (k in filters or k in ("per_page", "batch")) and v}
    status = 400 if filters.errors else 200
    return render_template(
        "income/entries.html", listing=listing, filters=filters, query=query, form=filters, batch=batch
    ), status


def _entry_input(form: EntryForm) -> income_service.EntryInput:
    return income_service.EntryInput(
        date_received=form.date_received.data,
        stream_id=form.stream_id.data or 0,
        amount=form.amount.data,
        reference=form.reference.data or "",
        site_id=form.site_id.data,
        description=form.description.data or "",
    )


def _entry_problems(form: EntryForm) -> dict[str, str]:
    return income_service.entry_input_problems(db.session, _entry_input(form), date.today())


#: The most entries "Save and record another" lists as this batch.
BATCH_SHOWN = 100


@bp.route("/entries/new", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def entry_new():
    """Record income received (a negative amount is a refund or correction). "Save and record
    another" keeps the date, stream and site, and lists what this batch has recorded so far."""
    form = EntryForm()
    form.fill_choices(db.session)
    recorded = [n for n in map(optional_int, request.args.get("recorded", "").split(",")) if n][-BATCH_SHOWN:]
    if request.method == "GET":
        form.stream_id.data = optional_int(request.args.get("stream"))
        form.site_id.data = optional_int(request.args.get("site"))
        if day := request.args.get("date"):
            with suppress(periods.PeriodError):
                form.date_received.data = periods.parse_date(day)
    if validate_with(form, lambda: _entry_problems(form)):
        entry = commit_or_show(
            form, lambda: income_service.create_entry(db.session, _entry_input(form), actor=current_user)
        )
        if entry is not None:
            kind = "Refund or correction" if entry.is_refund else "Entry"
            flash(f"{kind} of {money.format_gbp(entry.amount)} saved.")
            if request.form.get("another"):
                return redirect(
                    url_for(
                        "income.entry_new",
                        stream=entry.stream_id,
                        date=entry.date_received.isoformat(),
                        site=entry.site_id or None,
                        recorded=",".join(map(str, [*recorded, entry.id][-BATCH_SHOWN:])),
                    )
                )
            year = periods.fy_for(entry.date_received).label
            return redirect(url_for("income.entries", year=year, stream=entry.stream_id))
    batch = entry_reports.entries_by_ids(db.session, recorded, entered_by=current_user.id)
    return render_template(
        "income/entry_form.html", form=form, entry=None, batch=batch, recorded=",".join(map(str, recorded))
    ), form_status(form)


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def entry_edit(entry_id: int):
    """Change an entry in an open quarter."""
    entry = db.get_or_404(IncomeEntry, entry_id)
    back = _back_to_entries(entry)
    if lock_service.is_locked(db.session, periods.quarter_for(entry.date_received)):
        # Nothing to change: shown as it is, with the way to correct it.
        status = 409 if request.method == "POST" else 200
        return render_template("income/entry_locked.html", entry=entry, back=back), status
    form = EntryForm(obj=entry) if request.method == "GET" else EntryForm()
    form.fill_choices(db.session)
    if validate_with(form, lambda: _entry_problems(form)):
        try:
            done = commit_or_show(
                form,
                lambda: income_service.update_entry(
                    db.session,
                    entry,
                    _entry_input(form),
                    actor=current_user,
                    expected_version=form.version.data,
                ),
            )
        except StaleEdit:
            saved = EntryForm(obj=db.session.get(IncomeEntry, entry_id), formdata=None)
            saved.fill_choices(db.session)
            return conflict_response(
                form, saved, url_for("income.entry_edit", entry_id=entry_id), "income entry"
            )
        if done is not None:
            flash("Entry saved.")
            return redirect(back)
    status = form_status(form)
    return render_template(
        "income/entry_form.html",
        form=form,
        entry=entry,
        back=back,
        delete_form=ConfirmForm(version=entry.version),
    ), status


def _back_to_entries(entry: IncomeEntry) -> str:
    """Where an entry's page returns to: the list as it was filtered (``?back=``, only ever a path
    of the entry list), else that year's entries."""
    back = request.args.get("back", "")
    if back.startswith("/income/entries") and "//" not in back and "\\" not in back:
        return back
    return url_for("income.entries", year=periods.fy_for(entry.date_received).label)


@bp.route("/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def entry_delete(entry_id: int):
    """Ask, then delete an entry from an open quarter."""
    entry = db.get_or_404(IncomeEntry, entry_id)
    back = _back_to_entries(entry)
    if request.method == "GET":
        return confirm_page(
            "Delete this income entry?",
            rows=[
                {
                    "key": {"text": "Date received"},
                    "value": {"text": periods.format_date(entry.date_received)},
                },
                {"key": {"text": "Stream"}, "value": {"text": f"{entry.stream.code} {entry.stream.name}"}},
                {"key": {"text": "Amount"}, "value": {"text": money.format_gbp(entry.amount)}},
                {"key": {"text": "Reference"}, "value": {"text": entry.reference or "None"}},
            ],
            consequences=[
                "The entry is removed from every figure. The audit log keeps its values and who deleted it."
            ],
            button="Delete entry",
            back=url_for("income.entry_edit", entry_id=entry.id, back=back),
            form=VersionedActionForm(version=entry.version),
        )
    form = VersionedActionForm()
    if not form.validate_on_submit():
        abort(400)
    return act_and_redirect(
        lambda: income_service.delete_entry(
            db.session, entry, actor=current_user, expected_version=form.version.data
        ),
        then=back,
        done="Entry deleted.",
        back=url_for("income.entry_edit", entry_id=entry_id, back=back),
        stale="The entry changed after you opened it, so it was not deleted. Check it and try again.",
    )


# Forecasts ----------------------------------------------------------------------------------


@bp.route("/streams/<int:stream_id>/forecast/<year_label>/<int:quarter>", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def forecast_edit(stream_id: int, year_label: str, quarter: int):
    """Record a stream's forecast outturn for the year, made in a quarter, with commentary."""
    stream = db.get_or_404(IncomeStream, stream_id)
    period = _quarter_or_404(year_label, quarter)
    existing = income_reports.forecast_made_in(db.session, stream.id, period)
    as_at = income_reports.forecast_as_at(period, date.today())
    current = income_reports.stream_positions(db.session, as_at, [stream.id], forecast_quarter=period)[
        stream.id
    ]
    form = (
        ForecastForm(obj=existing, version=version_of(existing))
        if request.method == "GET"
        else ForecastForm()
    )
    preview = None
    if form.validate_on_submit():
        preview = income_reports.forecast_preview(
            db.session, stream.id, as_at, _outturn_or_standing(form, current), quarter=period
        )
        if form.submit.data:
            try:
                done = commit_or_show(form, lambda: _save_forecast(form, stream, period))
            except StaleEdit:
                saved = ForecastForm(
                    obj=income_reports.forecast_made_in(db.session, stream.id, period), formdata=None
                )
                here = url_for(
                    "income.forecast_edit", stream_id=stream.id, year_label=period.year.label, quarter=quarter
                )
                return conflict_response(form, saved, here, f"forecast of {stream.code} for {period.label}")
            if done is not None:
                flash(f"Forecast for {stream.code} in {period.label} saved.")
                return redirect(url_for("income.stream_detail", stream_id=stream.id, year=period.year.label))
    elif request.method == "GET":
        preview = income_reports.forecast_preview(
            db.session, stream.id, as_at, _outturn_or_standing(form, current), quarter=period
        )
    return render_template(
        "income/forecast_form.html",
        as_at=as_at,
        form=form,
        stream=stream,
        period=period,
        current=current,
        preview=preview,
        submitted=income_service.return_submitted(db.session, period),
    ), form_status(form)


def _save_forecast(form: ForecastForm, stream: IncomeStream, period: periods.Quarter) -> bool:
    """The forecast typed with its commentary; with no figure typed, the commentary alone."""
    commentary, version = form.commentary.data or "", form.version.data
    if form.outturn.data is None:
        income_service.save_commentary(
            db.session, stream, period, commentary, actor=current_user, expected_version=version
        )
    else:
        income_service.save_forecast(
            db.session,
            stream,
            period,
            form.outturn.data,
            commentary,
            actor=current_user,
            expected_version=version,
        )
    return True


def _outturn_or_standing(form: ForecastForm, current) -> int:
    """The forecast the form would leave standing: the one typed, or the one standing now."""
    return form.outturn.data if form.outturn.data is not None else current.forecast_outturn


# Period locks -------------------------------------------------------------------------------


@bp.route("/locks", methods=["GET", "POST"])
@roles_required(policy.FINANCE_READERS)
def locks():
    """Show which quarters are locked; finance locks one."""
    current = periods.fy_for(date.today())
    form = LockForm()
    form.year.choices = year_choices(current)
    if request.method == "GET":
        form.year.data = current.label
        form.quarter.data = str(periods.quarter_for(date.today()).previous().number)
    if request.method == "POST":
        if not policy.can_manage(current_user):
            abort(403, "Only finance officers and administrators change this.")
        if form.validate_on_submit():
            try:
                quarter = periods.Quarter.parse(form.year.data, form.quarter.data)
            except periods.PeriodError as error:
                form.year.errors = [str(error)]
            else:
                if refusal := lock_service.lock_refusal(quarter, date.today()):
                    form.quarter.errors = [refusal]
                elif not request.form.get("confirmed"):
                    # Locking cannot be undone by finance: say what it will do and ask first.
                    return render_template(
                        "income/lock_confirm.html",
                        form=form,
                        quarter=quarter,
                        locking=lock_service.quarters_to_lock(db.session, quarter),
                    )
                else:
                    locked = commit_or_show(
                        form, lambda: lock_service.lock_through(db.session, quarter, actor=current_user)
                    )
                    if locked is not None:
                        names = " and ".join(q.label for q in locked) or f"{quarter.label} (already)"
                        flash(f"Locked {names}: entries dated in them cannot be added, changed or deleted.")
                        return redirect(url_for("income.locks"))
    rows = db.session.scalars(
        select(PeriodLock).order_by(PeriodLock.year.desc(), PeriodLock.quarter.desc())
    ).all()
    return render_template(
        "income/locks.html",
        form=form,
        locks=rows,
        reopen_form=ReopenForm(),
        can_lock=policy.can_manage(current_user),
    ), form_status(form)


@bp.route("/locks/<int:lock_id>/reopen", methods=["GET", "POST"])
@roles_required(policy.ADMINS)
def lock_reopen(lock_id: int):
    """Reopen a locked quarter, with the reason recorded (administrators only)."""
    lock = db.get_or_404(PeriodLock, lock_id)
    quarter = periods.FinancialYear(lock.year).quarter(lock.quarter)
    form = ReopenForm(version=lock.version) if request.method == "GET" else ReopenForm()
    if form.validate_on_submit() and commit_or_show(
        form,
        lambda: lock_service.reopen(
            db.session,
            quarter,
            actor=current_user,
            reason=form.reason.data,
            expected_version=form.version.data,
        ),
    ):
        flash(f"{quarter.label} is open again.")
        return redirect(url_for("income.locks"))
    return render_template("income/lock_reopen.html", form=form, lock=lock, quarter=quarter), form_status(
        form
    )
