"""Jinja filters: the only way templates turn pence, dates and periods into text."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from incometrack import money, periods


def gbp(pence: int | None) -> str:
    return money.format_gbp(pence)


def uk_date(day) -> str:
    return periods.format_date(day)


def uk_datetime(moment) -> str:
    return "" if moment is None else f"{moment.day} {moment:%b %Y %H:%M}"


def fy_label(start_year: int | None) -> str:
    return "" if start_year is None else periods.FinancialYear(start_year).label


def percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value}%"


def register(app: Flask) -> None:
    app.add_template_filter(gbp)
    app.add_template_filter(uk_date)
    app.add_template_filter(uk_datetime)
    app.add_template_filter(fy_label)
    app.add_template_filter(percent)
