"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL,
and downgrades cleanly."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from incometrack import create_app
from incometrack.extensions import db, init_migrate
from incometrack.models import Base
from tests.conftest import make_config


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own, so migrating down does not disturb the other tests."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    from incometrack.config import normalise_database_url

    url = make_url(normalise_database_url(base))
    name = f"it_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_build_the_models_schema_and_go_back_down(empty_database_url, tmp_path):
    app = create_app(make_config(empty_database_url, tmp_path))
    init_migrate(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
            )
            assert differences == []
            names = {row[0] for row in connection.execute(text("SELECT name FROM income_categories"))}
            assert "Ceremonies and certificates" in names and len(names) == 14
            assert connection.execute(text("SELECT COUNT(*) FROM outcomes")).scalar() == 7
            assert connection.execute(text("SELECT COUNT(*) FROM cipfa_lines")).scalar() == 9
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.session.remove()
        db.engine.dispose()


def test_check_constraints_exist_in_the_migrated_schema(empty_database_url, tmp_path):
    app = create_app(make_config(empty_database_url, tmp_path))
    init_migrate(app)
    with app.app_context():
        upgrade()
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("budgets")}
        assert "ck_budgets_profile_sums_to_annual" in checks
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("income_entries")}
        assert {"ck_income_entries_amount_not_zero", "ck_income_entries_quarter_valid"} <= checks
        db.session.remove()
        db.engine.dispose()


def test_existing_budgets_and_entries_get_their_months(empty_database_url, tmp_path):
    """0006 gives each budget the default monthly split of its quarters, exactly, and each entry
    the month period of its date."""
    app = create_app(make_config(empty_database_url, tmp_path))
    init_migrate(app)
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO income_streams (code, name, service_id, category_id, status, description, version, "
                "created_at) VALUES ('LIB-A', 'A', 1, 1, 'active', '', 1, '2026-01-01')"
            ))  # fmt: skip
            connection.execute(text(
                "INSERT INTO budgets (stream_id, year, annual, q1, q2, q3, q4, version) "
                "VALUES (1, 2026, 100001, 100, 101, 99800, 0, 1)"
            ))  # fmt: skip
            for day, quarter in (("2026-04-01", 1), ("2026-12-31", 3), ("2027-01-15", 4), ("2027-03-31", 4)):
                connection.execute(
                    text(
                        "INSERT INTO income_entries (stream_id, date_received, financial_year, quarter, amount, "
                        "reference, description, entered_at, version) VALUES (1, :d, 2026, :q, 5, 'R', '', "
                        "'2026-01-01', 1)"
                    ),
                    {"d": day, "q": quarter},
                )
        upgrade()
        with db.engine.connect() as connection:
            months = connection.execute(
                text(f"SELECT {', '.join(f'p{n}' for n in range(1, 13))} FROM budgets")
            ).one()
            assert tuple(months) == (33, 33, 34, 33, 33, 35, 33266, 33266, 33268, 0, 0, 0)
            periods = connection.execute(
                text("SELECT period FROM income_entries ORDER BY date_received")
            ).scalars()
            assert list(periods) == [1, 9, 10, 12]
        db.session.remove()
        db.engine.dispose()


def test_the_entries_recorded_before_0014_are_counted_in_its_totals(empty_database_url, tmp_path):
    """0014 counts the entries already recorded into the totals the reports read from then on."""
    app = create_app(make_config(empty_database_url, tmp_path))
    init_migrate(app)
    with app.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO income_streams (code, name, service_id, category_id, status, description, version, "
                "created_at) VALUES ('LIB-A', 'A', 1, 1, 'active', '', 1, '2026-01-01')"
            ))  # fmt: skip
            for day, quarter, period, pence in (("2026-05-01", 1, 2, 500), ("2026-05-31", 1, 2, -200),
                                                ("2027-03-31", 4, 12, 999)):  # fmt: skip
                connection.execute(
                    text(
                        "INSERT INTO income_entries (stream_id, date_received, financial_year, quarter, period, "
                        "amount, reference, description, entered_at, version) VALUES (1, :d, 2026, :q, :p, :a, "
                        "'R', '', '2026-01-01', 1)"
                    ),
                    {"d": day, "q": quarter, "p": period, "a": pence},
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT financial_year, period, stream_id, amount, entries FROM income_totals ORDER BY period"
                )
            ).all()
        assert [tuple(r) for r in rows] == [(2026, 2, 1, 300, 2), (2026, 12, 1, 999, 1)]
        db.session.remove()
        db.engine.dispose()
