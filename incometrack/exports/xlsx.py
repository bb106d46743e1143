"""The return as an Excel workbook, written with openpyxl in write-only mode (rows stream out).

Money is a number of pounds with a £ format, percentages are fractions with a % format, dates are
dates; totals are formulas; every text cell holding user data goes through
:func:`~incometrack.exports.safe_text.spreadsheet_text` and is typed as text, never a formula.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from incometrack.exports.safe_text import spreadsheet_text
from incometrack.money import to_pounds
from incometrack.periods import format_date
from incometrack.rag import Rag, rag_named
from incometrack.reports.returns import NO_DECISIONS, STREAM_COLUMNS, FinancialReturn, IncomeFigures

MONEY_FORMAT = "£#,##0.00;-£#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
HEADER_FONT = Font(bold=True)
TOTAL_FONT = Font(bold=True)
RAG_FILLS = {rag: PatternFill("solid", fgColor=rag.tint.lstrip("#").upper()) for rag in Rag}
WRAP = Alignment(wrap_text=True, vertical="top")


class Kind(enum.StrEnum):
    """What a column holds, which decides how its cells are written and styled."""

    TEXT = "text"  #: one line of text
    USER = "user"  #: text a person wrote, wrapped
    MONEY = "money"  #: pence, written as pounds with a £ format
    PERCENT = "percent"  #: a Decimal percentage, written as a fraction with a % format
    DATE = "date"
    INT = "int"
    RAG = "rag"  #: a rating, coloured
    HEADER = "header"
    FORMULA = "formula"


#: cell kinds whose style is the same on every row
REUSABLE = frozenset({Kind.MONEY, Kind.PERCENT, Kind.DATE})


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind
    width: int
    total: str | None = None  #: "sum", or a formula template using {row} and column letters


class SheetWriter:
    """One table a sheet: a single header row, frozen, with filters and widths."""

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: Sequence[Column],
        preamble: Sequence[tuple[str, Font]] = (),
    ) -> None:
        """``preamble``: lines of text (with their font) above the table, such as a title."""
        self.sheet = workbook.create_sheet(title)
        self.columns = columns
        #: one styled cell per money, date or percent column, refilled row after row (see row())
        self._reused: dict[int, WriteOnlyCell] = {}
        self._fillers: list[Callable[[object], object]] | None = None
        for index, column in enumerate(columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        #: the header row's number; data rows follow it
        self.header_row = len(preamble) + 1 + (1 if preamble else 0)
        # Before the first row: a write-only sheet writes its properties (fit to page) with it.
        self._print_setup()
        for text, font in preamble:
            cell = WriteOnlyCell(self.sheet, value=spreadsheet_text(text))
            cell.data_type, cell.font = "s", font
            self.sheet.append([cell])
        if preamble:
            self.sheet.append([])
        self.rows = self.header_row
        self.sheet.freeze_panes = f"A{self.header_row + 1}"
        self.sheet.append([self._cell(c.title, Kind.HEADER) for c in columns])
        #: the columns of wrapped text a person wrote, and the characters a line of each holds
        self._wrapped = [
            (i, max(1, int(c.width * 1.1))) for i, c in enumerate(columns) if c.kind == Kind.USER
        ]

    def _print_setup(self, *, pages_tall: int = 0) -> None:
        """For the committee's printer: A4 landscape, one page wide (``pages_tall`` high, 0 for as
        many as it takes), the header row on every page, and "Page n of m" at the foot."""
        ws = self.sheet
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = pages_tall
        ws.print_title_rows = f"{self.header_row}:{self.header_row}"
        ws.print_options.gridLines = False
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "Page &P of &N"
        ws.page_margins.left = ws.page_margins.right = 0.5

    def letter(self, title: str) -> str:
        return get_column_letter([c.title for c in self.columns].index(title) + 1)

    def _cell(self, value, kind: Kind, *, bold: bool = False, note: str | None = None):
        """A styled cell, or the bare value where no style is needed: a year's entries are a
        hundred thousand rows, and a styled cell costs several times a bare one."""
        if kind in (Kind.TEXT, Kind.INT) and not bold and not note:
            # Defused text never starts with "=", so openpyxl stores it as text, never a formula.
            return spreadsheet_text(value) if kind == Kind.TEXT else value
        if kind == Kind.HEADER:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"
            cell.font = HEADER_FONT
            cell.alignment = WRAP
            return cell
        if kind in (Kind.TEXT, Kind.USER, Kind.RAG):
            cell = WriteOnlyCell(self.sheet, value=spreadsheet_text(value))
            cell.data_type = "s"  # text stays text, whatever it starts with
            if kind == Kind.RAG and rag_named(value) is not None:
                cell.fill = RAG_FILLS[rag_named(value)]
            if kind == Kind.USER:
                cell.alignment = WRAP
        elif kind == Kind.MONEY:
            cell = WriteOnlyCell(self.sheet, value=to_pounds(value) if value is not None else None)
            cell.number_format = MONEY_FORMAT
        elif kind == Kind.PERCENT:
            cell = WriteOnlyCell(self.sheet, value=value / 100 if isinstance(value, Decimal) else None)
            cell.number_format = PERCENT_FORMAT
        elif kind == Kind.DATE:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
        elif kind == Kind.FORMULA:
            cell = WriteOnlyCell(self.sheet, value=value)
        else:
            cell = WriteOnlyCell(self.sheet, value=value)
        if bold:
            cell.font = TOTAL_FONT
        if note:
            cell.comment = Comment(note, "IncomeTrack")
        return cell

    def row(self, values: Sequence[object], *, notes: dict[int, str] | None = None) -> None:
        if notes:
            cells = [
                self._cell(v, c.kind, note=notes.get(i))
                for i, (v, c) in enumerate(zip(values, self.columns, strict=True))
            ]
        else:
            if self._fillers is None:
                self._fillers = [self._filler(i, c.kind) for i, c in enumerate(self.columns)]
            cells = [fill(v) for fill, v in zip(self._fillers, values, strict=True)]
        self._fit_height(values)  # before the row is written: a write-only sheet streams it out
        self.sheet.append(cells)
        self.rows += 1

    def _fit_height(self, values: Sequence[object]) -> None:
        """Make a row of wrapped text tall enough for its lines, so that printed or on screen it
        never runs under the next row (Excel does not size rows of a written file itself)."""
        lines = 1
        for index, per_line in self._wrapped:
            text = str(values[index] or "")
            lines = max(lines, sum(1 + len(part) // per_line for part in text.split("\n")))
        if lines > 1:
            self.sheet.row_dimensions[self.rows + 1].height = min(409, 15 * lines)

    def _filler(self, index: int, kind: Kind) -> Callable[[object], object]:
        """What turns a value of the column into what is appended, chosen once a column."""
        if kind in REUSABLE:
            return lambda value: self._refill(index, kind, value)
        if kind == Kind.TEXT:
            return spreadsheet_text
        if kind == Kind.INT:
            return lambda value: value
        return lambda value: self._cell(value, kind)

    def _refill(self, index: int, kind: Kind, value: object) -> WriteOnlyCell:
        """The column's styled cell holding ``value``. A write-only sheet writes a row out as it is
        appended, so one cell a column serves every row: a year's entries are a hundred thousand
        rows, and creating and styling a cell for each costs more than writing it."""
        cell = self._reused.get(index)
        if cell is None:
            cell = self._reused[index] = self._cell(None, kind)
        if kind == Kind.MONEY:
            cell.value = to_pounds(value) if value is not None else None
        elif kind == Kind.PERCENT:
            cell.value = value / 100 if isinstance(value, Decimal) else None
        else:
            cell.value = value
        return cell

    def total_row(self, label: str = "Total", overrides: dict[str, object] | None = None) -> None:
        """A Total row of formulas over the data rows (SUM, or the column's own formula)."""
        overrides = overrides or {}
        first, last, here = self.header_row + 1, self.rows, self.rows + 1
        cells = []
        for index, column in enumerate(self.columns, 1):
            letter = get_column_letter(index)
            if index == 1:
                cells.append(self._cell(label, Kind.TEXT, bold=True))
            elif column.title in overrides:
                value = overrides[column.title]
                cells.append(
                    self._cell(value, column.kind if column.kind != Kind.USER else Kind.TEXT, bold=True)
                )
            elif column.total == "sum":
                # An empty table totals a plain 0: there is nothing to sum.
                formula = f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0
                cell = self._cell(formula, Kind.FORMULA, bold=True)
                cell.number_format = MONEY_FORMAT if column.kind == Kind.MONEY else "0"
                cells.append(cell)
            elif column.total:
                cell = self._cell("=" + column.total.format(row=here), Kind.FORMULA, bold=True)
                cell.number_format = PERCENT_FORMAT if column.kind == Kind.PERCENT else MONEY_FORMAT
                cells.append(cell)
            else:
                cells.append(self._cell(None, Kind.INT))
        self.sheet.append(cells)
        self.rows += 1

    def filters(self, last_row: int | None = None) -> None:
        last = last_row or max(self.rows, self.header_row + 1)
        self.sheet.auto_filter.ref = f"A{self.header_row}:{get_column_letter(len(self.columns))}{last}"


def figure_values(f: IncomeFigures) -> list[object]:
    """A line's figures in the order of :data:`STREAM_COLUMNS` from "Annual budget" to "RAG"."""
    return [
        f.annual_budget,
        *f.actuals,
        f.profiled_to_date,
        f.actual_to_date,
        f.variance_to_date,
        f.variance_to_date_pct,
        f.previous_forecast,
        f.forecast_outturn,
        f.movement,
        f.forecast_variance,
        f.forecast_variance_pct,
        f.rag,
    ]


def _pct_formula(numerator: str, denominator: str) -> str:
    return f'IF({denominator}{{row}}=0,"",{numerator}{{row}}/{denominator}{{row}})'


TITLE_FONT = Font(bold=True, size=16)
DRAFT_FONT = Font(bold=True, size=12, color="D4351C")
#: Rows of the default height the Summary's chart (9 cm tall) covers.
CHART_ROWS = 19


def summary_heading(report: FinancialReturn) -> list[tuple[str, Font]]:
    """The Summary's first lines: title (DRAFT before submission), who, as at when, and why it went
    without commentary where it did."""
    meta = report.meta
    lines = [
        (meta.title, TITLE_FONT),
        (f"{meta.service_name}, {meta.council}", Font()),
        (f"Figures as at {format_date(meta.period_end)}. Amounts in pounds, net of VAT.", Font()),
    ]
    if meta.monitoring:
        lines.append(
            (
                "Budget monitoring: never submitted; the figures are as the records stood when produced.",
                Font(),
            )
        )
    elif meta.draft:
        lines.append(("DRAFT: not submitted; the figures may still change.", DRAFT_FONT))
    else:
        submitted = f"{format_date(meta.submitted_at.date())} by {meta.submitted_by}"
        lines.append((f"Submitted {submitted}; these figures are frozen.", Font()))
    note = report.submission_note
    if note:
        lines.append(
            (
                f"Submitted without commentary for {', '.join(note.streams)}. Reason given: {note.reason}",
                Font(bold=True),
            )
        )
    return lines


def _summary(workbook: Workbook, report: FinancialReturn) -> None:
    columns = [
        Column("Service", Kind.TEXT, 26),
        Column("Annual budget", Kind.MONEY, 16, "sum"),
        Column("Profiled budget to date", Kind.MONEY, 16, "sum"),
        Column("Actual to date", Kind.MONEY, 16, "sum"),
        Column("Variance", Kind.MONEY, 16, "sum"),
        Column("Forecast outturn", Kind.MONEY, 16, "sum"),
        Column("Forecast variance", Kind.MONEY, 16, "sum"),
        Column("RAG", Kind.RAG, 10),
    ]
    sheet = SheetWriter(workbook, "Summary", columns, preamble=summary_heading(report))
    for line in report.services:
        f = line.figures
        sheet.row(
            [
                line.service,
                f.annual_budget,
                f.profiled_to_date,
                f.actual_to_date,
                f.variance_to_date,
                f.forecast_outturn,
                f.forecast_variance,
                f.rag,
            ]
        )
    sheet.total_row(overrides={"RAG": report.overall.rag})
    sheet.filters(last_row=sheet.rows - 1)
    ws = sheet.sheet

    def append(cells: list) -> int:
        """Append a row below the table and return its row number."""
        ws.append(cells)
        sheet.rows += 1
        return sheet.rows

    def block(
        title: str, rows: Iterable[Sequence[object]], kinds: Sequence[str], header: Sequence[str]
    ) -> int:
        append([])
        first = append([sheet._cell(t, Kind.HEADER) for t in (title, *header)]) + 1
        for values in rows:
            append([sheet._cell(v, k) for v, k in zip(values, kinds, strict=True)])
        return first

    g = report.grants_headline
    block(
        "Grants",
        [
            ("Awarded in the year to date", g.awarded_in_year),
            ("Grant payments received in the year to date", g.received_in_year),
            (f"Pending bids ({g.pending_count}): amount requested", g.pending_requested),
            ("Weighted value of pending bids", g.weighted_pipeline),
        ],
        (Kind.TEXT, Kind.MONEY),
        ("Value",),
    )
    for label, rate in (
        ("Success rate by count", g.success_rate_count),
        ("Success rate by value", g.success_rate_value),
    ):
        # A rate of no decisions is not 0%: say so rather than leave it blank.
        shown = sheet._cell(rate, Kind.PERCENT) if rate is not None else sheet._cell(NO_DECISIONS, Kind.TEXT)
        append([sheet._cell(label, Kind.TEXT), shown])
    block(
        "Milestones by RAG at the quarter end",
        [(c.rag, c.count) for c in report.milestone_counts],
        (Kind.RAG, Kind.INT),
        ("Milestones",),
    )
    first = block(
        "Quarter",
        [(b.label, b.actual, b.profiled) for b in report.quarters],
        (Kind.TEXT, Kind.MONEY, Kind.MONEY),
        ("Actual income", "Profiled budget"),
    )
    chart = BarChart()
    chart.type = "col"
    chart.title = f"Income by quarter against profiled budget, {report.meta.year_label}"
    chart.y_axis.title = "£"
    chart.y_axis.numFmt = "£#,##0"
    chart.height, chart.width = 9, 18
    chart.add_data(
        Reference(ws, min_col=2, max_col=3, min_row=first - 1, max_row=first + 3), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=first + 3))
    # Below the tables, inside the printed area: the Summary prints on one page with its chart.
    anchor = sheet.rows + 2
    ws.add_chart(chart, f"A{anchor}")
    ws.print_area = f"A1:{get_column_letter(len(columns))}{anchor + CHART_ROWS}"
    sheet._print_setup(pages_tall=1)


def _streams(workbook: Workbook, report: FinancialReturn) -> None:
    kinds = {
        "Stream code": (Kind.TEXT, 14),
        "Stream": (Kind.TEXT, 32),
        "Service": (Kind.TEXT, 14),
        "Category": (Kind.TEXT, 24),
        "Variance to date %": (Kind.PERCENT, 11),
        "Forecast variance %": (Kind.PERCENT, 11),
        "RAG": (Kind.RAG, 9),
        "Commentary": (Kind.USER, 60),
    }
    columns = [
        Column(title, *kinds.get(title, (Kind.MONEY, 15)), "sum" if title not in kinds else None)
        for title in STREAM_COLUMNS
    ]
    sheet = SheetWriter(workbook, "Income by stream", columns)
    letter = sheet.letter
    pct = {
        "Variance to date %": _pct_formula(letter("Variance to date"), letter("Profiled budget to date")),
        "Forecast variance %": _pct_formula(letter("Forecast variance"), letter("Annual budget")),
    }
    sheet.columns = [Column(c.title, c.kind, c.width, pct.get(c.title, c.total)) for c in columns]
    quarter = report.meta.quarter
    for q in range(4):
        if q >= quarter:
            title = f"Q{q + 1} actual"
            sheet.columns[STREAM_COLUMNS.index(title)] = Column(title, Kind.MONEY, 15, None)
    for s in report.streams:
        commentary = s.commentary or ("Commentary needed" if s.commentary_missing else "")
        notes = {
            STREAM_COLUMNS.index(
                "Forecast outturn"
            ): "Default: actual to date plus the profiled budget still to come"
        }
        sheet.row(
            [s.code, s.name, s.service, s.category, *figure_values(s.figures), commentary],
            notes=notes if s.forecast_is_default else None,
        )
    sheet.filters()
    sheet.total_row(overrides={"RAG": report.overall.rag})


def _simple(
    workbook: Workbook,
    title: str,
    columns: list[Column],
    rows: Iterable[Sequence[object]],
    total: bool,
    *,
    total_label: str = "Total",
    overrides: dict[str, object] | None = None,
) -> None:
    sheet = SheetWriter(workbook, title, columns)
    for values in rows:
        sheet.row(values)
    sheet.filters()
    if total:
        sheet.total_row(total_label, overrides)


def write_workbook(report: FinancialReturn, stream: BinaryIO) -> None:
    """Write the whole return as an XLSX workbook to ``stream``."""
    workbook = Workbook(write_only=True)
    meta = report.meta
    workbook.properties.title = meta.title
    workbook.properties.subject = f"{meta.service_name}, {meta.council}"
    workbook.properties.creator = f"IncomeTrack for {meta.service_name}"
    workbook.properties.keywords = f"financial resilience return; {meta.year_label}; Q{meta.quarter}"
    produced = meta.produced_at.strftime("%d/%m/%Y %H:%M UTC")
    status = (
        f"submitted {meta.submitted_at:%d/%m/%Y %H:%M} UTC by {meta.submitted_by}"
        if meta.submitted_at
        else "draft"
    )
    workbook.properties.description = (
        f"{meta.title} for {meta.service_name}, {meta.council}: figures to {meta.period_end:%d/%m/%Y}, "
        f"produced {produced} ({status})."
    )
    workbook.properties.created = meta.produced_at.replace(tzinfo=None)
    _summary(workbook, report)
    _streams(workbook, report)
    _simple(
        workbook,
        "Grants",
        [
            Column("Funder", Kind.TEXT, 26),
            Column("Programme", Kind.TEXT, 26),
            Column("Bid", Kind.TEXT, 34),
            Column("Status", Kind.TEXT, 12),
            Column("Submitted", Kind.DATE, 12),
            Column("Decision", Kind.DATE, 12),
            Column("Start", Kind.DATE, 12),
            Column("End", Kind.DATE, 12),
            Column("Requested", Kind.MONEY, 15, "sum"),
            Column("Awarded", Kind.MONEY, 15, "sum"),
            Column("Match funding", Kind.MONEY, 15, "sum"),
            Column("Received to date", Kind.MONEY, 15, "sum"),
            Column("Spent to date", Kind.MONEY, 15, "sum"),
            Column("Remaining", Kind.MONEY, 15, "sum"),
            Column("Next report due", Kind.DATE, 14),
            Column("Next report", Kind.TEXT, 26),
            Column("Outcomes", Kind.TEXT, 40),
        ],
        (
            [
                g.funder,
                g.programme,
                g.bid,
                g.status.value,
                g.submitted_on,
                g.decision_on,
                g.start_on,
                g.end_on,
                g.requested,
                g.awarded,
                g.match_funding,
                g.received,
                g.spent,
                g.remaining,
                g.next_report_due,
                g.next_report,
                g.outcomes,
            ]
            for g in report.grants
        ),
        total=True,
    )
    _simple(
        workbook,
        "Milestones",
        [
            Column("Project", Kind.TEXT, 30),
            Column("Milestone", Kind.TEXT, 34),
            Column("Owner", Kind.TEXT, 18),
            Column("Baseline", Kind.DATE, 12),
            Column("Forecast", Kind.DATE, 12),
            Column("Completed", Kind.DATE, 12),
            Column("Status", Kind.TEXT, 12),
            Column("RAG", Kind.RAG, 10),
            Column("Slippage (days)", Kind.INT, 10),
            Column("Latest update", Kind.USER, 50),
        ],
        (
            [
                m.project,
                m.milestone,
                m.owner,
                m.baseline,
                m.forecast,
                m.completed,
                m.status.value,
                m.rag,
                m.slippage_days,
                m.latest_update,
            ]
            for m in report.milestones
        ),
        total=False,
    )
    _simple(
        workbook,
        "Outcomes",
        [
            Column("Outcome", Kind.TEXT, 44),
            Column("Grants awarded", Kind.INT, 12),
            Column("Value awarded", Kind.MONEY, 16),
            Column("Projects", Kind.INT, 10),
            Column("Project names", Kind.USER, 60),
        ],
        ([o.outcome, o.grants_awarded, o.grants_value, o.projects, o.project_names] for o in report.outcomes),
        total=True,
        # Not a sum: a grant or project serving several outcomes is counted once.
        total_label=report.outcome_totals.outcome,
        overrides={
            "Grants awarded": report.outcome_totals.grants_awarded,
            "Value awarded": report.outcome_totals.grants_value,
            "Projects": report.outcome_totals.projects,
        },
    )
    _simple(
        workbook,
        "CIPFA lines",
        [Column("CIPFA income line", Kind.TEXT, 56), Column("Actual to date", Kind.MONEY, 16, "sum")],
        ([c.line, c.actual_to_date] for c in report.cipfa),
        total=True,
    )
    _simple(
        workbook,
        "Income entries",
        [
            Column("Date received", Kind.DATE, 13),
            Column("Quarter", Kind.TEXT, 8),
            Column("Stream code", Kind.TEXT, 14),
            Column("Stream", Kind.TEXT, 30),
            Column("Service", Kind.TEXT, 14),
            Column("Category", Kind.TEXT, 24),
            Column("Site", Kind.TEXT, 24),
            Column("Reference", Kind.TEXT, 16),
            Column("Description", Kind.TEXT, 36),
            Column("Amount", Kind.MONEY, 14, "sum"),
        ],
        (
            [
                e.date_received,
                f"Q{e.quarter}",
                e.stream_code,
                e.stream,
                e.service,
                e.category,
                e.site,
                e.reference,
                e.description,
                e.amount,
            ]
            for e in report.entries
        ),
        total=True,
    )
    workbook.save(stream)
