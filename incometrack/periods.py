"""UK financial years, quarters and month periods, and the date forms users may type.

The council's year runs 1 April to 31 March and is written ``2026-27``. Q1 is April-June and
Q4 January-March; month periods run P1 (April) to P12 (March). This module is the only place
that knows those rules: everything else asks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

FIRST_MONTH = 4  #: April opens the financial year
#: Every date anyone may enter, in a form, an import or the command line (DOMAIN.md, Periods):
#: 1 April 1990 to 31 March 2100. Financial years 1990-91 to 2099-100 lie wholly inside it.
EARLIEST_DATE = date(1990, 4, 1)
LATEST_DATE = date(2100, 3, 31)
MIN_YEAR = EARLIEST_DATE.year
MAX_YEAR = LATEST_DATE.year - 1

_YEAR_LABEL = re.compile(r"^\s*([0-9]{4})\s*[-/]\s*([0-9]{2})\s*$", re.ASCII)
_QUARTER_LABEL = re.compile(r"^\s*(?:Q\s*)?([1-4])\s*$", re.IGNORECASE)
#: The short names of month periods P1 (April) to P12 (March).
PERIOD_NAMES = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")
_PERIOD_LABEL = re.compile(r"^\s*(?:P\s*)?0?([1-9]|1[0-2])\s*$", re.IGNORECASE)
# ASCII digits only: \d would also match other scripts' digits, which int() reads differently.
# Day, month, year with one separator throughout: 01/11/2010, 1-11-10, 01.11.2010.
_UK_DATE = re.compile(r"^\s*([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{2}|[0-9]{4})\s*$", re.ASCII)
# ISO, optionally with midnight as a ledger's date-time column prints it (2010-11-03 00:00:00).
_ISO_DATE = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?\s*$", re.ASCII)
# Day, month name, year as ledgers print them: 20 Dec  2012, 06-Apr-2011, 03-NOV-10, 5 April 2026.
_NAMED_DATE = re.compile(
    r"^\s*([0-9]{1,2})(?:\s+|-)([A-Za-z]{3,9})\.?(?:\s+|-)([0-9]{2}|[0-9]{4})\s*$", re.ASCII
)
_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")),
        start=1,
    )
    for name in names
}  # fmt: skip
#: Longer text than any date form is refused before it is matched.
_MAX_DATE_TEXT = 40


class PeriodError(ValueError):
    """A year, quarter or date that cannot be understood; the message is fit for a user."""


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The year starting 1 April of ``start``; ``FinancialYear(2026)`` is 2026-27."""

    start: int

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.start <= MAX_YEAR:
            raise PeriodError(f"Financial year must start between {MIN_YEAR} and {MAX_YEAR}")

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Read ``2026-27`` (or ``2026/27``).

        :raises PeriodError: when the text is not a financial year or its two halves disagree.
        """
        match = _YEAR_LABEL.match(text or "")
        if not match:
            raise PeriodError("Enter a financial year like 2026-27")
        start, end = int(match.group(1)), int(match.group(2))
        if (start + 1) % 100 != end:
            raise PeriodError(f"{text.strip()} is not a financial year: {start} is followed by {start + 1}")
        return cls(start)

    @classmethod
    def containing(cls, day: date) -> FinancialYear:
        return cls(day.year if day.month >= FIRST_MONTH else day.year - 1)

    @property
    def label(self) -> str:
        return f"{self.start}-{(self.start + 1) % 100:02d}"

    @property
    def first_day(self) -> date:
        return date(self.start, FIRST_MONTH, 1)

    @property
    def last_day(self) -> date:
        return date(self.start + 1, FIRST_MONTH - 1, 31)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def quarter(self, number: int) -> Quarter:
        return Quarter(self, number)

    @property
    def quarters(self) -> tuple[Quarter, ...]:
        return tuple(Quarter(self, n) for n in range(1, 5))

    @property
    def months(self) -> tuple[MonthPeriod, ...]:
        return tuple(MonthPeriod(self, n) for n in range(1, 13))

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start - 1)

    def next(self) -> FinancialYear:
        return FinancialYear(self.start + 1)

    def __str__(self) -> str:
        return self.label


def _month_start(year: FinancialYear, period: int) -> date:
    """First day of month period ``period`` (1 = April) of ``year``."""
    month0 = FIRST_MONTH - 1 + period - 1
    return date(year.start + month0 // 12, month0 % 12 + 1, 1)


def _month_end(year: FinancialYear, period: int) -> date:
    if period == 12:
        return year.last_day
    following = _month_start(year, period + 1)
    return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True, order=True)
class Quarter:
    """Quarter ``number`` (1-4) of a financial year."""

    year: FinancialYear
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise PeriodError("Quarter must be 1, 2, 3 or 4")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return MonthPeriod.containing(day).quarter

    @classmethod
    def parse(cls, year_text: str, quarter_text: str | int) -> Quarter:
        """Read a year label and a quarter given as ``2``, ``"2"`` or ``"Q2"``.

        :raises PeriodError: when either part is not valid.
        """
        match = _QUARTER_LABEL.match(str(quarter_text))
        if not match:
            raise PeriodError("Enter a quarter from 1 to 4")
        return cls(FinancialYear.parse(year_text), int(match.group(1)))

    @property
    def label(self) -> str:
        return f"{self.year.label} Q{self.number}"

    @property
    def first_day(self) -> date:
        return _month_start(self.year, 3 * self.number - 2)

    @property
    def last_day(self) -> date:
        return _month_end(self.year, 3 * self.number)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    @property
    def months(self) -> tuple[MonthPeriod, ...]:
        return tuple(MonthPeriod(self.year, n) for n in range(3 * self.number - 2, 3 * self.number + 1))

    @property
    def last_month(self) -> MonthPeriod:
        """The month period that ends the quarter (P3, P6, P9 or P12)."""
        return MonthPeriod(self.year, 3 * self.number)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year.previous(), 4)
        return Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year.next(), 1)
        return Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class MonthPeriod:
    """Month period P1 (April) to P12 (March) of a financial year."""

    year: FinancialYear
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 12:
            raise PeriodError("Month period must be from P1 to P12")

    @classmethod
    def containing(cls, day: date) -> MonthPeriod:
        return cls(FinancialYear.containing(day), (day.month - FIRST_MONTH) % 12 + 1)

    @classmethod
    def parse(cls, year_text: str, period_text: str | int) -> MonthPeriod:
        """Read a year label and a period given as ``7``, ``"07"``, ``"P7"`` or ``"P07"``.

        :raises PeriodError: when either part is not valid.
        """
        match = _PERIOD_LABEL.match(str(period_text))
        if not match:
            raise PeriodError("Enter a month period from 1 to 12 (P1 is April, P12 March)")
        return cls(FinancialYear.parse(year_text), int(match.group(1)))

    @property
    def code(self) -> str:
        """``P07``: the two-digit form that sorts, for file and folder names."""
        return f"P{self.number:02d}"

    @property
    def to_label(self) -> str:
        """``to 31 Oct 2026 (P7)``: how a figure as at this month's end says so."""
        return f"to {format_date(self.last_day)} (P{self.number})"

    @property
    def ends_quarter(self) -> bool:
        return self.number % 3 == 0

    def previous(self) -> MonthPeriod:
        if self.number == 1:
            return MonthPeriod(self.year.previous(), 12)
        return MonthPeriod(self.year, self.number - 1)

    def next(self) -> MonthPeriod:
        if self.number == 12:
            return MonthPeriod(self.year.next(), 1)
        return MonthPeriod(self.year, self.number + 1)

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.number - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year.label} P{self.number}"

    @property
    def first_day(self) -> date:
        return _month_start(self.year, self.number)

    @property
    def last_day(self) -> date:
        return _month_end(self.year, self.number)

    def __str__(self) -> str:
        return self.label


def fy_for(day: date) -> FinancialYear:
    """The financial year a date falls in."""
    return FinancialYear.containing(day)


def quarter_for(day: date) -> Quarter:
    """The financial quarter a date falls in."""
    return Quarter.containing(day)


def month_for(day: date) -> MonthPeriod:
    """The month period a date falls in."""
    return MonthPeriod.containing(day)


def latest_ended_month(today: date) -> MonthPeriod:
    """The latest month period that has ended by ``today``: the live screens' as-at month. On
    30 Nov 2026 it is P7 (October); on 1 Dec 2026, P8 (November)."""
    return MonthPeriod.containing(date.fromordinal(today.replace(day=1).toordinal() - 1))


def quarters_back(last: Quarter, count: int) -> tuple[Quarter, ...]:
    """``count`` consecutive quarters ending with ``last``, oldest first."""
    quarters = [last]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous())
    return tuple(reversed(quarters))


def parse_date(text: str, *, field: str = "Date") -> date:
    """Read a date typed as ``dd/mm/yyyy``, ``d/m/yy`` (or with ``-`` or ``.`` between), ISO
    ``yyyy-mm-dd``, or with the month's name as ledgers print it (``20 Dec 2012``,
    ``06-Apr-2011``, ``03-NOV-10``); never month first.

    Two-digit years are 2000-2099: councils' ledger extracts use them for recent dates only.

    :raises PeriodError: naming ``field``, when the text is empty, in another form, not a real day,
        or outside the accepted range (:data:`EARLIEST_DATE` to :data:`LATEST_DATE`).
    """
    text = (text or "").strip()
    if not text:
        raise PeriodError(f"Enter {field if field[:2].isupper() else field[:1].lower() + field[1:]}")
    if len(text) > _MAX_DATE_TEXT:
        raise PeriodError(f"{field} must be a date like 31/03/2027 or 2027-03-31")
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
        year += 2000 if len(match[4]) == 2 else 0
    elif (match := _NAMED_DATE.match(text)) and match[2].lower() in _MONTH_NUMBERS:
        day, month, year = int(match[1]), _MONTH_NUMBERS[match[2].lower()], int(match[3])
        year += 2000 if len(match[3]) == 2 else 0
    else:
        raise PeriodError(f"{field} must be a date like 31/03/2027 or 2027-03-31")
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise PeriodError(f"{field} must be a real date, day then month (like 31/03/2027)") from None
    return check_in_range(parsed, field=field)


def check_in_range(day: date, *, field: str = "Date") -> date:
    """Return ``day`` when it lies in the accepted range.

    :raises PeriodError: naming ``field`` otherwise.
    """
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise PeriodError(
            f"{field} must be between {format_date(EARLIEST_DATE)} and {format_date(LATEST_DATE)}"
        )
    return day


def coerce_date(value: date | datetime | str, *, field: str = "Date") -> date:
    """Accept a spreadsheet's real date (or datetime) as it is, and parse text with :func:`parse_date`.

    :raises PeriodError: as :func:`parse_date` does; a real date outside the accepted range too.
    """
    if isinstance(value, datetime):
        return check_in_range(value.date(), field=field)
    if isinstance(value, date):
        return check_in_range(value, field=field)
    return parse_date(str(value), field=field)


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February falls back to the 28th in a common year (a
    consent given on 29/02/2028 for five years expires on 28/02/2033)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def format_date(day: date | None) -> str:
    """UK display form ``31 Mar 2027``; empty for no date."""
    return "" if day is None else f"{day.day} {day:%b %Y}"


#: Where the council's clocks are: GMT in winter, BST in summer.
UK_TIME = ZoneInfo("Europe/London")


def uk_date(moment: datetime) -> date:
    """The day it is in the UK at ``moment`` (an aware datetime)."""
    return moment.astimezone(UK_TIME).date()


def format_datetime(moment: datetime | None) -> str:
    """UK display form ``31 Mar 2027 14:05`` in UK time (BST or GMT as the date falls); a moment
    without a zone is UTC, as the database keeps it. Empty for none."""
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UK_TIME)
    return f"{local.day} {local:%b %Y %H:%M}"
