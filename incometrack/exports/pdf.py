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
    Image,
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
from incometrack.reports.return_layout import (
    CIPFA,
    ENTRIES,
    EXCEPTIONS,
    GRANT_FIGURES_CAPTION,
    GRANTS,
    IMPACT,
    IMPACT_OFFERS,
    IMPACT_OUTCOMES,
    MILESTONE_COUNTS,
    MILESTONES,
    OUTCOMES,
    QUARTERS,
    RAG_KEY_CAPTION,
    STREAMS,
    SUMMARY,
    Column,
    Kind,
    Part,
    Section,
    display,
    grant_figures,
    rag_key,
)
from incometrack.reports.returns import FinancialReturn

RAG_COLOURS = {rag.value: colors.HexColor(rag.tint) for rag in Rag}
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
#: A workbook column's width in characters as millimetres of 8pt text: where a PDF table starts
#: before it is fitted to the page.
MM_PER_CHARACTER = 1.5
MAX_CELL_LINES = 40
#: ``flex`` of a table whose text columns all give up width in proportion, none first
SHARED = -1  #: about 340 points: a cell never outgrows a page
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


class TooWide(ValueError):
    """A table's figures and codes need more than the page's width, however its words wrap."""


class Unbroken(str):
    """A cell never wrapped: its column is made at least as wide as its widest such cell."""


class Day(Unbroken):
    """A date, left-aligned like text but never broken over two lines."""


class Figure(Unbroken):
    """A number already formatted (money, a percentage, a count): drawn as a plain right-aligned
    string, which costs far less than a Paragraph and carries no markup to escape."""


class Code(Unbroken):
    """A code (a stream's), left-aligned and printed whole: its column fits the longest."""


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

    def heading(self, text: str) -> list:
        """A section heading, moved to the next page where too little of this one is left for it
        and the first rows of its table (the table itself may then run on over pages)."""
        return [CondPageBreak(HEADING_ROOM), Paragraph(pdf_text(text), self.h2)]

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
            tail = simpleSplit("... (the full text is in the workbook)", font, CELL_SIZE, width)
            lines = [*lines[: MAX_CELL_LINES - len(tail)], *tail]
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
        """A table whose figure and date columns are at least as wide as their widest cell (in bold, as
        a total is), up to £999,999,999.99; column ``flex`` (by default the widest given) gives up
        what they take beyond ``widths`` (``SHARED``: every text column gives its share), so that
        the table stays on the page."""
        widths = list(widths)
        least = []  #: the narrowest each column may be made
        for i in range(len(widths)):
            # Wide enough for its widest figure or date, and for the longest word of its header.
            unbroken = [row[i] for row in rows if isinstance(row[i], Unbroken)]
            need = max(stringWidth(f, self.bold, CELL_SIZE) for f in [*unbroken, *header[i].split()])
            need = (need + 2 * CELL_PADDING + 1) / mm
            widths[i] = max(widths[i], need)
            least.append(widths[i] if unbroken else max(need, MIN_TEXT_MM))
        excess = sum(widths) - FRAME_WIDTH_MM
        if excess > 0 and flex != SHARED:
            flex = widths.index(max(widths)) if flex is None else flex
            taken = max(0, min(excess, widths[flex] - least[flex]))
            widths[flex] -= taken
            excess -= taken
        if excess > 0:
            # Still too wide: every text column gives up its share of what it has beyond the least
            # it needs (its header's longest word, and room for a few words).
            spare = sum(widths[i] - least[i] for i in range(len(widths)))
            for i in range(len(widths)):
                widths[i] -= min(excess, spare) * (widths[i] - least[i]) / spare if spare else 0
        if min(widths) <= 8 or sum(widths) > FRAME_WIDTH_MM + 0.01:
            raise TooWide(f"{len(widths)} columns need {sum(widths):.0f} mm of {FRAME_WIDTH_MM} mm")
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

    def cell(self, column: Column, value: object, *, flagged: bool = False, bold: bool = False):
        """A value of ``column`` as a table cell of its kind (figures right-aligned, RAG coloured)."""
        if column.kind == Kind.RAG:
            return self.rag(str(value)) if value else self.text("")
        if column.numeric and value is not None and not isinstance(value, str):
            return Figure(display(value, column.kind) + ("*" if flagged else ""))
        if column.kind == Kind.DATE and value is not None:
            return Day(display(value, column.kind))
        if column.whole and value:
            return Code(display(value, column.kind))
        return self.text(display(value, column.kind), bold=bold)

    def section_tables(self, section: Section, *, headings: bool = True) -> list:
        """A section of the return as the tables of its parts, each under its heading: the columns,
        kinds and widths as :mod:`~incometrack.reports.return_layout` declares them."""
        lines = list(section.lines(self.report))
        total = section.total_values(self.report)
        flowables: list = []
        for part in section.paper_parts():
            if headings:
                flowables += self.heading(part.heading)
            if not lines:
                flowables.append(self.p(section.empty))
                continue
            # A quarter still to come is left out, not printed empty.
            titles = [t for t in part.titles if (section.column(t).quarter or 0) <= self.report.meta.quarter]
            indexes = [next(i for i, c in enumerate(section.columns) if c.title == t) for t in titles]
            columns = [section.columns[i] for i in indexes]
            rows = [
                [self.cell(c, c.value(line), flagged=bool(c.flag and c.flag(line))) for c in columns]
                for line in lines
            ]
            # A part shows the total line only where it holds more than its label.
            totalled = total is not None and any(total[i] not in (None, "") for i in indexes[1:])
            if totalled:
                rows.append([self.cell(section.columns[i], total[i], bold=True) for i in indexes])
            flowables += self.fitted_tables(section, part, columns, rows, totalled)
            notes = {c.flag_note for c in columns if c.flag and any(c.flag(line) for line in lines)}
            flowables += [self.p(f"* {note}") for note in sorted(notes)]
        return flowables

    def fitted_tables(self, section: Section, part: Part, columns: list, rows: list, totalled: bool) -> list:
        """The part as one table, or, where its figures are too wide for the page together (a
        county's totals run to hundreds of millions), as two: the columns naming a line (the
        section's ``names``) in each, the rest shared between them, and so on until each fits."""
        titles = [c.title for c in columns]
        try:
            return [
                self.table(
                    titles,
                    rows,
                    [c.width * MM_PER_CHARACTER for c in columns],
                    total=totalled,
                    flex=titles.index(part.flex) if part.flex in titles else SHARED,
                )
            ]
        except TooWide:
            named = min(section.names, len(columns) - 1)
            rest = list(range(named, len(columns)))
            if len(rest) < 2:
                raise
            half = (len(rest) + 1) // 2
            tables = []
            for share in (rest[:half], rest[half:]):
                keep = [*range(named), *share]
                tables += self.fitted_tables(
                    section,
                    part,
                    [columns[i] for i in keep],
                    [[row[i] for i in keep] for row in rows],
                    totalled,
                )
                tables.append(Spacer(1, 3 * mm))
            return tables[:-1]

    def impact(self) -> list:
        """Impact and outcomes: the measures, the roll-ups, then each project's evidence as
        paragraphs (a quote or case study in its own words, a photo with its description)."""
        story: list = [CondPageBreak(SECTION_ROOM), Paragraph(pdf_text(IMPACT.heading), self.h2)]
        story += self.section_tables(IMPACT, headings=False)
        story += self.section_tables(IMPACT_OUTCOMES)
        story += self.section_tables(IMPACT_OFFERS)
        story += self.heading("Evidence")
        evidence = self.report.impact.evidence
        if not evidence:
            story.append(self.p("No approved evidence yet."))
        project = None
        for item in evidence:
            if item.project != project:
                project = item.project
                story.append(Paragraph(f"<b>{pdf_text(project)}</b>", self.body))
            story.append(self.evidence(item))
        return story

    def evidence(self, item) -> Flowable:
        """One item: "Withheld: consent" in its place where its consent does not cover committee
        papers on the day the pack was produced."""
        if item.withheld:
            return self.p(f"{item.kind}: {item.text}")
        said = f"{item.attribution}, {format_date(item.occurred_on)}" if item.attribution else ""
        if item.kind == "Photo" and item.image:
            from io import BytesIO

            from reportlab.lib.utils import ImageReader

            reader = ImageReader(BytesIO(item.image_bytes))
            width, height = reader.getSize()
            scale = min(90 * mm / width, 60 * mm / height)
            picture = Image(BytesIO(item.image_bytes), width=width * scale, height=height * scale)
            picture.hAlign = "LEFT"
            caption = f"Photo: {item.title}. {item.alt_text}" + (f" ({said})" if said else "")
            return KeepTogether([picture, self.p(caption)])
        if item.kind == "Quote":
            return self.p(f"Quote: \u201c{item.text}\u201d" + (f" ({said})" if said else ""))
        return Paragraph(
            f"<b>{pdf_text(item.kind)}: {pdf_text(item.title)}.</b> {pdf_text(item.text)}"
            + (f" ({pdf_text(said)})" if said else ""),
            self.body,
        )

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
            # The committee's answer first: the key, then the streams that need its attention.
            Paragraph(pdf_text(EXCEPTIONS.heading), self.h2),
            self.table(
                ["RAG", RAG_KEY_CAPTION],
                [[self.rag(rag.value), self.text(meaning)] for rag, meaning in rag_key(r)],
                [18, 150],
            ),
            Spacer(1, 3 * mm),
            *self.section_tables(EXCEPTIONS, headings=False),
            Paragraph(pdf_text(SUMMARY.heading), self.h2),
            *self.section_tables(SUMMARY, headings=False),
        ]
        if r.submission_note:
            note = r.submission_note
            streams = ", ".join(note.streams)
            story.append(
                self.p(f"Submitted without commentary for {streams}. Reason given: {note.reason}", self.body)
            )
        grants = [
            [self.text(f.label), self.cell(Column(f.label, str, f.kind), f.value)] for f in grant_figures(r)
        ]
        side = Table(
            [
                [
                    self.table([GRANT_FIGURES_CAPTION, "Value"], grants, [70, 28]),
                    self.section_tables(MILESTONE_COUNTS, headings=False)[0],
                ]
            ],
            colWidths=[105 * mm, 60 * mm],
        )
        story += [
            *self.heading("Grants and milestones"),
            side,
            Spacer(1, 4 * mm),
        ]
        # The chart and the table of its numbers side by side.
        story.append(
            Table(
                [[self.chart(), self.section_tables(QUARTERS, headings=False)[0]]],
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
        story += [CondPageBreak(SECTION_ROOM), *self.section_tables(STREAMS)]
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
        story += [CondPageBreak(SECTION_ROOM), *self.section_tables(GRANTS)]
        story += self.section_tables(MILESTONES)
        story += self.section_tables(OUTCOMES)
        story += self.section_tables(CIPFA)
        story += self.impact()
        e = r.entries_summary
        story.append(
            self.p(
                f"Income entries of the year to date: {e.count:,}, totalling {format_gbp(e.total)} "
                f"(listed in the workbook's {ENTRIES.sheet} sheet).",
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
