import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from incometrack.auth.access import safe_next, start_session
from incometrack.auth.forms import LoginForm
from incometrack.database import reads_first, start_writing
from incometrack.extensions import db
from incometrack.services import audit, login_throttle, users

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@reads_first
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        verdict = login_throttle.check(db.session, form.email.data, address)
        if verdict.blocked:
            start_writing(db.session)
            login_throttle.record(db.session, form.email.data, address, succeeded=False)
            db.session.commit()
            minutes = verdict.retry_after_seconds // 60
            message = (
                f"Too many failed attempts. Wait {minutes} minutes, then try again, or ask an administrator."
            )
            form.email.errors.append(message)
            response = (
                render_template("auth/login.html", form=form),
                429,
                {"Retry-After": verdict.retry_after_seconds},
            )
            return response
        if verdict.delay_seconds and current_app.config["LOGIN_SLOWDOWN"]:
            db.session.rollback()  # wait holding no transaction, so no lock
            time.sleep(verdict.delay_seconds)
        user = users.authenticate(db.session, form.email.data, form.password.data)
        start_writing(db.session)
        login_throttle.record(db.session, form.email.data, address, succeeded=user is not None)
        if user is not None:
            users.note_sign_in(db.session, user, form.password.data)
            start_session(user)
            login_user(user)
            audit.record(db.session, user, "login", "users", user.id, summary=user.email)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        db.session.commit()
        form.email.errors.append("Enter a correct email address and password")
    if form.errors:
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: end this login everywhere, since the session token is replaced."""
    user = current_user._get_current_object()
    users.end_sessions(user)
    audit.record(db.session, user, "logout", "users", user.id, summary=user.email)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
