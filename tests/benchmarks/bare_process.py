"""Baselines for the whole-process benchmarks: what a finance officer's command does, with no app.

    python -m tests.benchmarks.bare_process import DATABASE_URL FILE YEAR
    python -m tests.benchmarks.bare_process export DATABASE_URL OUT YEAR QUARTER_LAST_DAY

``import``: csv plus one raw executemany of the file's rows into income_entries (the same table,
indexes and constraints; no validation, duplicates or audit). ``export``: one SQL query of the
year-to-date entries and a bare write-only openpyxl workbook of the same cells the return's
"Income entries" sheet holds, with their date and £ formats (no other styles, no other sheets). Each uses only
the DB-API driver and the library, so its start-up is that of a plain script.
"""

from __future__ import annotations

import csv
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path


def connect(url: str):
    if url.startswith("sqlite"):
        import sqlite3

        return sqlite3.connect(url.split(":///", 1)[1]), "?"
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")), "%s"


def bare_import(url: str, path: str, year: int) -> None:
    connection, mark = connect(url)
    codes = dict(connection.execute("SELECT code, id FROM income_streams").fetchall())
    rows = []
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            d, m, y = row["date"].split("/")
            rows.append(
                (
                    codes[row["stream_code"]],
                    f"{y}-{m}-{d}",
                    int(row["amount"].replace(".", "")),
                    row["reference"],
                )
            )
    marks = ", ".join([mark] * 4)
    cursor = connection.cursor()
    cursor.executemany(
        "INSERT INTO income_entries (stream_id, date_received, amount, reference, financial_year, quarter, "
        f"period, description, entered_at, version) VALUES ({marks}, {year}, 1, 1, '', '2026-01-01', 1)",
        rows,
    )
    connection.commit()


def bare_export(url: str, out: str, first: str, last: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    connection, mark = connect(url)
    cursor = connection.cursor()
    cursor.execute(
        "SELECT e.date_received, e.quarter, s.code, s.name, v.name, c.name, t.name, e.reference, e.description, "
        "e.amount FROM income_entries e JOIN income_streams s ON e.stream_id = s.id "
        "JOIN services v ON s.service_id = v.id JOIN income_categories c ON s.category_id = c.id "
        f"LEFT JOIN sites t ON e.site_id = t.id WHERE e.date_received BETWEEN {mark} AND {mark} "
        "ORDER BY e.date_received, e.id",
        (first, last),
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Income entries")
    sheet.append(["Date received", "Quarter", "Stream code", "Stream", "Service", "Category", "Site",
                  "Reference", "Description", "Amount"])  # fmt: skip
    # The same cells means the same formats: a date cell and a £ cell, one of each reused for
    # every row (the cheapest way openpyxl writes formatted cells).
    day_cell, money_cell = WriteOnlyCell(sheet), WriteOnlyCell(sheet)
    day_cell.number_format, money_cell.number_format = "dd/mm/yyyy", "£#,##0.00;-£#,##0.00"
    for day, quarter, *texts, amount in cursor:
        day_cell.value = day if isinstance(day, date) else date.fromisoformat(day)
        money_cell.value = Decimal(amount).scaleb(-2)
        sheet.append([day_cell, f"Q{quarter}", *texts, money_cell])
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)


if __name__ == "__main__":
    kind, url, *rest = sys.argv[1:]
    if kind == "import":
        bare_import(url, rest[0], int(rest[1]))
    else:
        bare_export(url, rest[0], rest[1], rest[2])
