"""Extension objects, created unbound and initialised by the app factory."""

from pathlib import Path

from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from incometrack.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_migrate(app: Flask) -> None:
    """Set up Flask-Migrate on ``app`` where it is not yet. Flask-Migrate imports Alembic (about a
    quarter of a second), so it is set up when a ``db`` command runs or a test migrates, not by
    every command and worker that starts the app."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(render_as_batch=True, compare_type=True, include_name=not_job_queue).init_app(
            app, db, directory=str(MIGRATIONS)
        )


#: The job queue's own tables in PostgreSQL (made by huey, see :mod:`incometrack.jobs.queue`):
#: not the models', so migrations neither make nor drop them.
JOB_QUEUE_TABLES = "job_queue_"


def not_job_queue(name: str | None, type_: str, _parent_names) -> bool:
    return not (type_ == "table" and name and name.startswith(JOB_QUEUE_TABLES))
