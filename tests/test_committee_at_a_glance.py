"""The committee sees the answer first (issue 28): every return and monitoring pack opens with the
streams rated Red or Amber, the largest shortfall first, after a key whose thresholds are the
settings the streams were rated by: in the workbook, the PDF, the published HTML and on the page.

The known return of tests/test_returns.py, with one more stream: LIB-D, budget £50,000, forecast
£40,000 in Q2 with commentary "Lost a regular hirer": £10,000 short, -20.0%, Red. LIB-A is Amber
(£3,000 short of £100,000, -3.0%, no commentary); REG-B and LIB-C are Green.
"""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from incometrack.exports.html import write_html
from incometrack.exports.pdf import write_pdf
from incometrack.exports.xlsx import write_workbook
from incometrack.models import Role, Setting
from incometrack.reports.return_layout import red_or_amber
from incometrack.reports.returns import build_monitoring, build_return, dump_return, load_return
from incometrack.services import AS_READ, income
from tests.conftest import needs
from tests.factories import make_budget, make_stream
from tests.test_returns import META, Q2, known  # noqa: F401 - the fixture

RED_KEY = (
    "Forecast shortfall of at least the lower of 5% of the annual budget and £100,000; milestone past its"
    " forecast date."
)
AMBER_KEY = "Forecast shortfall of at least 2% of the annual budget; milestone forecast after its baseline."


@pytest.fixture
def with_red(session, known):  # noqa: F811 - the fixture imported above
    d = make_stream(session, "LIB-D", name="Café lettings", category="Room and venue hire")
    make_budget(session, d, 50_000_00)
    income.save_forecast(
        session, d, Q2, 40_000_00, "Lost a regular hirer", actor=known, expected_version=AS_READ
    )
    session.commit()
    return build_return(session, Q2, **META)


def test_the_streams_rated_red_or_amber_largest_shortfall_first(with_red):
    lines = red_or_amber(with_red)
    assert [(s.code, s.figures.forecast_variance, s.figures.forecast_variance_pct, s.figures.rag.value)
            for s in lines] == [
        ("LIB-D", -10_000_00, Decimal("-20.0"), "Red"),
        ("LIB-A", -3_000_00, Decimal("-3.0"), "Amber"),
    ]  # fmt: skip


def test_the_workbook_opens_with_the_key_and_the_exceptions(with_red):
    buffer = io.BytesIO()
    write_workbook(with_red, buffer)
    book = load_workbook(buffer)
    assert book.sheetnames[:2] == ["Streams rated Red or Amber", "Summary"]
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Financial resilience return 2026-27 Q2 DRAFT"
    assert rows[3][0] == "DRAFT: not submitted; the figures may still change."
    assert rows[4][0] == (
        "The year's 6 income entries are in the sheet Income entries, hidden so that printing the workbook"
        " prints the committee's sheets: unhide it to read or print them."
    )
    assert rows[6][:2] == ["RAG", "What the ratings mean"]
    assert rows[7][:2] == ["Red", RED_KEY] and rows[8][:2] == ["Amber", AMBER_KEY]
    assert sheet["A8"].fill.fgColor.rgb.endswith("F4A9A0")  # the rating's colour, and its word
    assert rows[12] == [
        "Stream code", "Stream", "Service", "Forecast variance", "Forecast variance %", "RAG",
        "Movement since the previous forecast", "Commentary",
    ]  # fmt: skip
    percent = [Decimal(str(rows[n][4])) for n in (13, 14)]  # a fraction, shown with a % format
    assert percent == [Decimal("-0.2"), Decimal("-0.03")]
    assert rows[13][:4] + rows[13][5:6] == ["LIB-D", "Café lettings", "Libraries", Decimal("-10000"), "Red"]
    assert rows[13][7] == "Lost a regular hirer"
    assert rows[14][:4] + rows[14][5:7] == ["LIB-A", "Room hire", "Libraries", Decimal("-3000"), "Amber", 0]
    assert rows[14][7] == "Commentary needed"
    assert sheet["D14"].number_format == "£#,##0.00;-£#,##0.00" and sheet["E14"].number_format == "0.0%"
    assert sheet.freeze_panes is None  # a short list below its key: nothing frozen
    assert sheet.row_dimensions[13].height >= 45  # the header row holds its wrapped titles
    assert len(rows) == 15
    assert sheet.print_title_rows == "$13:$13"  # the header repeats on every printed page


def test_a_return_with_nothing_rated_red_or_amber_says_so(session, make_user):
    make_user(Role.FINANCE)
    report = build_return(session, Q2, **META)
    buffer = io.BytesIO()
    write_workbook(report, buffer)
    rows = [[c.value for c in row] for row in load_workbook(buffer).worksheets[0].iter_rows()]
    assert rows[-1][0] == "No stream is rated Red or Amber."
    html = io.BytesIO()
    write_html(report, html)
    assert "No stream is rated Red or Amber." in html.getvalue().decode()


def test_the_key_reads_the_thresholds_from_the_settings(session, known):  # noqa: F811
    session.execute(update(Setting).where(Setting.key == "rag_red_basis_points").values(value=1000))
    session.execute(update(Setting).where(Setting.key == "rag_red_pence").values(value=5_000_000))
    session.execute(update(Setting).where(Setting.key == "rag_amber_basis_points").values(value=250))
    session.commit()
    report = build_return(session, Q2, **META)
    html = io.BytesIO()
    write_html(report, html)
    text = html.getvalue().decode()
    assert "Forecast shortfall of at least the lower of 10% of the annual budget and £50,000;" in text
    assert "Forecast shortfall of at least 2.5% of the annual budget;" in text
    # a submitted return keeps the thresholds it was rated by
    assert load_return(dump_return(report)).thresholds == report.thresholds


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, check=True, capture_output=True
    ).stdout.decode()


@needs("pdftotext")
def test_the_pdf_opens_with_the_key_and_the_exceptions(with_red):
    buffer = io.BytesIO()
    write_pdf(with_red, buffer)
    text = pdf_text(buffer.getvalue())
    first = text.index("Streams rated Red or Amber")
    assert (
        first
        < text.index("What the ratings mean")
        < text.index("Café lettings")
        < text.index("Summary by service")
    )
    assert "5% of the annual budget and £100,000" in text
    exceptions = text[first : text.index("Summary by service")]
    assert exceptions.index("LIB-D") < exceptions.index("LIB-A")
    for figure in (
        "-£10,000.00",
        "-20.0%",
        "Lost a regular hirer",
        "-£3,000.00",
        "-3.0%",
        "Commentary needed",
    ):
        assert figure in exceptions, figure


def test_the_published_html_and_the_page_open_with_the_key_and_the_exceptions(with_red, login_as):
    html = io.BytesIO()
    write_html(with_red, html)
    published = html.getvalue().decode()
    assert (
        published.index('id="exceptions"')
        < published.index('id="rag-key"')
        < published.index("Café lettings")
        < published.index('id="summary"')
    )
    client = login_as(Role.FINANCE).client
    page = client.get("/returns/2026-27/2").get_data(as_text=True)
    assert page.index('id="exceptions"') < page.index('id="rag-key"') < page.index("Café lettings")
    assert page.index("Café lettings") < page.index('id="summary"')
    assert RED_KEY in page


def test_the_monitoring_pack_opens_with_them_too(session, with_red):
    pack = build_monitoring(session, Q2.year.months[7], **META)  # P8, November
    buffer = io.BytesIO()
    write_workbook(pack, buffer)
    assert load_workbook(buffer).sheetnames[0] == "Streams rated Red or Amber"


@needs("pdftotext")
def test_the_pdf_prints_stream_codes_whole_and_leaves_out_quarters_to_come(session, known):  # noqa: F811
    code = "ARC-DIGITISATION-SERVICE-2026-27-EXTRA"  # 38 characters, no space to break at
    make_budget(session, make_stream(session, code, name="Digitisation", service="Archives"), 10_000_00)
    session.commit()
    buffer = io.BytesIO()
    write_pdf(build_return(session, Q2, **META), buffer)
    text = pdf_text(buffer.getvalue())
    position = text[
        text.index("Income by stream: position to date") : text.index("Income by stream: forecast")
    ]
    forecast = text[text.index("Income by stream: forecast outturn") :]
    assert code in position and code in forecast
    for line in text.splitlines():  # the exceptions, both stream tables, the commentary
        assert code[:10] not in line or code in line, line
    # Q2's return: the first two quarters' actuals, not two empty columns for Q3 and Q4
    assert "Q1" in position and "Q2" in position
    assert "Q3" not in position and "Q4" not in position


def test_the_monitoring_index_offers_only_the_months_that_have_ended(login_as):
    import re
    from datetime import date, timedelta

    from tests.contracts import latest_month_ended

    _label, year, number = latest_month_ended(date.today())
    html = login_as(Role.VIEWER).client.get("/monitoring/").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', html)
    end = date.today().replace(day=1) - timedelta(days=1)
    # the latest first, back to April three years before its financial year: 36 months and this year's
    assert options[0] == (f"{year} P{number}", f"{year} P{number}: {end:%B %Y}")
    assert len(options) == 36 + number
    assert options[-1][0] == f"{int(year[:4]) - 3}-{(int(year[:4]) - 2) % 100:02d} P1"
    assert f"{year} P{number + 1}" not in {value for value, _ in options}  # a month still running
    # the link says the month once: "Budget monitoring 2026-27 P8, to 30 Nov 2026", not "(P8)" again
    assert f"Budget monitoring {year} P{number}</a>, to {end.day} {end:%b %Y}." in html
    assert f"(P{number})" not in html
    chosen = login_as(Role.VIEWER).client.get("/monitoring/", query_string={"month": f"{year} P{number}"})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith(f"/monitoring/{year}/{number}")


def test_the_published_html_keeps_its_sentences_apart(with_red):
    from dataclasses import replace
    from datetime import UTC, datetime

    submitted = replace(
        with_red,
        meta=replace(
            with_red.meta, submitted_at=datetime(2026, 10, 20, 9, 30, tzinfo=UTC), submitted_by="Farah"
        ),
    )
    buffer = io.BytesIO()
    write_html(submitted, buffer)
    text = " ".join(buffer.getvalue().decode().split())
    assert "recorded as true on that day. Submitted on 20 Oct 2026 10:30 by Farah. Produced " in text


def test_the_audit_log_reads_in_the_committees_words(session, login_as):
    import re

    from incometrack.models import AuditEvent
    from incometrack.periods import FinancialYear
    from incometrack.services import imports, locks
    from incometrack.services import returns as return_service

    admin = login_as(Role.ADMIN)
    make_stream(session, "LIB-ROOM")
    result = imports.import_income(
        session,
        b"date,stream_code,amount,reference\n01/05/2026,LIB-ROOM,10.00,A\n02/05/2026,LIB-ROOM,12.00,B\n",
        "may-takings.csv",
        actor=admin.user,
    )
    assert result.ok
    q1 = FinancialYear(2026).quarter(1)
    return_service.submit(session, q1, actor=admin.user, council="Kent", service_name="LRA", reason="Urgent")
    lock = locks.lock(session, FinancialYear(2026).quarter(2), actor=admin.user)
    locks.reopen(session, FinancialYear(2026).quarter(2), actor=admin.user, reason="Late invoice",
                 expected_version=lock.version)  # fmt: skip
    session.commit()
    html = admin.client.get("/admin/audit").get_data(as_text=True)
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]
    assert "Q2 reopened" in cells and "Q2 locked" in cells
    assert "Quarter lock 2026-27 Q2 History of quarter lock 2026-27 Q2" in cells
    assert "Locked: Yes → No Reason: (blank) → Late invoice" in cells
    assert "2026-27 Q1 return submitted" in cells
    assert "Import of 2 lines (may-takings.csv)" in cells
    snapshot_checksum = session.scalar(
        select(AuditEvent.changes).where(AuditEvent.entity == "return_snapshots")
    )["checksum"][1]
    assert snapshot_checksum not in html and "Rows imported" not in html  # left to the download
    options = re.findall(
        r'<option value="([^"]*)"[^>]*>([^<]+)</option>', html[html.index('name="action"') :]
    )
    assert ("undo import", "Undo import") in options or ("submit", "Submit") in options
    assert "When (UK time)" in html


def _unfit_cells(sheet) -> list[str]:
    """The cells of a sheet's table whose text its column cannot show: longer than the column's
    width in characters where the text does not wrap, or more lines than the row's height holds
    (15 points a line) where it does."""
    from openpyxl.utils import get_column_letter

    header = int(str(sheet.print_title_rows).split(":")[0].lstrip("$"))
    cut = []
    for row in sheet.iter_rows(min_row=header + 1):
        for cell in row:
            if not isinstance(cell.value, str) or not cell.value or cell.data_type == "f":
                continue
            width = sheet.column_dimensions[get_column_letter(cell.column)].width
            if cell.alignment.wrap_text:
                words, lines, used = cell.value.split(), 1, 0
                for word in words:  # as the spreadsheet wraps: at spaces, up to 1.1 characters a unit
                    if used and used + 1 + len(word) > width * 1.1:
                        lines, used = lines + 1, len(word)
                    else:
                        used += (1 if used else 0) + len(word)
                height = sheet.row_dimensions[cell.row].height or 15
                if lines * 15 > height + 0.5:
                    cut.append(f"{sheet.title}!{cell.coordinate} ({lines} lines in {height} points)")
            elif len(cell.value) > width:
                cut.append(f"{sheet.title}!{cell.coordinate} ({len(cell.value)} characters in {width})")
    return cut


@needs("soffice")
def test_the_demo_workbooks_print_as_the_committee_reads_them(session, tmp_path):
    """Issue 28, item 4: LibreOffice prints the demo's last quarter's return and latest month's
    monitoring pack on at most 12 A4 landscape pages each, every page with the title (and DRAFT
    for the return), no text under 8pt, no cell's text cut; the entries print only on request."""
    import re
    from datetime import date

    from incometrack import demo, periods
    from incometrack.models import ExportRecord  # noqa: F401 - loaded with the models

    demo.load(session, today=date.today())
    session.commit()
    quarter = periods.quarter_for(date.today()).previous()
    month = periods.latest_ended_month(date.today())
    books = {
        "return": build_return(session, quarter, **META),
        "monitoring": build_monitoring(session, month, **META),
    }
    for name, report in books.items():
        with (tmp_path / f"{name}.xlsx").open("wb") as out:
            write_workbook(report, out)
        workbook = load_workbook(tmp_path / f"{name}.xlsx")
        assert workbook["Income entries"].sheet_state == "hidden"
        visible = [s for s in workbook.worksheets if s.sheet_state == "visible"]
        assert [cell for sheet in visible for cell in _unfit_cells(sheet)] == [], name
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(tmp_path / "return.xlsx"), str(tmp_path / "monitoring.xlsx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for name, report in books.items():
        pdf = tmp_path / f"{name}.pdf"
        pages = pdf_text(pdf.read_bytes()).split("\f")
        pages = [page for page in pages if page.strip()]
        assert len(pages) <= 12, (name, len(pages))
        for number, page in enumerate(pages, 1):
            assert report.meta.title in page, (name, number)  # "… DRAFT" for the return
            assert f"Page {number} of {len(pages)}" in page
        assert report.meta.title.endswith("DRAFT") == (name == "return")
        boxes = subprocess.run(
            ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
        )
        heights = [
            (float(y1) - float(y0), word)
            for y0, y1, word in re.findall(
                r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', boxes.stdout
            )
        ]
        small = [(round(h, 1), w) for h, w in heights if h < 8 * 0.9 and w.strip()]
        assert small == [], (name, small[:10])
