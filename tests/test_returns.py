"""The quarterly return on known data: every figure, then the workbook, the PDF and submission."""

import io
import subprocess
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from incometrack.models import (
    ExportRecord,
    IncomeEntry,
    IncomeStream,
    Milestone,
    MilestoneStatus,
    ReturnSnapshot,
    Role,
)
from incometrack.periods import FinancialYear
from incometrack.rag import Rag
from incometrack.reports.returns import (
    build_return,
    dump_return,
    load_return,
    return_for,
)
from incometrack.services import AS_READ, ServiceError, grants, income, locks, milestones
from incometrack.services import returns as return_service
from tests.conftest import needs
from tests.contracts import SHEET_NAMES, STREAM_COLUMNS
from tests.factories import (
    make_bid,
    make_budget,
    make_entry,
    make_funder,
    make_milestone,
    make_project,
    make_stream,
    move,
)

Q2 = FinancialYear(2026).quarter(2)
META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}


@pytest.fixture
def known(session, make_user):
    """The data whose return is worked out by hand in the assertions below."""
    finance = make_user(Role.FINANCE, name="Farah Finance")
    a = make_stream(session, "LIB-A", name="Room hire", category="Room and venue hire")
    b = make_stream(
        session, "REG-B", name="Ceremonies", service="Registration", category="Ceremonies and certificates"
    )
    c = make_stream(session, "LIB-C", name="Printing", category="Printing and photocopying")
    make_budget(session, a, 100_000_00)
    make_budget(session, b, 200_000_00, (40_000_00, 60_000_00, 60_000_00, 40_000_00))
    make_entry(session, a, date(2026, 3, 31), 500_00, reference="LAST-YEAR")
    make_entry(session, a, date(2026, 5, 1), 20_000_00, reference="A1")
    make_entry(session, a, date(2026, 8, 1), 30_000_00, reference="A2")
    make_entry(session, a, date(2026, 10, 5), 1_000_00, reference="A3-Q3")
    make_entry(session, b, date(2026, 6, 1), 45_000_00, reference="B1")
    make_entry(session, b, date(2026, 7, 1), 55_000_00, reference="B2")
    make_entry(session, b, date(2026, 9, 30), -1_000_00, reference="B-REFUND")
    make_entry(session, c, date(2026, 9, 1), 500_00, reference="C1")
    income.save_forecast(
        session,
        a,
        FinancialYear(2026).quarter(1),
        97_000_00,
        "Slow start",
        actor=finance,
        expected_version=AS_READ,
    )
    funder = make_funder(session, "Arts Council England")
    won = move(session, make_bid(session, finance, funder=funder, title="Won", requested=12_000_00), finance,
               "drafting", "submitted", "awarded", on=date(2026, 6, 1), awarded_resource=8_000_00,
               awarded_capital=2_000_00)  # fmt: skip
    move(session, make_bid(session, finance, funder=funder, title="Lost", requested=5_000_00), finance,
         "drafting", "submitted", "unsuccessful", on=date(2026, 9, 1))  # fmt: skip
    make_bid(session, finance, funder=funder, title="Pending", requested=10_000_00, probability=25)
    grants.add_payment(session, won, expected_on=date(2026, 7, 1), amount_expected=6_000_00, actor=finance,
                       received_on=date(2026, 7, 3), amount_received=6_000_00)  # fmt: skip
    grants.add_payment(session, won, expected_on=date(2026, 10, 1), amount_expected=4_000_00, actor=finance,
                       received_on=date(2026, 10, 10), amount_received=4_000_00)  # fmt: skip
    grants.add_spend(
        session, won, spent_on=date(2026, 7, 10), amount=2_500_00, description="Kit", actor=finance
    )
    grants.add_report(session, won, title="Interim report", due_on=date(2026, 12, 31), actor=finance)
    project = make_project(session, finance, name="Makerspaces")
    milestone = make_milestone(session, project, finance, title="Kit bought", baseline=date(2026, 9, 1),
                               on=date(2026, 4, 1))  # fmt: skip
    from incometrack.models import MilestoneStatus

    milestones.update_milestone(session, milestone, forecast_due=date(2026, 10, 15), status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note="Supplier late", actor=finance, update_on=date(2026, 8, 20), expected_version=AS_READ)  # fmt: skip
    session.commit()
    return finance


def _of(line, field):
    """A stream line's own field, or one of its figures."""
    return getattr(line, field) if hasattr(line, field) else getattr(line.figures, field)


def _stream(code, *fields):
    return lambda r: tuple(_of(next(s for s in r.streams if s.code == code), f) for f in fields)


def _service(name, *fields):
    return lambda r: tuple(
        getattr(next(s.figures for s in r.services if s.service == name), f) for f in fields
    )


STREAM_FIELDS = (
    "annual_budget", "actuals", "profiled_to_date", "actual_to_date", "variance_to_date", "variance_to_date_pct",
    "previous_forecast", "forecast_outturn", "forecast_is_default", "movement", "forecast_variance",
    "forecast_variance_pct", "rag", "commentary_missing",
)  # fmt: skip
TOTAL_FIELDS = (
    "annual_budget", "actuals", "actual_to_date", "profiled_to_date", "variance_to_date", "variance_to_date_pct",
    "previous_forecast", "forecast_outturn", "movement", "forecast_variance", "forecast_variance_pct", "rag",
)  # fmt: skip

#: Every figure of the known year's 2026-27 Q2 return, worked by hand, one section a test, so
#: that the first wrong figure does not hide the others.
FIGURES = {
    "title and period": (
        lambda r: (r.meta.title, r.meta.period_end),
        ("Financial resilience return 2026-27 Q2 DRAFT", date(2026, 9, 30)),
    ),
    "stream LIB-A": (
        _stream("LIB-A", *STREAM_FIELDS),
        (100_000_00, (20_000_00, 30_000_00, None, None), 50_000_00, 50_000_00, 0, Decimal("0.0"),
         97_000_00, 97_000_00, False, 0, -3_000_00, Decimal("-3.0"), Rag.AMBER, True),
    ),
    "stream REG-B (a default forecast)": (
        _stream("REG-B", *STREAM_FIELDS),
        (200_000_00, (45_000_00, 54_000_00, None, None), 100_000_00, 99_000_00, -1_000_00, Decimal("-1.0"),
         205_000_00, 199_000_00, True, -6_000_00, -1_000_00, Decimal("-0.5"), Rag.GREEN, False),
    ),
    "stream LIB-C (no budget)": (
        _stream("LIB-C", "annual_budget", "actual_to_date", "variance_to_date_pct", "forecast_outturn", "rag"),
        (0, 500_00, None, 500_00, Rag.GREEN),
    ),
    "stream totals": (
        lambda r: tuple(getattr(r.overall, f) for f in TOTAL_FIELDS),
        (300_000_00, (65_000_00, 84_500_00, None, None), 149_500_00, 150_000_00, -500_00, Decimal("-0.3"),
         302_000_00, 296_500_00, -5_500_00, -3_500_00, Decimal("-1.2"), Rag.GREEN),
    ),
    "service Libraries": (
        _service("Libraries", "actual_to_date", "variance_to_date", "variance_to_date_pct", "forecast_outturn", "rag"),
        (50_500_00, 500_00, Decimal("1.0"), 97_500_00, Rag.AMBER),
    ),
    "service Registration": (
        _service("Registration", "forecast_variance_pct", "rag"),
        (Decimal("-0.5"), Rag.GREEN),
    ),
    "overall": (lambda r: (r.overall.actual_to_date, r.overall.rag), (149_500_00, Rag.GREEN)),
    "quarters chart": (
        lambda r: [(q.label, q.actual, q.profiled) for q in r.quarters],
        [("Q1", 65_000_00, 65_000_00), ("Q2", 84_500_00, 85_000_00), ("Q3", None, 85_000_00), ("Q4", None, 65_000_00)],
    ),
    "grants headline": (
        lambda r: tuple(getattr(r.grants_headline, f) for f in (
            "awarded_in_year", "received_in_year", "pending_count", "pending_requested", "weighted_pipeline",
            "success_rate_count", "success_rate_value")),
        (10_000_00, 6_000_00, 1, 10_000_00, 2_500_00, Decimal("50.0"), Decimal("66.7")),
    ),
    "grant won": (
        lambda r: tuple(getattr(next(g for g in r.grants if g.bid == "Won"), f) for f in (
            "awarded", "received", "spent", "remaining", "next_report", "next_report_due")),
        (10_000_00, 6_000_00, 2_500_00, 7_500_00, "Interim report", date(2026, 12, 31)),
    ),
    "grants listed": (lambda r: {g.bid for g in r.grants}, {"Won", "Lost", "Pending"}),
    "milestones": (
        lambda r: ([(m.rag, m.slippage_days, m.latest_update) for m in r.milestones],
                   {c.rag: c.count for c in r.milestone_counts}[Rag.AMBER]),
        ([(Rag.AMBER, 44, "Supplier late")], 1),
    ),
    "CIPFA lines": (
        lambda r: {c.line: c.actual_to_date for c in r.cipfa if c.actual_to_date or c.line == "Overdue charges"},
        {"Lettings": 50_000_00, "Miscellaneous - receipts from the public": 500_00, "Overdue charges": 0,
         "Registration (outside CIPFA library statistics)": 99_000_00},
    ),
    "CIPFA total equals all income": (lambda r: sum(c.actual_to_date for c in r.cipfa), 149_500_00),
    "entries": (
        lambda r: (r.entries_summary.count, r.entries_summary.total, [e.reference for e in r.entries]),
        (6, 149_500_00, ["A1", "B1", "B2", "A2", "C1", "B-REFUND"]),
    ),
    "streams needing commentary": (lambda r: [s.code for s in r.streams_needing_commentary], ["LIB-A"]),
}  # fmt: skip


@pytest.mark.parametrize("section", FIGURES)
def test_every_figure_of_the_return(session, known, section):
    figures, expected = FIGURES[section]
    assert figures(build_return(session, Q2, **META)) == expected


def test_the_return_round_trips_through_json(session, known):
    report = build_return(session, Q2, **META)
    again = load_return(dump_return(report))
    assert again == report
    assert list(again.entries) == list(report.entries)


def money(cell) -> Decimal:
    return Decimal(str(cell.value)).quantize(Decimal("0.01"))


@pytest.fixture
def workbook(session, known, tmp_path):
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("xlsx",), tmp_path, actor=known)
    session.commit()
    return file.path


def test_workbook_sheets_headers_values_and_formats(workbook):
    book = load_workbook(workbook)
    assert tuple(book.sheetnames) == SHEET_NAMES
    sheet = book["Income by stream"]
    assert tuple(c.value for c in sheet[1]) == STREAM_COLUMNS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:T4"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2, max_row=4)}
    column = {title: index for index, title in enumerate(STREAM_COLUMNS)}
    a = {title: rows["LIB-A"][index] for title, index in column.items()}
    assert money(a["Annual budget"]) == Decimal("100000.00")
    assert a["Annual budget"].number_format == "£#,##0.00;-£#,##0.00"
    assert money(a["Q1 actual"]) == Decimal("20000.00") and a["Q3 actual"].value is None  # Q3 not yet
    assert a["Variance to date %"].number_format == "0.0%"
    assert Decimal(str(a["Forecast variance %"].value)) == Decimal("-0.03")
    assert a["RAG"].value == "Amber" and a["RAG"].fill.fgColor.rgb.endswith("FCD6B4")
    assert a["Commentary"].value == "Commentary needed"
    assert rows["REG-B"][column["Forecast outturn"]].comment is not None  # default forecast explained
    total = {title: cell.value for title, cell in zip(STREAM_COLUMNS, sheet[5], strict=False)}
    assert total["Stream code"] == "Total" and total["Annual budget"] == "=SUM(E2:E4)"
    assert total["Variance to date %"] == '=IF(J5=0,"",L5/J5)'
    assert total["Q3 actual"] is None  # no Q3 total before Q3
    for name in SHEET_NAMES:
        for row in book[name].iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    assert str(cell.value).startswith(("=SUM(", "=IF(")), (name, cell.coordinate, cell.value)
    entries = book["Income entries"]
    assert entries["A2"].number_format == "dd/mm/yyyy" and entries["A2"].value.date() == date(2026, 5, 1)
    assert entries.max_row == 8  # header, six entries, total
    assert book.properties.title == "Financial resilience return 2026-27 Q2 DRAFT"
    assert "Libraries, Registration and Archives" in book.properties.subject
    assert "2026-27" in book.properties.keywords and "Q2" in book.properties.keywords


def test_summary_sheet_has_a_chart_of_income_by_quarter(workbook):
    book = load_workbook(workbook)
    summary = book["Summary"]
    assert len(summary._charts) == 1
    values = [[c.value for c in row] for row in summary.iter_rows(values_only=False)]
    assert ["Quarter", "Actual income", "Profiled budget"] in [v[:3] for v in values]


@needs("soffice")
def test_libreoffice_recalculates_the_same_totals(workbook, tmp_path):
    out = tmp_path / "recalculated"
    subprocess.run(["soffice", "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    book = load_workbook(out / workbook.name, data_only=True)
    total = {
        title: cell.value for title, cell in zip(STREAM_COLUMNS, book["Income by stream"][5], strict=False)
    }
    assert Decimal(str(total["Annual budget"])).quantize(Decimal("0.01")) == Decimal("300000.00")
    assert Decimal(str(total["Actual to date"])).quantize(Decimal("0.01")) == Decimal("149500.00")
    assert round(Decimal(str(total["Variance to date %"])), 4) == Decimal("-0.0033")
    summary_total = next(row for row in book["Summary"].iter_rows() if row[0].value == "Total")
    assert Decimal(str(summary_total[1].value)).quantize(Decimal("0.01")) == Decimal("300000.00")
    entries = book["Income entries"]
    assert Decimal(str(entries.cell(entries.max_row, 10).value)).quantize(Decimal("0.01")) == Decimal(
        "149500.00"
    )


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@needs("pdftotext")
def test_pdf_shows_the_same_totals(session, known, tmp_path):
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("pdf",), tmp_path, actor=known)
    text = pdf_text(file.path)
    assert "Financial resilience return 2026-27 Q2" in text
    assert "Libraries, Registration and Archives, Kent County Council" in text
    for figure in (
        "£300,000.00",
        "£149,500.00",
        "£296,500.00",
        "-£3,500.00",
        "-£500.00",
        "£2,500.00",
        "£99,000.00",
    ):
        assert figure in text, figure
    assert "Amber" in text and "Green" in text
    pages = text.count("\f")
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Commentary needed" in text


@needs("pdftotext")
def test_the_longest_texts_the_forms_allow_fit_the_pdf(session, known, tmp_path):
    """4,000 characters of commentary and of milestone update, and a word wider than its column,
    neither break the layout (no cell may outgrow a page) nor vanish."""
    stream = session.scalar(select(IncomeStream).where(IncomeStream.code == "LIB-A"))
    commentary = ("The hall roof leak closed the main room for six weeks. " * 80)[:3990] + " END-OF-IT"
    income.save_forecast(session, stream, Q2, 90_000_00, commentary, actor=known, expected_version=AS_READ)
    milestone = session.scalar(select(Milestone))
    note = "https://example.org/" + "x" * 300 + " " + ("Supplier late again. " * 190)[:3600]
    milestones.update_milestone(session, milestone, forecast_due=date(2026, 10, 20), status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note=note, actor=known, update_on=date(2026, 9, 1), expected_version=AS_READ)  # fmt: skip
    session.flush()
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("pdf",), tmp_path, actor=known)
    text = " ".join(pdf_text(file.path).split())
    assert "END-OF-IT" in text  # commentary is printed whole, below the table
    assert "Supplier late again." in text and "(the full text is in the workbook)" in text
    assert "https://example.org/xxx" in text  # the long word is broken, not dropped
    assert "Completed" in text and "Slippage " in text  # headers break between words only


@pytest.mark.parametrize(("fmt", "start"), [("pdf", b"%PDF"), ("html", b"<!DOCTYPE html>")])
def test_the_pdf_and_html_never_read_the_entries(session, known, fmt, start):
    """The PDF and the HTML hold the entries' count and total only, so their cost is flat in the
    number of entries (the workbook lists them)."""
    import dataclasses
    import io

    class Untouchable:
        def __iter__(self):
            raise AssertionError(f"the {fmt} read the entry lines")

    report = dataclasses.replace(build_return(session, Q2, **META), entries=Untouchable())
    out = io.BytesIO()
    return_service.write_file(report, fmt, out)
    assert out.getvalue().lstrip().startswith(start)


@needs("pdftotext")
def test_a_submitted_quarter_exports_identical_figures_after_later_changes(
    session, known, tmp_path, make_user
):
    snapshot = return_service.submit(
        session, Q2, actor=known, reason="LIB-A to be explained at committee", **META
    )
    session.commit()
    assert locks.is_locked(session, Q2) and locks.is_locked(session, FinancialYear(2026).quarter(1))
    before = return_for(session, Q2, **META)
    assert before.submitted and before.meta.submitted_by == "Farah Finance"
    # Later: Q3 income, a new stream's income in Q3, a forecast for Q3, and an admin reopening Q2.
    stream = session.scalar(select(IncomeEntry.stream_id).where(IncomeEntry.reference == "A1"))
    from incometrack.models import IncomeStream

    a = session.get(IncomeStream, stream)
    make_entry(session, a, date(2026, 10, 20), 7_777_00, reference="LATER")
    locks.reopen(session, Q2, actor=make_user(Role.ADMIN), reason="Late journal", expected_version=AS_READ)
    make_entry(session, a, date(2026, 9, 15), 1_234_00, reference="LATE-Q2")
    session.commit()
    after = return_for(session, Q2, **META)
    assert after == before
    assert list(after.entries) == list(before.entries)
    live = build_return(session, Q2, **META)
    assert (
        live.overall.actual_to_date == before.overall.actual_to_date + 1_234_00
    )  # the live figures did move
    files = return_service.export(session, after, ("xlsx", "pdf"), tmp_path, actor=known)
    session.commit()
    sheet = load_workbook(files[0].path)["Income by stream"]
    actual = STREAM_COLUMNS.index("Actual to date")
    assert sum(money(row[actual]) for row in sheet.iter_rows(min_row=2, max_row=4)) == Decimal("149500.00")
    assert all(r.from_snapshot for r in session.scalars(select(ExportRecord)))
    assert "Submitted" in pdf_text(files[1].path)
    with pytest.raises(ServiceError, match="was submitted on"):
        return_service.submit(session, Q2, actor=known, reason="LIB-A to be explained at committee", **META)
    assert session.scalar(select(func.count()).select_from(ReturnSnapshot)) == 1
    assert snapshot.checksum


def test_new_entries_in_a_submitted_quarter_are_refused(session, known):
    return_service.submit(session, Q2, actor=known, reason="LIB-A to be explained at committee", **META)
    session.commit()
    from incometrack.models import IncomeStream

    stream = session.scalar(select(IncomeStream).where(IncomeStream.code == "LIB-A"))
    with pytest.raises(locks.PeriodLocked):
        make_entry(session, stream, date(2026, 9, 1), 1_00, reference="TOO-LATE")


def test_viewers_cannot_submit(session, known, make_user):
    from incometrack.services import NotAllowed

    with pytest.raises(NotAllowed):
        return_service.submit(session, Q2, actor=make_user(Role.VIEWER), **META)


def test_export_return_command(runner, session, known, tmp_path):
    result = runner.invoke(
        args=["export-return", "--year", "2026-27", "--quarter", "2", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    paths = result.output.strip().splitlines()
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        "financial-resilience-return-2026-27-Q2-DRAFT.xlsx",
        "financial-resilience-return-2026-27-Q2-DRAFT.pdf",
        "financial-resilience-return-2026-27-Q2-DRAFT.html",
    ]
    only_pdf = runner.invoke(
        args=["export-return", "--year", "2026-27", "--quarter", "Q2", "--format", "pdf"]
    )
    assert only_pdf.exit_code == 0 and only_pdf.output.strip().endswith(
        "exports/2026-27/Q2/financial-resilience-return-2026-27-Q2-DRAFT.pdf"
    )
    assert not list(tmp_path.glob(".*.part"))  # no temporary files left
    bad = runner.invoke(args=["export-return", "--year", "2026-28", "--quarter", "2"])
    assert bad.exit_code == 2


def test_an_unwritable_exports_folder_gives_a_clear_error(runner, known, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    result = runner.invoke(
        args=["export-return", "--year", "2026-27", "--quarter", "2", "--out", str(blocked / "sub")]
    )
    assert result.exit_code == 1
    assert "Cannot write to" in result.output


def test_a_snapshot_of_the_first_format_still_opens_with_its_figures():
    """Returns submitted before figures were shared by streams, services and the total (a file
    written by that version of IncomeTrack) open with the figures they were submitted with."""
    from pathlib import Path

    report = load_return((Path(__file__).parent / "data" / "snapshot-format-1.json").read_text())
    assert report.meta.title == "Financial resilience return 2026-27 Q2"  # submitted: no DRAFT
    a = next(s for s in report.streams if s.code == "LIB-A")
    assert (a.figures.annual_budget, a.figures.actuals, a.figures.forecast_outturn, a.figures.rag) == (
        100_000_00, (20_000_00, 30_000_00, None, None), 97_000_00, Rag.AMBER,
    )  # fmt: skip
    assert (report.overall.actual_to_date, report.overall.previous_forecast) == (149_500_00, 302_000_00)
    assert report.milestone_counts[0].rag in Rag
    assert [e.reference for e in report.entries] == ["A1", "B1", "B2", "A2", "C1", "B-REFUND"]
    assert report.submission_note is None and report.outcome_totals.grants_awarded == 0
    for fmt in ("xlsx", "pdf"):
        return_service.write_file(report, fmt, io.BytesIO())


def test_the_workbook_is_set_up_for_printing(session, known, tmp_path):
    """Issues 18 and 28: A4 landscape, one page wide where text stays at 8pt (else 73% over pages
    across), header rows repeated, the title block on every page, page numbers; the Summary with its
    title block and chart; commentary rows tall enough for their text."""
    income.save_forecast(session, session.scalar(select(IncomeStream).where(IncomeStream.code == "LIB-A")),
                         Q2, 90_000_00, "Room bookings fell over the summer. " * 12, actor=known, expected_version=AS_READ)  # fmt: skip
    session.commit()
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("xlsx",), tmp_path, actor=known)
    book = load_workbook(file.path)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), sheet.title
        if sheet.title in ("Income by stream", "Grants"):
            # too wide for one page at 8pt: at 73% over pages across, the first column(s) on each
            assert not sheet.sheet_properties.pageSetUpPr.fitToPage and int(setup.scale) == 73
            assert sheet.print_title_cols == "$A:$A"
        else:
            assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1, sheet.title
        assert sheet.print_title_rows and sheet.oddFooter.right.text == "Page &P of &N"
        # the title block on every printed page
        assert sheet.oddHeader.left.text == "Financial resilience return 2026-27 Q2 DRAFT"
        assert sheet.oddHeader.right.text == (
            "Libraries, Registration and Archives, Kent County Council. Figures as at 30 Sep 2026"
        )
    assert [s.title for s in book.worksheets if s.sheet_state == "hidden"] == ["Income entries"]
    summary = book["Summary"]
    assert summary.page_setup.fitToHeight == 1  # one page, its chart beside its small tables, at 8pt or more
    assert [summary.cell(row, 1).value for row in range(1, 5)] == [
        "Financial resilience return 2026-27 Q2 DRAFT",
        "Libraries, Registration and Archives, Kent County Council",
        "Figures as at 30 Sep 2026. Amounts in pounds, net of VAT.",
        "DRAFT: not submitted; the figures may still change.",
    ]
    chart_row = summary._charts[0].anchor._from.row + 1
    last_printed = int(str(summary.print_area).rstrip("']").rsplit("$", 1)[1])  # 'Summary'!$A$1:$H$51
    assert chart_row + 18 <= last_printed  # the 9 cm chart lies inside what is printed
    streams = book["Income by stream"]
    row = next(r for r in streams.iter_rows(min_row=2) if r[0].value == "LIB-A")[0].row
    assert streams.row_dimensions[row].height >= 15 * 5  # 432 characters in a column 90 wide


def test_a_success_rate_without_decisions_says_so(session, make_user, tmp_path):
    finance = make_user(Role.FINANCE)
    make_bid(session, finance, title="Pending")
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("xlsx",), tmp_path, actor=finance)
    values = [row[1] for row in load_workbook(file.path)["Summary"].iter_rows(values_only=True)
              if row[0] in ("Success rate by count", "Success rate by value")]  # fmt: skip
    assert values == ["No decisions yet", "No decisions yet"]


@needs("soffice")
def test_libreoffice_prints_a_page_or_two_a_sheet(workbook, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(workbook)],
                   check=True, capture_output=True, timeout=180)  # fmt: skip
    pdf = tmp_path / workbook.with_suffix(".pdf").name
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")  # fmt: skip
    first, summary = pages[0], pages[1]
    # the committee's answer first: the key and the streams rated Red or Amber, then the Summary
    assert "Financial resilience return 2026-27 Q2 DRAFT" in first and "What the ratings mean" in first
    assert "LIB-A" in first and "Room hire" in first and "Page 1 of" in first
    assert "Financial resilience return 2026-27 Q2 DRAFT" in summary and "Milestones by RAG" in summary
    # a page a sheet, the wide stream and grant tables two each (18 before issue 18), and the
    # impact sheet's page (issue 29)
    assert len([p for p in pages if p.strip()]) == 10


class _Tables(HTMLParser):
    """What an accessibility check reads of an HTML file: its language, scripts and links out,
    and each table's caption, header scopes and rows of cell text."""

    def __init__(self) -> None:
        super().__init__()
        self.lang, self.scripts, self.fetches, self.unscoped = None, 0, [], 0
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "script":
            self.scripts += 1
        elif tag in ("link", "img") or (tag != "a" and "src" in attrs):
            self.fetches.append(tag)
        elif tag == "table":
            self._caption, self._rows = None, []
        elif tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "th" and attrs.get("scope") not in ("col", "row"):
                self.unscoped += 1

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("th", "td") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.tables[self._caption] = self._rows

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def test_the_html_return_is_one_accessible_file_with_the_same_figures(session, known, tmp_path):
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("html",), tmp_path, actor=known)
    assert file.path.name == "financial-resilience-return-2026-27-Q2-DRAFT.html"
    parsed = _Tables()
    parsed.feed(file.path.read_text(encoding="utf-8"))
    assert parsed.lang == "en-GB" and parsed.scripts == 0 and parsed.fetches == []
    assert parsed.unscoped == 0 and None not in parsed.tables  # every table captioned, every header scoped

    services = parsed.tables["Income by service, year to date"]
    assert services[0][:4] == ["Service", "Annual budget", "Profiled budget to date", "Actual to date"]
    assert services[-1] == ["Total", "£300,000.00", "£150,000.00", "£149,500.00", "-£500.00", "-0.3%",
                            "£296,500.00", "-£3,500.00", "-1.2%", "Green"]  # fmt: skip
    streams = {row[0]: row for row in parsed.tables["Income by stream, year to date and forecast outturn"]}
    header = streams["Stream code"]
    a = dict(zip(header, streams["LIB-A"], strict=True))
    assert (a["Actual to date"], a["Forecast outturn"], a["RAG"]) == ("£50,000.00", "£97,000.00", "Amber")
    assert a["Commentary"] == "Commentary needed"
    assert streams["REG-B"][header.index("Forecast outturn")] == "£199,000.00default forecast"  # marked
    assert streams["Total"][header.index("Actual to date")] == "£149,500.00"
    grants = parsed.tables["Grants, year to date"]
    assert ["Success rate by count", "50.0%"] in grants and ["Success rate by value", "66.7%"] in grants
    milestones = parsed.tables["Milestones at the quarter end, with their RAG and latest update"]
    assert milestones[1][milestones[0].index("Latest update")] == "Supplier late"
    assert parsed.tables["Income by quarter against profiled budget (the chart's figures)"][2] == [
        "Q2",
        "£84,500.00",
        "£85,000.00",
    ]
    html = file.path.read_text()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "DRAFT" in html
