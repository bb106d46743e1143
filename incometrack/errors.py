"""Error pages that say what happened in plain words and reveal nothing internal."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from incometrack.extensions import db
from incometrack.services import StaleEdit

log = logging.getLogger("incometrack")

TITLES = {
    400: "Your request could not be processed",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "That action is not available here",
    409: "This record has changed since you opened it",
    413: "The file is too large",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "The service is busy",
}
#: Seconds a client is asked to wait after a 503 for a database that stayed busy.
BUSY_RETRY_AFTER = 5


def _render(status: int, message: str | None = None):
    title = TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def handle_http(error: HTTPException):
    if error.code is None:
        return error
    from flask import request

    if request.path.startswith("/api/"):
        return _api_problem(error)
    # abort(403, "why") gives its reason; werkzeug's own description is generic and not shown.
    reason = error.description if error.description != type(error).description else None
    return _render(error.code, reason)


def handle_csrf(error: CSRFError):
    log.warning("CSRF refused (request %s): %s", g.get("request_id"), error.description)
    return _render(
        400, "The form had expired or was not sent from this site. Go back, reload the page and try again."
    )


def handle_stale_edit(error: StaleEdit):
    """A stale edit that its view shows no side-by-side page for: the service's plain refusal."""
    db.session.rollback()
    return _render(409, error.message)


def handle_stale(error: StaleDataError):
    """A concurrent save won a race no service caught: refuse this one as a conflict, never a 500."""
    db.session.rollback()
    log.info("Stale update refused (request %s): %s", g.get("request_id"), error)
    return _render(
        409,
        "Someone else saved this record at the same moment. Nothing of yours has been saved: "
        "open it again to see their change.",
    )


def is_unique_violation(error: IntegrityError) -> bool:
    """A duplicate key (PostgreSQL's SQLSTATE 23505, SQLite's "UNIQUE constraint failed")."""
    original = error.orig
    return getattr(original, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(original)


def is_database_busy(error: OperationalError) -> bool:
    """SQLite's write lock was not free within the busy timeout."""
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


def handle_integrity(error: IntegrityError):
    """Two people created the same unique thing at once: the second is told, never shown a 500."""
    db.session.rollback()
    if not is_unique_violation(error):
        return handle_unexpected(error)
    log.info("Duplicate refused (request %s): %s", g.get("request_id"), error.orig)
    return _render(
        409,
        "Someone else created the same record at the same moment, and theirs was saved first. "
        "Nothing of yours has been saved: go back, reload the page and check before trying again.",
    )


def handle_operational(error: OperationalError):
    """The database stayed busy for longer than the busy timeout: ask the client to try again."""
    db.session.rollback()
    if not is_database_busy(error):
        return handle_unexpected(error)
    g.sqlite_begin = "DEFERRED"  # drawing the page (the menu reads the user) must not wait again
    log.warning("Database busy (request %s): %s", g.get("request_id"), error.orig)
    page, status = _render(
        503, "The database is busy with other work. Nothing has been saved: wait a few seconds and try again."
    )
    return page, status, {"Retry-After": str(BUSY_RETRY_AFTER)}


def _api_problem(error: HTTPException):
    """An API error as problem JSON: a bad filter (webargs') is a 400 naming the parameter."""
    from incometrack.api.errors import problem

    if error.code in (400, 422) and "messages" in (getattr(error, "data", None) or {}):  # webargs
        messages = error.data["messages"]
        found = messages.get("query", messages) if isinstance(messages, dict) else {}
        names = ", ".join(
            f"{name}: {' '.join(map(str, why)) if isinstance(why, list) else why}"
            for name, why in found.items()
        )
        return problem(400, names or "A parameter is not valid", parameters=sorted(found))
    if error.code == 405:
        return problem(405, "The API is read-only: GET and HEAD only", headers={"Allow": "GET, HEAD"})
    detail = error.description if error.description != type(error).description else "No such resource"
    return problem(error.code, detail)


def handle_unexpected(error: Exception):
    db.session.rollback()
    log.exception("Unhandled error (request %s)", g.get("request_id"), exc_info=error)
    from flask import request

    if request.path.startswith("/api/"):
        from incometrack.api.errors import problem

        return problem(500, f"Something went wrong: quote reference {g.get('request_id')}")
    return _render(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(StaleEdit, handle_stale_edit)
    app.register_error_handler(IntegrityError, handle_integrity)
    app.register_error_handler(OperationalError, handle_operational)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
