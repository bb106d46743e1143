"""The return as an Excel workbook, written with openpyxl in write-only mode (rows stream out).

Money is a number of pounds with a £ format, percentages are fractions with a % format, dates are
dates; totals are formulas; every text cell holding user data goes through
:func:`~incometrack.exports.safe_text.spreadsheet_text` and is typed as text, never a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
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
from incometrack.money import format_gbp, to_pounds
from incometrack.periods import format_date
from incometrack.rag import Rag, rag_named
from incometrack.reports.return_layout import (
    ENTRIES,
    EXCEPTIONS,
    IMPACT,
    IMPACT_SECTIONS,
    MILESTONE_COUNTS,
    QUARTERS,
    RAG_KEY_CAPTION,
    SECTIONS,
    SUMMARY,
    Column,
    Kind,
    Ratio,
    Section,
    display,
    grant_figures,
    rag_key,
)
from incometrack.reports.returns import FinancialReturn

MONEY_FORMAT = "£#,##0.00;-£#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
HEADER_FONT = Font(bold=True)
TOTAL_FONT = Font(bold=True)
RAG_FILLS = {rag: PatternFill("solid", fgColor=rag.tint.lstrip("#").upper()) for rag in Rag}
WRAP = Alignment(wrap_text=True, vertical="top")


#: cell kinds whose style is the same on every row
REUSABLE = frozenset({Kind.MONEY, Kind.PERCENT, Kind.DATE})
#: the cells of a header row and of a formula, beside the kinds of :class:`Kind`
HEADER, FORMULA = "header", "formula"


def _wrap(text: str, width: float) -> list[str]:
    """``text`` broken at spaces into the lines a column ``width`` characters wide shows, as a
    spreadsheet wraps it (a bold header's characters are a little wider: 0.85 of the width)."""
    capacity = max(1, int(width * 0.85))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= capacity:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


#: The smallest a printed sheet is scaled, in per cent: 11pt text prints at 8.03pt.
LEAST_SCALE = 73
#: The left and right margins, in inches.
SIDE_MARGIN = 0.3
#: What an A4 landscape page (297 mm, 1,123 pixels at 96 dpi) holds across between its margins.
PRINTABLE_PX = 1123 - int(2 * SIDE_MARGIN * 96)
#: The top and bottom margins, in inches (the title block and the page number stand in them).
END_MARGIN = 0.6
#: What an A4 landscape page (210 mm, 595 points) holds down between its margins, in points.
PRINTABLE_PT = 595 - int(2 * END_MARGIN * 72)


def fitted_scale(columns: Sequence[Column]) -> int:
    """The per cent a sheet of these columns is scaled to fit one page wide (a column ``w``
    characters wide is ``7w + 5`` pixels in an 11pt font, as Excel and LibreOffice lay it out)."""
    return min(100, int(PRINTABLE_PX * 100 / sum(7 * c.width + 5 for c in columns)))


class SheetWriter:
    """One table a sheet: a single header row, frozen, with filters and widths."""

    def __init__(
        self,
        workbook: Workbook,
        title: str,
        columns: Sequence[Column],
        preamble: Sequence[tuple[str, Font]] = (),
        key: Sequence[tuple[Rag, str]] = (),
        page_header: tuple[str, str] = ("", ""),
    ) -> None:
        """``preamble``: lines of text (with their font) above the table, such as a title;
        ``key``: what each rating means, as a small table between them; ``page_header``: the
        title block printed at the top of every page (left and right)."""
        self.sheet = workbook.create_sheet(title)
        self.page_header = page_header
        #: the columns printed: up to the last one that goes on paper (a stream's commentary is
        #: printed with the streams rated Red or Amber, a grant's outcomes in Outcomes)
        self.printed = columns[: max(i for i, c in enumerate(columns) if c.on_paper) + 1]
        self.columns = columns
        #: one styled cell per money, date or percent column, refilled row after row (see row())
        self._reused: dict[int, WriteOnlyCell] = {}
        self._fillers: list[Callable[[object], object]] | None = None
        for index, column in enumerate(columns, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = column.width
        #: the header row's number; data rows follow it
        self.header_row = len(preamble) + 1 + (1 if preamble else 0) + (len(key) + 2 if key else 0)
        # Before the first row: a write-only sheet writes its properties (fit to page) with it.
        self._print_setup()
        for text, font in preamble:
            cell = WriteOnlyCell(self.sheet, value=spreadsheet_text(text))
            cell.data_type, cell.font = "s", font
            self.sheet.append([cell])
        if preamble:
            self.sheet.append([])
        if key:
            # bold but unwrapped: the words run on over the empty cells to their right
            self.sheet.append(
                [self._cell("RAG", Kind.TEXT, bold=True), self._cell(RAG_KEY_CAPTION, Kind.TEXT, bold=True)]
            )
            for rag, meaning in key:
                self.sheet.append([self._cell(rag.value, Kind.RAG), self._cell(meaning, Kind.TEXT)])
            self.sheet.append([])
        self.rows = self.header_row
        if not key:  # a short list below a key: frozen, the title and key would fill the window
            self.sheet.freeze_panes = f"A{self.header_row + 1}"
        # Tall enough for each title as its column wraps it: a header never runs over the figures.
        lines = max(len(_wrap(c.title, c.width)) for c in columns)
        if lines > 1:
            self.sheet.row_dimensions[self.header_row].height = 15 * lines
        self.sheet.append([self._cell(c.title, HEADER) for c in columns])
        #: the columns of wrapped text a person wrote, and the characters a line of each holds
        self._wrapped = [
            (i, max(1, int(c.width * 1.1))) for i, c in enumerate(columns) if c.kind == Kind.USER
        ]

    def _print_setup(self) -> None:
        """For the committee's printer: A4 landscape, the header row on every page, the title block
        at the head of every page and "Page n of m" at the foot. A sheet is fitted to one page wide
        (as many tall as it takes) where that keeps its text at 8pt or more; a wider one prints at
        :data:`LEAST_SCALE` over as many pages across as it needs, its first column repeated on each."""
        ws = self.sheet
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
        if fitted_scale(self.printed) >= LEAST_SCALE:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
        else:
            ws.page_setup.scale = LEAST_SCALE
            ws.print_title_cols = "A:A"
        ws.print_title_rows = f"{self.header_row}:{self.header_row}"
        ws.print_options.gridLines = False
        left, right = self.page_header
        # "&" starts a code in a header (&P is the page number): a name's own "&" is written "&&"
        ws.oddHeader.left.text = left.replace("&", "&&")
        ws.oddHeader.right.text = right.replace("&", "&&")
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.right.text = "Page &P of &N"
        ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
        ws.page_margins.top = ws.page_margins.bottom = END_MARGIN
        ws.page_margins.header = ws.page_margins.footer = 0.25

    def letter(self, title: str) -> str:
        return get_column_letter([c.title for c in self.columns].index(title) + 1)

    def _cell(self, value, kind: Kind, *, bold: bool = False, note: str | None = None):
        """A styled cell, or the bare value where no style is needed: a year's entries are a
        hundred thousand rows, and a styled cell costs several times a bare one."""
        if kind in (Kind.TEXT, Kind.INT) and not bold and not note:
            # Defused text never starts with "=", so openpyxl stores it as text, never a formula.
            return spreadsheet_text(value) if kind == Kind.TEXT else value
        if kind == HEADER:
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
        elif kind == Kind.NUMBER:
            cell = WriteOnlyCell(self.sheet, value=value if isinstance(value, Decimal) else None)
            whole = not isinstance(value, Decimal) or value == value.to_integral_value()
            cell.number_format = "#,##0" if whole else "#,##0.0"
        elif kind == FORMULA:
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

    def total_row(self, values: Sequence[object]) -> None:
        """The total line below the data rows: its label first; a SUM formula, or a ratio of two
        columns' totals, where the column says so (blank where the total line has no value, as
        for quarters still to come); elsewhere the total line's own value (a RAG, a count)."""
        first, last, here = self.header_row + 1, self.rows, self.rows + 1
        cells = []
        for index, (column, value) in enumerate(zip(self.columns, values, strict=True)):
            letter = get_column_letter(index + 1)
            if index == 0:
                cells.append(self._cell(value, Kind.TEXT, bold=True))
            elif column.total == "sum" and value is not None:
                # An empty table totals a plain 0: there is nothing to sum.
                formula = f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0
                cell = self._cell(formula, FORMULA, bold=True)
                cell.number_format = MONEY_FORMAT if column.kind == Kind.MONEY else "0"
                cells.append(cell)
            elif isinstance(column.total, Ratio):
                numerator, denominator = (
                    self.letter(column.total.numerator),
                    self.letter(column.total.denominator),
                )
                formula = f'=IF({denominator}{here}=0,"",{numerator}{here}/{denominator}{here})'
                cell = self._cell(formula, FORMULA, bold=True)
                cell.number_format = PERCENT_FORMAT
                cells.append(cell)
            elif value is None or value == "":
                cells.append(None)
            else:
                cells.append(
                    self._cell(value, Kind.TEXT if column.kind == Kind.USER else column.kind, bold=True)
                )
        self.sheet.append(cells)
        self.rows += 1

    def filters(self, last_row: int | None = None) -> None:
        last = last_row or max(self.rows, self.header_row + 1)
        self.sheet.auto_filter.ref = f"A{self.header_row}:{get_column_letter(len(self.columns))}{last}"


TITLE_FONT = Font(bold=True, size=16)
DRAFT_FONT = Font(bold=True, size=12, color="D4351C")
#: Rows of the default height the Summary's chart (9 cm tall) covers.
CHART_ROWS = 19
#: The Summary's column the chart starts in: right of the small tables' three columns.
CHART_COLUMN = 5


def page_header(report: FinancialReturn) -> tuple[str, str]:
    """The title block every printed page carries: the title (DRAFT until submitted) on the left;
    the service, council and as-at date on the right."""
    meta = report.meta
    return meta.title, f"{meta.service_name}, {meta.council}. Figures as at {format_date(meta.period_end)}"


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


#: The widest a column of names is made to hold its longest value; a longer one wraps.
WIDEST_TEXT = 60


def _fitted(column: Column, lines: list, total: object = None) -> Column:
    """``column`` as wide as its longest value, or wrapping where that is more than
    :data:`WIDEST_TEXT` characters; a money column as wide as its widest figure (the total's
    included), so that none shows as ### and none takes more room than it needs."""
    if column.kind == Kind.MONEY:
        figures = [column.value(line) for line in lines] + ([total] if isinstance(total, int) else [])
        widest = max((len(format_gbp(f)) for f in figures if isinstance(f, int)), default=0)
        return replace(column, width=max(widest + 2, len(max(column.title.split(), key=len)) + 1, 10))
    if column.kind != Kind.TEXT:
        return column
    longest = max((len(str(column.value(line) or "")) for line in lines), default=0)
    if longest <= column.width:
        return column
    if longest <= WIDEST_TEXT:
        return replace(column, width=longest + 1)
    return replace(column, width=WIDEST_TEXT, kind=Kind.USER)


def write_section(
    workbook: Workbook,
    section: Section,
    report: FinancialReturn,
    preamble: Sequence[tuple[str, Font]] = (),
    key: Sequence[tuple[Rag, str]] = (),
    widths: Sequence[float] = (),
) -> SheetWriter:
    """A section of the return as a sheet: its columns as declared, a row a line (a comment on
    a flagged value, such as a default forecast), filters, and its total line. A column of names
    is widened to its longest (the year's entries aside: a hundred thousand rows are not read
    twice), up to :data:`WIDEST_TEXT` characters, beyond which it wraps: no name is cut."""
    lines = section.lines(report)
    columns = section.columns
    if section is not ENTRIES:
        lines = list(lines)
        totals = section.total_values(report) or [None] * len(columns)
        columns = tuple(_fitted(column, lines, total) for column, total in zip(columns, totals, strict=True))
    if widths:  # a sheet of several tables: each column as wide as the widest of them needs
        columns = tuple(replace(c, width=max(c.width, w)) for c, w in zip(columns, widths, strict=False))
    if section is SUMMARY:  # the grants figures below share its second column ("No decisions yet")
        widest = max(len(display(f.value, f.kind)) for f in grant_figures(report)) + 2
        columns = (columns[0], replace(columns[1], width=max(columns[1].width, widest)), *columns[2:])
    sheet = SheetWriter(workbook, section.sheet, columns, preamble, key, page_header(report))
    if section is EXCEPTIONS and not lines:
        sheet.sheet.append([sheet._cell(section.empty, Kind.TEXT)])  # "none" said, not a bare header
        sheet.rows += 1
    flagged = [(index, c) for index, c in enumerate(section.columns) if c.flag]
    for line in lines:
        notes = {index: c.flag_note for index, c in flagged if c.flag(line)}
        sheet.row(section.values(line), notes=notes or None)
    sheet.filters()
    total = section.total_values(report)
    if total is not None:
        sheet.total_row(total)
    if len(sheet.printed) < len(section.columns):
        sheet.sheet.print_area = (
            f"A1:{get_column_letter(len(sheet.printed))}{max(sheet.rows, sheet.header_row)}"
        )
    return sheet


def _summary(workbook: Workbook, report: FinancialReturn) -> None:
    """The Summary: title block, income by service, the grants headline, milestones by RAG and
    the quarters, with their chart beside them, on one printed page."""
    sheet = write_section(workbook, SUMMARY, report, preamble=summary_heading(report))
    ws = sheet.sheet

    def append(cells: list) -> int:
        """Append a row below the table and return its row number."""
        ws.append(cells)
        sheet.rows += 1
        return sheet.rows

    def block(header: Sequence[str], rows: Iterable[Sequence[tuple[object, str]]]) -> int:
        """A small table of (value, kind) cells below the others; the row number of its first line."""
        append([])
        lines = max(
            len(_wrap(title, column.width)) for title, column in zip(header, SUMMARY.columns, strict=False)
        )
        if lines > 1:
            ws.row_dimensions[sheet.rows + 1].height = 15 * lines
        first = append([sheet._cell(title, HEADER) for title in header]) + 1
        for cells in rows:
            (label, kind), *rest = cells
            if kind == Kind.TEXT and (lines := len(_wrap(str(label), SUMMARY.columns[0].width))) > 1:
                # a label longer than its column wraps, never cut ("Grant payments received in the y")
                ws.row_dimensions[sheet.rows + 1].height = 15 * lines
                kind = Kind.USER
            append([sheet._cell(label, kind), *(sheet._cell(value, kind) for value, kind in rest)])
        return first

    def section_block(section: Section) -> int:
        """A small section as a block headed by its name (a sheet has one table with filters)."""
        return block(
            [section.heading, *(c.title for c in section.columns[1:])],
            ([(c.value(line), c.kind) for c in section.columns] for line in section.lines(report)),
        )

    beside = sheet.rows + 2  # the grants block's header row: the chart stands to its right
    block(("Grants", "Value"), ([(f.label, Kind.TEXT), (f.value, f.kind)] for f in grant_figures(report)))
    section_block(MILESTONE_COUNTS)
    first = section_block(QUARTERS)
    chart = BarChart()
    chart.type = "col"
    chart.title = f"Income by quarter against profiled budget, {report.meta.year_label}"
    chart.y_axis.numFmt = "£#,##0"
    # as wide as the columns it stands over allow (18 cm at most): no part of it outside the print area
    room_cm = sum(7 * c.width + 5 for c in sheet.columns[CHART_COLUMN - 1 :]) / 96 * 2.54
    chart.height, chart.width = 9, min(18, round(room_cm - 0.5, 1))
    chart.add_data(
        Reference(ws, min_col=2, max_col=3, min_row=first - 1, max_row=first + 3), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=first + 3))
    # Beside the small tables (which use the first three columns), inside the printed area: the
    # Summary prints on one page with its chart, at 8pt or more.
    ws.add_chart(chart, f"{get_column_letter(CHART_COLUMN)}{beside}")
    last = max(sheet.rows, beside + CHART_ROWS)
    ws.print_area = f"A1:{get_column_letter(len(SUMMARY.columns))}{last}"
    # One page where its text stays at 8pt or more; otherwise as many as it takes.
    tall = sum(ws.row_dimensions[row].height or 15 for row in range(1, last + 1))
    if min(fitted_scale(sheet.printed), 100 * PRINTABLE_PT // tall) >= LEAST_SCALE:
        ws.page_setup.fitToHeight = 1


#: The largest a photo is drawn on the impact sheet, in pixels.
PHOTO_BOX = (320, 240)


def _impact(workbook: Workbook, report: FinancialReturn) -> None:
    """Impact and outcomes: the measures (with filters), then the roll-ups and the evidence as
    tables below, each photo drawn beside its row with its alt text in the row. A column is as
    wide as the widest of its tables needs; longer text wraps, its row as tall as its lines."""
    from io import BytesIO

    from openpyxl.drawing.image import Image

    tables = []
    for section in IMPACT_SECTIONS:
        lines = list(section.lines(report))
        totals = section.total_values(report) or [None] * len(section.columns)
        fitted = tuple(_fitted(c, lines, t) for c, t in zip(section.columns, totals, strict=True))
        tables.append((section, lines, fitted))
    widths = [
        max(fitted[i].width for _s, _l, fitted in tables if i < len(fitted))
        for i in range(len(IMPACT.columns))
    ]
    sheet = write_section(workbook, IMPACT, report, widths=widths)
    ws = sheet.sheet

    def append(values: Sequence[object], kinds: Sequence[Kind | str], *, bold: bool = False) -> int:
        """A row of cells, as tall as its wrapped text; its row number."""
        row = sheet.rows + 1
        lines = 1
        for value, kind, width in zip(values, kinds, widths, strict=False):
            if kind in (Kind.USER, HEADER) and isinstance(value, str):
                lines = max(lines, len(_wrap(value, width)))
        if lines > 1:
            ws.row_dimensions[row].height = min(409, 15 * lines)
        ws.append([sheet._cell(v, k, bold=bold and k != HEADER) for v, k in zip(values, kinds, strict=False)])
        sheet.rows = row
        return row

    if not tables[0][1]:
        append([IMPACT.empty], [Kind.USER])
    for section, lines, fitted in tables[1:]:
        ws.append([])
        sheet.rows += 1
        append([section.heading], [HEADER])
        append([c.title for c in section.columns], [HEADER] * len(section.columns))
        if not lines:
            append([section.empty], [Kind.USER])
        kinds = [c.kind for c in fitted]
        photos = len(IMPACT.columns) + 1
        for line in lines:
            row = append(section.values(line), kinds)
            image = getattr(line, "image_bytes", b"")
            if image:
                picture = Image(BytesIO(image))
                scale = min(PHOTO_BOX[0] / picture.width, PHOTO_BOX[1] / picture.height, 1)
                picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
                ws.add_image(picture, f"{get_column_letter(photos)}{row}")
                # tall enough for the photo (a point is 4/3 pixels)
                height = ws.row_dimensions[row].height or 15
                ws.row_dimensions[row].height = max(height, picture.height * 0.75 + 4)
        total = section.total_values(report)
        if total is not None:
            append(total, [Kind.TEXT if k == Kind.USER else k for k in kinds], bold=True)
    ws.print_area = f"A1:{get_column_letter(len(sheet.printed))}{sheet.rows}"


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
    # The committee's answer first: the streams that need its attention, after the key to their ratings.
    entries = report.entries_summary
    where = (
        f"The year's {entries.count:,} income entries are in the sheet {ENTRIES.sheet}, hidden so that"
        " printing the workbook prints the committee's sheets: unhide it to read or print them.",
        Font(),
    )
    write_section(
        workbook, EXCEPTIONS, report, preamble=[*summary_heading(report), where], key=rag_key(report)
    )
    _summary(workbook, report)
    for section in SECTIONS[2:]:
        if section is IMPACT:
            _impact(workbook, report)
            continue
        sheet = write_section(workbook, section, report)
        if section is ENTRIES:
            # printed only on request: a year's entries are a hundred pages (print titles and one
            # page wide when they are asked for)
            sheet.sheet.sheet_state = "hidden"
    workbook.save(stream)
