"""Income streams, budgets, entries and forecasts: the rules finance officers' changes obey.

Every change is audited, edits are refused when drawn from a stale version, and no entry dated in
a locked quarter is created, changed or deleted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from incometrack import money, policy
from incometrack.models import (
    Budget,
    Forecast,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    LedgerCode,
    ReturnSnapshot,
    Service,
    Site,
    StreamStatus,
    User,
    ledger_code_key,
)
from incometrack.periods import Quarter, month_for
from incometrack.reports.income import budget_for, forecast_made_in, forecast_preview, stream_positions
from incometrack.services import (
    AS_READ,
    NO_RECORD,
    NotAllowed,
    ServiceError,
    ValidationErrors,
    audit,
    check_version,
    income_totals,  # noqa: F401 - an entry written here moves its totals (mapper events)
    locks,
    within,
)

#: Ledger and cost-centre codes: letters and digits, with - _ . / inside. Nothing a spreadsheet
#: could read as a formula can start one.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


# Streams -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamInput:
    code: str
    name: str
    service_id: int
    category_id: int
    site_id: int | None = None
    owner_id: int | None = None
    status: StreamStatus = StreamStatus.ACTIVE
    description: str = ""
    #: the codes the ledger prints for this stream's income; None leaves them as they are
    ledger_codes: tuple[str, ...] | None = None


#: The longest ledger code: real ledgers print descriptions as codes (``LIBRARIES ARTS & HERITAGE-205``).
LEDGER_CODE_MAX = 100


def parse_ledger_codes(text: str) -> tuple[str, ...]:
    """Codes typed or imported as one text, one a line or separated by ``;`` (a comma may be part
    of a code, as a ledger prints it)."""
    return tuple(part for part in re.split(r"[;\n]", text or "") if part.strip())


def ledger_code_problem(session: Session, codes: tuple[str, ...], existing_id: int | None) -> str | None:
    """The problem with a stream's ledger codes, or None: each any printable text of up to
    :data:`LEDGER_CODE_MAX` characters (compared trimmed, ignoring case and spacing), none another
    stream's."""
    keys = [ledger_code_key(code) for code in codes]
    for key in keys:
        if len(key) > LEDGER_CODE_MAX:
            return f"Ledger code {key[:20]}… must be {LEDGER_CODE_MAX} characters or fewer"
        if not key.isprintable():
            return "Ledger codes must be printable text (no tabs or control characters)"
    taken = session.execute(
        select(LedgerCode.code, IncomeStream.code)
        .join(LedgerCode.stream)
        .where(LedgerCode.code.in_(keys), LedgerCode.stream_id != (existing_id or 0))
    ).first()
    if taken:
        return f"Ledger code {taken[0]} already belongs to stream {taken[1]}"
    return None


def _set_ledger_codes(
    session: Session, stream: IncomeStream, codes: tuple[str, ...], actor: User | None
) -> None:
    """Give a stream exactly these ledger codes, auditing the change on the stream."""
    wanted = list(dict.fromkeys(ledger_code_key(code) for code in codes))
    before = [code.code for code in stream.ledger_codes]
    if sorted(wanted) == sorted(before):
        return
    stream.ledger_codes = [code for code in stream.ledger_codes if code.code in wanted]
    session.flush()  # a code moved between the stream's own rows is deleted before it is added
    stream.ledger_codes.extend(LedgerCode(code=code) for code in wanted if code not in before)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        "income_streams",
        stream.id,
        changes={"ledger_codes": ["; ".join(sorted(before)) or None, "; ".join(sorted(wanted)) or None]},
        summary=f"{stream.code} ledger codes",
    )


def add_ledger_codes(
    session: Session, stream: IncomeStream, codes: tuple[str, ...], *, actor: User | None
) -> list[str]:
    """Give ``stream`` these ledger codes as well as its own (audited); return the codes it has
    now. The stream's version moves on, so a form drawn before (which would set its codes as they
    were) is refused as stale rather than taking them away again.

    :raises ServiceError: when a code is not one, or belongs to another stream.
    """
    if problem := ledger_code_problem(session, codes, stream.id):
        raise ServiceError(problem, field="ledger_codes")
    before = [code.code for code in stream.ledger_codes]
    _set_ledger_codes(session, stream, (*before, *codes), actor)
    flag_modified(stream, "code")  # an UPDATE of the stream row, which moves its version on
    session.flush()
    return sorted(code.code for code in stream.ledger_codes)


def map_ledger_codes(session: Session, chosen: dict[str, int], *, actor: User | None) -> int:
    """Give each stream the ledger codes chosen for it (``{code: stream id}``, as a preview's
    unmapped codes are mapped); return how many codes were added.

    :raises ServiceError: for a stream that does not exist, or a code that is not one or belongs
        to another stream.
    """
    by_stream: dict[int, list[str]] = {}
    for code, stream_id in chosen.items():
        by_stream.setdefault(stream_id, []).append(code)
    for stream_id, codes in by_stream.items():
        stream = session.get(IncomeStream, stream_id)
        if stream is None:
            raise ServiceError("Choose a stream from the list", field="codes")
        add_ledger_codes(session, stream, tuple(codes), actor=actor)
    return len(chosen)


def stream_by_code(session: Session, code: str) -> IncomeStream | None:
    """The stream with this code, in any case."""
    return session.scalar(select(IncomeStream).where(func.upper(IncomeStream.code) == code.strip().upper()))


def ledger_code_list(session: Session) -> list[tuple[str, str, str]]:
    """Every ledger code with its stream's code and name, by ledger code."""
    return [
        tuple(row)
        for row in session.execute(
            select(LedgerCode.code, IncomeStream.code, IncomeStream.name)
            .join(LedgerCode.stream)
            .order_by(LedgerCode.code)
        )
    ]


def stream_field_problems(code: str, name: str) -> dict[str, str]:
    """The rules a stream's code and name keep, from a form or an imported row alike."""
    errors: dict[str, str] = {}
    code = code.strip()
    if not code:
        errors["code"] = "Enter the stream code"
    elif not CODE_PATTERN.match(code):
        errors["code"] = "Stream code must be up to 40 letters, digits, hyphens, dots, slashes or underscores"
    if not name.strip():
        errors["name"] = "Enter the stream name"
    elif len(name.strip()) > 120:
        errors["name"] = "Stream name must be 120 characters or fewer"
    return errors


def stream_problems(session: Session, data: StreamInput, *, existing_id: int | None = None) -> dict[str, str]:
    errors = stream_field_problems(data.code, data.name)
    code = data.code.strip()
    if "code" not in errors:
        clash = select(IncomeStream.id).where(func.lower(IncomeStream.code) == code.lower())
        if existing_id is not None:
            clash = clash.where(IncomeStream.id != existing_id)
        if session.scalar(clash) is not None:
            errors["code"] = f"Stream code {code} is already used by another stream"
    if session.get(Service, data.service_id) is None:
        errors["service_id"] = "Select a service"
    if session.get(IncomeCategory, data.category_id) is None:
        errors["category_id"] = "Select an income category"
    if data.site_id is not None:
        site = session.get(Site, data.site_id)
        if site is None:
            errors["site_id"] = "Select a site from the list"
        elif site.service_id != data.service_id:
            errors["site_id"] = f"{site.name} belongs to another service"
    if data.owner_id is not None and session.get(User, data.owner_id) is None:
        errors["owner_id"] = "Select an owner from the list"
    if data.ledger_codes and (problem := ledger_code_problem(session, data.ledger_codes, existing_id)):
        errors["ledger_codes"] = problem
    return errors


def create_stream(session: Session, data: StreamInput, *, actor: User | None) -> IncomeStream:
    """:raises ValidationErrors: naming each field that is wrong."""
    if errors := stream_problems(session, data):
        raise ValidationErrors(errors)
    stream = IncomeStream(**_stream_values(data))
    session.add(stream)
    audit.record_create(session, actor, stream, summary=f"{stream.code} {stream.name}")
    if data.ledger_codes:
        _set_ledger_codes(session, stream, data.ledger_codes, actor)
    return stream


def update_stream(
    session: Session,
    stream: IncomeStream,
    data: StreamInput,
    *,
    actor: User | None,
    expected_version: int | None,
) -> IncomeStream:
    """:raises StaleEdit: when the stream changed since the form was drawn.
    :raises ValidationErrors: naming each field that is wrong."""
    check_version(stream, expected_version, _stream_values(data))
    if errors := stream_problems(session, data, existing_id=stream.id):
        raise ValidationErrors(errors)
    audit.update(session, actor, stream, _stream_values(data), summary=str)
    if data.ledger_codes is not None:
        _set_ledger_codes(session, stream, data.ledger_codes, actor)
    return stream


def cease_stream(
    session: Session, stream: IncomeStream, *, actor: User | None, expected_version: int | None
) -> IncomeStream:
    check_version(stream, expected_version)
    audit.update(session, actor, stream, {"status": StreamStatus.CEASED}, summary=f"{stream.code} ceased")
    return stream


def _stream_values(data: StreamInput) -> dict[str, object]:
    values = asdict(data)
    del values["ledger_codes"]
    values["code"] = data.code.strip()
    values["name"] = data.name.strip()
    values["description"] = data.description.strip()
    return values


# Budgets -------------------------------------------------------------------------------------


def _sums_message(what: str, total: int, target: int, target_name: str) -> str:
    difference = money.format_gbp(abs(target - total))
    direction = "short of" if total < target else "over"
    return (
        f"{what} add up to {money.format_gbp(total)}, {difference} {direction} {target_name} "
        f"of {money.format_gbp(target)}. They must add up to it exactly."
    )


def _figures(values, prefix: str, label: str, fill: str) -> dict[str, str]:
    """Errors for a set of figures given all together or not at all, none negative."""
    errors = {}
    for number, value in enumerate(values, 1):
        if value is None:
            errors[f"{prefix}{number}"] = f"Enter the {label}{number} budget, or leave all {fill} empty"
        elif value < 0:
            errors[f"{prefix}{number}"] = f"{label}{number} budget cannot be negative"
    return errors


def validate_budget(
    annual: int | None,
    profile: tuple[int | None, ...] | None,
    months: tuple[int | None, ...] | None = None,
) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """The annual budget, its quarters and its twelve months, exactly consistent (DOMAIN.md).

    Given by quarter (or not profiled: the default split of the year), each quarter is split into
    months by default; given by month (a seasonal stream), the months define the quarters, and the
    annual budget where it is left out. Quarters given as well as months must agree with them.

    :raises ValidationErrors: naming each figure that is missing, negative or does not add up.
    """
    by_month = months is not None and any(m is not None for m in months)
    by_quarter = profile is not None and any(q is not None for q in profile)
    if by_month:
        if errors := _figures(months, "p", "P", "twelve months"):
            raise ValidationErrors(errors)
        derived = money.quarters_of(tuple(months))
        if annual is None:
            annual = sum(derived)
        if by_quarter:
            if errors := _figures(profile, "q", "Q", "four quarters"):
                raise ValidationErrors(errors)
            for number, (given, made) in enumerate(zip(profile, derived, strict=True), 1):
                if given != made:
                    label = f"P{3 * number - 2} to P{3 * number}"
                    raise ValidationErrors({f"q{number}": _sums_message(label, made, given, f"Q{number}")})
    if annual is None:
        raise ValidationErrors({"annual": "Enter the annual budget"})
    if annual < 0:
        raise ValidationErrors({"annual": "Annual budget cannot be negative"})
    if by_month:
        total = sum(months)
        if total != annual:
            raise ValidationErrors({"p12": _sums_message("The months", total, annual, "the annual budget")})
        return annual, derived, tuple(months)
    if not by_quarter:
        quarters = money.split_evenly(annual)
        return annual, quarters, money.months_of(quarters)
    if errors := _figures(profile, "q", "Q", "four quarters"):
        raise ValidationErrors(errors)
    total = sum(profile)
    if total != annual:
        raise ValidationErrors({"q4": _sums_message("The quarters", total, annual, "the annual budget")})
    return annual, tuple(profile), money.months_of(tuple(profile))


def set_budget(
    session: Session,
    stream: IncomeStream,
    year: int,
    annual: int | None,
    profile: tuple[int | None, int | None, int | None, int | None] | None = None,
    *,
    months: tuple[int | None, ...] | None = None,
    actor: User | None,
    expected_version: int | None,
) -> Budget:
    """Create or change a stream's budget for a year, by quarter or by month (see
    :func:`validate_budget`); with neither, the default split.

    :raises ValidationErrors: when the annual budget is missing or negative, or the figures do not
        add up exactly.
    :raises StaleEdit: when the budget changed since the form was drawn.
    """
    annual, quarters, by_month = validate_budget(annual, profile, months)
    budget = budget_for(session, stream.id, year)
    values = {"annual": annual, **{f"q{n}": quarters[n - 1] for n in range(1, 5)}}
    values |= {f"p{n}": by_month[n - 1] for n in range(1, 13)}
    if budget is None:
        budget = Budget(stream_id=stream.id, year=year, **values)
        session.add(budget)
        audit.record_create(session, actor, budget, summary=f"{stream.code} budget {year}")
        return budget
    check_version(budget, expected_version, values)
    audit.update(session, actor, budget, values, summary=f"{stream.code} budget {year}")
    return budget


@dataclass(frozen=True)
class BudgetRow:
    stream_id: int
    annual: int | None
    profile: tuple[int | None, int | None, int | None, int | None] | None
    version: int | None  #: of the budget the grid showed; None where it showed none
    months: tuple[int | None, ...] | None = None  #: P1-P12, where the row is profiled by month


def save_budget_grid(session: Session, year: int, rows: list[BudgetRow], *, actor: User | None) -> int:
    """Save a year's budget grid as one change: every row is checked before any is written.

    Rows with no annual budget and no quarters, and rows unchanged, are left alone (a seasonal
    stream's monthly profile survives the grid). Returns the number of budgets saved.

    :raises ValidationErrors: keyed ``rows-N-field`` for every row that is wrong.
    :raises StaleEdit: when any row's budget changed since the grid was drawn.
    """
    streams = {
        s.id: s
        for s in session.scalars(select(IncomeStream).where(IncomeStream.id.in_([r.stream_id for r in rows])))
    }
    existing = {
        b.stream_id: b
        for b in session.scalars(
            select(Budget)
            .where(Budget.year == year, Budget.stream_id.in_(streams))
            .execution_options(populate_existing=True)
        )
    }
    errors: dict[str, str] = {}
    checked: list[tuple[BudgetRow, int, tuple[int, ...], tuple[int, ...]]] = []
    for index, row in enumerate(rows):
        empty = [row.annual, *(row.profile or ()), *(row.months or ())]
        if all(value is None for value in empty):
            continue
        if row.stream_id not in streams:
            errors[f"rows-{index}-annual"] = "This stream no longer exists"
            continue
        try:
            annual, quarters, months = validate_budget(row.annual, row.profile, row.months)
        except ValidationErrors as error:
            label = streams[row.stream_id].code
            errors.update(
                {f"rows-{index}-{field}": f"{label}: {message}" for field, message in error.errors.items()}
            )
            continue
        current = existing.get(row.stream_id)
        if (
            current is not None
            and row.months is None
            and (current.annual, current.profile) == (annual, quarters)
        ):
            continue  # unchanged: a monthly profile set on the stream's budget page stays as it is
        if current is not None and row.months is not None and current.months == months:
            continue  # unchanged months
        if current is not None:
            check_version(current, row.version, {"stream": streams[row.stream_id].code, "annual": annual})
        elif row.version not in (None, NO_RECORD):
            check_version_missing(streams[row.stream_id])
        checked.append((row, annual, quarters, months))
    if errors:
        raise ValidationErrors(errors)
    for row, annual, quarters, months in checked:
        # each row's version was compared above
        set_budget(
            session,
            streams[row.stream_id],
            year,
            annual,
            quarters,
            months=months,
            actor=actor,
            expected_version=AS_READ,
        )
    return len(checked)


def check_version_missing(stream: IncomeStream) -> None:
    from incometrack.services import StaleEdit

    raise StaleEdit(
        f"The budget of {stream.code} was deleted after you opened the grid. Nothing has been saved."
    )


# Entries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    date_received: date
    stream_id: int
    amount: int
    reference: str = ""
    site_id: int | None = None
    description: str = ""


def entry_problems(
    date_received: date | None, amount: int | None, reference: str, today: date
) -> dict[str, str]:
    """The rules an entry's own fields keep, wherever it comes from (a form, the batch grid, an
    import): keyed ``date_received``, ``amount`` and ``reference``."""
    errors: dict[str, str] = {}
    if date_received is not None and date_received > today:
        errors["date_received"] = "Date received must be today or in the past"
    if amount == 0:
        errors["amount"] = "Amount cannot be zero: enter what was received, or a negative amount for a refund"
    elif amount is not None and abs(amount) > money.MAX_PENCE:
        errors["amount"] = "Amount is too large"
    if len(reference.strip()) > 120:
        errors["reference"] = "Reference must be 120 characters or fewer"
    return errors


def entry_input_problems(session: Session, data: EntryInput, today: date) -> dict[str, str]:
    errors = entry_problems(data.date_received, data.amount, data.reference, today)
    if session.get(IncomeStream, data.stream_id) is None:
        errors["stream_id"] = "Select an income stream"
    if data.site_id is not None and session.get(Site, data.site_id) is None:
        errors["site_id"] = "Select a site from the list"
    return errors


def _entry_values(data: EntryInput) -> dict[str, object]:
    month = month_for(data.date_received)
    return {
        "date_received": data.date_received,
        "financial_year": month.year.start,
        "quarter": month.quarter.number,
        "period": month.number,
        "stream_id": data.stream_id,
        "amount": data.amount,
        "reference": data.reference.strip(),
        "site_id": data.site_id,
        "description": data.description.strip(),
    }


def create_entry(
    session: Session, data: EntryInput, *, actor: User | None, today: date | None = None
) -> IncomeEntry:
    """Record income received. A negative amount is a refund or correction.

    :raises ValidationErrors: naming each field that is wrong.
    :raises PeriodLocked: when the date falls in a locked quarter.
    """
    if errors := entry_input_problems(session, data, today or date.today()):
        raise ValidationErrors(errors)
    locks.ensure_open(session, data.date_received)
    entry = IncomeEntry(**_entry_values(data), entered_by_id=actor.id if actor else None)
    session.add(entry)
    audit.record_create(session, actor, entry, summary=_entry_summary(entry))
    return entry


def update_entry(
    session: Session,
    entry: IncomeEntry,
    data: EntryInput,
    *,
    actor: User | None,
    expected_version: int | None,
    today: date | None = None,
) -> IncomeEntry:
    """:raises PeriodLocked: when the entry's current or new date is in a locked quarter.
    :raises StaleEdit: when the entry changed since the form was drawn."""
    locks.ensure_open(session, entry.date_received)
    check_version(entry, expected_version, _entry_values(data))
    if errors := entry_input_problems(session, data, today or date.today()):
        raise ValidationErrors(errors)
    locks.ensure_open(session, data.date_received)
    audit.update(session, actor, entry, _entry_values(data), summary=_entry_summary)
    return entry


def delete_entry(
    session: Session, entry: IncomeEntry, *, actor: User | None, expected_version: int | None
) -> None:
    """Delete an entry from an open quarter; entries in locked quarters are never deleted.

    :raises PeriodLocked: when the entry is dated in a locked quarter.
    """
    locks.ensure_open(session, entry.date_received)
    check_version(entry, expected_version)
    audit.record_delete(session, actor, entry, summary=_entry_summary(entry))
    session.delete(entry)
    audit.flush_versioned(session)


def _entry_summary(entry: IncomeEntry) -> str:
    return f"{money.format_gbp(entry.amount)} on {entry.date_received:%d/%m/%Y} ref {entry.reference}"


# Forecasts -----------------------------------------------------------------------------------


class ReturnSubmitted(ServiceError):
    """The quarter's return was submitted: what it reported can no longer change."""


_SUBMITTED = select(ReturnSnapshot.id).where(
    ReturnSnapshot.year == bindparam("year"), ReturnSnapshot.quarter == bindparam("quarter")
)


def return_submitted(session: Session, quarter: Quarter) -> bool:
    """Whether ``quarter``'s return has been submitted (as the database holds it now)."""
    locks.serialise_writing(session)  # a submission in flight finishes first
    params = {"year": quarter.year.start, "quarter": quarter.number}
    return session.execute(_SUBMITTED, params).first() is not None


def _frozen_check(session: Session, quarter: Quarter) -> None:
    if return_submitted(session, quarter):
        raise ReturnSubmitted(
            f"The {quarter.label} return has been submitted: its forecasts and commentary are frozen.",
            field="outturn",
        )


def _commentary_needed(annual_budget: int, outturn: int, rag) -> ValidationErrors:
    shortfall = annual_budget - outturn
    return ValidationErrors(
        {
            "commentary": (
                f"This forecast is {rag.value}: {money.format_gbp(shortfall)} short of the annual budget "
                f"of {money.format_gbp(annual_budget)}. Explain the shortfall and what is being done "
                "about it in the commentary."
            )
        }
    )


def save_forecast(
    session: Session,
    stream: IncomeStream,
    quarter: Quarter,
    outturn: int,
    commentary: str,
    *,
    actor: User | None,
    expected_version: int | None,
) -> Forecast:
    """Record the forecast outturn for a stream's year made in ``quarter``.

    Forecasts and commentary stay open after the quarter's entries are locked, until the
    quarter's return is submitted (DOMAIN.md): the submission freezes them.

    :raises ValidationErrors: when the forecast is Amber or Red and has no commentary.
    :raises ReturnSubmitted: when the quarter's return has been submitted.
    :raises StaleEdit: when this quarter's forecast changed since the form was drawn.
    """
    _frozen_check(session, quarter)
    preview = forecast_preview(session, stream.id, quarter, outturn)
    commentary = within(commentary, 4000, field="commentary", label="Commentary")
    if preview.rag.needs_commentary and not commentary:
        raise _commentary_needed(preview.annual_budget, outturn, preview.rag)
    return _write_forecast(
        session, stream, quarter, {"outturn": outturn, "commentary": commentary}, actor, expected_version
    )


def _write_forecast(
    session: Session,
    stream: IncomeStream,
    quarter: Quarter,
    values: dict[str, object],
    actor: User | None,
    expected_version: int | None,
) -> Forecast:
    forecast = forecast_made_in(session, stream.id, quarter)
    check_version(forecast, expected_version, values)
    if forecast is None:
        forecast = Forecast(
            stream_id=stream.id,
            year=quarter.year.start,
            quarter=quarter.number,
            entered_by_id=actor.id if actor else None,
            **values,
        )
        session.add(forecast)
        audit.record_create(session, actor, forecast, summary=f"{stream.code} forecast {quarter.label}")
        return forecast
    if all(getattr(forecast, key) == value for key, value in values.items()):
        return forecast  # saved unchanged: nothing to record, not even who entered it
    values |= {"entered_by_id": actor.id if actor else None}
    audit.update(session, actor, forecast, values, summary=f"{stream.code} forecast {quarter.label}")
    return forecast


def save_commentary(
    session: Session,
    stream: IncomeStream,
    quarter: Quarter,
    commentary: str,
    *,
    actor: User | None,
    expected_version: int | None,
) -> Forecast | None:
    """Write the quarter's commentary on a stream. Commentary is not a forecast (DOMAIN.md): the
    forecast that stands (made this quarter, the latest earlier one, or the default) stays as it
    is, a default stays a default. Nothing is written where there was no record and no commentary.

    :raises ValidationErrors: when the standing forecast is Amber or Red and the commentary is empty.
    :raises ReturnSubmitted: when the quarter's return has been submitted.
    :raises StaleEdit: when this quarter's forecast changed since the page was drawn.
    """
    _frozen_check(session, quarter)
    commentary = within(commentary, 4000, field="commentary", label="Commentary")
    standing = stream_positions(session, quarter, [stream.id])[stream.id]
    if standing.rag.needs_commentary and not commentary:
        raise _commentary_needed(standing.annual_budget, standing.forecast_outturn, standing.rag)
    if not commentary and forecast_made_in(session, stream.id, quarter) is None:
        check_version(None, expected_version)
        return None
    return _write_forecast(session, stream, quarter, {"commentary": commentary}, actor, expected_version)


@dataclass(frozen=True)
class CommentaryInput:
    stream_id: int
    commentary: str
    version: int | None  #: of the quarter's forecast the page showed; NO_RECORD where it showed none


def save_commentaries(
    session: Session, quarter: Quarter, items: list[CommentaryInput], *, actor: User
) -> int:
    """Write the quarter's commentary on several streams as one change: each row is checked
    before any is kept (rows left empty, or unchanged, are passed over). Returns how many changed.

    :raises NotAllowed: unless finance or admin.
    :raises ValidationErrors: keyed ``rows-<index>-commentary``, for every row refused.
    :raises ReturnSubmitted: when the quarter's return has been submitted.
    :raises StaleEdit: when a stream's forecast changed since the page was drawn.
    """
    if not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators write the return's commentary")
    ids = [item.stream_id for item in items]
    streams = {s.id: s for s in session.scalars(select(IncomeStream).where(IncomeStream.id.in_(ids)))}
    errors: dict[str, str] = {}
    saved = 0
    for index, item in enumerate(items):
        key = f"rows-{index}-commentary"
        stream = streams.get(item.stream_id)
        if stream is None:
            errors[key] = "This stream no longer exists"
            continue
        text = (item.commentary or "").strip()
        made = forecast_made_in(session, stream.id, quarter)
        if text == (made.commentary if made is not None else ""):
            continue
        try:
            save_commentary(session, stream, quarter, text, actor=actor, expected_version=item.version)
        except ValidationErrors as error:
            errors[key] = next(iter(error.errors.values()))
        else:
            saved += 1
    if errors:
        raise ValidationErrors(errors)
    return saved
