"""Income lines, from an income file, a ledger extract through its profile, or the batch grid:
checked as sets and inserted by the driver, all or nothing; and a batch undone."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from incometrack import faults, money, periods, policy
from incometrack.models import (
    ImportBatch,
    ImportProfile,
    IncomeEntry,
    IncomeStream,
    LedgerCode,
    Site,
    UnmappedLines,
    User,
    ledger_code_key,
)
from incometrack.models.base import utcnow
from incometrack.services import NotAllowed, ServiceError, audit, income_totals, locks
from incometrack.services import income as income_service
from incometrack.services.imports.common import (
    ImportResult,
    RowError,
    Tally,
    cell_date,
    cell_money,
    cell_text,
    finish_batch,
    header_problems,
    nearest,
    open_table,
    overflow_problem,
    start_batch,
)
from incometrack.services.reading import Table, checksum, read_table


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
    result, table = open_table("income", data, filename, sheet, dry_run)
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
            return RowError(number, "stream_code", f"No stream has this code{nearest(code, streams)}", code)
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
    if missing := header_problems(table, columns.required, (columns.description, columns.site)):
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
            message = f"No stream has this ledger code{nearest(key, mapped)}"
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
        (lambda cells: cell_text(table.cell(cells, columns.codes[0])))
        if len(columns.codes) == 1
        else (lambda cells: "-".join(filter(None, (cell_text(table.cell(cells, c)) for c in columns.codes))))
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
            result.add_errors([overflow_problem(table, number, cells)])
            parsed = []
            continue
        raw_date = table.cell(cells, columns.date)
        code = code_of(cells)
        raw_amount = table.cell(cells, columns.amount)
        amount: int | None = None
        amount_error = None
        try:
            amount = cell_money(raw_amount, "Amount")
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
                day = cell_date(raw_date, "Date")
                dated[raw_date] = (day, periods.month_for(day))
            except periods.PeriodError as error:
                dated[raw_date] = str(error)
        placed = dated[raw_date]
        day = None
        if isinstance(placed, str):
            row_errors.append(RowError(number, columns.date, placed, cell_text(raw_date)))
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
            row_errors.append(RowError(number, columns.amount, amount_error, cell_text(raw_amount)))
        reference = cell_text(table.cell(cells, columns.reference)) if columns.reference else ""
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
        site_name = cell_text(table.cell(cells, columns.site)) if columns.site else ""
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
                description=cell_text(table.cell(cells, columns.description)) if columns.description else "",
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
    batch = start_batch(session, result, actor)
    extra = _as_stored_extra(
        session, batch_id=batch.id, entered_by_id=actor.id if actor else None, entered_at=utcnow(), version=1
    )
    statement = _insert_statement(session)
    connection = session.connection()
    for start in range(0, len(kept), _INSERT_CHUNK):
        chunk = [stored[index] + extra for index in kept[start : start + _INSERT_CHUNK]]
        connection.exec_driver_sql(statement, chunk)
        faults.checkpoint("import:chunk-inserted")
    income_totals.add_batch(session, batch.id)
    finish_batch(session, batch, result, actor)
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
    income_totals.remove_batch(session, batch.id)
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
