"""The return as HTML: its tables for the preview page, and the accessible file to publish.

Councils publish committee papers on their website, and a public body's documents must meet WCAG
2.2 AA (the Public Sector Bodies Accessibility Regulations 2018); reportlab cannot tag a PDF, so
the published version is :func:`write_html`'s: one self-contained file (its CSS inline, no
script, no request to anywhere) with captioned tables, scoped headers, RAG in words and the chart
as SVG beside its table.

:func:`section_table` draws a section of :mod:`~incometrack.reports.return_layout` as a table;
the preview page calls the same function (a template global), so the page and the file cannot
differ. It builds markup in Python, escaping every value: a return's page holds about a thousand
cells, and a macro call costs several times a function call.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from incometrack import charts, filters
from incometrack.money import format_gbp
from incometrack.periods import format_date
from incometrack.reports.return_layout import (
    CIPFA,
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
    Section,
    display,
    grant_figures,
    rag_key,
)
from incometrack.reports.returns import FinancialReturn

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: The sections the HTML shows as tables after the Summary, in the workbook's order.
BODY_SECTIONS = (STREAMS, GRANTS, MILESTONES, OUTCOMES, CIPFA)
#: A text column at least this wide (in characters) holds names: it keeps a few words a line.
WIDE_TEXT = 24
#: Beside a figure its column flags as an estimate (the default forecast), explained below the table.
DEFAULT_MARK = (
    '<br><span class="govuk-body-s">default<span class="govuk-visually-hidden"> forecast</span></span>'
)


def _cell(column: Column, value: object, line: Any, *, header: bool) -> str:
    tag = "th" if header else "td"
    kind = "header" if header else "cell"
    scope = ' scope="row"' if header else ""
    classes = f"govuk-table__{kind}"
    if column.numeric and not isinstance(value, str):
        classes += f" govuk-table__{kind}--numeric app-figure"
        if isinstance(value, int) and value < 0:
            classes += " app-figure--negative"
    elif column.kind == Kind.DATE or (column.kind == Kind.TEXT and column.width < WIDE_TEXT):
        classes += " app-nowrap"
    if column.kind == Kind.RAG:
        text = str(filters.rag_tag(value)) if value else ""
    else:
        text = str(escape(display(value, column.kind)))
    if line is not None and column.flag is not None and column.flag(line):
        text += DEFAULT_MARK
    return f'<{tag}{scope} class="{classes}">{text}</{tag}>'


def _header_classes(column: Column) -> str:
    """A column header's classes, which also set how narrow its column may become: prose keeps a
    readable measure, names a few words a line, and short codes and statuses stay on one line."""
    if column.numeric:
        return "govuk-table__header govuk-table__header--numeric"
    if column.kind == Kind.USER:
        return "govuk-table__header app-column-prose"
    if column.kind == Kind.TEXT and column.width >= WIDE_TEXT:
        return "govuk-table__header app-column-name"
    if column.kind == Kind.TEXT:
        return "govuk-table__header app-nowrap"
    return "govuk-table__header"


def _row(cells: Iterable[str], *, total: bool = False) -> str:
    extra = " app-total-row" if total else ""
    return f'<tr class="govuk-table__row{extra}">{"".join(cells)}</tr>'


def table(
    caption: str,
    columns: tuple[Column, ...],
    lines: Iterable[Any],
    *,
    total: list[object] | None = None,
    row_header: bool = True,
    empty: str = "None.",
    sticky: bool = False,
) -> Markup:
    """A captioned table of ``columns`` over ``lines``, in a labelled container that scrolls sideways
    on a narrow screen (its first column kept in view where ``sticky``), with an optional total row."""
    lines = list(lines)
    head = "".join(f'<th scope="col" class="{_header_classes(c)}">{escape(c.title)}</th>' for c in columns)
    rows = [
        _row(_cell(c, c.value(line), line, header=row_header and i == 0) for i, c in enumerate(columns))
        for line in lines
    ]
    if not rows:
        rows = [_row([f'<td class="govuk-table__cell" colspan="{len(columns)}">{escape(empty)}</td>'])]
    foot = ""
    if total is not None:
        pairs = enumerate(zip(columns, total, strict=True))
        cells = (_cell(c, value, None, header=i == 0) for i, (c, value) in pairs)
        foot = f"<tfoot>{_row(cells, total=True)}</tfoot>"
    notes = {c.flag_note for c in columns if c.flag is not None and any(c.flag(line) for line in lines)}
    caption_classes = "govuk-table__caption govuk-table__caption--s"
    table_classes = "govuk-table app-table--compact" + (" app-sticky-first" if sticky else "")
    markup = (
        f'<div class="app-table-wrapper" tabindex="0" role="region" '
        f'aria-label="{escape(caption)} (scrolls sideways on narrow screens)">'
        f'<table class="{table_classes}"><caption class="{caption_classes}">{escape(caption)}</caption>'
        f'<thead class="govuk-table__head"><tr class="govuk-table__row">{head}</tr></thead>'
        f'<tbody class="govuk-table__body">{"".join(rows)}</tbody>{foot}</table></div>'
    )
    markup += "".join(f'<p class="govuk-body-s">{escape(note)}</p>' for note in sorted(notes))
    return Markup(markup)  # noqa: S704 - every value above is escaped


def section_table(section: Section, report: FinancialReturn, *, screen: bool = False) -> Markup:
    """One section of the return as a table: every column (or, ``screen``, those the section shows
    on a page at first), the total row, notes on estimates."""
    indexes = [i for i, c in enumerate(section.columns) if not screen or c.title in section.screen]
    total = section.total_values(report)
    return table(
        f"{section.caption}: the position" if screen else section.caption,
        tuple(section.columns[i] for i in indexes),
        section.lines(report),
        total=None if total is None else [total[i] for i in indexes],
        row_header=section.row_header,
        empty=section.empty,
        sticky=screen or len(indexes) > 10,
    )


def section_cards(section: Section, report: FinancialReturn, *, screen: bool = False) -> Markup:
    """A section as GOV.UK summary cards, a line a card titled by its first column(s), for a
    phone (the page shows them under 641 px in place of the table): every figure beside its label."""
    indexes = [i for i, c in enumerate(section.columns) if not screen or c.title in section.screen]
    named = section.names
    lines = [(line, section.values(line)) for line in section.lines(report)]
    total = section.total_values(report)
    if total is not None:
        lines.append((None, total))
    cards = []
    for line, values in lines:
        title = " ".join(
            str(escape(display(values[i], section.columns[i].kind))) for i in range(named) if values[i]
        )
        rows = []
        for i in indexes[named:]:
            column, value = section.columns[i], values[i]
            if column.kind == Kind.RAG:
                shown = str(filters.rag_tag(value)) if value else ""
            else:
                shown = str(escape(display(value, column.kind)))
                if line is not None and column.flag is not None and column.flag(line):
                    shown += " (default)"
            rows.append(
                '<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">'
                f'{escape(column.title)}</dt><dd class="govuk-summary-list__value">{shown}</dd></div>'
            )
        cards.append(
            '<div class="govuk-summary-card"><div class="govuk-summary-card__title-wrapper">'
            f'<h3 class="govuk-summary-card__title">{title}</h3></div>'
            '<div class="govuk-summary-card__content">'
            f'<dl class="govuk-summary-list">{"".join(rows)}</dl></div></div>'
        )
    if not cards:
        cards.append(f'<p class="govuk-body">{escape(section.empty)}</p>')
    return Markup(f'<div class="app-narrow-only">{"".join(cards)}</div>')  # noqa: S704 - escaped above


def impact_section(report: FinancialReturn) -> Markup:
    """Impact and outcomes below its heading: the measures, the roll-ups, then each project's
    evidence (a photo as an image with its alt text, a quote as a block quote), on the page and in
    the published file alike."""
    parts = [str(section_table(section, report)) for section in (IMPACT, IMPACT_OUTCOMES, IMPACT_OFFERS)]
    parts.append('<h3 class="govuk-heading-s" id="impact-evidence">Evidence</h3>')
    evidence = report.impact.evidence
    if not evidence:
        parts.append('<p class="govuk-body">No approved evidence yet.</p>')
    project = None
    for item in evidence:
        if item.project != project:
            project = item.project
            parts.append(f'<h4 class="govuk-heading-s app-evidence-project">{escape(project)}</h4>')
        parts.append(_evidence(item))
    return Markup("".join(parts))  # noqa: S704 - every value is escaped


def _evidence(item) -> str:
    if item.withheld:
        return f'<p class="govuk-body app-withheld">{escape(item.kind)}: {escape(item.text)}</p>'
    said = ""
    if item.attribution:
        said = f"{escape(item.attribution)}, {escape(format_date(item.occurred_on))}"
    if item.kind == "Photo" and item.image:
        caption = f"{escape(item.title)}" + (f" ({said})" if said else "")
        return (
            '<figure class="app-evidence-photo">'
            f'<img src="data:{escape(item.image_type)};base64,{item.image}" alt="{escape(item.alt_text)}">'
            f'<figcaption class="govuk-body-s">{caption}</figcaption></figure>'
        )
    if item.kind == "Quote":
        cite = f'<footer class="govuk-body-s">{said}</footer>' if said else ""
        words = f'<p class="govuk-body">{escape(item.text)}</p>'
        return f'<blockquote class="govuk-inset-text">{words}{cite}</blockquote>'
    text = escape(item.text).replace("\n", Markup("<br>"))
    return (
        f'<p class="govuk-body"><strong>{escape(item.kind)}: {escape(item.title)}.</strong> {text}'
        + (f' <span class="govuk-body-s">({said})</span>' if said else "")
        + "</p>"
    )


def key_table(report: FinancialReturn) -> Markup:
    """What each rating means, with the thresholds the return's streams were rated by: before the
    first rated table on the page and in the published file."""
    rows = "".join(
        _row(
            [
                f'<th scope="row" class="govuk-table__header">{filters.rag_tag(rag.value)}</th>',
                f'<td class="govuk-table__cell">{escape(meaning)}</td>',
            ]
        )
        for rag, meaning in rag_key(report)
    )
    return Markup(  # noqa: S704 - escaped above
        f'<table class="govuk-table app-table--compact" id="rag-key"><caption class="govuk-table__caption'
        f' govuk-table__caption--s">{RAG_KEY_CAPTION}</caption><thead class="govuk-table__head">'
        '<tr class="govuk-table__row"><th scope="col" class="govuk-table__header">Rating</th>'
        '<th scope="col" class="govuk-table__header">Means</th></tr></thead>'
        f'<tbody class="govuk-table__body">{rows}</tbody></table>'
    )


def figures_table(report: FinancialReturn) -> Markup:
    """The grants headline: a label and its figure a row ("No decisions yet" before any decision)."""
    rows = []
    for figure in grant_figures(report):
        numeric = figure.kind.numeric
        classes = "govuk-table__cell" + (" govuk-table__cell--numeric app-figure" if numeric else "")
        rows.append(
            _row(
                [
                    f'<th scope="row" class="govuk-table__header">{escape(figure.label)}</th>',
                    f'<td class="{classes}">{escape(display(figure.value, figure.kind))}</td>',
                ]
            )
        )
    return Markup(  # noqa: S704 - escaped above
        f'<div class="app-table-wrapper" tabindex="0" role="region" '
        f'aria-label="{GRANT_FIGURES_CAPTION} (scrolls sideways on narrow screens)">'
        f'<table class="govuk-table app-table--compact"><caption class="govuk-table__caption '
        f'govuk-table__caption--s">{GRANT_FIGURES_CAPTION}</caption>'
        f'<tbody class="govuk-table__body">{"".join(rows)}</tbody></table></div>'
    )


def quarters_chart(report: FinancialReturn) -> Markup:
    """The bar chart of income by quarter against profiled budget (its figures are :data:`QUARTERS`)."""
    return charts.bar_chart_svg(
        [charts.BarGroup(bar.label, (bar.actual or 0, bar.profiled)) for bar in report.quarters],
        ("Actual income", "Profiled budget"),
        chart_id="quarters",
        title=f"Income by quarter against profiled budget, {report.meta.year_label}",
    )


@cache
def _environment() -> Environment:
    """Templates read from the project's folder without the app's context processors (nothing
    here is a request's), built once."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        gbp=format_gbp, uk_date=filters.uk_date, uk_datetime=filters.uk_datetime, count_of=filters.count_of
    )
    environment.globals.update(
        section_table=section_table,
        figures_table=figures_table,
        key_table=key_table,
        impact_section=impact_section,
        rag_tag=filters.rag_tag,
    )
    return environment


def write_html(report: FinancialReturn, stream: BinaryIO) -> None:
    """Write the return as one self-contained, accessible HTML file."""
    page = (
        _environment()
        .get_template("returns/published.html")
        .render(
            report=report,
            exceptions=EXCEPTIONS,
            summary=SUMMARY,
            counts=MILESTONE_COUNTS,
            quarters=QUARTERS,
            sections=BODY_SECTIONS,
            impact=IMPACT,
            chart=quarters_chart(report),
        )
    )
    stream.write(page.encode("utf-8"))
