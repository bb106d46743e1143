"""Pounds sterling as integer pence: parsing what people type and formatting what they read.

Money never passes through a float. Text is matched with a regular expression and the digits are
turned into an ``int``; spreadsheets get a :class:`~decimal.Decimal` of pounds built from pence.
"""

from __future__ import annotations

import re
from decimal import Decimal

#: Largest magnitude accepted anywhere: £999,999,999.99. Far beyond any council income line, so a
#: value past it is a typing or import slip (an extra zero, a pasted reference), not a real amount.
MAX_PENCE = 99_999_999_999

_MONEY = re.compile(
    r"""^
    (?P<sign>-)?\s*
    £?\s*
    (?P<inner_sign>-)?
    (?P<pounds>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?
    (?:\.(?P<fraction>[0-9]*))?
    $""",
    re.VERBOSE | re.ASCII,  # ASCII digits only: int() would read other scripts' digits too
)
#: No amount within :data:`MAX_PENCE`, however written (``-£999,999,999.99``, brackets, spaces),
#: is longer than this; longer text is refused before it is matched or converted.
MAX_TEXT_LENGTH = 32
#: A ledger's sign after the figure: ``468.60-``, ``1,234.00 CR``, ``1,234.00 DR``.
_SUFFIX = re.compile(r"\s*(CR|DR|-)$", re.IGNORECASE | re.ASCII)
_NOT_FINITE = re.compile(r"^[-+]?(nan|inf|infinity)$", re.IGNORECASE)


class MoneyError(ValueError):
    """Text that is not an amount of money; the message names the field and is fit for a user."""


def parse_money(text: str | int | Decimal | None, *, field: str = "Amount") -> int:
    """Return the pence in ``1234.5``, ``1,234.50``, ``£1,234.50``, ``-12.00`` or ``(12.00)``, and as
    ledger extracts print them, ``468.60-`` (a trailing minus) and ``1,234.00 CR`` (a credit,
    negative) or ``1,234.00 DR`` (a debit, positive).

    Integers are taken as pounds and Decimals as exact pounds (spreadsheet cells read with
    ``Decimal``); floats are refused so that a binary fraction can never become money.

    :raises MoneyError: for an empty value, anything that is not a number, NaN or infinity, more than
        two decimal places, or a magnitude beyond :data:`MAX_PENCE`.
    """
    if isinstance(text, bool | float):
        raise MoneyError(f"{field} must be typed as pounds and pence, like 1,234.50")
    if isinstance(text, int):
        return _checked(text * 100, field)
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise MoneyError(f"{field} must be a number, like 1,234.50")
        if text.adjusted() > 12:  # far beyond MAX_PENCE: refuse before writing out its digits
            return _checked(MAX_PENCE + 1, field)
        text = format(text, "f")
    raw = (text or "").strip()
    if not raw:
        raise MoneyError(f"Enter {_lower_first(field)}")
    if len(raw) > MAX_TEXT_LENGTH:
        raise MoneyError(f"{field} must be in pounds and pence, like 1,234.50, and at most £999,999,999.99")
    negative = False
    suffix = _SUFFIX.search(raw)
    if suffix:
        raw = raw[: suffix.start()].strip()
        negative = suffix[1].upper() in ("CR", "-")
        if not raw:
            raise MoneyError(f"{field} must be in pounds and pence, like 1,234.50")
        if raw.startswith(("-", "(")) or raw.endswith(("-", ")")):
            raise MoneyError(f"{field} must have one sign only (a minus, brackets, CR or DR)")
    if raw.startswith("-") and raw.lstrip("-£ ").startswith("(") and raw.endswith(")"):
        raise MoneyError(f"{field} must use either brackets or a minus sign, not both")
    if raw.startswith("(") and raw.endswith(")"):
        if negative:
            raise MoneyError(f"{field} must have one sign only (a minus, brackets, CR or DR)")
        negative, raw = True, raw[1:-1].strip()
    if _NOT_FINITE.match(raw.replace("£", "")):
        raise MoneyError(f"{field} must be a number, like 1,234.50")
    match = _MONEY.match(raw)
    if not match or (match["pounds"] is None and not match["fraction"]):
        raise MoneyError(f"{field} must be in pounds and pence, like 1,234.50")
    if match["sign"] and match["inner_sign"]:
        raise MoneyError(f"{field} must be in pounds and pence, like 1,234.50")
    if negative and (match["sign"] or match["inner_sign"]):
        raise MoneyError(f"{field} must use either brackets or a minus sign, not both")
    fraction = match["fraction"] or ""
    if len(fraction) > 2:
        raise MoneyError(f"{field} must not have more than 2 decimal places")
    pounds = int((match["pounds"] or "0").replace(",", ""))
    pence = pounds * 100 + int(fraction.ljust(2, "0") or "0")
    if negative or match["sign"] or match["inner_sign"]:
        pence = -pence
    return _checked(pence, field)


#: how far a spreadsheet's binary number may lie from a whole penny and still be that penny
CELL_NOISE = Decimal("0.000001")


def parse_cell_number(value: float, *, field: str = "Amount") -> int:
    """The pence in a spreadsheet number cell. A formula's result carries binary noise
    (``=1.1*3`` is 3.3000000000000003): within :data:`CELL_NOISE` of a whole penny it is that penny
    (DOMAIN.md); otherwise it has more than two decimal places and is refused.

    :raises MoneyError: as :func:`parse_money`, naming ``field``.
    """
    exact = Decimal(repr(value))  # the shortest repr is the number the cell shows, exactly
    if not exact.is_finite():
        return parse_money(exact, field=field)
    nearest = exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    return parse_money(nearest if abs(exact - nearest) <= CELL_NOISE else exact, field=field)


_PLAIN_NUMBER = re.compile(r"^\s*-?[0-9]+\.[0-9]{3,}\s*$", re.ASCII)


def parse_import_amount(value: object, *, field: str = "Amount") -> int:
    """The pence in an imported cell: a spreadsheet number (:func:`parse_cell_number`), or text as
    :func:`parse_money` reads it, where a plain number written out with a formula's binary noise
    (``3.3000000000000003``, as Excel saves a computed cell to CSV) is that penny as well.

    :raises MoneyError: as :func:`parse_money`, naming ``field``.
    """
    if isinstance(value, float):
        return parse_cell_number(value, field=field)
    if isinstance(value, str) and len(value) <= MAX_TEXT_LENGTH and _PLAIN_NUMBER.match(value):
        exact = Decimal(value.strip())
        nearest = exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        if abs(exact - nearest) <= CELL_NOISE:
            return parse_money(nearest, field=field)
    return parse_money(value if value is not None else "", field=field)  # type: ignore[arg-type]


def _lower_first(label: str) -> str:
    """``Annual budget`` -> ``annual budget``, but ``Q4`` stays ``Q4``."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _checked(pence: int, field: str) -> int:
    if abs(pence) > MAX_PENCE:
        raise MoneyError(f"{field} must be between -{format_gbp(MAX_PENCE)} and {format_gbp(MAX_PENCE)}")
    return pence


def format_gbp(pence: int | None, *, blank: str = "") -> str:
    """``£1,234.50`` for 123450 and ``-£12.00`` for -1200; ``blank`` for no value."""
    if pence is None:
        return blank
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def format_plain(pence: int | None) -> str:
    """``1234.50``: the form an edit box is refilled with, which :func:`parse_money` reads back."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rest:02d}"


def to_pounds(pence: int | None) -> Decimal | None:
    """Exact pounds for a spreadsheet cell: ``Decimal('1234.50')`` for 123450."""
    if pence is None:
        return None
    return Decimal(pence).scaleb(-2)


def percent_of(part: int, whole: int, *, places: int = 1) -> Decimal | None:
    """``part`` as a percentage of ``whole`` rounded half-up to ``places``; None where whole is
    zero; never negative zero."""
    if whole == 0:
        return None
    quantum = Decimal(1).scaleb(-places)
    result = (Decimal(part) * 100 / Decimal(whole)).quantize(quantum, rounding="ROUND_HALF_UP")
    return abs(result) if result.is_zero() else result  # -0.0% reads as 0.0% (DOMAIN.md)


def split_quarter(quarter: int) -> tuple[int, int, int]:
    """The default monthly profile of a quarter (DOMAIN.md): the first and second months
    floor(q / 3), the third the rest, so the months always sum exactly to the quarter."""
    month = quarter // 3
    return month, month, quarter - 2 * month


def months_of(quarters: tuple[int, int, int, int]) -> tuple[int, ...]:
    """P1 to P12 split from a quarterly profile by :func:`split_quarter`."""
    return tuple(m for q in quarters for m in split_quarter(q))


def quarters_of(months: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The quarters twelve monthly figures make."""
    return tuple(sum(months[i : i + 3]) for i in range(0, 12, 3))  # type: ignore[return-value]


def split_evenly(annual: int, parts: int = 4) -> tuple[int, ...]:
    """The default quarterly profile: each of the first parts gets floor(annual / parts) and the
    last takes the rest, so the profile always sums exactly to ``annual`` (negative budgets too)."""
    share = annual // parts if annual >= 0 else -((-annual) // parts)
    return (share,) * (parts - 1) + (annual - share * (parts - 1),)
