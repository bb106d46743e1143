"""Login required everywhere by default; role checks on the server for each view.

A view is public only when its endpoint is listed in :data:`PUBLIC_ENDPOINTS`. Every other view
needs a signed-in, active user whose session is neither idle too long nor too old.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import select

from incometrack import policy
from incometrack.extensions import db, login_manager
from incometrack.models import Role, User
from incometrack.models.base import utcnow

#: The calendar feed is read by Outlook and Google, which cannot sign in: the secret token in its
#: address is its key.
PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "auth.oidc_login", "auth.oidc_callback", "static", "main.healthz", "account.calendar"}
)


def roles_required(allowed: frozenset[Role]) -> Callable:
    """Refuse with 403 unless the signed-in user has one of the ``allowed`` roles (one of the
    sets in :mod:`incometrack.policy`)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403, policy.role_refusal(current_user.role, allowed))
            return view(*args, **kwargs)

        wrapper.allowed_roles = allowed  # read by the navigation and the access tests
        return wrapper

    return decorator


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only when it is a path on this site (no scheme, host or ``//``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


def _load_user(token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.session_token == token))
    return user if user is not None and user.active else None


def start_session(user: User) -> None:
    """Begin a fresh session for ``user`` (nothing of the anonymous session survives)."""
    session.clear()
    session.permanent = True
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now


def _session_expired() -> bool:
    now = utcnow().timestamp()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    return now - session.get("seen_at", 0) > idle or now - session.get("auth_at", 0) > absolute


def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.path.startswith("/api/"):  # a token, never a session: the API answers for itself
        return None
    if current_user.is_authenticated and _session_expired():
        logout_user()
        session.clear()
    if not current_user.is_authenticated:
        return redirect(
            url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
        )
    session["seen_at"] = utcnow().timestamp()
    return None


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.session_protection = None  # the session token does this job, and survives proxies
    app.before_request(require_login)
