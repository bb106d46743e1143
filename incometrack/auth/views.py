from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from incometrack.auth.access import safe_next, start_session
from incometrack.auth.forms import LoginForm
from incometrack.extensions import db
from incometrack.services import audit, users

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            login_user(user)
            audit.record(db.session, user, "login", "users", user.id, summary=user.email)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
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
