"""What every import kind shares: the columns each reads, a result, a row's problems, cell
parsing and the batch an import is recorded as."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from incometrack import money, periods
from incometrack.models import (
    ImportBatch,
    User,
)
from incometrack.services import audit
from incometrack.services.reading import Table, checksum, column_key, read_table
from incometrack.text import clean_text

#: Column sets, as documented in the README. Required columns first; the rest are optional.
COLUMNS = {
    "income": (("date", "stream_code", "amount", "reference"), ("site", "description")),
    "streams": (
        ("code", "name", "service", "category"),
        ("site", "owner_email", "status", "description", "ledger_codes"),
    ),
    "budgets": (
        ("year", "stream_code", "annual_budget"),
        ("q1", "q2", "q3", "q4", *(f"p{n}" for n in range(1, 13))),
    ),
    "bids": (
        ("title", "funder", "service", "lead_email", "amount_requested", "created_on"),
        ("programme", "outcomes", "probability", "match_cash", "match_in_kind", "drafting_on", "submitted_on",
         "decision", "decided_on", "awarded_resource", "awarded_capital", "delivery_on", "closed_on",
         "start_on", "end_on", "reason"),
    ),
    "milestones": (
        ("project", "milestone", "owner_email", "baseline_due", "forecast_due"),
        ("completed_on", "status"),
    ),
    "results": (("project", "measure", "year", "quarter", "value"), ("site", "source")),
}  # fmt: skip
#: A row where every one of its kind's key columns is empty is a totals or notes row: skipped and
#: counted, never an error (ledger extracts end with a totals row holding only an amount).
KEY_COLUMNS = {
    "income": ("date", "stream_code"),
    "streams": ("code", "name"),
    "budgets": ("year", "stream_code"),
    "bids": ("title", "created_on"),
    "milestones": ("project", "milestone"),
    "results": ("project", "measure"),
}
MAX_ERRORS_SHOWN = 1000
#: How much of a bad value an error quotes.
_QUOTED = 40


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    #: the value the file holds, quoted after the message
    value: str = ""

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= _QUOTED else self.value[: _QUOTED - 1] + "…"
        found = f' (the file has "{shown}")' if shown else ""
        return f"row {self.row}: {self.column}: {self.message}{found}"


@dataclass
class Tally:
    """A count of lines and their total in pence."""

    count: int = 0
    total: int = 0

    def add(self, amount: int) -> None:
        self.count += 1
        self.total += amount

    def describe(self, what: str = "line") -> str:
        return f"{self.count:,} {what}{'' if self.count == 1 else 's'} ({money.format_gbp(self.total)})"


@dataclass
class ImportResult:
    kind: str
    filename: str
    checksum: str
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    #: the problems found, at most :data:`MAX_ERRORS_SHOWN`: checking stops there (``stopped``)
    errors: list[RowError] = field(default_factory=list)
    stopped: bool = False
    batch_id: int | None = None
    dry_run: bool = False
    #: a few rows as they will be imported, for the preview
    sample: list[dict[str, object]] = field(default_factory=list)
    #: what else the import did or would do, a line each (such as funders it created)
    notes: list[str] = field(default_factory=list)
    #: rows with none of the key columns (totals, notes): their count, the first row numbers,
    #: and for income the total of the amounts they hold
    skipped: Tally = field(default_factory=Tally)
    skipped_rows: list[int] = field(default_factory=list)
    #: income: per stream (``CODE Name``), the lines to import; and the duplicates' total
    by_stream: dict[str, Tally] = field(default_factory=dict)
    duplicate_total: int = 0
    #: income: lines identical to another line of the same file (all imported)
    repeated: int = 0
    #: ledger: per ledger code that maps to no stream, its lines (left out)
    unmapped: dict[str, Tally] = field(default_factory=dict)
    #: income: new lines (no duplicates) dated in locked quarters, late postings: they refuse the
    #: file unless ``skip_locked``, when they are left out
    locked: Tally = field(default_factory=Tally)
    skip_locked: bool = False
    #: ledger: which of the file's columns were read for what, in words
    read_with: str = ""
    #: ledger: the notes saying each unmapped code's lines and total (the first notes)
    unmapped_notes: list[str] = field(default_factory=list)
    #: income: the earliest and latest dates of the lines to import
    first_date: date | None = None
    last_date: date | None = None

    def dating_warnings(self, today: date) -> list[str]:
        """What may mean the wrong extract: lines before the open financial year, or none in the
        month being closed or the one before it (a ledger's extract of June 2020 when November
        2026 is being closed)."""
        if self.first_date is None or self.last_date is None:
            return []
        warnings = []
        open_year = periods.fy_for(today)
        if self.first_date < open_year.first_day:
            warnings.append(
                f"Lines are dated from {self.first_date:%d/%m/%Y}, before the open year {open_year.label}"
                f" began on {open_year.first_day:%d/%m/%Y}."
            )
        closing = periods.latest_ended_month(today)
        if self.last_date < closing.previous().first_day:
            warnings.append(
                f"The newest line is dated {self.last_date:%d/%m/%Y}, more than a month before the month"
                f" being closed ({closing.first_day:%B %Y}, {closing.label}). Is this the right extract?"
            )
        return warnings

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_errors(self, errors: Iterable[RowError]) -> None:
        """Keep the problems found, up to :data:`MAX_ERRORS_SHOWN`; at that many, checking stops
        (``stopped``), so a file of a million bad rows costs no more than one of a thousand."""
        for error in errors:
            if len(self.errors) == MAX_ERRORS_SHOWN:
                self.stopped = True
                return
            self.errors.append(error)

    def problems(self) -> str:
        """``3 problems found`` or, where checking stopped, ``1,000 problems found (checking
        stopped there)``."""
        count = len(self.errors)
        text = f"{count:,} {'problem' if count == 1 else 'problems'} found"
        text = f"{text} (checking stopped there)" if self.stopped else text
        if self.locked.count and not self.skip_locked:
            text += (
                f"; {self.locked.describe('new line')} dated in locked quarters (late postings): leave them"
                " out with --skip-locked, or with 'Leave out lines in locked quarters' on the upload screen"
            )
        return text

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        text = f"{verb} {self.imported}, skipped {self.duplicates} duplicates"
        if self.kind == "ledger":
            left = Tally(
                sum(t.count for t in self.unmapped.values()), sum(t.total for t in self.unmapped.values())
            )
            text += f", skipped {left.count} unmapped lines ({money.format_gbp(left.total)})"
        if self.locked.count and self.skip_locked:
            left_out = money.format_gbp(self.locked.total)
            text += f", skipped {self.locked.count} lines in locked quarters ({left_out})"
        return text

    @property
    def imported_total(self) -> int:
        return sum(tally.total for tally in self.by_stream.values())

    @property
    def unmapped_count(self) -> int:
        return sum(tally.count for tally in self.unmapped.values())

    @property
    def unmapped_total(self) -> int:
        return sum(tally.total for tally in self.unmapped.values())

    @property
    def lines_total(self) -> int:
        """Every income line's amount in the file: imported + unmapped + duplicates + in locked
        quarters."""
        return self.imported_total + self.unmapped_total + self.duplicate_total + self.locked.total

    def skip_row(self, number: int, amount: int | None = None) -> None:
        self.skipped.add(amount or 0)
        if len(self.skipped_rows) < 20:
            self.skipped_rows.append(number)

    def note_skipped(self, what: str) -> None:
        """Say which rows were passed over as totals or notes (``what`` they lacked)."""
        if not self.skipped.count:
            return
        rows = ", ".join(str(n) for n in self.skipped_rows)
        more = ", …" if self.skipped.count > len(self.skipped_rows) else ""
        plural = "s" if self.skipped.count != 1 else ""
        text = f"skipped {self.skipped.count:,} row{plural} without {what} (totals or notes)"
        text += f": row{plural} {rows}{more}"
        if self.kind in ("income", "ledger") and self.skipped.total:
            text += f", holding {money.format_gbp(self.skipped.total)}"
        self.notes.append(text)


# Cell parsing --------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return clean_text(str(value)).strip()


def cell_money(value: object, label: str) -> int:
    return money.parse_import_amount(value, field=label)


def cell_date(value: object, label: str) -> date:
    if isinstance(value, datetime | date):
        return periods.coerce_date(value, field=label)
    return periods.parse_date(cell_text(value), field=label)


def header_problems(table: Table, required: Iterable[str], optional: Iterable[str] = ()) -> list[RowError]:
    """The header's problems with the columns an import reads: a required one missing, or one of
    them named twice (which of the two holds what the import wants cannot be known)."""
    where = "from the header" if table.found else "from the header (looked for in the first 30 rows)"
    problems = [
        RowError(table.header_row, column, f"this required column is missing {where}")
        for column in required
        if not table.has(column)
    ]
    for column in dict.fromkeys((*required, *optional)):
        if column and (indexes := table.repeated.get(column_key(column))):
            letters = " and ".join(_letter(index) for index in indexes)
            problems.append(
                RowError(
                    table.header_row,
                    table.name_of(column),
                    f"the header names this column {len(indexes)} times (columns {letters}); rename or"
                    " remove all but one",
                )
            )
    return problems


def _letter(index: int) -> str:
    """A column's letter as a spreadsheet shows it: 0 is A, 26 is AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def overflow_problem(table: Table, number: int, cells: list[object]) -> RowError:
    filled = [c for c in cells if c is not None and str(c).strip()]
    return RowError(
        number,
        "row",
        f"it has {len(filled)} cells filled where the header names {len(table.names_by_index)} columns:"
        ' a number with a thousands comma must be in quotes in a CSV ("1,250.00"), or the row has a'
        " cell to the right of the header",
        ",".join(str(c).strip() for c in cells if c is not None),
    )


def open_table(kind: str, data: bytes, filename: str, sheet: str | None, dry_run: bool):
    """Read a file of ``kind``: its result so far and its table, or None where a required
    column is missing (reported in the result).

    :raises ImportRefused: when the file cannot be read at all.
    """
    result = ImportResult(kind, filename, checksum(data), dry_run=dry_run)
    required, optional = COLUMNS[kind]
    table = read_table(data, filename, sheet=sheet, expected=required)
    if missing := header_problems(table, required, optional):
        result.add_errors(missing)
        return result, None
    return result, table


def data_rows(table: Table, result: ImportResult, keys: Iterable[str], what: str):
    """The table's rows, less those with none of ``keys`` (totals and notes), which are counted."""
    keys = tuple(keys)
    for number, cells in table.rows:
        if result.stopped:
            break
        if table.blank(cells, keys):
            result.skip_row(number)
            continue
        if table.overflow(cells):
            result.add_errors([overflow_problem(table, number, cells)])
            continue
        yield number, cells
    result.rows_read = table.rows_read
    result.note_skipped(what)


def nearest(code: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(code.upper(), [k.upper() for k in known], n=3, cutoff=0.6)
    return f"; the nearest known: {', '.join(close)}" if close else ""


def start_batch(session: Session, result: ImportResult, actor: User | None) -> ImportBatch:
    batch = ImportBatch(
        kind=result.kind,
        filename=result.filename[:255],
        checksum=result.checksum,
        created_by_id=actor.id if actor else None,
    )
    session.add(batch)
    session.flush()
    result.batch_id = batch.id
    return batch


def finish_batch(session: Session, batch: ImportBatch, result: ImportResult, actor: User | None) -> None:
    batch.rows_imported = result.imported
    batch.rows_skipped = result.duplicates
    batch.summary = "\n".join([result.summary(), *result.notes])
    session.flush()
    audit.record(
        session,
        actor,
        "import",
        "import_batches",
        batch.id,
        summary=f"{result.kind} from {result.filename}: {result.summary()}",
        changes={"rows_imported": [None, result.imported], "rows_skipped": [None, result.duplicates]},
    )


def optional_date(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    if raw in (None, ""):
        return None
    try:
        return cell_date(raw, column)
    except periods.PeriodError as error:
        errors.append(RowError(number, column, str(error), cell_text(raw)))
        return None


def optional_money(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    if raw in (None, ""):
        return None
    try:
        pence = cell_money(raw, column)
    except money.MoneyError as error:
        errors.append(RowError(number, column, str(error), cell_text(raw)))
        return None
    return pence


def required_date(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    try:
        return cell_date(raw, column)
    except periods.PeriodError as error:
        errors.append(RowError(number, column, str(error), cell_text(raw)))
        return None
