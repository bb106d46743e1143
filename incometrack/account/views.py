"""Your account: how often reminder emails come, when the last came, and your calendar feed."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from incometrack import policy
from incometrack.account.forms import NewCalendarLinkForm, RemindersForm
from incometrack.auth.access import roles_required
from incometrack.extensions import db
from incometrack.forms import commit_or_show, form_status
from incometrack.models import User
from incometrack.models.base import utcnow

bp = Blueprint("account", __name__)


@bp.route("/account", methods=["GET", "POST"])
@roles_required(policy.EVERYONE)
def index():
    """Choose daily, weekly or no reminder emails; see when the last was sent; the calendar link."""
    # Reminders, mail and calendars load when a page uses them, not when the app starts (issue 33).
    from incometrack.account.messages import external_url
    from incometrack.services import reminders as reminder_service

    form = (
        RemindersForm(frequency=current_user.reminder_frequency)
        if request.method == "GET"
        else RemindersForm()
    )
    if form.validate_on_submit():
        frequency = form.frequency.data
        done = commit_or_show(
            form, lambda: reminder_service.set_frequency(db.session, current_user, frequency)
        )
        if done is not None:
            flash("Your reminder choice is saved.")
            return redirect(url_for("account.index"))
    feed_url = (
        external_url("account.calendar", token=current_user.calendar_token)
        if current_user.calendar_token
        else None
    )
    return render_template(
        "account/index.html", form=form, replace_form=NewCalendarLinkForm(), feed_url=feed_url
    ), form_status(form)


@bp.route("/account/calendar", methods=["POST"])
@roles_required(policy.EVERYONE)
def new_calendar_link():
    """Make (or replace) the person's calendar feed address; the old one stops working."""
    from incometrack.services import reminders as reminder_service

    if not NewCalendarLinkForm().validate_on_submit():
        abort(400)
    had_one = current_user.calendar_token is not None
    commit_or_show(
        NewCalendarLinkForm(), lambda: reminder_service.new_calendar_token(db.session, current_user)
    )
    flash(
        "Your calendar link is replaced: the old one no longer works."
        if had_one
        else "Your calendar link is ready."
    )
    return redirect(url_for("account.index") + "#calendar")


@bp.route("/calendar/<token>.ics")
def calendar(token: str):
    """The private feed: anyone with the address reads it, so it holds titles and dates only."""
    from incometrack.account import feed
    from incometrack.reports import reminders as due

    person = db.session.scalar(select(User).where(User.calendar_token == token, User.active.is_(True)))
    if person is None:
        abort(404)
    today = date.today()
    since = today - timedelta(days=due.CALENDAR_DAYS_BACK)
    items = due.due_items(db.session, today, since=since, until=date.max, person=person)
    body = feed.calendar(person.name, items.sorted().get(person.id, []), now=utcnow())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="incometrack.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response
