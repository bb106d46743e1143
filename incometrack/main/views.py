from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import text

from incometrack import charts
from incometrack.extensions import db
from incometrack.reports.dashboard import build_dashboard, my_work

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Show the dashboard: income against profile, the grant pipeline and milestones."""
    dashboard = build_dashboard(db.session, date.today())
    services_chart = charts.bar_chart_svg(
        [
            charts.BarGroup(s.service, (s.figures.actual_to_date, s.figures.profiled_to_date))
            for s in dashboard.services
        ],
        ("Actual to date", "Profiled budget to date"),
        chart_id="ytd",
        title=f"Income to date against profiled budget by service, {dashboard.as_at.to_label}",
        width=560,
        height=300,
    )
    quarters_chart = charts.bar_chart_svg(
        # "2025-26 Q3" is shown as "Q3 25-26" so eight labels fit under the bars.
        [
            charts.BarGroup(f"{b.label[-2:]} {b.label[2:7]}", (b.actual or 0, b.profiled))
            for b in dashboard.recent_quarters
        ],
        ("Actual income", "Profiled budget"),
        chart_id="quarters",
        title="Income by quarter against profiled budget, last eight quarters"
        + ("" if dashboard.as_at.ends_quarter else f" (the latest {dashboard.as_at.to_label})"),
        height=300,
    )
    months_chart = charts.bar_chart_svg(
        [charts.BarGroup(m.label, (m.actual or 0, m.profiled)) for m in dashboard.months],
        ("Actual income", "Profiled budget"),
        chart_id="months",
        title=f"Income by month against the monthly profile, {dashboard.as_at.year.label}",
        height=300,
    )
    return render_template(
        "main/home.html",
        dashboard=dashboard,
        services_chart=services_chart,
        quarters_chart=quarters_chart,
        months_chart=months_chart,
        mine=my_work(db.session, date.today(), current_user.id),
    )


@bp.route("/healthz")
def healthz():
    """Answer a load balancer: the app runs and the database answers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
