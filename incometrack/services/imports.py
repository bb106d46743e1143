"""Bringing income, ledger extracts, streams, budgets, bids and milestones in from CSV and Excel
files, all or nothing.

One service behind the CLI commands and the upload screen; every kind reads its file through
:mod:`incometrack.services.reading` (header found below title rows, names compared loosely, any
common encoding). Every row is read and checked before anything is written; with any problem
nothing is written and each problem is reported as ``row N: column: message`` (numbered as the
spreadsheet numbers its rows). Rows with none of a kind's key columns (totals, notes) are skipped
and counted. Income lines follow DOMAIN.md's duplicate rule: identical lines within a file are all
genuine; a line already recorded (stream, date, amount, reference) is skipped once for each time it
is recorded, so a re-import adds nothing and a longer later extract adds only its new lines.
Validation and the insert work on sets: a handful of queries whatever the size.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from incometrack import faults, money, periods, policy
from incometrack.models import (
    BID_TRANSITIONS,
    BidStatus,
    BidStatusChange,
    Budget,
    Funder,
    FunderType,
    GrantBid,
    ImportBatch,
    ImportProfile,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    LedgerCode,
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    Outcome,
    Programme,
    Project,
    Service,
    Site,
    StreamStatus,
    UnmappedLines,
    User,
    ledger_code_key,
)
from incometrack.models.base import utcnow
from incometrack.services import AS_READ, NotAllowed, ServiceError, audit, locks
from incometrack.services import income as income_service
from incometrack.services import milestones as milestone_service
from incometrack.services.reading import ImportRefused, Table, checksum, column_key, read_table
from incometrack.text import clean_text

__all__ = ["COLUMNS", "ImportRefused", "ImportResult", "RowError", "run_import"]

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
}  # fmt: skip
#: A row where every one of its kind's key columns is empty is a totals or notes row: skipped and
#: counted, never an error (ledger extracts end with a totals row holding only an amount).
KEY_COLUMNS = {
    "income": ("date", "stream_code"),
    "streams": ("code", "name"),
    "budgets": ("year", "stream_code"),
    "bids": ("title", "created_on"),
    "milestones": ("project", "milestone"),
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


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return clean_text(str(value)).strip()


def _money(value: object, label: str) -> int:
    return money.parse_import_amount(value, field=label)


def _date(value: object, label: str) -> date:
    if isinstance(value, datetime | date):
        return periods.coerce_date(value, field=label)
    return periods.parse_date(_text(value), field=label)


def _missing(table: Table, required: Iterable[str], optional: Iterable[str] = ()) -> list[RowError]:
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


def _overflow(table: Table, number: int, cells: list[object]) -> RowError:
    filled = [c for c in cells if c is not None and str(c).strip()]
    return RowError(
        number,
        "row",
        f"it has {len(filled)} cells filled where the header names {len(table.names_by_index)} columns:"
        ' a number with a thousands comma must be in quotes in a CSV ("1,250.00"), or the row has a'
        " cell to the right of the header",
        ",".join(str(c).strip() for c in cells if c is not None),
    )


def _open(kind: str, data: bytes, filename: str, sheet: str | None, dry_run: bool):
    """Read a file of ``kind``: its result so far and its table, or None where a required
    column is missing (reported in the result).

    :raises ImportRefused: when the file cannot be read at all.
    """
    result = ImportResult(kind, filename, checksum(data), dry_run=dry_run)
    required, optional = COLUMNS[kind]
    table = read_table(data, filename, sheet=sheet, expected=required)
    if missing := _missing(table, required, optional):
        result.add_errors(missing)
        return result, None
    return result, table


def _data_rows(table: Table, result: ImportResult, keys: Iterable[str], what: str):
    """The table's rows, less those with none of ``keys`` (totals and notes), which are counted."""
    keys = tuple(keys)
    for number, cells in table.rows:
        if result.stopped:
            break
        if table.blank(cells, keys):
            result.skip_row(number)
            continue
        if table.overflow(cells):
            result.add_errors([_overflow(table, number, cells)])
            continue
        yield number, cells
    result.rows_read = table.rows_read
    result.note_skipped(what)


# Income and ledger extracts ------------------------------------------------------------------


@dataclass(frozen=True)
class LineColumns:
    """Where an income line's fields are in a file: the income import's own columns, or a ledger
    extract's as its profile names them."""

    date: str
    amount: str
    codes: tuple[str, ...]
    reference: str = ""
    description: str = ""
    site: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return (self.date, self.amount, *self.codes, *((self.reference,) if self.reference else ()))

    @property
    def code_column(self) -> str:
        return " + ".join(self.codes)


INCOME_COLUMNS = LineColumns("date", "amount", ("stream_code",), "reference", "description", "site")


def _nearest(code: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(code.upper(), [k.upper() for k in known], n=3, cutoff=0.6)
    return f"; the nearest known: {', '.join(close)}" if close else ""


def import_income(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
    before_writing: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    skip_locked: bool = False,
) -> ImportResult:
    """Import ``date,stream_code,amount,reference`` (and optionally ``site,description``) lines.

    The caller commits (or, on errors or a dry run, rolls back): nothing here commits.

    :raises ImportRefused: when the file cannot be read at all.
    """
    result, table = _open("income", data, filename, sheet, dry_run)
    result.skip_locked = skip_locked
    if table is None:
        return result
    _import_lines(
        session,
        result,
        table,
        _stream_codes(session),
        actor=actor,
        today=today,
        columns=INCOME_COLUMNS,
        before_writing=before_writing,
        progress=progress,
    )
    return result


def _stream_codes(session: Session):
    """How an income file's ``stream_code`` names a stream: its code, in any case."""
    streams = {
        code.upper(): (stream_id, f"{code} {name}")
        for code, name, stream_id in session.execute(
            select(IncomeStream.code, IncomeStream.name, IncomeStream.id)
        )
    }

    def stream_for(code: str, number: int) -> tuple[int, str] | RowError:
        if not code:
            return RowError(number, "stream_code", "Enter the stream code")
        found = streams.get(code.upper())
        if found is None:
            return RowError(number, "stream_code", f"No stream has this code{_nearest(code, streams)}", code)
        return found

    return stream_for


def record_lines(
    session: Session,
    lines: Iterable[tuple[int, Sequence[str]]],
    *,
    actor: User | None,
    dry_run: bool = False,
    today: date | None = None,
) -> ImportResult:
    """Record lines typed or pasted into the batch grid, numbered as the grid numbers them, each
    ``(date, stream code, amount, reference, site, description)``: checked and written exactly as
    an income file's lines are (all or nothing, one batch that can be undone)."""
    result = ImportResult("income", "batch entry", "", dry_run=dry_run)
    header = ["date", "stream_code", "amount", "reference", "site", "description"]
    table = Table(0, header, ((number, list(cells)) for number, cells in lines), found=True)
    _import_lines(
        session, result, table, _stream_codes(session), actor=actor, today=today, columns=INCOME_COLUMNS
    )
    return result


def import_ledger(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    profile: ImportProfile,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
    before_writing: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
    skip_locked: bool = False,
) -> ImportResult:
    """Import a ledger extract as the ledger prints it, read through ``profile``: each line's
    code (its code columns joined with ``-``) names a stream by one of its ledger codes; income
    printed negative is turned positive where the profile says so; a line whose code maps to no
    stream is left out and reported, or refuses the file, as the profile says.

    :raises ImportRefused: when the file cannot be read at all.
    """
    result = ImportResult("ledger", filename, checksum(data), dry_run=dry_run, skip_locked=skip_locked)
    columns = LineColumns(
        profile.date_column,
        profile.amount_column,
        tuple(profile.codes),
        profile.reference_column,
        profile.description_column,
        profile.site_column,
    )
    table = read_table(data, filename, sheet=sheet, expected=columns.required)
    if missing := _missing(table, columns.required, (columns.description, columns.site)):
        result.add_errors(missing)
        return result
    # Problems name the columns as the file writes them.
    named = {c: table.name_of(c) if c else "" for c in (*columns.codes, columns.date, columns.amount,
             columns.reference, columns.description, columns.site)}  # fmt: skip
    columns = LineColumns(
        named[columns.date],
        named[columns.amount],
        tuple(named[c] for c in columns.codes),
        named[columns.reference],
        named[columns.description],
        named[columns.site],
    )
    parts = [
        f"date from “{columns.date}”",
        f"amount from “{columns.amount}”"
        + (" (income printed negative, turned positive)" if profile.income_negative else ""),
        "ledger code from " + " + ".join(f"“{c}”" for c in columns.codes),
        *([f"reference from “{columns.reference}”"] if columns.reference else []),
        *([f"description from “{columns.description}”"] if columns.description else []),
        *([f"site from “{columns.site}”"] if columns.site else []),
    ]
    result.read_with = f"Read with the profile {profile.name}: " + "; ".join(parts)
    mapped = {
        code: (stream_id, f"{stream_code} {name}")
        for code, stream_id, stream_code, name in session.execute(
            select(LedgerCode.code, IncomeStream.id, IncomeStream.code, IncomeStream.name).join(
                LedgerCode.stream
            )
        )
    }
    refuse = profile.unmapped is UnmappedLines.REFUSE

    def stream_for(code: str, number: int) -> tuple[int, str] | RowError | str:
        if not code:
            return RowError(number, columns.code_column, "Enter the ledger code")
        key = ledger_code_key(code)
        found = mapped.get(key)
        if found is not None:
            return found
        if refuse:
            message = f"No stream has this ledger code{_nearest(key, mapped)}"
            return RowError(number, columns.code_column, message, code)
        return key  # unmapped: left out

    _import_lines(
        session,
        result,
        table,
        stream_for,
        actor=actor,
        today=today,
        columns=columns,
        negate=profile.income_negative,
        before_writing=before_writing,
        progress=progress,
    )
    return result


def _import_lines(
    session: Session,
    result: ImportResult,
    table: Table,
    stream_for: Callable[[str, int], tuple[int, str] | RowError | str],
    *,
    columns: LineColumns,
    actor: User | None,
    today: date | None,
    negate: bool = False,
    before_writing: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Check every line of an income file, then (when all are good and this is no dry run)
    insert those not already recorded, as one batch. ``stream_for(code, row)`` gives a line's
    stream (id and label), a problem, or the code itself for a line to leave out unmapped.

    ``before_writing`` is called once the lines are checked and before anything is written (or
    read under the recording lock): a request that checked them in a reading transaction starts
    writing there, so SQLite's one write lock is held for the writing only, not for the reading
    and checking of a long file. What may have changed in between (a quarter locked) is checked
    again under the lock. ``progress`` is told how many rows have been read, now and then."""
    today = today or date.today()
    sites = dict(session.execute(select(func.lower(Site.name), Site.id)).all())
    locked = locks.locked_quarters(session)
    code_of = (
        (lambda cells: _text(table.cell(cells, columns.codes[0])))
        if len(columns.codes) == 1
        else (lambda cells: "-".join(filter(None, (_text(table.cell(cells, c)) for c in columns.codes))))
    )

    # A row's problems are listed in the order of its columns in the file.
    position = {
        column: table.index(column) or 0
        for column in (columns.date, columns.amount, columns.reference, columns.site)
        if column
    }
    position[columns.code_column] = table.index(columns.codes[0]) or 0
    # Valid lines as compact tuples, in file order; once any line is wrong nothing will be written,
    # so they are no longer kept and only problems are counted.
    parsed: list[tuple] = []
    numbers: list[int] = []  #: each parsed line's row, for a line in a locked quarter
    #: the lines dated in locked quarters, with their rows: a duplicate of a recorded entry there
    #: is a duplicate like any other, a new line a late posting
    locked_lines: list[tuple[int, tuple]] = []
    labels: dict[int, str] = {}
    # A ledger repeats the same few hundred dates: each is read and placed in its quarter once.
    dated: dict[object, tuple[date, periods.MonthPeriod] | str] = {}
    for read, (number, cells) in enumerate(table.rows, start=1):
        if result.stopped:
            break
        if progress is not None and read % 1000 == 0:
            progress(read)
        if table.overflow(cells):
            result.add_errors([_overflow(table, number, cells)])
            parsed = []
            continue
        raw_date = table.cell(cells, columns.date)
        code = code_of(cells)
        raw_amount = table.cell(cells, columns.amount)
        amount: int | None = None
        amount_error = None
        try:
            amount = _money(raw_amount, "Amount")
            amount = -amount if negate else amount
        except money.MoneyError as error:
            amount_error = str(error)
        if raw_date in (None, "") and not code:
            result.skip_row(number, amount)  # a totals or notes row
            continue
        row_errors: list[RowError] = []
        values: dict[str, object] = {}
        if raw_date not in dated:
            try:
                day = _date(raw_date, "Date")
                dated[raw_date] = (day, periods.month_for(day))
            except periods.PeriodError as error:
                dated[raw_date] = str(error)
        placed = dated[raw_date]
        day = None
        if isinstance(placed, str):
            row_errors.append(RowError(number, columns.date, placed, _text(raw_date)))
        else:
            day, month = placed
            quarter = month.quarter
            values.update(
                date_received=day,
                financial_year=month.year.start,
                quarter=quarter.number,
                period=month.number,
            )
        if amount_error:
            row_errors.append(RowError(number, columns.amount, amount_error, _text(raw_amount)))
        reference = _text(table.cell(cells, columns.reference)) if columns.reference else ""
        field_columns = {
            "date_received": columns.date,
            "amount": columns.amount,
            "reference": columns.reference,
        }
        for key, message in income_service.entry_problems(day, amount, reference, today).items():
            row_errors.append(RowError(number, field_columns[key] or key, message))
        stream = stream_for(code, number)
        if isinstance(stream, RowError):
            row_errors.append(stream)
        site_name = _text(table.cell(cells, columns.site)) if columns.site else ""
        if site_name and site_name.lower() not in sites:
            row_errors.append(RowError(number, columns.site, "No site is called this", site_name))
        if row_errors:
            row_errors.sort(key=lambda error: position.get(error.column, len(position)))
            result.add_errors(row_errors)
            parsed = []
            continue
        if isinstance(stream, str):  # unmapped ledger code: left out, counted
            result.unmapped.setdefault(stream, Tally()).add(amount)
            continue
        in_locked = (values["financial_year"], values["quarter"]) in locked
        if result.ok or in_locked:
            stream_id, labels[stream_id] = stream
            values.update(
                stream_id=stream_id,
                amount=amount,
                reference=reference,
                site_id=sites.get(site_name.lower()) if site_name else None,
                description=_text(table.cell(cells, columns.description)) if columns.description else "",
            )
            line = tuple(values[name] for name in _ENTRY_FIELDS)
            if result.ok:
                parsed.append(line)
                numbers.append(number)
            if in_locked:
                locked_lines.append((number, line))
    result.rows_read = table.rows_read
    result.note_skipped("a date or a code")
    if not result.ok:
        # Other problems refuse the file already; its new lines in locked quarters are listed
        # with them, so that every problem is seen at once.
        if locked_lines and not result.stopped and not result.skip_locked:
            recorded = _recorded_counts(session, {_key(line) for _number, line in locked_lines})
            result.add_errors(_late_postings(result, locked_lines, recorded, columns.date))
            result.errors.sort(key=lambda error: error.row)
        return

    # The lines as the database driver takes them, made before the write lock is taken: converting
    # 200,000 lines' dates and amounts costs as much again as inserting them.
    stored = None if result.dry_run else _as_stored(session, parsed)
    if not result.dry_run:
        if before_writing is not None:
            before_writing()
            locked = locks.locked_quarters(session)  # as they are now, with the write lock held
        locks.serialise_recording(session)  # the duplicate rule decides under the lock
    recorded = _recorded_counts(session, {_key(line) for line in parsed})
    kept: list[int] = []
    late: list[int] = []
    for index, line in enumerate(parsed):
        key = _key(line)
        if recorded.get(key):
            # a line already recorded, a year-to-date extract's earlier months included: a
            # duplicate wherever it is dated, a locked quarter too
            recorded[key] -= 1
            result.duplicates += 1
            result.duplicate_total += line[2]
            continue
        if (line[4], line[5]) in locked:  # a new line in a locked quarter: a late posting
            late.append(index)
            result.locked.add(line[2])
            continue
        kept.append(index)
        result.by_stream.setdefault(labels[line[0]], Tally()).add(line[2])
    if late and not result.skip_locked:
        result.add_errors(_late_posting(numbers[index], parsed[index], columns.date) for index in late)
        return
    repeats = Counter(_key(parsed[index]) for index in kept)
    result.repeated = sum(n - 1 for n in repeats.values())
    if result.repeated:
        lines = "1 line repeats" if result.repeated == 1 else f"{result.repeated:,} lines repeat"
        result.notes.append(
            f"{lines} another line of this file exactly; each is income in its own right and is"
            " imported (only lines already recorded are duplicates)"
        )
    if result.unmapped:  # first among the notes, largest total first
        result.unmapped_notes = [
            f"unmapped {code}: {tally.describe()}"
            for code, tally in sorted(result.unmapped.items(), key=lambda item: (-item[1].total, item[0]))
        ]
        result.notes[:0] = result.unmapped_notes
    result.imported = len(kept)
    if kept:
        dates = [parsed[index][1] for index in kept]
        result.first_date, result.last_date = min(dates), max(dates)
    result.sample = [
        {**dict(zip(_ENTRY_FIELDS, parsed[index], strict=True)), "stream": labels[parsed[index][0]]}
        for index in kept[:10]
    ]
    del parsed
    if result.dry_run:
        return
    batch = _start_batch(session, result, actor)
    extra = _as_stored_extra(
        session, batch_id=batch.id, entered_by_id=actor.id if actor else None, entered_at=utcnow(), version=1
    )
    statement = _insert_statement(session)
    connection = session.connection()
    for start in range(0, len(kept), _INSERT_CHUNK):
        chunk = [stored[index] + extra for index in kept[start : start + _INSERT_CHUNK]]
        connection.exec_driver_sql(statement, chunk)
        faults.checkpoint("import:chunk-inserted")
    _finish_batch(session, batch, result, actor)
    faults.checkpoint("import:finished")


def _late_posting(number: int, line: tuple, column: str) -> RowError:
    quarter = periods.FinancialYear(line[4]).quarter(line[5])
    return RowError(number, column, locks.locked_message(quarter), f"{line[1]:%d/%m/%Y}")


def _late_postings(
    result: ImportResult, lines: list[tuple[int, tuple]], recorded: dict[tuple, int], column: str
) -> Iterator[RowError]:
    """The new lines among ``lines`` (in locked quarters), counted in ``result.locked``."""
    for number, line in lines:
        key = _key(line)
        if recorded.get(key):
            recorded[key] -= 1
            continue
        result.locked.add(line[2])
        yield _late_posting(number, line, column)


#: The columns an imported entry is written with besides its line's fields, in this order.
_EXTRA_FIELDS = ("batch_id", "entered_by_id", "entered_at", "version")


def _converters(session: Session, names: Sequence[str]) -> list[Callable[[object], object] | None]:
    """Each column's conversion to what the database driver takes (SQLite stores a date as ISO
    text, for instance), as SQLAlchemy itself converts it."""
    dialect = session.get_bind().dialect
    columns = IncomeEntry.__table__.c
    return [columns[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def _as_stored(session: Session, lines: list[tuple]) -> list[tuple]:
    convert = _converters(session, _ENTRY_FIELDS)
    if not any(convert):
        return lines
    return [
        tuple(
            value if f is None or value is None else f(value) for f, value in zip(convert, line, strict=True)
        )
        for line in lines
    ]


def _as_stored_extra(session: Session, **values: object) -> tuple:
    convert = _converters(session, _EXTRA_FIELDS)
    return tuple(
        values[name] if f is None or values[name] is None else f(values[name])
        for f, name in zip(convert, _EXTRA_FIELDS, strict=True)
    )


def _insert_statement(session: Session) -> str:
    """``INSERT INTO income_entries (…) VALUES (?, …)`` in the driver's own placeholders: the lines
    are already converted, so the insert is the driver's alone (SQLAlchemy's per-row handling of
    200,000 rows would double the time the write lock is held)."""
    dialect = session.get_bind().dialect
    names = (*_ENTRY_FIELDS, *_EXTRA_FIELDS)
    placeholder = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": None}.get(dialect.paramstyle)
    if placeholder is None:
        raise NotImplementedError(f"no insert for the {dialect.paramstyle} parameter style")
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    places = ", ".join([placeholder] * len(names))
    # only the table's own name, its quoted column names and placeholders: no value is in the text
    return f"INSERT INTO {IncomeEntry.__tablename__} ({quoted}) VALUES ({places})"  # noqa: S608


#: An entry line's fields in the order its tuple holds them; the first four are its duplicate key.
_ENTRY_FIELDS = (
    "stream_id",
    "date_received",
    "amount",
    "reference",
    "financial_year",
    "quarter",
    "period",
    "site_id",
    "description",
)
#: Rows per INSERT statement: one statement's parameters stay small however long the file.
_INSERT_CHUNK = 10_000


def _key(line: tuple) -> tuple:
    """(stream, date, amount, reference): what makes two lines the same income."""
    return line[:4]


def _recorded_counts(session: Session, keys: set[tuple]) -> dict[tuple, int]:
    """How many entries are recorded with each of these (stream, date, amount, reference) keys:
    one grouped query over the file's date range and streams, matched in memory."""
    if not keys:
        return {}
    dates = [k[1] for k in keys]
    stream_ids = {k[0] for k in keys}
    columns = (IncomeEntry.stream_id, IncomeEntry.date_received, IncomeEntry.amount, IncomeEntry.reference)
    rows = session.execute(
        select(*columns, func.count())
        .where(
            IncomeEntry.date_received.between(min(dates), max(dates)), IncomeEntry.stream_id.in_(stream_ids)
        )
        .group_by(*columns)
    )
    return {key: n for *fields, n in rows if (key := tuple(fields)) in keys}


def _start_batch(session: Session, result: ImportResult, actor: User | None) -> ImportBatch:
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


def _finish_batch(session: Session, batch: ImportBatch, result: ImportResult, actor: User | None) -> None:
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


def undo_batch(session: Session, batch: ImportBatch, *, actor: User) -> int:
    """Remove every entry an income or ledger import added, while all their quarters are open.

    :raises NotAllowed: for anyone but finance or an admin.
    :raises ServiceError: when the batch was undone already, is not an income import, or has
        entries in a locked quarter.
    """
    if not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators can undo an import")
    if batch.kind not in ("income", "ledger"):
        raise ServiceError("Only imports of income lines can be undone")
    if batch.undone_at is not None:
        raise ServiceError("This import has already been undone")
    quarters = set(
        session.execute(
            select(IncomeEntry.financial_year, IncomeEntry.quarter)
            .where(IncomeEntry.batch_id == batch.id)
            .distinct()
        ).all()
    )
    blocked = sorted(quarters & locks.locked_quarters(session))
    if blocked:
        labels = ", ".join(periods.FinancialYear(y).quarter(q).label for y, q in blocked)
        raise ServiceError(f"This import cannot be undone: it has entries in locked quarters ({labels})")
    removed = session.execute(delete(IncomeEntry).where(IncomeEntry.batch_id == batch.id)).rowcount
    batch.undone_at = utcnow()
    batch.undone_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        "undo import",
        "import_batches",
        batch.id,
        summary=f"{batch.filename}: {removed} entries removed",
        changes={"entries_removed": [None, removed]},
    )
    return removed


# Streams and budgets -------------------------------------------------------------------------


def import_streams(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
) -> ImportResult:
    """Create streams from ``code,name,service,category,site,owner_email,status,description``.

    Services, categories and sites are given by name; a code that already exists is skipped as a
    duplicate, so a file can be loaded again safely.
    """
    result, table = _open("streams", data, filename, sheet, dry_run)
    if table is None:
        return result
    services = dict(session.execute(select(func.lower(Service.name), Service.id)).all())
    categories = dict(session.execute(select(func.lower(IncomeCategory.name), IncomeCategory.id)).all())
    sites = {
        name.lower(): (site_id, service_id)
        for name, site_id, service_id in session.execute(select(Site.name, Site.id, Site.service_id))
    }
    owners = dict(session.execute(select(User.email, User.id)).all())
    existing = {code.lower() for code in session.scalars(select(IncomeStream.code))}
    seen: set[str] = set()
    codes_seen: set[str] = set()
    accepted: list[income_service.StreamInput] = []
    for number, cells in _data_rows(table, result, KEY_COLUMNS["streams"], "a code or a name"):
        errors: list[RowError] = []
        code = _text(table.cell(cells, "code"))
        if code.lower() in existing or code.lower() in seen:
            result.duplicates += 1
            continue
        name = _text(table.cell(cells, "name"))
        service = _text(table.cell(cells, "service"))
        category = _text(table.cell(cells, "category"))
        site = _text(table.cell(cells, "site"))
        owner = _text(table.cell(cells, "owner_email")).lower()
        status_text = _text(table.cell(cells, "status")).lower() or StreamStatus.ACTIVE.value
        for column, message in income_service.stream_field_problems(code, name).items():
            errors.append(RowError(number, column, message, code if column == "code" else ""))
        if service.lower() not in services:
            errors.append(RowError(number, "service", f"No service is called {service or '(blank)'}"))
        if category.lower() not in categories:
            errors.append(
                RowError(number, "category", f"No income category is called {category or '(blank)'}")
            )
        if site and site.lower() not in sites:
            errors.append(RowError(number, "site", f"No site is called {site}"))
        elif site and service.lower() in services and sites[site.lower()][1] != services[service.lower()]:
            errors.append(RowError(number, "site", f"{site} belongs to another service"))
        if owner and owner not in owners:
            errors.append(RowError(number, "owner_email", f"No user has the email {owner}"))
        if status_text not in {s.value for s in StreamStatus}:
            errors.append(RowError(number, "status", "Status must be planned, active or ceased", status_text))
        ledger_codes = income_service.parse_ledger_codes(_text(table.cell(cells, "ledger_codes")))
        for ledger_code in ledger_codes:
            key = ledger_code_key(ledger_code)
            if key in codes_seen:
                errors.append(
                    RowError(number, "ledger_codes", f"Ledger code {key} is given twice", ledger_code)
                )
            codes_seen.add(key)
        if ledger_codes and (problem := income_service.ledger_code_problem(session, ledger_codes, None)):
            errors.append(RowError(number, "ledger_codes", problem))
        if errors:
            result.add_errors(errors)
            continue
        seen.add(code.lower())
        accepted.append(
            income_service.StreamInput(
                code=code,
                name=name,
                service_id=services[service.lower()],
                category_id=categories[category.lower()],
                site_id=sites[site.lower()][0] if site else None,
                owner_id=owners.get(owner) if owner else None,
                status=StreamStatus(status_text),
                description=_text(table.cell(cells, "description")),
                ledger_codes=ledger_codes,
            )
        )
    result.imported = len(accepted)
    result.sample = [{"code": s.code, "name": s.name} for s in accepted[:10]]
    if not result.ok or dry_run:
        return result
    batch = _start_batch(session, result, actor)
    for stream in accepted:
        income_service.create_stream(session, stream, actor=actor)
    _finish_batch(session, batch, result, actor)
    return result


def _profile(table, cells, number, prefix, count, hint, errors) -> tuple[int | None, ...] | None:
    """The figures of columns ``<prefix>1``..``<prefix><count>`` of a row, or None where all are
    empty; unreadable ones are reported in ``errors``."""
    raw = [table.cell(cells, f"{prefix}{n}") for n in range(1, count + 1)]
    if all(value in (None, "") for value in raw):
        return None
    figures: list[int | None] = []
    for n, value in enumerate(raw, 1):
        try:
            figures.append(_money(value, f"{prefix.upper()}{n}"))
        except money.MoneyError as error:
            errors.append(RowError(number, f"{prefix}{n}", f"{error} ({hint})", _text(value)))
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
    result, table = _open("budgets", data, filename, sheet, dry_run)
    if table is None:
        return result
    streams = {s.code.lower(): s for s in session.scalars(select(IncomeStream))}
    current = {
        (b.stream_id, b.year): (b.annual, *b.profile, *b.months) for b in session.scalars(select(Budget))
    }
    seen: set[tuple[int, int]] = set()
    accepted: list[tuple[IncomeStream, int, int, tuple, tuple]] = []
    for number, cells in _data_rows(table, result, KEY_COLUMNS["budgets"], "a year or a stream code"):
        errors: list[RowError] = []
        try:
            year = periods.FinancialYear.parse(_text(table.cell(cells, "year")))
        except periods.PeriodError as error:
            errors.append(RowError(number, "year", str(error), _text(table.cell(cells, "year"))))
            year = None
        code = _text(table.cell(cells, "stream_code"))
        stream = streams.get(code.lower())
        if stream is None:
            errors.append(
                RowError(number, "stream_code", f"No stream has this code{_nearest(code, streams)}", code)
                if code
                else RowError(number, "stream_code", "Enter the stream code")
            )
        annual = quarters = None
        try:
            annual = _money(table.cell(cells, "annual_budget"), "Annual budget")
        except money.MoneyError as error:
            errors.append(
                RowError(number, "annual_budget", str(error), _text(table.cell(cells, "annual_budget")))
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
    batch = _start_batch(session, result, actor)
    for stream, year, annual, profile, months in accepted:
        income_service.set_budget(
            session, stream, year, annual, profile, months=months, actor=actor, expected_version=AS_READ
        )
    _finish_batch(session, batch, result, actor)
    return result


# Bids ----------------------------------------------------------------------------------------

#: A bid's dated steps after its idea, in pipeline order: (status, its date column).
_BID_STEPS = (
    (BidStatus.DRAFTING, "drafting_on"),
    (BidStatus.SUBMITTED, "submitted_on"),
    (None, "decided_on"),  # the status the "decision" column names
    (BidStatus.IN_DELIVERY, "delivery_on"),
    (BidStatus.CLOSED, "closed_on"),
)
_DECISIONS = {s.value: s for s in (BidStatus.AWARDED, BidStatus.UNSUCCESSFUL, BidStatus.WITHDRAWN)}


@dataclass
class _BidRow:
    values: dict[str, object]
    funder: str
    programme: str
    outcome_ids: list[int]
    steps: list[tuple[BidStatus, date]]
    #: undated steps passed on the next dated step's day
    filled: int = 0


def _optional_date(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    if raw in (None, ""):
        return None
    try:
        return _date(raw, column)
    except periods.PeriodError as error:
        errors.append(RowError(number, column, str(error), _text(raw)))
        return None


def _optional_money(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    if raw in (None, ""):
        return None
    try:
        pence = _money(raw, column)
    except money.MoneyError as error:
        errors.append(RowError(number, column, str(error), _text(raw)))
        return None
    if pence < 0:
        errors.append(RowError(number, column, "must not be negative", _text(raw)))
    return pence


def _bid_row(table, cells, number, lookups, today: date, errors: list[RowError]) -> _BidRow | None:
    """One line of a bids file checked, or None (with ``errors``) where it is wrong."""
    services, users, outcomes = lookups
    title = _text(table.cell(cells, "title"))
    funder = _text(table.cell(cells, "funder"))
    programme = _text(table.cell(cells, "programme"))
    service = _text(table.cell(cells, "service"))
    lead = _text(table.cell(cells, "lead_email")).lower()
    found = len(errors)
    for column, value, limit in (
        ("title", title, 255),
        ("funder", funder, 120),
        ("programme", programme, 120),
    ):
        if column != "programme" and not value:
            errors.append(RowError(number, column, f"Enter the {column}"))
        elif len(value) > limit:
            errors.append(RowError(number, column, f"must be {limit} characters or fewer"))
    if service.lower() not in services:
        errors.append(RowError(number, "service", f"No service is called {service or '(blank)'}"))
    if lead not in users:
        errors.append(RowError(number, "lead_email", f"No user has the email {lead or '(blank)'}"))
    requested = _optional_money(table, cells, "amount_requested", number, errors)
    if requested is None and not any(e.column == "amount_requested" for e in errors[found:]):
        errors.append(RowError(number, "amount_requested", "Enter the amount requested"))
    outcome_ids = []
    for name in filter(None, (part.strip() for part in _text(table.cell(cells, "outcomes")).split(";"))):
        if name.lower() in outcomes:
            outcome_ids.append(outcomes[name.lower()])
        else:
            errors.append(RowError(number, "outcomes", "No Libraries Deliver outcome is called this", name))
    probability_text = _text(table.cell(cells, "probability")) or "50"
    probability = int(probability_text) if probability_text.isascii() and probability_text.isdigit() else -1
    if not 0 <= probability <= 100:
        errors.append(
            RowError(number, "probability", "must be a whole number from 0 to 100", probability_text)
        )
    created = _optional_date(table, cells, "created_on", number, errors)
    if created is None and not any(e.column == "created_on" for e in errors[found:]):
        errors.append(RowError(number, "created_on", "Enter the date the bid was recorded"))
    decision_text = _text(table.cell(cells, "decision")).lower()
    decision = _DECISIONS.get(decision_text)
    if decision_text and decision is None:
        errors.append(
            RowError(number, "decision", "must be awarded, unsuccessful or withdrawn", decision_text)
        )
    steps: list[tuple[BidStatus, date, str]] = [(BidStatus.IDEA, created, "created_on")] if created else []
    for status, column in _BID_STEPS:
        day = _optional_date(table, cells, column, number, errors)
        if column == "decided_on":
            if decision is not None and day is None and not any(e.column == column for e in errors[found:]):
                errors.append(RowError(number, column, f"Enter the date the bid was {decision.value}"))
            if day is not None and decision is None and not decision_text:
                errors.append(
                    RowError(number, column, "Give the decision (awarded, unsuccessful or withdrawn)")
                )
            status = decision
        if day is not None and status is not None:
            steps.append((status, day, column))
    steps, filled = _fill_undated_steps(steps)
    for (before, early, _), (after, late, column) in pairwise(steps):
        if after not in BID_TRANSITIONS[before]:
            errors.append(
                RowError(number, column, f"a bid that is {before.value} cannot become {after.value}")
            )
        elif late < early:
            errors.append(RowError(number, column, f"must be on or after the step before ({early:%d/%m/%Y})"))
    for _status, day, column in steps:
        if day > today:
            errors.append(RowError(number, column, "must be today or in the past"))
    resource = _optional_money(table, cells, "awarded_resource", number, errors)
    capital = _optional_money(table, cells, "awarded_capital", number, errors)
    if decision is BidStatus.AWARDED and not (resource or capital):
        errors.append(
            RowError(number, "awarded_resource", "Enter the amount awarded (resource, capital or both)")
        )
    if decision is not BidStatus.AWARDED and (resource or capital):
        errors.append(RowError(number, "awarded_resource", "Only an awarded bid has an amount awarded"))
    start = _optional_date(table, cells, "start_on", number, errors)
    end = _optional_date(table, cells, "end_on", number, errors)
    if start and end and end < start:
        errors.append(RowError(number, "end_on", "must be on or after start_on"))
    match_cash = _optional_money(table, cells, "match_cash", number, errors) or 0
    match_in_kind = _optional_money(table, cells, "match_in_kind", number, errors) or 0
    reason = _text(table.cell(cells, "reason"))
    if len(errors) > found:
        return None
    dated = {status: day for status, day, _ in steps}
    return _BidRow(
        values={
            "title": title,
            "service_id": services[service.lower()],
            "lead_id": users[lead],
            "status": steps[-1][0],
            "amount_requested": requested,
            "match_cash": match_cash,
            "match_in_kind": match_in_kind,
            "submitted_on": dated.get(BidStatus.SUBMITTED),
            "decision_on": dated.get(BidStatus.AWARDED) or dated.get(BidStatus.UNSUCCESSFUL),
            "awarded_resource": (resource or 0) if decision is BidStatus.AWARDED else None,
            "awarded_capital": (capital or 0) if decision is BidStatus.AWARDED else None,
            "start_on": start or dated.get(BidStatus.IN_DELIVERY),
            "end_on": end,
            "probability": probability,
            "unsuccessful_reason": reason if decision is BidStatus.UNSUCCESSFUL else "",
            "description": "",
        },
        funder=funder,
        programme=programme,
        outcome_ids=outcome_ids,
        steps=[(status, day) for status, day, _ in steps],
        filled=filled,
    )


#: A bid's ordinary path; a decision (awarded, unsuccessful, withdrawn) stands third.
_PIPELINE = (
    BidStatus.IDEA,
    BidStatus.DRAFTING,
    BidStatus.SUBMITTED,
    None,
    BidStatus.IN_DELIVERY,
    BidStatus.CLOSED,
)
#: Steps a spreadsheet often leaves undated, passed on the next dated step's day.
_FILLABLE = (BidStatus.DRAFTING, BidStatus.SUBMITTED, BidStatus.IN_DELIVERY)


def _pipeline_position(status: BidStatus) -> int:
    return _PIPELINE.index(status) if status in _PIPELINE else _PIPELINE.index(None)


def _fill_undated_steps(
    steps: list[tuple[BidStatus, date, str]],
) -> tuple[list[tuple[BidStatus, date, str]], int]:
    """A bid whose file dates a later step but not an earlier one passed the earlier step on the
    later step's date (created and submitted, no drafting date: drafted the day it was submitted).
    Decisions are never guessed: they need their own date and amounts."""
    completed: list[tuple[BidStatus, date, str]] = []
    filled = 0
    for step in steps:
        if completed and step[0] not in BID_TRANSITIONS[completed[-1][0]]:
            between: list[tuple[BidStatus, date, str]] = []
            for status in _FILLABLE:
                before = (between or completed)[-1][0]
                if (
                    _pipeline_position(before) < _pipeline_position(status) < _pipeline_position(step[0])
                    and status in BID_TRANSITIONS[before]
                ):
                    between.append((status, step[1], step[2]))
            if between and step[0] in BID_TRANSITIONS[between[-1][0]]:  # only where it makes the path
                completed.extend(between)
                filled += len(between)
        completed.append(step)
    return completed, filled


def import_bids(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Record past and live bids from a spreadsheet, each with its dated status history (idea on
    ``created_on``, then each later step given, along the pipeline's transitions only). Unknown
    funders and programmes are created and listed in ``notes``; a bid with the same funder, title
    and ``created_on`` as one recorded (or one above it in the file) is a duplicate."""
    result, table = _open("bids", data, filename, sheet, dry_run)
    if table is None:
        return result
    today = today or date.today()
    if not dry_run:
        # Two imports of one file at once: the second waits here for the first, then finds its
        # bids recorded and skips them (no key in the database says two bids are the same one).
        locks.serialise_locking(session)
    lookups = (
        dict(session.execute(select(func.lower(Service.name), Service.id)).all()),
        dict(session.execute(select(func.lower(User.email), User.id)).all()),
        dict(session.execute(select(func.lower(Outcome.name), Outcome.id)).all()),
    )
    funders = dict(session.execute(select(func.lower(Funder.name), Funder.id)).all())
    programmes = {
        (funder_id, name.lower()): programme_id
        for funder_id, name, programme_id in session.execute(
            select(Programme.funder_id, Programme.name, Programme.id)
        )
    }
    created_on = (
        select(BidStatusChange.bid_id, func.min(BidStatusChange.changed_on).label("day"))
        .group_by(BidStatusChange.bid_id)
        .subquery()
    )
    recorded = {
        (funder.lower(), title.lower(), day)
        for funder, title, day in session.execute(
            select(Funder.name, GrantBid.title, created_on.c.day)
            .join(GrantBid, GrantBid.funder_id == Funder.id)
            .join(created_on, created_on.c.bid_id == GrantBid.id)
        )
    }
    accepted: list[_BidRow] = []
    for number, cells in _data_rows(table, result, KEY_COLUMNS["bids"], "a title or a created_on date"):
        errors: list[RowError] = []
        row = _bid_row(table, cells, number, lookups, today, errors)
        if row is None:
            result.add_errors(errors)
            continue
        key = (row.funder.lower(), row.values["title"].lower(), row.steps[0][1])
        if key in recorded:
            result.duplicates += 1
            continue
        recorded.add(key)
        accepted.append(row)
    result.imported = len(accepted)
    result.sample = [
        {"title": r.values["title"], "funder": r.funder, "status": r.values["status"].value}
        for r in accepted[:10]
    ]
    new_funders = sorted({r.funder for r in accepted if r.funder.lower() not in funders}, key=str.lower)
    new_programmes = sorted(
        {(r.funder, r.programme) for r in accepted if r.programme
         and (funders.get(r.funder.lower()), r.programme.lower()) not in programmes},
        key=lambda pair: (pair[0].lower(), pair[1].lower()),
    )  # fmt: skip
    if new_funders:
        result.notes.append(f"{'would create' if dry_run else 'created'} funders: {', '.join(new_funders)}")
    if new_programmes:
        listed = ", ".join(f"{programme} ({funder})" for funder, programme in new_programmes)
        result.notes.append(f"{'would create' if dry_run else 'created'} programmes: {listed}")
    if filled := sum(r.filled for r in accepted):
        result.notes.append(f"filled {filled} undated steps, each passed on the next dated step's day")
    if not result.ok or dry_run:
        return result
    batch = _start_batch(session, result, actor)
    for name in new_funders:
        funder = Funder(name=name, type=FunderType.OTHER, notes=f"Created by importing {filename}")
        session.add(funder)
        session.flush()
        funders[name.lower()] = funder.id
        audit.record_create(session, actor, funder, summary=name)
    for funder_name, name in new_programmes:
        programme = Programme(funder_id=funders[funder_name.lower()], name=name, notes="")
        session.add(programme)
        session.flush()
        programmes[(programme.funder_id, name.lower())] = programme.id
        audit.record_create(session, actor, programme, summary=name)
    outcome_rows = {o.id: o for o in session.scalars(select(Outcome))}
    for row in accepted:
        funder_id = funders[row.funder.lower()]
        bid = GrantBid(
            funder_id=funder_id,
            programme_id=programmes.get((funder_id, row.programme.lower())) if row.programme else None,
            **row.values,
        )
        bid.outcomes = sorted((outcome_rows[i] for i in set(row.outcome_ids)), key=lambda o: o.position)
        previous = None
        for status, day in row.steps:
            note = f"Imported from {filename}"[:255]
            bid.history.append(
                BidStatusChange(from_status=previous, to_status=status, changed_on=day, note=note,
                                changed_by_id=actor.id if actor else None)
            )  # fmt: skip
            previous = status
        session.add(bid)
        audit.record_create(session, actor, bid, summary=bid.title)
    _finish_batch(session, batch, result, actor)
    return result


# Templates -----------------------------------------------------------------------------------

#: An example line of each kind, under its columns in the template a person downloads.
TEMPLATES = {
    "income": dict(date="03/11/2026", stream_code="LIB-ROOM", amount="45.00", reference="INV-1042",
                   site="", description="Meeting room, half day"),
    "streams": dict(code="LIB-ROOM", name="Room hire", service="Libraries", category="Room and venue hire",
                    site="", owner_email="", status="active", description="", ledger_codes="LIB01-9100"),
    "budgets": dict(year="2026-27", stream_code="LIB-ROOM", annual_budget="12,000.00", q1="3,000.00",
                    q2="3,000.00", q3="3,000.00", q4="3,000.00"),
    "bids": dict(title="Digital makerspace", funder="Arts Council England", service="Libraries",
                 lead_email="lead@example.gov.uk", amount_requested="50,000.00", created_on="01/04/2026",
                 programme="", outcomes="Improved digital access and literacy", probability="50"),
    "milestones": dict(project="Digital makerspace", milestone="Kit bought",
                       owner_email="lead@example.gov.uk", baseline_due="01/12/2026",
                       forecast_due="01/12/2026", completed_on="", status="not started"),
}  # fmt: skip


def template_csv(kind: str) -> bytes:
    """The columns of an import kind (required first) and one example line, as UTF-8 CSV with a
    byte-order mark so Excel opens it in the right encoding."""
    import csv
    import io

    required, optional = COLUMNS[kind]
    example = TEMPLATES[kind]
    columns = [*required, *(c for c in optional if c in example)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(column, "") for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


# Milestones ----------------------------------------------------------------------------------


def import_milestones(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Add milestones to projects from ``project,milestone,owner_email,baseline_due,forecast_due``
    and optionally ``completed_on,status`` (default: complete where a completion date is given,
    otherwise not started). Projects are named as they are recorded; a milestone a project already
    has (by its title) is a duplicate. Each starts its history with the imported figures."""
    result, table = _open("milestones", data, filename, sheet, dry_run)
    if table is None:
        return result
    if not dry_run:
        locks.serialise_recording(session)  # what is recorded already is read under the lock
    today = today or date.today()
    projects = {
        name.lower(): (project_id, name)
        for project_id, name in session.execute(select(Project.id, Project.name))
    }
    users = dict(session.execute(select(func.lower(User.email), User.id)).all())
    recorded = {
        (project_id, title.lower())
        for project_id, title in session.execute(select(Milestone.project_id, Milestone.title))
    }
    statuses = {status.value: status for status in MilestoneStatus}
    accepted: list[dict[str, object]] = []
    for number, cells in _data_rows(table, result, KEY_COLUMNS["milestones"], "a project or a milestone"):
        errors: list[RowError] = []
        project_name = _text(table.cell(cells, "project"))
        title = _text(table.cell(cells, "milestone"))
        owner = _text(table.cell(cells, "owner_email")).lower()
        project = projects.get(project_name.lower())
        if project is None:
            nearest = difflib.get_close_matches(project_name, [name for _, name in projects.values()], n=3)
            hint = f"; the nearest: {', '.join(nearest)}" if nearest else ""
            errors.append(RowError(number, "project", f"No project is called this{hint}", project_name))
        if not title:
            errors.append(RowError(number, "milestone", "Enter the milestone"))
        elif len(title) > 255:
            errors.append(RowError(number, "milestone", "Milestone must be 255 characters or fewer"))
        if owner and owner not in users:
            errors.append(RowError(number, "owner_email", "No user has this email", owner))
        baseline = _required_date(table, cells, "baseline_due", number, errors)
        forecast = _required_date(table, cells, "forecast_due", number, errors)
        completed = _optional_date(table, cells, "completed_on", number, errors)
        status_text = _text(table.cell(cells, "status")).lower().replace("_", " ")
        status = statuses.get(status_text) if status_text else (
            MilestoneStatus.COMPLETE if completed else MilestoneStatus.NOT_STARTED
        )  # fmt: skip
        if status is None:
            errors.append(
                RowError(number, "status", f"Status must be one of: {', '.join(statuses)}", status_text)
            )
        else:
            problems = milestone_service.completion_problems(status, completed, today)
            errors.extend(RowError(number, "completed_on", message) for message in problems.values())
        if errors:
            result.add_errors(errors)
            continue
        key = (project[0], title.lower())
        if key in recorded:
            result.duplicates += 1
            continue
        recorded.add(key)
        accepted.append(
            {"project_id": project[0], "title": title, "owner_id": users.get(owner) if owner else None,
             "baseline_due": baseline, "forecast_due": forecast, "completed_on": completed, "status": status}
        )  # fmt: skip
    result.imported = len(accepted)
    names = {project_id: name for project_id, name in projects.values()}
    result.sample = [{"project": names[m["project_id"]], "milestone": m["title"]} for m in accepted[:10]]
    if not result.ok or dry_run:
        return result
    batch = _start_batch(session, result, actor)
    for values in accepted:
        milestone = Milestone(**values)
        milestone.updates.append(
            MilestoneUpdate(
                kind="created", update_on=today, note=f"Imported from {filename}"[:255],
                status=milestone.status, forecast_due=milestone.forecast_due,
                completed_on=milestone.completed_on, baseline_due=milestone.baseline_due,
                made_by_id=actor.id if actor else None,
            )
        )  # fmt: skip
        session.add(milestone)
        audit.record_create(
            session, actor, milestone, summary=f"{names[milestone.project_id]}: {milestone.title}"
        )
    _finish_batch(session, batch, result, actor)
    return result


def _required_date(table: Table, cells: list[object], column: str, number: int, errors: list[RowError]):
    raw = table.cell(cells, column)
    try:
        return _date(raw, column)
    except periods.PeriodError as error:
        errors.append(RowError(number, column, str(error), _text(raw)))
        return None


IMPORTERS = {
    "income": import_income,
    "ledger": import_ledger,
    "streams": import_streams,
    "budgets": import_budgets,
    "bids": import_bids,
    "milestones": import_milestones,
}


def run_import(kind: str, session: Session, data: bytes, filename: str, **options) -> ImportResult:
    return IMPORTERS[kind](session, data, filename, **options)
