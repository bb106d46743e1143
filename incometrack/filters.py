"""Jinja filters (the only way templates turn pence, dates and periods into text) and the money cell."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from flask import Flask
from markupsafe import Markup, escape

from incometrack import money, periods
from incometrack.rag import rag_named


def gbp(pence: int | None) -> str:
    return money.format_gbp(pence)


def uk_date(day) -> str:
    return periods.format_date(day)


def uk_datetime(moment) -> str:
    return periods.format_datetime(moment)


def fy_label(start_year: int | None) -> str:
    return "" if start_year is None else periods.FinancialYear(start_year).label


def percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value}%"


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """``1 event``, ``2,345 events`` (``count_of(n, "entry", "entries")`` for irregular plurals)."""
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"


def money_cell(pence: int | None, tag: str = "td", bold: bool = False) -> Markup:
    """A right-aligned table cell of pounds (``tag`` "th" for a row header), marked when negative.
    A function rather than a macro: a return's page draws about a thousand."""
    kind = "header" if tag == "th" else "cell"
    classes = f"govuk-table__{kind} govuk-table__{kind}--numeric app-figure"
    if pence is not None and pence < 0:
        classes += " app-figure--negative"
    if bold:
        classes += " govuk-!-font-weight-bold"
    return Markup(f'<{tag} class="{classes}">{money.format_gbp(pence)}</{tag}>')  # noqa: S704 - no user text


def money_cells(values: Iterable[int | None]) -> Markup:
    """Consecutive money cells in one call (a row of a stream table holds a dozen)."""
    return Markup("").join(money_cell(value) for value in values)


def percent_cell(value: Decimal | None) -> Markup:
    cell = f'<td class="govuk-table__cell govuk-table__cell--numeric app-figure">{percent(value)}</td>'
    return Markup(cell)  # noqa: S704 - a number


def rag_tag(rag: str | None) -> Markup:
    """A RAG rating as a GOV.UK tag: its word on its colour (grey for Cancelled)."""
    if not rag:
        return Markup("")
    named = rag_named(rag)
    colour = named.tag if named else "grey"
    return Markup(f'<strong class="govuk-tag govuk-tag--{colour}">{escape(rag)}</strong>')  # noqa: S704 - escaped


def measure(value) -> str:
    """A measure's value: ``1,250`` or ``72.5``."""
    from incometrack.services.impact import format_value

    return format_value(value)


def register(app: Flask) -> None:
    app.add_template_global(money_cell)
    app.add_template_global(money_cells)
    app.add_template_global(percent_cell)
    app.add_template_global(rag_tag)
    app.add_template_filter(gbp)
    app.add_template_filter(count_of)
    app.add_template_filter(measure)
    app.add_template_filter(uk_date)
    app.add_template_filter(uk_datetime)
    app.add_template_filter(fy_label)
    app.add_template_filter(percent)
