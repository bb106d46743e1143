"""Fixtures: an app per test on a database migrated once per run, cleaned after every test.

The database is SQLite in a temporary folder, or PostgreSQL when ``TEST_DATABASE_URL`` is set.
The schema is built by the real Alembic migrations (so the seeded reference data is there), and
after each test every table is emptied and the reference rows put back as the migration left them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

from incometrack import create_app
from incometrack.config import normalise_database_url
from incometrack.extensions import db
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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        url = normalise_database_url(url)
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
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def reference_rows(database_url: str, tmp_path_factory) -> dict[str, list[dict]]:
    """Migrate the test database once and remember the seeded reference rows."""
    from flask_migrate import upgrade

    app = create_app(make_config(database_url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        rows = {
            table: [dict(row._mapping) for row in db.session.execute(text(f"SELECT * FROM {table}"))]
            for table in REFERENCE_TABLES
        }
        db.session.remove()
        db.engine.dispose()
    return rows


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


@pytest.fixture
def app(app_config: dict[str, object], reference_rows) -> Iterator[Flask]:
    """The app, with no context pushed: each request gets its own context and session, as in
    production. Tests read and write the database through the ``session`` fixture."""
    app = create_app(app_config)
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
