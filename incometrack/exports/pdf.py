"""The return as a committee PDF: reportlab platypus, A4 landscape.

Tables repeat their header row on every page, pages are numbered "Page n of m", and RAG is shown by
colour and by word so the pack reads in black and white. All user text goes through
:func:`~incometrack.exports.safe_text.pdf_text` before it reaches reportlab's markup parser.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from incometrack.charts import short_gbp
from incometrack.exports.safe_text import pdf_text
from incometrack.money import format_gbp
from incometrack.periods import format_date
from incometrack.reports.returns import FinancialReturn

RAG_COLOURS = {
    "Red": colors.HexColor("#f4a9a0"),
    "Amber": colors.HexColor("#fcd6b4"),
    "Green": colors.HexColor("#b8e0c6"),
    "Complete": colors.HexColor("#bbd4ea"),
    "Cancelled": colors.HexColor("#dddddd"),
}
HEADER_BACKGROUND = colors.HexColor("#e8e8e8")
FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
)


def _fonts() -> tuple[str, str]:
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


class _NumberedCanvas(canvas.Canvas):
    """Holds pages back until the end so each can say "Page n of m"."""

    footer = ""
    font = "Helvetica"

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
            super().showPage()
        super().save()


class _Builder:
    def __init__(self, report: FinancialReturn) -> None:
        self.report = report
        self.font, self.bold = _fonts()
        base = getSampleStyleSheet()
        self.title = ParagraphStyle(
            "title", parent=base["Title"], fontName=self.bold, fontSize=20, alignment=0
        )
        self.h2 = ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=self.bold, fontSize=13, spaceBefore=10
        )
        self.body = ParagraphStyle(
            "body", parent=base["BodyText"], fontName=self.font, fontSize=9, leading=11
        )
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=7, leading=8.5)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=self.bold)

    def p(self, text: object, style=None) -> Paragraph:
        return Paragraph(pdf_text(text), style or self.cell)

    def money(self, pence: int | None) -> Figure:
        return Figure(format_gbp(pence))

    def pct(self, value) -> Figure:
        return Figure("" if value is None else f"{value}%")

    def table(
        self,
        header: list[str],
        rows: list[list],
        widths: list[float],
        *,
        rag_column: int | None = None,
        total: bool = False,
    ) -> Table:
        data = [[Paragraph(pdf_text(h), self.cell_bold) for h in header], *rows]
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
        figure_columns = {i for row in rows for i, cell in enumerate(row) if isinstance(cell, Figure)}
        style = [
            ("FONTNAME", (0, 1), (-1, -1), self.font),
            ("FONTSIZE", (0, 1), (-1, -1), 7),
            *(("ALIGN", (i, 1), (i, -1), "RIGHT") for i in figure_columns),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if total:
            style.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
            style.append(("FONTNAME", (0, -1), (-1, -1), self.bold))
        if rag_column is not None:
            for index, row in enumerate(rows, 1):
                word = getattr(row[rag_column], "rag_word", None)
                if word in RAG_COLOURS:
                    style.append(("BACKGROUND", (rag_column, index), (rag_column, index), RAG_COLOURS[word]))
        table.setStyle(TableStyle(style))
        return table

    def rag(self, word: str) -> Paragraph:
        paragraph = Paragraph(pdf_text(word), self.cell_bold)
        paragraph.rag_word = word
        return paragraph

    def chart(self) -> Drawing:
        bars = self.report.quarters
        drawing = Drawing(170 * mm, 62 * mm)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 22 * mm, 12 * mm, 120 * mm, 44 * mm
        chart.data = [[b.actual or 0 for b in bars], [b.profiled for b in bars]]  # pence, as integers
        chart.categoryAxis.categoryNames = [b.label for b in bars]
        chart.categoryAxis.labels.fontName = self.font
        chart.valueAxis.labels.fontName = self.font
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        chart.valueAxis.labelTextFormat = lambda pence: short_gbp(round(pence))
        chart.bars[0].fillColor = colors.HexColor("#1d70b8")
        chart.bars[1].fillColor = colors.white
        chart.bars[1].strokeColor = colors.black
        chart.bars[1].strokeDashArray = (2, 1)
        drawing.add(chart)
        legend = Legend()
        legend.x, legend.y = 148 * mm, 50 * mm
        legend.fontName = self.font
        legend.fontSize = 8
        legend.colorNamePairs = [
            (colors.HexColor("#1d70b8"), "Actual income"),
            (colors.white, "Profiled budget (dashed)"),
        ]
        drawing.add(legend)
        drawing.add(
            String(
                22 * mm, 58 * mm, "Income by quarter against profiled budget", fontName=self.bold, fontSize=9
            )
        )
        return drawing

    def story(self) -> list:
        r, meta = self.report, self.report.meta
        status = (
            f"Submitted {meta.submitted_at:%d %b %Y} by {meta.submitted_by}."
            if meta.submitted_at
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
            style = self.cell_bold if bold else self.cell
            return [
                self.p(label, style),
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
        story.append(
            self.table(
                figure_header, rows, [50, 26, 26, 26, 24, 17, 26, 26, 17, 18], rag_column=9, total=True
            )
        )
        g = r.grants_headline
        grants = [
            [self.p("Awarded in the year to date"), self.money(g.awarded_in_year)],
            [self.p("Grant payments received in the year to date"), self.money(g.received_in_year)],
            [self.p(f"Pending bids ({g.pending_count}): amount requested"), self.money(g.pending_requested)],
            [self.p("Weighted value of pending bids"), self.money(g.weighted_pipeline)],
            [self.p("Success rate by count"), self.pct(g.success_rate_count)],
            [self.p("Success rate by value"), self.pct(g.success_rate_value)],
        ]
        milestones = [[self.rag(c.rag), Figure(str(c.count))] for c in r.milestone_counts]
        side = Table(
            [
                [
                    self.table(["Grants", "Value"], grants, [70, 28]),
                    self.table(["Milestones (RAG)", "Number"], milestones, [30, 20], rag_column=0),
                ]
            ],
            colWidths=[105 * mm, 60 * mm],
        )
        story += [
            Paragraph("Grants and milestones", self.h2),
            side,
            Spacer(1, 4 * mm),
            KeepTogether(self.chart()),
        ]
        quarter_rows = [[self.p(b.label), self.money(b.actual), self.money(b.profiled)] for b in r.quarters]
        story.append(self.table(["Quarter", "Actual income", "Profiled budget"], quarter_rows, [20, 30, 30]))
        if r.streams_needing_commentary:
            names = ", ".join(s.code for s in r.streams_needing_commentary)
            story.append(
                self.p(f"Streams rated Amber or Red without commentary this quarter: {names}.", self.body)
            )

        story += [PageBreak(), Paragraph("Income by stream", self.h2)]
        header = [
            "Code",
            "Stream",
            "Service",
            "Annual budget",
            "Profiled to date",
            "Actual to date",
            "Variance to date",
            "Previous forecast",
            "Forecast outturn",
            "Movement",
            "Forecast variance",
            "RAG",
            "Commentary",
        ]
        rows = [
            [
                self.p(s.code),
                self.p(s.name),
                self.p(s.service),
                self.money(s.annual_budget),
                self.money(s.profiled_to_date),
                self.money(s.actual_to_date),
                self.money(s.variance_to_date),
                self.money(s.previous_forecast),
                Figure(format_gbp(s.forecast_outturn) + ("*" if s.forecast_is_default else "")),
                self.money(s.movement),
                self.money(s.forecast_variance),
                self.rag(s.rag),
                self.p(s.commentary or ("Commentary needed" if s.commentary_missing else "")),
            ]
            for s in r.streams
        ]
        t = r.stream_totals
        rows.append(
            [
                self.p("Total", self.cell_bold),
                self.p(""),
                self.p(""),
                self.money(t.annual_budget),
                self.money(t.profiled_to_date),
                self.money(t.actual_to_date),
                self.money(t.variance_to_date),
                self.money(t.previous_forecast),
                self.money(t.forecast_outturn),
                self.money(t.movement),
                self.money(t.forecast_variance),
                self.rag(t.rag),
                self.p(""),
            ]
        )
        story.append(
            self.table(
                header, rows, [18, 36, 17, 19, 19, 19, 19, 19, 19, 17, 19, 13, 53], rag_column=11, total=True
            )
        )
        story.append(
            self.p("* Default forecast: actual to date plus the profiled budget still to come.", self.body)
        )

        story += [PageBreak(), Paragraph("Grants", self.h2)]
        rows = [
            [
                self.p(f"{g.funder}" + (f": {g.programme}" if g.programme else "")),
                self.p(g.bid),
                self.p(g.status),
                self.p(format_date(g.decision_on)),
                self.money(g.requested),
                self.money(g.awarded),
                self.money(g.match_funding),
                self.money(g.received),
                self.money(g.spent),
                self.money(g.remaining),
                self.p(f"{g.next_report} {format_date(g.next_report_due)}".strip()),
                self.p(g.outcomes),
            ]
            for g in r.grants
        ]
        story.append(
            self.table(
                [
                    "Funder and programme",
                    "Bid",
                    "Status",
                    "Decision",
                    "Requested",
                    "Awarded",
                    "Match funding",
                    "Received",
                    "Spent",
                    "Remaining",
                    "Next report due",
                    "Outcomes",
                ],
                rows,
                [36, 36, 16, 17, 20, 20, 20, 20, 20, 20, 25, 37],
            )
        )

        story.append(Paragraph("Milestones by RAG at the quarter end", self.h2))
        rows = [
            [
                self.rag(m.rag),
                self.p(m.project),
                self.p(m.milestone),
                self.p(m.owner),
                self.p(format_date(m.baseline)),
                self.p(format_date(m.forecast)),
                self.p(format_date(m.completed)),
                self.p(f"{m.slippage_days} days" if m.rag == "Amber" else ""),
                self.p(m.latest_update),
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
                    "Slippage",
                    "Latest update",
                ],
                rows,
                [16, 40, 44, 24, 18, 18, 18, 16, 73],
                rag_column=0,
            )
        )

        story.append(Paragraph("Libraries Deliver outcomes", self.h2))
        rows = [
            [
                self.p(o.outcome),
                Figure(str(o.grants_awarded)),
                self.money(o.grants_value),
                Figure(str(o.projects)),
                self.p(o.project_names),
            ]
            for o in r.outcomes
        ]
        story.append(
            self.table(
                ["Outcome", "Grants awarded", "Value awarded", "Projects", "Project names"],
                rows,
                [60, 20, 28, 16, 143],
            )
        )

        story.append(Paragraph("CIPFA income lines, year to date", self.h2))
        rows = [[self.p(c.line), self.money(c.actual_to_date)] for c in r.cipfa]
        rows.append([self.p("Total", self.cell_bold), self.money(sum(c.actual_to_date for c in r.cipfa))])
        story.append(self.table(["CIPFA income line", "Actual to date"], rows, [110, 30], total=True))
        e = r.entries_summary
        story.append(
            self.p(
                f"Income entries of the year to date: {e.count:,}, totalling {format_gbp(e.total)} "
                "(listed in the workbook's Income entries sheet).",
                self.body,
            )
        )
        return story


def write_pdf(report: FinancialReturn, stream: BinaryIO) -> None:
    """Write the committee PDF of the return to ``stream``."""
    builder = _Builder(report)
    meta = report.meta
    document = SimpleDocTemplate(
        stream,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
        title=meta.title,
        author=f"IncomeTrack for {meta.service_name}",
        subject=f"{meta.service_name}, {meta.council}",
    )

    class PageCanvas(_NumberedCanvas):
        footer = f"{meta.title}: {meta.service_name}"
        font = builder.font

    document.build(builder.story(), canvasmaker=PageCanvas)
