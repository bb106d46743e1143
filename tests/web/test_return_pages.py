"""The return's pages: preview, downloads, submission, permissions; the dashboard."""

from datetime import date

import pytest
from sqlalchemy import event, func, select

from incometrack.models import ExportRecord, ReturnSnapshot, Role
from tests.factories import make_budget, make_entry, make_stream


@pytest.fixture
def data(session):
    stream = make_stream(session, "LIB-A", name="Room hire")
    make_budget(session, stream, 100_000_00)
    make_entry(session, stream, date(2026, 5, 1), 20_000_00, reference="A1")
    return stream


@pytest.mark.parametrize(
    ("role", "status"), [(Role.ADMIN, 200), (Role.FINANCE, 200), (Role.VIEWER, 200), (Role.LEAD, 403)]
)
def test_who_reads_returns(login_as, data, role, status):
    client = login_as(role).client
    assert client.get("/returns/").status_code == status
    assert client.get("/returns/2026-27/2").status_code == status


def test_preview_shows_every_section_and_the_commentary_warning(login_as, data):
    html = login_as(Role.VIEWER).client.get("/returns/2026-27/2").get_data(as_text=True)
    for heading in (
        "Summary",
        "Income by stream",
        "Grants",
        "Milestones",
        "Outcomes",
        "CIPFA lines",
        "Income entries",
    ):
        assert f">{heading}</h2>" in html, heading
    assert "Financial resilience return 2026-27 Q2" in html and "Draft" in html
    assert "£20,000.00" in html and "<svg" in html
    assert "without commentary this quarter: LIB-A" in html
    assert "Submit the 2026-27 Q2 return" not in html  # viewers cannot submit


def test_unknown_periods_are_404(login_as):
    client = login_as(Role.FINANCE).client
    assert client.get("/returns/2026-28/2").status_code == 404
    assert client.get("/returns/2026-27/5").status_code == 404
    assert client.post("/returns/2026-27/2/export/docx").status_code == 404


def test_downloads_are_posts_that_record_the_export(login_as, data, session):
    finance = login_as(Role.FINANCE)
    assert finance.client.get("/returns/2026-27/2/export/xlsx").status_code == 405
    response = finance.client.post("/returns/2026-27/2/export/xlsx")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == "attachment; filename=financial-resilience-return-2026-27-Q2-DRAFT.xlsx"
    )
    assert response.data[:2] == b"PK"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = finance.client.post("/returns/2026-27/2/export/pdf")
    assert pdf.data[:5] == b"%PDF-"
    html = finance.client.post("/returns/2026-27/2/export/html")
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    assert html.headers["Content-Disposition"].endswith(
        "filename=financial-resilience-return-2026-27-Q2-DRAFT.html"
    )
    assert b'<html lang="en-GB">' in html.data
    records = session.scalars(select(ExportRecord).order_by(ExportRecord.id)).all()
    assert [(r.format, r.produced_by_id, r.from_snapshot) for r in records] == [
        ("xlsx", finance.user.id, False),
        ("pdf", finance.user.id, False),
        ("html", finance.user.id, False),
    ]
    assert "financial-resilience-return-2026-27-Q2-DRAFT.pdf" in finance.client.get(
        "/returns/2026-27/2"
    ).get_data(as_text=True)


def test_viewers_may_download_but_not_submit(login_as, data, session):
    viewer = login_as(Role.VIEWER).client
    assert viewer.post("/returns/2026-27/2/export/pdf").status_code == 200
    assert viewer.post("/returns/2026-27/2/submit").status_code == 403
    assert session.scalar(select(func.count()).select_from(ReturnSnapshot)) == 0


def test_finance_submits_once(login_as, data, session):
    client = login_as(Role.FINANCE).client
    unconfirmed = client.post("/returns/2026-27/1/submit", data={"reason": "Figures agreed"})
    assert unconfirmed.status_code == 400 and "Confirm that you have checked" in unconfirmed.get_data(
        as_text=True
    )
    confirmed = {"confirm": "y", "reason": "Figures agreed with the head of service"}
    assert client.post("/returns/2026-27/1/submit", data=confirmed).status_code == 302
    html = client.get("/returns/2026-27/1").get_data(as_text=True)
    assert "Submitted" in html and "these figures are frozen" in html
    again = client.post("/returns/2026-27/1/submit", data=confirmed)
    assert again.status_code == 303
    assert "was submitted on" in client.get(again.headers["Location"]).get_data(as_text=True)
    refused = client.post(
        "/income/entries/new", data={"date_received": "02/05/2026", "stream_id": data.id, "amount": "5"}
    )
    assert refused.status_code == 400 and "2026-27 Q1 is locked" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "sees_income"),
    [(Role.ADMIN, True), (Role.FINANCE, True), (Role.VIEWER, True), (Role.LEAD, False)],
)
def test_the_dashboard_for_each_role(login_as, data, role, sees_income):
    html = login_as(role).client.get("/").get_data(as_text=True)
    assert "Grant pipeline" in html and "Milestones by RAG today" in html
    assert ("Income to date against profiled budget" in html) is sees_income
    assert ("The last eight quarters" in html) is sees_income


def test_dashboard_and_preview_queries_do_not_grow_with_the_data(login_as, session, engine):
    client = login_as(Role.FINANCE).client
    streams = [make_stream(session, f"S-{n}") for n in range(3)]

    def count(path):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        assert client.get(path).status_code == 200
        event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    small = {path: count(path) for path in ("/", "/returns/2026-27/2")}
    for n in range(40):
        stream = make_stream(session, f"T-{n}") if n % 10 == 0 else streams[n % 3]
        make_entry(session, stream, date(2026, 4 + n % 6, 1 + n % 27), 100 + n, reference=f"R{n}")
    assert {path: count(path) for path in small} == small
