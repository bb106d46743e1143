"""Any list on screen as a CSV or XLSX download: one declaration of its columns, two renderers.

A :class:`Listing` is a title, its columns (heading and kind) and its rows (an iterable of tuples,
read once, as it is iterated: the list's query streamed in chunks, never held whole). The CSV is
produced a chunk of rows at a time; the workbook is written in openpyxl's write-only mode into a
temporary file and sent from there. User text goes through :func:`spreadsheet_text` in both, so a
cell can never become a formula; money is pounds (a plain ``1234.50`` in CSV, a number with a £
format in XLSX), dates are ISO in CSV and real dates in XLSX.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import BinaryIO

from incometrack import money
from incometrack.exports.safe_text import spreadsheet_text
from incometrack.reports.listings import Kind, Listing

#: Rows of CSV produced at a time.
CSV_CHUNK = 1000
_MONEY_FORMAT = '"£"#,##0.00;-"£"#,##0.00'


def _csv_value(value: object, kind: Kind) -> object:
    if value is None:
        return ""
    if kind is Kind.MONEY:
        return money.format_plain(value)
    if kind is Kind.DATE:
        return value.isoformat() if isinstance(value, date | datetime) else spreadsheet_text(value)
    if kind is Kind.NUMBER:
        return value
    return spreadsheet_text(value.value if isinstance(value, enum.Enum) else value)


def csv_chunks(listing: Listing) -> Iterator[bytes]:
    """The listing as UTF-8 CSV with a byte-order mark (so Excel reads £ correctly), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_text(column.heading) for column in listing.columns])
    kinds = [column.kind for column in listing.columns]
    for count, row in enumerate(listing.rows, start=1):
        writer.writerow([_csv_value(value, kind) for value, kind in zip(row, kinds, strict=True)])
        if count % CSV_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(value: object, kind: Kind) -> object:
    if value is None:
        return None
    if kind is Kind.MONEY:
        return money.to_pounds(value)
    if kind is Kind.DATE:
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return value if isinstance(value, date) else spreadsheet_text(value)
    if kind is Kind.NUMBER:
        return value
    return spreadsheet_text(value.value if isinstance(value, enum.Enum) else value)


def write_xlsx(listing: Listing, stream: BinaryIO) -> None:
    """The listing as one sheet: a title row, the filters, then the table with a frozen header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(spreadsheet_text(listing.title)[:31].replace("/", "-") or "List")
    for index, column in enumerate(listing.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    heading_rows = 3 if listing.filters else 2
    sheet.freeze_panes = f"A{heading_rows + 1}"
    title = WriteOnlyCell(sheet, spreadsheet_text(listing.title))
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    if listing.filters:
        sheet.append([spreadsheet_text(listing.filters)])
    headings = []
    for column in listing.columns:
        cell = WriteOnlyCell(sheet, spreadsheet_text(column.heading))
        cell.font = Font(bold=True)
        headings.append(cell)
    sheet.append(headings)
    kinds = [column.kind for column in listing.columns]
    for row in listing.rows:
        cells = []
        for value, kind in zip(row, kinds, strict=True):
            converted = _xlsx_value(value, kind)
            if kind in (Kind.MONEY, Kind.DATE) and converted is not None and not isinstance(converted, str):
                cell = WriteOnlyCell(sheet, converted)
                cell.number_format = (
                    _MONEY_FORMAT if kind is Kind.MONEY
                    else "dd/mm/yyyy hh:mm" if isinstance(converted, datetime) else "dd/mm/yyyy"
                )  # fmt: skip
                cells.append(cell)
            else:
                cells.append(converted)
        sheet.append(cells)
    workbook.save(stream)
