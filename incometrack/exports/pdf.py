"""The return as a committee PDF: reportlab platypus, A4 landscape.

Tables repeat their header row on every page, pages are numbered "Page n of m", and RAG is shown by
colour and by word so the pack reads in black and white. Table cells are plain strings, which no
markup parser reads; the few paragraphs holding user text pass it through
:func:`~incometrack.exports.safe_text.pdf_text` before reportlab's markup parser sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from incometrack.charts import short_gbp, value_axis
from incometrack.exports.safe_text import pdf_text
from incometrack.money import format_gbp
from incometrack.periods import format_date
from incometrack.rag import Rag
from incometrack.reports.returns import NO_DECISIONS, FinancialReturn

RAG_COLOURS = {rag.value: colors.HexColor(rag.tint) for rag in Rag}
RAG_KEY = (
    (
        Rag.RED,
        "forecast shortfall of at least the lower of 5% of the annual budget and £100,000; "
        "milestone past its forecast date",
    ),
    (
        Rag.AMBER,
        "forecast shortfall of at least 2% of the annual budget; milestone forecast after its baseline",
    ),
    (Rag.GREEN, "on or above budget, or a smaller shortfall; milestone on time"),
    (Rag.COMPLETE, "milestone complete"),
)
HEADER_BACKGROUND = colors.HexColor("#e8e8e8")
CELL_SIZE, CELL_LEADING, CELL_PADDING = 8, 9.5, 3  # points: no text in the committee's PDF below 8pt
MARGIN_MM = 15
#: The narrowest a column of words is made to fit a wide table on the page.
MIN_TEXT_MM = 16
#: Room a heading needs below it (itself and a few rows of its table) to stay on a page.
HEADING_ROOM = 35 * mm
#: Room a section needs left on a page to start there rather than on the next.
SECTION_ROOM = 70 * mm
FRAME_WIDTH_MM = 297 - 2 * MARGIN_MM  #: A4 landscape between the side margins
MAX_CELL_LINES = 40  #: about 340 points: a cell never outgrows a page
FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)


def fonts() -> tuple[str, str]:
    """A Unicode TrueType font (DejaVu where the system has it, else reportlab's own Vera) so that
    any character a person typed can be drawn; the base-14 fonts cover Latin-1 only."""
    if "ITSans" in pdfmetrics.getRegisteredFontNames():
        return "ITSans", "ITSans-Bold"
    import reportlab

    vera = Path(reportlab.__file__).parent / "fonts"
    candidates = [*FONT_CANDIDATES, (str(vera / "Vera.ttf"), str(vera / "VeraBd.ttf"))]
    for regular, bold in candidates:
        if Path(regular).exists() and Path(bold).exists():
            pdfmetrics.registerFont(TTFont("ITSans", regular))
            pdfmetrics.registerFont(TTFont("ITSans-Bold", bold))
            return "ITSans", "ITSans-Bold"
    return "Helvetica", "Helvetica-Bold"


class Figure(str):
    """A number already formatted (money, a percentage, a count): drawn as a plain right-aligned
    string, which costs far less than a Paragraph and carries no markup to escape."""


class Text(str):
    """Text for a table cell, wrapped to its column by :meth:`_Builder.table` and drawn as plain
    lines: no markup parser ever sees it, and it costs a fraction of a Paragraph."""

    bold = False


class BoldText(Text):
    bold = True


class RagText(BoldText):
    """A RAG rating: its word, in bold, on its colour."""


class QuarterBars(Flowable):
    """Income by quarter (solid) against the profiled budget (white, dashed outline), drawn with a
    handful of canvas calls: the same picture as the page's SVG chart, at a fraction of the cost of
    reportlab's chart widgets. The quarter table beside it holds the same numbers."""

    TITLE = "Income by quarter against profiled budget"

    def __init__(self, bars, font: str, bold: str) -> None:
        super().__init__()
        self.bars, self.font, self.bold = bars, font, bold
        self.width, self.height = 170 * mm, 62 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        left, bottom, plot_w, plot_h = 22 * mm, 12 * mm, 100 * mm, 40 * mm
        low, high, gridlines = value_axis(v for b in self.bars for v in (b.actual or 0, b.profiled))

        def y(value: int) -> float:
            return bottom + (value - low) * plot_h / (high - low)

        c.setFont(self.bold, 9)
        c.drawString(left, 58 * mm, self.TITLE)
        c.setFont(self.font, 8)
        c.setLineWidth(0.25)
        c.setStrokeColor(colors.HexColor("#b1b4b6"))
        for value in gridlines:
            c.line(left, y(value), left + plot_w, y(value))
            c.drawRightString(left - 2 * mm, y(value) - 2, short_gbp(value))
        group_w = plot_w / len(self.bars)
        bar_w = min(12 * mm, group_w * 0.35)
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.6)
        for index, bar in enumerate(self.bars):
            x = left + group_w * index + group_w / 2 - bar_w
            for number, value in enumerate((bar.actual or 0, bar.profiled)):
                self._bar(
                    x + bar_w * number,
                    y(min(value, 0)),
                    bar_w - 1,
                    y(max(value, 0)) - y(min(value, 0)),
                    number,
                )
            c.setFillColor(colors.black)
            c.drawCentredString(left + group_w * (index + 0.5), bottom - 5 * mm, bar.label)
        for number, name in enumerate(("Actual income", "Profiled budget (dashed)")):
            ly = 50 * mm - number * 6 * mm
            self._bar(128 * mm, ly, 3 * mm, 3 * mm, number)
            c.setFillColor(colors.black)
            c.drawString(133 * mm, ly + 0.5 * mm, name)

    def _bar(self, x: float, y: float, width: float, height: float, series: int) -> None:
        c = self.canv
        c.saveState()
        if series == 0:
            c.setFillColor(colors.HexColor("#1d70b8"))
        else:
            c.setFillColor(colors.white)
            c.setDash(2, 1)
        c.rect(x, y, width, max(height, 0.5), stroke=1, fill=1)
        c.restoreState()


class _NumberedCanvas(canvas.Canvas):
    """Holds pages back until the end so each can say "Page n of m"."""

    footer = ""
    font = "Helvetica"
    #: drawn large at the top of every page when set ("DRAFT" before submission)
    banner = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(self.font, 8)
            width, _ = self._pagesize
            self.drawString(15 * mm, 8 * mm, self.footer)
            self.drawRightString(width - 15 * mm, 8 * mm, f"Page {self._pageNumber} of {total}")
            if self.banner:
                height = self._pagesize[1]
                self.saveState()
                self.setFillColor(colors.HexColor(Rag.RED.colour))
                self.setFont(self.font, 14)
                self.drawRightString(width - 15 * mm, height - 9 * mm, self.banner)
                self.restoreState()
            super().showPage()
        super().save()


class _Builder:
    def __init__(self, report: FinancialReturn) -> None:
        self.report = report
        self.font, self.bold = fonts()
        base = getSampleStyleSheet()
        self.title = ParagraphStyle(
            "title", parent=base["Title"], fontName=self.bold, fontSize=20, alignment=0
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName=self.bold,
            fontSize=13,
            spaceBefore=10,
        )
        self.body = ParagraphStyle(
            "body", parent=base["BodyText"], fontName=self.font, fontSize=9, leading=11
        )

    def p(self, text: object, style=None) -> Paragraph:
        return Paragraph(pdf_text(text), style or self.body)

    def text(self, value: object, *, bold: bool = False) -> Text:
        text = "" if value is None else str(value).replace("\r\n", "\n").replace("\r", "\n")
        return (BoldText if bold else Text)(text)

    def money(self, pence: int | None) -> Figure:
        return Figure(format_gbp(pence))

    def pct(self, value) -> Figure:
        return Figure("" if value is None else f"{value}%")

    def heading(self, text: str) -> list:
        """A section heading, moved to the next page where too little of this one is left for it
        and the first rows of its table (the table itself may then run on over pages)."""
        return [CondPageBreak(HEADING_ROOM), Paragraph(pdf_text(text), self.h2)]

    def rate(self, value) -> Figure | Text:
        """A success rate; before any decision, "No decisions yet" (never blank or 0%)."""
        return self.pct(value) if value is not None else self.text(NO_DECISIONS)

    def rag(self, word: str) -> RagText:
        return RagText(word)

    def wrapped(self, text: Text, width: float) -> str:
        """``text`` as lines that fit ``width`` points: broken at spaces, inside a word only where
        one word is wider than the column (a URL, say), and cut at :data:`MAX_CELL_LINES` with a
        pointer to the workbook, so that no cell is taller than a page."""
        font = self.bold if text.bold else self.font
        if "\n" not in text and stringWidth(text, font, CELL_SIZE) <= width:
            return str(text)  # one line, as most cells are: a single measurement decides
        lines = []
        for line in simpleSplit(text, font, CELL_SIZE, width):
            if stringWidth(line, font, CELL_SIZE) <= width:
                lines.append(line)
                continue
            start, used = 0, 0.0  # a word wider than the column: break it where it reaches the edge
            for index, character in enumerate(line):
                character_width = stringWidth(character, font, CELL_SIZE)
                if used + character_width > width and index > start:
                    lines.append(line[start:index])
                    start, used = index, 0.0
                used += character_width
            lines.append(line[start:])
        if len(lines) > MAX_CELL_LINES:
            lines = [*lines[: MAX_CELL_LINES - 1], "... (the full text is in the workbook)"]
        return "\n".join(lines)

    def table(
        self,
        header: list[str],
        rows: list[list],
        widths: list[float],
        *,
        total: bool = False,
        flex: int | None = None,
    ) -> Table:
        """A table whose figure columns are at least as wide as their widest figure (in bold, as
        a total is), up to £999,999,999.99; column ``flex`` (by default the widest given) gives up
        what they take beyond ``widths``, so that the table stays on the page."""
        widths = list(widths)
        for i in range(len(widths)):
            figures = [row[i] for row in rows if isinstance(row[i], Figure)]
            if figures:
                need = max(stringWidth(f, self.bold, CELL_SIZE) for f in figures) + 2 * CELL_PADDING + 1
                widths[i] = max(widths[i], need / mm)
        excess = sum(widths) - FRAME_WIDTH_MM
        if excess > 0:
            flex = widths.index(max(widths)) if flex is None else flex
            taken = min(excess, widths[flex] - MIN_TEXT_MM)
            widths[flex] -= taken
            excess -= taken
        if excess > 0:
            # Still too wide: every text column gives up its share of what it has beyond the least
            # a column of words needs.
            text = [i for i in range(len(widths)) if not any(isinstance(row[i], Figure) for row in rows)]
            spare = sum(widths[i] - MIN_TEXT_MM for i in text if widths[i] > MIN_TEXT_MM)
            for i in text:
                if widths[i] > MIN_TEXT_MM:
                    widths[i] -= excess * (widths[i] - MIN_TEXT_MM) / spare
        assert min(widths) > 8 and sum(widths) <= FRAME_WIDTH_MM + 0.01, "the table would run off the page"
        inner = [w * mm - 2 * CELL_PADDING for w in widths]
        data = [
            [self.wrapped(BoldText(h), inner[i]) for i, h in enumerate(header)],
            *(
                [
                    self.wrapped(cell, inner[i]) if isinstance(cell, Text) else cell
                    for i, cell in enumerate(row)
                ]
                for row in rows
            ),
        ]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        figure_columns = {i for row in rows for i, cell in enumerate(row) if isinstance(cell, Figure)}
        style = [
            ("FONTNAME", (0, 0), (-1, -1), self.font),
            ("FONTNAME", (0, 0), (-1, 0), self.bold),
            ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
            ("LEADING", (0, 0), (-1, -1), CELL_LEADING),
            *(("ALIGN", (i, 1), (i, -1), "RIGHT") for i in figure_columns),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        for index, row in enumerate(rows, 1):
            for column, cell in enumerate(row):
                if isinstance(cell, BoldText) and not (total and index == len(rows)):
                    style.append(("FONTNAME", (column, index), (column, index), self.bold))
                if isinstance(cell, RagText) and cell in RAG_COLOURS:
                    style.append(("BACKGROUND", (column, index), (column, index), RAG_COLOURS[cell]))
        if total:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
            style.append(("FONTNAME", (0, -1), (-1, -1), self.bold))
        table.setStyle(TableStyle(style))
        return table

    def chart(self) -> QuarterBars:
        return QuarterBars(self.report.quarters, self.font, self.bold)

    def story(self) -> list:
        r, meta = self.report, self.report.meta
        status = (
            f"Submitted {meta.submitted_at:%d %b %Y} by {meta.submitted_by}."
            if meta.submitted_at
            else "Budget monitoring: never submitted."
            if meta.monitoring
            else "Draft: not yet submitted."
        )
        story: list = [
            Paragraph(pdf_text(meta.title), self.title),
            self.p(f"{meta.service_name}, {meta.council}", self.body),
            self.p(
                f"Figures to {format_date(meta.period_end)}. "
                f"Produced {format_date(meta.produced_at.date())}. "
                f"{status} Amounts in pounds, net of VAT.",
                self.body,
            ),
            Paragraph("Summary by service", self.h2),
        ]
        figure_header = [
            "Service",
            "Annual budget",
            "Profiled budget to date",
            "Actual to date",
            "Variance",
            "Variance %",
            "Forecast outturn",
            "Forecast variance",
            "Forecast variance %",
            "RAG",
        ]

        def figure_row(label, f, bold=False):
            return [
                self.text(label, bold=bold),
                self.money(f.annual_budget),
                self.money(f.profiled_to_date),
                self.money(f.actual_to_date),
                self.money(f.variance_to_date),
                self.pct(f.variance_to_date_pct),
                self.money(f.forecast_outturn),
                self.money(f.forecast_variance),
                self.pct(f.forecast_variance_pct),
                self.rag(f.rag),
            ]

        rows = [figure_row(s.service, s.figures) for s in r.services] + [figure_row("Total", r.overall, True)]
        story.append(self.table(figure_header, rows, [50, 26, 26, 26, 24, 17, 26, 26, 17, 18], total=True))
        if r.submission_note:
            note = r.submission_note
            streams = ", ".join(note.streams)
            story.append(
                self.p(f"Submitted without commentary for {streams}. Reason given: {note.reason}", self.body)
            )
        story.append(
            self.table(
                ["RAG", "Means"],
                [[self.rag(rag), self.text(meaning)] for rag, meaning in RAG_KEY],
                [18, 150],
            )
        )
        g = r.grants_headline
        grants = [
            [self.text("Awarded in the year to date"), self.money(g.awarded_in_year)],
            [self.text("Grant payments received in the year to date"), self.money(g.received_in_year)],
            [
                self.text(f"Pending bids ({g.pending_count}): amount requested"),
                self.money(g.pending_requested),
            ],
            [self.text("Weighted value of pending bids"), self.money(g.weighted_pipeline)],
            [self.text("Success rate by count"), self.rate(g.success_rate_count)],
            [self.text("Success rate by value"), self.rate(g.success_rate_value)],
        ]
        milestones = [[self.rag(c.rag), Figure(str(c.count))] for c in r.milestone_counts]
        side = Table(
            [
                [
                    self.table(["Grants", "Value"], grants, [70, 28]),
                    self.table(["Milestones (RAG)", "Number"], milestones, [30, 20]),
                ]
            ],
            colWidths=[105 * mm, 60 * mm],
        )
        story += [
            *self.heading("Grants and milestones"),
            side,
            Spacer(1, 4 * mm),
        ]
        quarter_rows = [
            [self.text(b.label), self.money(b.actual), self.money(b.profiled)] for b in r.quarters
        ]
        # The chart and the table of its numbers side by side.
        story.append(
            Table(
                [
                    [
                        self.chart(),
                        self.table(
                            ["Quarter", "Actual income", "Profiled budget"], quarter_rows, [20, 30, 30]
                        ),
                    ]
                ],
                colWidths=[175 * mm, 90 * mm],
                style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
            )
        )
        if r.streams_needing_commentary:
            names = ", ".join(s.code for s in r.streams_needing_commentary)
            story.append(
                self.p(f"Streams rated Amber or Red without commentary this quarter: {names}.", self.body)
            )

        # A section starts a new page only where little of this one is left, so no page is left
        # nearly empty (a forced break after a section that just spilled over left one line).
        story += [CondPageBreak(SECTION_ROOM), *self.heading("Income by stream: position to date")]
        quarter_titles = [f"Q{q + 1} actual" for q in range(4)]
        header = [
            "Code",
            "Stream",
            "Annual budget",
            *quarter_titles,
            "Profiled budget to date",
            "Actual to date",
            "Variance to date",
            "Variance to date %",
        ]

        def position_row(code, name, f, bold=False):
            return [
                self.text(code, bold=bold),
                self.text(name, bold=bold),
                self.money(f.annual_budget),
                *(self.money(a) for a in f.actuals),
                self.money(f.profiled_to_date),
                self.money(f.actual_to_date),
                self.money(f.variance_to_date),
                self.pct(f.variance_to_date_pct),
            ]

        rows = [position_row(s.code, s.name, s.figures) for s in r.streams]
        rows.append(position_row("Total", "", r.overall, True))
        widths = [18, 60, 20, 20, 20, 20, 20, 20, 20, 20, 15]
        story.append(self.table(header, rows, widths, total=True, flex=1))

        story += self.heading("Income by stream: forecast outturn")
        header = [
            "Code",
            "Stream",
            "Service",
            "Category",
            "Previous forecast",
            "Forecast outturn",
            "Movement",
            "Forecast variance",
            "Forecast variance %",
            "RAG",
        ]

        def forecast_row(code, name, service, category, f, default=False, bold=False):
            return [
                self.text(code, bold=bold),
                self.text(name, bold=bold),
                self.text(service),
                self.text(category),
                self.money(f.previous_forecast),
                Figure(format_gbp(f.forecast_outturn) + ("*" if default else "")),
                self.money(f.movement),
                self.money(f.forecast_variance),
                self.pct(f.forecast_variance_pct),
                self.rag(f.rag),
            ]

        rows = [
            forecast_row(s.code, s.name, s.service, s.category, s.figures, s.forecast_is_default)
            for s in r.streams
        ]
        rows.append(forecast_row("Total", "", "", "", r.overall, bold=True))
        widths = [18, 50, 24, 36, 24, 24, 24, 24, 15, 17]
        story.append(self.table(header, rows, widths, total=True, flex=1))
        story.append(
            self.p("* Default forecast: actual to date plus the profiled budget still to come.", self.body)
        )
        # Commentary as paragraphs below the table: it can run to 4,000 characters, which no table
        # cell could hold on one page.
        commented = [s for s in r.streams if s.commentary or s.commentary_missing]
        if commented:
            story += self.heading("Commentary")
        for s in commented:
            story.append(
                Paragraph(
                    f"<b>{pdf_text(s.code)} {pdf_text(s.name)}</b> ({pdf_text(s.figures.rag)}): "
                    + pdf_text(s.commentary or "Commentary needed"),
                    self.body,
                )
            )

        story += [CondPageBreak(SECTION_ROOM), *self.heading("Grants")]
        rows = [
            [
                self.text(f"{g.funder}" + (f": {g.programme}" if g.programme else "")),
                self.text(g.bid),
                self.text(g.status.value.capitalize()),
                self.text(
                    "\n".join(
                        f"{label} {format_date(day)}"
                        for label, day in (
                            ("Submitted", g.submitted_on),
                            ("Decision", g.decision_on),
                            ("Start", g.start_on),
                            ("End", g.end_on),
                        )
                        if day
                    )
                ),
                self.money(g.requested),
                self.money(g.awarded),
                self.money(g.match_funding),
                self.money(g.received),
                self.money(g.spent),
                self.money(g.remaining),
                self.text(f"{g.next_report} {format_date(g.next_report_due)}".strip()),
            ]
            for g in r.grants
        ]
        story.append(
            self.table(
                [
                    "Funder and programme",
                    "Bid",
                    "Status",
                    "Dates",
                    "Requested",
                    "Awarded",
                    "Match funding",
                    "Received to date",
                    "Spent to date",
                    "Remaining",
                    "Next report due",
                ],
                rows,
                # Outcomes are the "Libraries Deliver outcomes" table's (and the workbook's column).
                [34, 40, 23, 36, 17, 17, 17, 17, 17, 17, 30],
                flex=1,
            )
        )

        story += self.heading("Milestones by RAG at the quarter end")
        rows = [
            [
                self.rag(m.rag),
                self.text(m.project),
                self.text(m.milestone),
                self.text(m.owner),
                self.text(format_date(m.baseline)),
                self.text(format_date(m.forecast)),
                self.text(format_date(m.completed)),
                self.text(m.status.value.capitalize()),
                self.text(f"{m.slippage_days} days" if m.slipped else ""),
                self.text(m.latest_update),
            ]
            for m in r.milestones
        ]
        story.append(
            self.table(
                [
                    "RAG",
                    "Project",
                    "Milestone",
                    "Owner",
                    "Baseline",
                    "Forecast",
                    "Completed",
                    "Status",
                    "Slippage",
                    "Latest update",
                ],
                rows,
                [16, 36, 40, 22, 17, 17, 18, 18, 15, 68],
            )
        )

        rows = [
            [
                self.text(o.outcome),
                Figure(str(o.grants_awarded)),
                self.money(o.grants_value),
                Figure(str(o.projects)),
                self.text(o.project_names),
            ]
            for o in r.outcomes
        ]
        t = r.outcome_totals
        rows.append(
            [
                self.text(t.outcome, bold=True),
                Figure(str(t.grants_awarded)),
                self.money(t.grants_value),
                Figure(str(t.projects)),
                self.text(""),
            ]
        )
        story.append(
            KeepTogether(
                [
                    Paragraph("Libraries Deliver outcomes", self.h2),
                    self.table(
                        ["Outcome", "Grants awarded", "Value awarded", "Projects", "Project names"],
                        rows,
                        [60, 20, 28, 16, 143],
                        total=True,
                    ),
                ]
            )
        )

        story += self.heading("CIPFA income lines, year to date")
        rows = [[self.text(c.line), self.money(c.actual_to_date)] for c in r.cipfa]
        rows.append([self.text("Total", bold=True), self.money(sum(c.actual_to_date for c in r.cipfa))])
        story.append(self.table(["CIPFA income line", "Actual to date"], rows, [110, 30], total=True))
        e = r.entries_summary
        story.append(
            self.p(
                f"Income entries of the year to date: {e.count:,}, totalling {format_gbp(e.total)} "
                "(listed in the workbook's Income entries sheet).",
                self.body,
            )
        )
        return _keep_headings_with_their_start(story)


def _keep_headings_with_their_start(story: list) -> list:
    """Make each heading's room (the :class:`CondPageBreak` before it) what it needs: itself, and
    the header and first row of the table after it (or the paragraph after it), so that no heading
    is left at the foot of a page while its table may still run on over pages."""
    width = FRAME_WIDTH_MM * mm
    for index, room in enumerate(story[:-2]):
        heading, following = story[index + 1], story[index + 2]
        if not (isinstance(room, CondPageBreak) and isinstance(heading, Paragraph)):
            continue
        _, heading_height = heading.wrap(width, 10**6)
        if isinstance(following, Table):
            following.wrap(width, 10**6)
            start = sum(following._rowHeights[:2])
        else:
            start = following.wrap(width, 10**6)[1]
        room.height = max(room.height, heading_height + heading.style.spaceBefore + start + 6)
    return story


def write_pdf(report: FinancialReturn, stream: BinaryIO) -> None:
    """Write the committee PDF of the return to ``stream``."""
    builder = _Builder(report)
    meta = report.meta
    document = SimpleDocTemplate(
        stream,
        pagesize=landscape(A4),
        leftMargin=MARGIN_MM * mm,
        rightMargin=MARGIN_MM * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=meta.title,
        author=f"IncomeTrack for {meta.service_name}",
        subject=f"{meta.service_name}, {meta.council}",
    )

    class PageCanvas(_NumberedCanvas):
        footer = f"{meta.title}: {meta.service_name}"
        font = builder.font
        banner = "DRAFT: not submitted" if meta.draft else ""

    document.build(builder.story(), canvasmaker=PageCanvas)
