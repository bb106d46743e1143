"""Engine settings that make SQLite safe for several workers writing at once.

Every SQLite connection runs in WAL mode (readers never block the writer), with foreign keys
enforced and a busy timeout. Transactions that may write begin with ``BEGIN IMMEDIATE``, which
takes the write lock up front: a second worker then waits for it (up to the busy timeout) instead
of failing later with "database is locked" when a deferred read lock cannot be upgraded.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

#: Requests that never write read in a deferred transaction, so reports do not queue behind writers.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engine(app: Flask, engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    busy_timeout = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's begin event, not the sqlite3 module, decide how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql(f"BEGIN {begin_mode(connection.get_execution_options())}")


def begin_mode(options: dict) -> str:
    """DEFERRED for a read-only request, a request reading before it writes (:func:`read_first`)
    or a connection that asks for it (``sqlite_begin``); IMMEDIATE for everything else: form
    posts, CLI commands, imports."""
    if mode := options.get("sqlite_begin"):
        return mode
    if has_app_context() and (mode := g.get("sqlite_begin")):
        return mode
    if has_request_context() and request.method in READ_ONLY_METHODS:
        return "DEFERRED"
    return "IMMEDIATE"


def reads_first(view: Callable) -> Callable:
    """Mark a view that reads (builds files, hashes passwords, parses uploads) before it writes:
    its request's transactions, the sign-in check's included, begin DEFERRED and take no write
    lock until it calls :func:`start_writing`.

    SQLite has one write lock for the whole database; a request that held it while building a
    workbook made every other save wait, then fail. PostgreSQL is unaffected.
    """
    view.reads_first = True
    return view


def _choose_begin() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "reads_first", False):
        g.sqlite_begin = "DEFERRED"


def init_app(app: Flask) -> None:
    """Run before every other request hook, so the first query already begins as it should."""
    app.before_request(_choose_begin)


def start_writing(session: Session) -> None:
    """End the reading transaction and let the next one take the write lock up front.

    Call it before the request's first change: a deferred SQLite transaction that tries to write
    after another worker committed fails at once instead of waiting. Loaded objects are expired
    and reload on use.
    """
    session.rollback()
    g.sqlite_begin = "IMMEDIATE"


def stop_writing() -> None:
    """After the request's write has committed: what is left to read (drawing the page) begins
    DEFERRED again."""
    g.sqlite_begin = "DEFERRED"
