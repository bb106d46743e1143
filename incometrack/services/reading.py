"""Reading a spreadsheet as it comes: one pipeline for every import kind.

Files arrive as the council's ledger and people's spreadsheets make them: title rows above the
header, a leading empty column, header names with odd spacing, case or underscores, thousands of
comma-only rows after the data, Windows-1252 or UTF-16 text, one byte-order mark or two. This
module turns any of them into a header (found in the first :data:`HEADER_SEARCH_ROWS` rows by the
names the import expects) and the rows below it, read one at a time as they are iterated (never
all held in memory). Cells are given back as the file holds them (text, or for XLSX numbers and
dates); reading amounts and dates is :mod:`incometrack.money`'s and :mod:`incometrack.periods`'s.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from itertools import chain

from incometrack.services import ServiceError

#: The header is looked for in this many rows from the top (title rows above it are skipped).
HEADER_SEARCH_ROWS = 30
#: An XLSX whose contents unpack to more than this many times its size is refused (a zip bomb).
MAX_XLSX_RATIO = 100
MAX_XLSX_UNPACKED = 200 * 1024 * 1024

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

Row = tuple[int, list[object]]


class ImportRefused(ServiceError):
    """The file cannot be read at all (wrong type, corrupt, too large when unpacked)."""


def column_key(name: object) -> str:
    """A header name as it is compared: case, surrounding and repeated spaces, non-breaking spaces
    and underscores do not count, so ``Stream code``, ``STREAM_CODE`` and ``stream  code `` are one
    name (``stream code``)."""
    text = "" if name is None else str(name)
    return " ".join(text.replace("_", " ").replace("\ufeff", "").split()).lower()


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Table:
    """A file's header and its rows: ``(spreadsheet row number, cells)`` for each row below the
    header that holds anything, read one at a time as they are iterated."""

    def __init__(self, header_row: int, header: list[object], rows: Iterator[Row], found: bool) -> None:
        #: the header's row number in the file (1 unless title rows sit above it)
        self.header_row = header_row
        #: the header's names as the file writes them, in order (blank ones left out)
        self.names_by_index = {i: " ".join(str(h).split()) for i, h in enumerate(header) if column_key(h)}
        #: compared name -> column index (the first column of a name counts)
        self.headers: dict[str, int] = {}
        #: compared name -> every column index, for a name the header gives more than once
        self.repeated: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            key = column_key(name)
            if key and self.headers.setdefault(key, index) != index:
                self.repeated.setdefault(key, [self.headers[key]]).append(index)
        self.headers.pop("", None)
        #: how many columns the header names: a row with anything beyond them is not read as it is
        self.width = max(self.names_by_index, default=-1) + 1
        #: whether a row held every expected name (otherwise the first row is taken as the header)
        self.found = found
        self._rows = rows
        self.rows_read = 0
        self._indexes: dict[str, int | None] = {}

    def index(self, column: str) -> int | None:
        """The index of ``column`` (compared by :func:`column_key`), or None when the file has none."""
        try:
            return self._indexes[column]
        except KeyError:
            found = self._indexes[column] = self.headers.get(column_key(column))
            return found

    def name_of(self, column: str) -> str:
        """``column`` as the file's header writes it (or as given, where the file lacks it)."""
        index = self.index(column)
        return column if index is None else self.names_by_index[index]

    def has(self, column: str) -> bool:
        return self.index(column) is not None

    def cell(self, cells: list[object], column: str) -> object:
        """The value of ``column`` in a row: text stripped of surrounding spaces, None when absent."""
        index = self.index(column)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    def overflow(self, cells: list[object]) -> bool:
        """Whether a row holds something beyond the header's last column: in a CSV, most often a
        number written with a thousands comma and no quotes (``1,250.00`` read as two cells)."""
        return any(c is not None and str(c).strip() for c in cells[self.width :])

    def blank(self, cells: list[object], columns: Iterable[str]) -> bool:
        """Whether every one of ``columns`` is empty in this row (a totals or notes row)."""
        return all(self.cell(cells, column) in (None, "") for column in columns)

    @property
    def rows(self) -> Iterator[Row]:
        for row in self._rows:
            self.rows_read += 1
            yield row


def read_table(
    data: bytes, filename: str, *, sheet: str | None = None, expected: Iterable[str] = ()
) -> Table:
    """Read CSV (UTF-8 with or without byte-order marks, UTF-16 with one, else Windows-1252) or
    XLSX (the first or the named sheet). The header is the first row, among the top
    :data:`HEADER_SEARCH_ROWS`, that holds every ``expected`` name; where none does, the first row
    that holds anything (and the import reports what it lacks).

    :raises ImportRefused: when the file is empty, not what its name says, or unsafe to unpack.
    """
    rows, close = _source(data, filename, sheet)
    try:
        return _with_header(rows, [column_key(name) for name in expected])
    except BaseException:
        if close:
            close()
        raise


def header_names(data: bytes, filename: str, *, sheet: str | None = None) -> list[str]:
    """The column names of a file whose columns are not known yet (a sample extract for a new
    import profile): the first row, among the top :data:`HEADER_SEARCH_ROWS`, that fills the most
    cells (title rows fill one; the header fills every column before data rows leave some empty).

    :raises ImportRefused: as :func:`read_table`.
    """
    return list(columns_with_samples(data, filename, sheet=sheet))


#: Sample values shown beside each column when a profile is made from an extract.
SAMPLES = 3


def columns_with_samples(data: bytes, filename: str, *, sheet: str | None = None) -> dict[str, list[str]]:
    """Each column of a file whose columns are not known yet, found as :func:`header_names` finds
    them, with the first :data:`SAMPLES` values below the header that are not empty.

    :raises ImportRefused: as :func:`read_table`.
    """
    rows, close = _source(data, filename, sheet)
    top: list[list[object]] = []
    try:
        for count, (_number, cells) in enumerate(rows):
            if count == HEADER_SEARCH_ROWS:
                break
            top.append(cells)
    finally:
        if close:
            close()
    if not top:
        raise ImportRefused("The file is empty")
    position = max(range(len(top)), key=lambda n: (_count(top[n]), -n))
    header = top[position]
    columns: dict[str, list[str]] = {}
    indexes: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = " ".join(str(cell).split()) if column_key(cell) else ""
        if name and name not in columns:
            columns[name], indexes[name] = [], index
    for cells in top[position + 1 :]:
        for name, index in indexes.items():
            value = cells[index] if index < len(cells) else None
            text = "" if value is None else " ".join(str(value).split())
            if text and len(columns[name]) < SAMPLES:
                columns[name].append(text)
    return columns


def _count(cells: Iterable[object]) -> int:
    return sum(1 for c in cells if column_key(c))


def _source(data: bytes, filename: str, sheet: str | None):
    """The file's rows that hold anything, and how to close the workbook behind them (or None)."""
    if not data:
        raise ImportRefused("The file is empty")
    is_zip = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            raise ImportRefused("The file is named .xlsx but is not an Excel workbook")
        return _xlsx_rows(data, sheet)
    return _csv_rows(data), None


def _with_header(rows: Iterator[Row], expected: list[str]) -> Table:
    top: list[Row] = []
    for row in rows:
        top.append(row)
        if len(top) == HEADER_SEARCH_ROWS:
            break
    if not top:
        raise ImportRefused("The file is empty")
    best, best_count = 0, 0
    for position, (number, cells) in enumerate(top):
        names = {column_key(cell) for cell in cells}
        count = sum(name in names for name in expected)
        if expected and count == len(expected):
            return Table(number, cells, chain(top[position + 1 :], rows), found=True)
        if count > best_count:
            best, best_count = position, count
    # No row holds them all: the one holding most is the header, and the import says what it lacks.
    number, cells = top[best]
    return Table(number, cells, chain(top[best + 1 :], rows), found=not expected)


def _filled(cells: Iterable[object]) -> bool:
    return any(c is not None and str(c).strip() for c in cells)


# CSV -----------------------------------------------------------------------------------------


def _decoded(data: bytes) -> io.TextIOWrapper:
    """The text of a CSV file, decoded as it was written: UTF-16 where it starts with its
    byte-order mark, UTF-8 (one mark or two skipped) where the bytes are valid UTF-8, otherwise
    Windows-1252, Excel's "CSV" in the UK, where £ is byte 0xA3."""
    if data.startswith(_UTF16_BOMS):
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-16", errors="replace", newline="")
    if b"\x00" in data[:4096]:
        raise ImportRefused("The file is not a CSV text file (it holds binary data). Save it as CSV or XLSX")
    start = 0
    while data.startswith(_UTF8_BOM, start):
        start += len(_UTF8_BOM)
    stream = io.BytesIO(data)
    stream.seek(start)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(memoryview(data)[start:], final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")


def _csv_rows(data: bytes) -> Iterator[Row]:
    reader = csv.reader(_decoded(data))
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if _filled(cells):
                yield number, cells
    except csv.Error as error:
        raise ImportRefused(f"The file is not valid CSV near row {number + 1}: {error}") from None


# XLSX ----------------------------------------------------------------------------------------


def _xlsx_rows(data: bytes, sheet: str | None):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused("The file is not a valid Excel workbook") from None
    if unpacked > MAX_XLSX_UNPACKED or unpacked > MAX_XLSX_RATIO * max(len(data), 1):
        raise ImportRefused("The workbook unpacks to far more than its size; it has been refused as unsafe")
    if "xl/workbook.xml" not in archive.namelist():
        raise ImportRefused("The file is a zip archive but not an Excel workbook")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise ImportRefused(f"The workbook could not be read: {type(error).__name__}") from None
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise ImportRefused(f"The workbook has no sheet named {sheet!r}")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        values = worksheet.iter_rows(values_only=True)
    except BaseException:
        workbook.close()
        raise

    def rows() -> Iterator[Row]:
        try:
            for number, cells in enumerate(values, start=1):
                if _filled(cells):
                    yield number, list(cells)
        finally:
            workbook.close()

    return rows(), workbook.close
