"""Budgets from a file, each through :func:`incometrack.services.income.set_budget`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack import money, periods
from incometrack.models import (
    Budget,
    IncomeStream,
    User,
)
from incometrack.services import AS_READ
from incometrack.services import income as income_service
from incometrack.services.imports.common import (
    KEY_COLUMNS,
    ImportResult,
    RowError,
    cell_money,
    cell_text,
    data_rows,
    finish_batch,
    nearest,
    open_table,
    start_batch,
)


def _profile(table, cells, number, prefix, count, hint, errors) -> tuple[int | None, ...] | None:
    """The figures of columns ``<prefix>1``..``<prefix><count>`` of a row, or None where all are
    empty; unreadable ones are reported in ``errors``."""
    raw = [table.cell(cells, f"{prefix}{n}") for n in range(1, count + 1)]
    if all(value in (None, "") for value in raw):
        return None
    figures: list[int | None] = []
    for n, value in enumerate(raw, 1):
        try:
            figures.append(cell_money(value, f"{prefix.upper()}{n}"))
        except money.MoneyError as error:
            errors.append(RowError(number, f"{prefix}{n}", f"{error} ({hint})", cell_text(value)))
            figures.append(None)
    return tuple(figures)


def import_budgets(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
) -> ImportResult:
    """Set budgets from ``year,stream_code,annual_budget`` and optionally ``q1``..``q4`` (all four
    or none) and ``p1``..``p12`` (all twelve or none; with quarters as well they must agree);
    left out, the default profile applies. A stream's budget for a year is replaced,
    so loading the same file again changes nothing; an unchanged budget counts as a duplicate."""
    result, table = open_table("budgets", data, filename, sheet, dry_run)
    if table is None:
        return result
    streams = {s.code.lower(): s for s in session.scalars(select(IncomeStream))}
    current = {
        (b.stream_id, b.year): (b.annual, *b.profile, *b.months) for b in session.scalars(select(Budget))
    }
    seen: set[tuple[int, int]] = set()
    accepted: list[tuple[IncomeStream, int, int, tuple, tuple]] = []
    for number, cells in data_rows(table, result, KEY_COLUMNS["budgets"], "a year or a stream code"):
        errors: list[RowError] = []
        try:
            year = periods.FinancialYear.parse(cell_text(table.cell(cells, "year")))
        except periods.PeriodError as error:
            errors.append(RowError(number, "year", str(error), cell_text(table.cell(cells, "year"))))
            year = None
        code = cell_text(table.cell(cells, "stream_code"))
        stream = streams.get(code.lower())
        if stream is None:
            errors.append(
                RowError(number, "stream_code", f"No stream has this code{nearest(code, streams)}", code)
                if code
                else RowError(number, "stream_code", "Enter the stream code")
            )
        annual = quarters = None
        try:
            annual = cell_money(table.cell(cells, "annual_budget"), "Annual budget")
        except money.MoneyError as error:
            errors.append(
                RowError(number, "annual_budget", str(error), cell_text(table.cell(cells, "annual_budget")))
            )
        quarters = _profile(table, cells, number, "q", 4, "give all four quarters or none", errors)
        months = _profile(table, cells, number, "p", 12, "give all twelve months or none", errors)
        if not errors:
            try:
                annual, profile, by_month = income_service.validate_budget(annual, quarters, months)
            except income_service.ValidationErrors as error:
                for key, message in error.errors.items():
                    errors.append(RowError(number, "annual_budget" if key == "annual" else key, message))
            else:
                key = (stream.id, year.start)
                if key in seen:
                    errors.append(
                        RowError(number, "stream_code", f"{code} has another {year.label} row above")
                    )
                seen.add(key)
                if not errors:
                    if current.get(key) == (annual, *profile, *by_month):
                        result.duplicates += 1
                    else:
                        accepted.append((stream, year.start, annual, tuple(profile), tuple(by_month)))
        result.add_errors(errors)
    result.imported = len(accepted)
    result.sample = [{"stream": s.code, "year": y, "annual": a} for s, y, a, *_ in accepted[:10]]
    if not result.ok or dry_run:
        return result
    batch = start_batch(session, result, actor)
    for stream, year, annual, profile, months in accepted:
        income_service.set_budget(
            session, stream, year, annual, profile, months=months, actor=actor, expected_version=AS_READ
        )
    finish_batch(session, batch, result, actor)
    return result
