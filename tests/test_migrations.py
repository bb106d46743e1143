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
