import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from incometrack.auth import oidc
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
                render_template("auth/login.html", form=form, **_page_options()),
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
        if user is not None and not _password_allowed(user):
            refused = f"{user.email}: password sign-in is for break-glass accounts only"
            audit.record(db.session, user, "login refused", "users", user.id, summary=refused)
            db.session.commit()
            form.email.errors.append(BREAK_GLASS_ONLY)
        elif user is not None:
            users.note_sign_in(db.session, user, form.password.data)
            start_session(user)
            login_user(user)
            if user.break_glass:
                audit.record(db.session, user, "break-glass login", "users", user.id, summary=user.email)
            else:
                audit.record(db.session, user, "login", "users", user.id, summary=user.email)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        else:
            db.session.commit()
            form.email.errors.append("Enter a correct email address and password")
    if form.errors:
        status = 400
    return render_template("auth/login.html", form=form, **_page_options()), status


#: PASSWORD_LOGIN's value that keeps passwords for break-glass accounts
BREAK_GLASS_MODE = "break_glass_only"
BREAK_GLASS_ONLY = "Sign in with Microsoft: password sign-in is kept for break-glass accounts"


def _page_options() -> dict[str, object]:
    """What the sign-in page offers: Microsoft first where single sign-on is on, and whether the
    password form is for break-glass accounts only."""
    return {
        "sso": oidc.enabled(),
        "break_glass_only": current_app.config["PASSWORD_LOGIN"] == BREAK_GLASS_MODE,
    }


def _password_allowed(user) -> bool:
    return current_app.config["PASSWORD_LOGIN"] != BREAK_GLASS_MODE or user.break_glass


# Single sign-on ------------------------------------------------------------------------------


@bp.route("/auth/oidc/login")
def oidc_login():
    """Send the person to the provider to sign in (a new state, nonce and PKCE challenge)."""
    if not oidc.enabled():
        abort(404)
    from requests import RequestException

    try:
        return oidc.client().authorize_redirect(
            url_for("auth.oidc_callback", _external=True), prompt="select_account"
        )
    except (RequestException, ValueError) as error:  # the provider's discovery did not answer
        return _token_endpoint_failed(error)


def _refused(status: int, message: str, reason: str):
    """A failed sign-in: a plain page with the reason, recorded in the audit log."""
    db.session.rollback()
    start_writing(db.session)
    audit.record(
        db.session, None, "sign-in refused", "users", None, summary=f"single sign-on: {reason}"[:255]
    )
    db.session.commit()
    current_app.logger.warning("Single sign-on refused (request %s): %s", g.get("request_id"), reason)
    return render_template("auth/sso_failed.html", status=status, message=message), status


def _token_endpoint_failed(error: Exception):
    return _refused(
        502,
        "Microsoft's sign-in service did not answer properly. Try again later; if it keeps happening,"
        f" tell your administrator and quote reference {g.get('request_id')}.",
        f"token endpoint: {type(error).__name__}: {error}",
    )


@bp.route("/auth/oidc/callback")
@reads_first
def oidc_callback():
    """The provider's answer: the code exchanged (with the PKCE verifier) for tokens whose ID token
    Authlib checks; then who the person is, decided by :mod:`incometrack.services.sso`."""
    if not oidc.enabled():
        abort(404)
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
    from joserfc.errors import JoseError
    from requests import RequestException

    from incometrack.services import sso

    if error := request.args.get("error"):
        if error == "access_denied":
            return _refused(403, "The sign-in was refused or cancelled at Microsoft.", f"provider: {error}")
        return _refused(400, "Microsoft could not sign you in. Please try again.", f"provider: {error}")
    try:
        token = oidc.client().authorize_access_token(leeway=oidc.LEEWAY_SECONDS)
    except MismatchingStateError:
        return _refused(400, "Your sign-in expired, please try again.", "state missing, expired or replayed")
    except OAuthError as error:  # the token endpoint refused the code (or its verifier)
        return _token_endpoint_failed(error)
    except (JoseError, AuthlibBaseError) as error:
        return _refused(
            401, "The sign-in could not be verified. Please try again.", f"invalid ID token: {error}"
        )
    except (RequestException, ValueError) as error:
        return _token_endpoint_failed(error)
    claims = token.get("userinfo") or {}
    start_writing(db.session)
    try:
        user = sso.sign_in(db.session, claims, oidc.settings())
    except sso.SignInRefused as refusal:
        return _refused(refusal.status, refusal.message, refusal.reason)
    start_session(user)
    session["oidc_id_token"] = token.get("id_token", "")
    login_user(user)
    audit.record(db.session, user, "login", "users", user.id, summary=f"{user.email} (single sign-on)")
    db.session.commit()
    return redirect(url_for("main.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: end this login everywhere, since the session token is replaced."""
    user = current_user._get_current_object()
    users.end_sessions(user)
    audit.record(db.session, user, "logout", "users", user.id, summary=user.email)
    db.session.commit()
    id_token = session.get("oidc_id_token")
    logout_user()
    session.clear()
    flash("You have signed out.")
    if id_token and oidc.enabled():
        # and out of the provider too, which sends the person back to the sign-in page
        end = oidc.client().load_server_metadata().get("end_session_endpoint")
        if end:
            from urllib.parse import urlencode

            query = urlencode(
                {"id_token_hint": id_token, "post_logout_redirect_uri": url_for("auth.login", _external=True)}
            )
            return redirect(f"{end}?{query}")
    return redirect(url_for("auth.login"))
