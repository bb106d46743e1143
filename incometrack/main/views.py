from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from incometrack.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Show the dashboard."""
    return render_template("main/home.html", user=current_user)


@bp.route("/healthz")
def healthz():
    """Answer a load balancer: the app runs and the database answers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
