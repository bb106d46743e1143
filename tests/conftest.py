"""Fixtures: one app for the run on a database migrated once, cleaned after every test.

The database is SQLite in a temporary folder, or PostgreSQL when ``TEST_DATABASE_URL`` is set.
The schema is built by the real Alembic migrations (so the seeded reference data is there).

Tests share one app (building one per test cost more than most tests' bodies); a test that
changes a setting read only when the app is built gets an app of its own. After each test the
tables it wrote to, and those referring to them, are emptied (the engine reports every INSERT,
UPDATE and DELETE it sends); the whole database is emptied and the reference rows put back when
a reference table was written or when the test is marked ``full_reset`` (other processes wrote:
gunicorn, the command line as a subprocess, raw sqlite3 connections).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from incometrack import create_app
from incometrack.config import normalise_database_url
from incometrack.extensions import db, init_migrate
from incometrack.models import Base, Role, User
from incometrack.services import users

PASSWORD = "correct horse battery staple"


def needs(tool: str) -> pytest.MarkDecorator:
    """Skip a test whose tool (pdftotext, soffice) is missing on a developer's machine; in CI
    (``IT_REQUIRE_BROWSER`` set) run it anyway, so that a missing tool fails instead of passing."""
    missing = shutil.which(tool) is None and not os.environ.get("IT_REQUIRE_BROWSER")
    return pytest.mark.skipif(missing, reason=f"{tool} is not installed")


REFERENCE_TABLES = ("services", "cipfa_lines", "income_categories", "outcomes", "settings")


def pytest_report_header() -> str:
    return f"IncomeTrack database: {_database_kind()}"


def _database_kind() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """argon2 at production cost takes tens of milliseconds a hash; tests hash hundreds of times."""
    from argon2 import PasswordHasher

    original = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = original


def _worker_database(url: str) -> str:
    """Under pytest-xdist, each worker's own PostgreSQL database beside ``url``'s (``test_gw0``…),
    made on first use: workers never share tables. Without xdist, ``url`` itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        url = _worker_database(normalise_database_url(url))
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url: str, tmp_path, **overrides) -> dict[str, object]:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "WTF_CSRF_ENABLED": False,
        "EXPORTS_DIR": str(tmp_path / "exports"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "LOGIN_SLOWDOWN": False,
        "SERVER_NAME": None,
        "JOBS_IMMEDIATE": True,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def reference_rows(database_url: str, tmp_path_factory) -> dict[str, list[dict]]:
    """Migrate the test database once and remember the seeded reference rows."""
    from flask_migrate import upgrade

    app = create_app(make_config(database_url, tmp_path_factory.mktemp("migrate")))
    init_migrate(app)
    with app.app_context():
        upgrade()
        rows = {
            table: [dict(row._mapping) for row in db.session.execute(text(f"SELECT * FROM {table}"))]
            for table in REFERENCE_TABLES
        }
        db.session.remove()
        db.engine.dispose()
    return rows


#: Settings read at request time: a test may change them on the shared app (they are put back).
RUNTIME_SETTINGS = frozenset(
    {
        "EXPORTS_DIR",
        "UPLOAD_DIR",
        "WTF_CSRF_ENABLED",
        "MAX_CONTENT_LENGTH",
        "LOGIN_SLOWDOWN",
        "JOBS_ROW_THRESHOLD",
    }
)
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class WrittenTables:
    """The tables the engine has written to since the last :meth:`take`."""

    def __init__(self, engine) -> None:
        self.names: set[str] = set()
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection, _cursor, statement, *_args) -> None:
        if match := _WRITE.match(statement):
            self.names.add(match.group(1).lower())

    def take(self) -> set[str]:
        names, self.names = self.names, set()
        return names


def _referring_closure(names: set[str]) -> list:
    """The tables named and every table referring to them (directly or not), children first."""
    closure = set(names)
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name not in closure and any(
                fk.column.table.name in closure for fk in table.foreign_keys
            ):
                closure.add(table.name)
                grew = True
    return [table for table in reversed(Base.metadata.sorted_tables) if table.name in closure]


def _reset_written(engine, written: set[str], rows: dict[str, list[dict]]) -> None:
    """Empty the tables a test wrote to (and those referring to them), restarting their ids; the
    full reset where that would reach the seeded reference tables."""
    tables = _referring_closure({name for name in written if name in Base.metadata.tables})
    if not tables:
        return
    if any(table.name in REFERENCE_TABLES for table in tables):
        _reset(engine, rows)
        return
    with engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            for table in tables:
                if "id" in table.c:
                    sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                    connection.execute(text(f"SELECT setval({sequence}, 1, false)"))


def _reset(engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            if rows.get(table.name):
                connection.execute(insert(table), rows[table.name])
        if connection.dialect.name == "postgresql":
            for table in ("services", "cipfa_lines", "income_categories", "outcomes"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, (SELECT MAX(id) FROM {table}))"))


@pytest.fixture
def app_config(database_url: str, tmp_path) -> dict[str, object]:
    """The configuration the ``app`` fixture is built from; tests may change it before using ``app``."""
    return make_config(database_url, tmp_path)


class ClientSeeingCommits(FlaskClient):
    """After each request, the test's own session forgets what it had read, so that the test sees
    what the request committed (SQLite otherwise keeps a transaction's snapshot)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        for own in self.application.extensions.get("test_sessions", []):
            own.reread()
        return response


@pytest.fixture(scope="session")
def shared_app(database_url: str, reference_rows, tmp_path_factory) -> Iterator[tuple[Flask, WrittenTables]]:
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("shared")))
    init_migrate(app)
    app.test_client_class = ClientSeeingCommits
    with app.app_context():
        engine = db.engine
    yield app, WrittenTables(engine)
    with app.app_context():
        db.session.remove()
    with engine.connect() as connection:  # every test cleaned up after itself
        left = {
            table.name: count
            for table in Base.metadata.sorted_tables
            if table.name not in REFERENCE_TABLES
            and (count := connection.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar())
        }
    engine.dispose()
    assert left == {}, f"rows left behind by a test that wrote without the engine seeing it: {left}"


@pytest.fixture
def app(
    app_config: dict[str, object], reference_rows, shared_app, database_url, tmp_path, request
) -> Iterator[Flask]:
    """The app, with no context pushed: each request gets its own context and session, as in
    production. Tests read and write the database through the ``session`` fixture."""
    changed = {
        key for key, value in app_config.items() if make_config(database_url, tmp_path).get(key) != value
    }
    shared, written = shared_app
    if changed <= RUNTIME_SETTINGS:
        app = shared
        saved = dict(app.config)
        app.config.update({key: app_config[key] for key in RUNTIME_SETTINGS if key in app_config})
        written.take()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                engine = db.engine
            app.config.clear()
            app.config.update(saved)
            app.extensions.pop("test_sessions", None)
            if request.node.get_closest_marker("full_reset"):
                written.take()
                _reset(engine, reference_rows)
            else:
                _reset_written(engine, written.take(), reference_rows)
        return
    app = create_app(app_config)  # a setting read when the app is built: an app of its own
    app.test_client_class = ClientSeeingCommits
    yield app
    with app.app_context():
        engine = db.engine
        db.session.remove()
    _reset(engine, reference_rows)
    engine.dispose()


@pytest.fixture
def engine(app: Flask):
    with app.app_context():
        return db.engine


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class TestSession(Session):
    def reread(self) -> None:
        """End the current transaction and forget loaded values, to see what requests committed since."""
        self.rollback()
        self.expire_all()


@pytest.fixture
def session(app: Flask, engine) -> Iterator[TestSession]:
    """A session of the test's own, apart from the requests' sessions, so it sees only what they
    committed, as another user would. Test clients make it reread after every request; anything
    else that writes (a CLI run, another process) needs ``session.reread()`` before reading."""
    with TestSession(engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False) as own:
        app.extensions.setdefault("test_sessions", []).append(own)
        yield own


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    counter = {"n": 0}

    def _make(role: Role | str = Role.FINANCE, *, email: str | None = None, name: str | None = None) -> User:
        role = Role(role)
        counter["n"] += 1
        user = users.create_user(
            session,
            email=email or f"{role.value}{counter['n']}@council.example",
            name=name or f"{role.value.title()} User {counter['n']}",
            role=role,
            password=PASSWORD,
        )
        session.commit()
        return user

    return _make


@dataclass
class LoggedIn:
    client: FlaskClient
    user: User


@pytest.fixture
def login_as(app: Flask, make_user) -> Callable[..., LoggedIn]:
    """Sign in a new user of ``role`` on a fresh test client and return both."""

    def _login(role: Role | str = Role.FINANCE, **kwargs) -> LoggedIn:
        user = make_user(role, **kwargs)
        test_client = app.test_client()
        response = test_client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return LoggedIn(test_client, user)

    return _login


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve ``app`` on a free port in a thread for the length of one test (browsers and
    plain HTTP clients talk to it as to a server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
