"""The funder's activity report as Word (python-docx, for the lead to edit before sending), PDF
(reportlab) and HTML: one :class:`~incometrack.reports.activity.ActivityReport`, the same
sections and figures in each. Renderers only draw: nothing here reads the database."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

from markupsafe import escape

from incometrack.exports.safe_text import pdf_text
from incometrack.money import format_gbp
from incometrack.periods import format_date
from incometrack.reports.activity import ActivityReport
from incometrack.reports.return_layout import format_measure

WITHHELD = "Withheld: consent"


def _value(value) -> str:
    return "" if value is None else format_measure(value)


def _percent(value) -> str:
    return "" if value is None else f"{value}%"


# What every rendering prints, as headings, paragraphs and tables ------------------------------


def sections(report: ActivityReport) -> list[tuple[str, list]]:
    """The report as (heading, blocks): a block is a paragraph (str), a table (header, rows), or
    an item of evidence (its line). Every rendering walks this, so none differs in its figures."""
    f = report.finance
    period = f"{format_date(report.start_on)} to {format_date(report.end_on)}" if report.start_on else ""
    summary = [
        f"Funder: {report.funder}" + (f", {report.programme}" if report.programme else ""),
        f"Grant: {report.title} ({report.status.lower()})" + (f", {period}" if period else ""),
        f"Lead: {report.lead}" if report.lead else "",
        f"Projects: {'; '.join(report.projects) or 'none recorded'}",
        f"Produced {format_date(report.produced_on)} by IncomeTrack from the figures recorded that day.",
    ]
    what = [
        (
            ["Project", "Milestone", "Baseline", "Forecast", "Completed", "Status"],
            [
                [
                    m.project,
                    m.milestone,
                    format_date(m.baseline),
                    format_date(m.forecast),
                    format_date(m.completed),
                    m.status,
                ]
                for m in report.milestones
            ],
        )
    ]  # fmt: skip
    for m in report.milestones:
        for day, note in m.updates:
            what.append(f"{m.milestone}, {format_date(day)}: {note}")
    money = [
        (
            ["", "Awarded", "Spent", "Remaining"],
            [
                ["Resource (revenue)", format_gbp(f.awarded_resource), format_gbp(f.spent_resource),
                 format_gbp(f.remaining_resource)],
                ["Capital", format_gbp(f.awarded_capital), format_gbp(f.spent_capital),
                 format_gbp(f.remaining_capital)],
                ["Total", format_gbp(f.awarded), format_gbp(f.spent_resource + f.spent_capital),
                 format_gbp(f.remaining_resource + f.remaining_capital)],
            ],
        ),
        f"Grant received: {format_gbp(f.received)} of {format_gbp(f.awarded)}. Match funding:"
        f" {format_gbp(f.match_cash)} cash and {format_gbp(f.match_in_kind)} in kind.",
    ]  # fmt: skip
    measures = [
        (
            ["Measure", "Unit", "Baseline", "Target", "Target date", "Achieved", "% of target"],
            [
                [m.measure, m.unit, _value(m.baseline), _value(m.target), format_date(m.target_on),
                 _value(m.year_to_date), _percent(m.percent_of_target)]
                for m in report.measures
            ],
        ),
        "Achieved: the sum of every quarter's result for a count; the latest quarter's value for a"
        " percentage or score.",
    ]  # fmt: skip
    venues = [
        (
            ["Venue", "Postcode", "Attendances"],
            [
                [v.site, v.postcode, f"{v.attendances:,}" if v.attendances is not None else ""]
                for v in report.venues
            ],
        )
    ]
    evidence: list = list(report.evidence) or ["No approved evidence recorded."]
    return [
        ("Summary", [line for line in summary if line]),
        ("What happened", what if report.milestones else ["No milestones recorded."]),
        ("Income and spend", money),
        ("Measures against targets", measures if report.measures else ["No measures recorded."]),
        ("Venues and attendance", venues if report.venues else ["No venues recorded."]),
        ("Evidence: the views of audiences and participants", evidence),
        ("Learning", [report.learning or "No learning recorded yet."]),
    ]


def title(report: ActivityReport) -> str:
    return f"Activity report: {report.title}"


def _said(item) -> str:
    return ", ".join(p for p in (item.attribution, item.site, format_date(item.occurred_on)) if p)


def evidence_words(item) -> str:
    if item.withheld:
        return f"{item.kind}: {WITHHELD}"
    said = _said(item)
    tail = f" ({said})" if said else ""
    if item.kind == "Quote":
        return f"Quote: \u201c{item.text}\u201d{tail}"
    if item.kind == "Photo":
        return f"Photo: {item.title}. {item.alt_text}{tail}"
    return f"{item.kind}: {item.title}. {item.text}{tail}"


# Word -----------------------------------------------------------------------------------------


def write_docx(report: ActivityReport, stream: BinaryIO) -> None:
    from docx import Document
    from docx.shared import Cm

    document = Document()
    document.core_properties.title = title(report)
    document.core_properties.author = "IncomeTrack"
    document.add_heading(title(report), level=0)
    for heading, blocks in sections(report):
        document.add_heading(heading, level=1)
        for block in blocks:
            if isinstance(block, str):
                document.add_paragraph(block)
            elif isinstance(block, tuple):
                header, rows = block
                table = document.add_table(rows=1, cols=len(header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, header, strict=True):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                for row in rows:
                    for cell, text in zip(table.add_row().cells, row, strict=True):
                        cell.text = str(text)
                document.add_paragraph()
            else:  # an item of evidence
                if block.image and not block.withheld:
                    document.add_picture(io.BytesIO(block.image_bytes), width=Cm(10))
                    # Word's alt text for the picture: its description
                    document.inline_shapes[-1]._inline.docPr.set("descr", block.alt_text)
                document.add_paragraph(evidence_words(block))
    document.save(stream)


# PDF ------------------------------------------------------------------------------------------


def write_pdf(report: ActivityReport, stream: BinaryIO) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from incometrack.exports.pdf import fonts

    font, bold = fonts()
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=10, leading=13)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
    h1 = ParagraphStyle("h1", parent=base["Title"], fontName=bold, fontSize=18, alignment=0)
    h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=13)
    story: list = [Paragraph(pdf_text(title(report)), h1)]
    for heading, blocks in sections(report):
        story.append(Paragraph(pdf_text(heading), h2))
        for block in blocks:
            if isinstance(block, str):
                story.append(Paragraph(pdf_text(block), body))
            elif isinstance(block, tuple):
                header, rows = block
                data = [[Paragraph(f"<b>{pdf_text(h)}</b>", cell) for h in header]]
                data += [[Paragraph(pdf_text(v), cell) for v in row] for row in rows]
                table = Table(data, repeatRows=1, hAlign="LEFT")
                table.setStyle(
                    TableStyle(
                        [
                            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ]
                    )
                )
                story += [table, Spacer(1, 3 * mm)]
            else:
                if block.image and not block.withheld:
                    width, height = ImageReader(io.BytesIO(block.image_bytes)).getSize()
                    scale = min(100 * mm / width, 70 * mm / height)
                    picture = Image(io.BytesIO(block.image_bytes), width=width * scale, height=height * scale)
                    picture.hAlign = "LEFT"
                    story.append(picture)
                story.append(Paragraph(pdf_text(evidence_words(block)), body))
    document = SimpleDocTemplate(
        stream,
        pagesize=A4,
        title=title(report),
        author="IncomeTrack",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
    )
    document.build(story)


# HTML -----------------------------------------------------------------------------------------


def write_html(report: ActivityReport, stream: BinaryIO) -> None:
    """One self-contained, accessible page: captioned tables, photos with their alt text."""
    parts = [
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title(report))}</title>"
        "<style>body{font-family:Arial,sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#0b0c0c}"
        "table{border-collapse:collapse;margin:0 0 1em}th,td{border:1px solid #b1b4b6;padding:.3em .5em;"
        "text-align:left;vertical-align:top}caption{text-align:left;font-weight:bold;padding:.3em 0}"
        "img{max-width:100%;height:auto}</style></head><body><main>",
        f"<h1>{escape(title(report))}</h1>",
    ]
    for heading, blocks in sections(report):
        parts.append(f"<h2>{escape(heading)}</h2>")
        for block in blocks:
            parts.append(_html_block(block, heading))
    parts.append("</main></body></html>")
    stream.write("".join(parts).encode("utf-8"))


def _html_block(block, heading: str) -> str:
    if isinstance(block, str):
        return f"<p>{escape(block)}</p>"
    if isinstance(block, tuple):
        header, rows = block
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        caption = f"<caption>{escape(heading)}</caption>"
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    image = ""
    if block.image and not block.withheld:
        image = (
            f'<img src="data:{escape(block.image_type)};base64,{block.image}" alt="{escape(block.alt_text)}">'
        )
    return (
        f"<figure>{image}<figcaption>{escape(evidence_words(block))}</figcaption></figure>"
        if image
        else (f"<p>{escape(evidence_words(block))}</p>")
    )


WRITERS: dict[str, tuple[Callable[[ActivityReport, BinaryIO], None], str]] = {
    "docx": (write_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": (write_pdf, "application/pdf"),
    "html": (write_html, "text/html; charset=utf-8"),
}
