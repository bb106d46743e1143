"""Monthly monitoring (DOMAIN.md, issue 16): live figures as at the latest month that has ended,
what has been received since beside them, and the monthly profile."""

import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from incometrack import periods
from incometrack.models import Role
from incometrack.reports.dashboard import build_dashboard
from incometrack.reports.income import forecast_as_at, live_as_at
from incometrack.services import AS_READ
from tests.conftest import needs
from tests.contracts import SHEET_NAMES, STREAM_COLUMNS, latest_month_ended
from tests.factories import make_budget, make_entry, make_stream

Y = periods.FinancialYear(2026)


@pytest.fixture
def printing(session):
    """£12,000 a year, £1,000 a month by default; £900 taken on the 10th of each month to November."""
    stream = make_stream(session, "LIB-PRINT", name="Printing", category="Printing and photocopying")
    make_budget(session, stream, 12_000_00)
    for month in Y.months[:8]:
        make_entry(session, stream, month.first_day.replace(day=10), 900_00, reference=f"P{month.number}")
    return stream


@pytest.mark.parametrize(
    ("today", "label", "profiled", "actual", "since"),
    [
        (date(2026, 11, 30), "to 31 Oct 2026 (P7)", 7_000_00, 6_300_00, 900_00),  # November not ended
        (date(2026, 12, 1), "to 30 Nov 2026 (P8)", 8_000_00, 7_200_00, 0),  # the first day: November has
    ],
)
def test_the_dashboard_is_as_at_the_latest_month_that_has_ended(session, printing, today, label, profiled,
                                                                  actual, since):  # fmt: skip
    d = build_dashboard(session, today)
    assert d.as_at.to_label == label
    assert (d.overall.profiled_to_date, d.overall.actual_to_date, d.received_since_total) == (
        profiled,
        actual,
        since,
    )
    # The default forecast keeps the months still to come, December included.
    remaining = 12 - d.as_at.number
    assert d.overall.forecast_outturn == actual + remaining * 1_000_00
    assert [m.actual for m in d.months][:9] == [900_00] * d.as_at.number + [None] * (9 - d.as_at.number)


def test_a_seasonal_stream_is_not_red_before_its_season(session):
    stream = make_stream(session, "LIB-XMAS", name="Christmas events", category="Events and learning")
    from incometrack.services import income

    income.set_budget(
        session,
        stream,
        2026,
        None,
        months=(0,) * 8 + (6_000_00, 0, 0, 0),
        actor=None,
        expected_version=AS_READ,
    )
    session.commit()
    d = build_dashboard(session, date(2026, 11, 30))
    assert (d.overall.profiled_to_date, d.overall.variance_to_date, d.overall.forecast_outturn) == (
        0,
        0,
        6_000_00,
    )
    assert d.overall.rag.value == "Green"


@pytest.mark.parametrize(
    ("quarter", "today", "expected"),
    [
        (3, date(2026, 11, 30), "to 31 Oct 2026 (P7)"),  # mid-quarter: the latest month ended
        (2, date(2026, 11, 30), "to 30 Sep 2026 (P6)"),  # an ended quarter: its end
        (3, date(2026, 10, 15), "to 30 Sep 2026 (P6)"),  # no month of Q3 ended yet
        (1, date(2026, 3, 15), "to 30 Apr 2026 (P1)"),  # a year not yet begun: its first month
    ],
)
def test_the_forecast_form_shows_figures_to(quarter, today, expected):
    assert forecast_as_at(Y.quarter(quarter), today).to_label == expected


def test_another_year_on_the_live_screens_is_as_at_its_end_or_start():
    today = date(2026, 11, 30)
    assert live_as_at(today, Y.previous()).to_label == "to 31 Mar 2026 (P12)"
    assert live_as_at(today, Y.next()).to_label == "to 30 Apr 2027 (P1)"


def test_the_pages_say_what_they_are_as_at(session, printing, login_as):
    client = login_as(Role.FINANCE).client
    label = latest_month_ended(date.today())[0]
    for url in ("/", "/income/streams", f"/income/streams/{printing.id}"):
        html = client.get(url).get_data(as_text=True)
        assert label in html, url
        assert "Received since" in html, url


# The period pack -------------------------------------------------------------------------------


def test_the_period_pack_is_the_return_as_at_a_month_end(session, printing):
    from incometrack.reports.returns import build_monitoring

    pack = build_monitoring(session, Y.months[6])  # P7
    assert pack.meta.title == "Budget monitoring 2026-27 P7 (to 31 Oct 2026)"
    assert (pack.meta.file_stem, pack.draft, pack.submitted) == (
        "budget-monitoring-2026-27-P07",
        False,
        False,
    )
    line = pack.streams[0].figures
    # Q3 holds October only; Q4 is still to come.
    assert line.actuals == (2_700_00, 2_700_00, 900_00, None)
    assert (line.profiled_to_date, line.actual_to_date, line.forecast_outturn) == (
        7_000_00,
        6_300_00,
        11_300_00,
    )
    assert pack.entries_summary.count == 7


@needs("pdftotext")
def test_export_monitoring_writes_the_workbook_and_pdf(runner, session, printing, tmp_path):
    result = runner.invoke(
        args=["export-monitoring", "--year", "2026-27", "--period", "7", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    paths = result.output.split()
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        "budget-monitoring-2026-27-P07.xlsx",
        "budget-monitoring-2026-27-P07.pdf",
        "budget-monitoring-2026-27-P07.html",
    ]
    book = load_workbook(paths[0])
    assert tuple(book.sheetnames) == SHEET_NAMES
    assert book["Summary"]["A1"].value == "Budget monitoring 2026-27 P7 (to 31 Oct 2026)"
    streams = book["Income by stream"]
    assert tuple(c.value for c in streams[1]) == STREAM_COLUMNS
    row = {title: cell.value for title, cell in zip(STREAM_COLUMNS, streams[2], strict=True)}
    assert (row["Q3 actual"], row["Actual to date"], row["Profiled budget to date"]) == (900, 6300, 7000)
    text = subprocess.run(
        ["pdftotext", "-layout", paths[1], "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    assert "Budget monitoring 2026-27 P7 (to 31 Oct 2026)" in pages[0]
    assert not any("DRAFT" in page for page in pages)
    assert "£6,300.00" in text


def test_export_monitoring_defaults_to_its_folder_and_refuses_a_month_not_ended(runner, session, printing):
    done = runner.invoke(
        args=["export-monitoring", "--year", "2026-27", "--period", "P07", "--format", "xlsx"]
    )
    assert done.exit_code == 0, done.output
    assert done.output.strip().endswith("exports/2026-27/P07/budget-monitoring-2026-27-P07.xlsx")
    future = runner.invoke(args=["export-monitoring", "--year", "2099-00", "--period", "1"])
    assert future.exit_code == 1 and "has not ended yet" in future.output
    wrong = runner.invoke(args=["export-monitoring", "--year", "2026-27", "--period", "13"])
    assert wrong.exit_code == 2 and "from 1 to 12" in wrong.output


def test_the_monitoring_page_previews_and_downloads(session, printing, login_as):
    client = login_as(Role.VIEWER).client
    html = client.get("/monitoring/2025-26/12").get_data(as_text=True)
    assert "Budget monitoring 2025-26 P12 (to 31 Mar 2026)" in html and "Check and submit" not in html
    assert "draft until it is submitted" not in html
    response = client.post("/monitoring/2026-27/7/export/xlsx")
    assert response.status_code == 200
    assert "budget-monitoring-2026-27-P07.xlsx" in response.headers["Content-Disposition"]
    _label, year, number = latest_month_ended(date.today())
    index = client.get("/monitoring/").get_data(as_text=True)
    assert f"Budget monitoring {year} P{number}" in index
    not_ended = client.get("/monitoring/2099-00/1")
    assert not_ended.status_code == 303
