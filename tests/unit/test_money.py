"""Money as DOMAIN.md states it: integer pence, every accepted and refused form, never a float."""

from decimal import Decimal

import pytest

from incometrack.money import (
    MAX_PENCE,
    MoneyError,
    format_gbp,
    format_plain,
    months_of,
    parse_cell_number,
    parse_import_amount,
    parse_money,
    percent_of,
    quarters_of,
    split_evenly,
    split_quarter,
    to_pounds,
)


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("£1,234.50", 123450),
        ("-12.00", -1200),
        ("(12.00)", -1200),
        ("(£12.00)", -1200),
        ("-£12.00", -1200),
        ("£-12.00", -1200),
        ("0.01", 1),
        (".5", 50),
        ("12", 1200),
        ("12.", 1200),
        ("  £ 7.05 ", 705),
        ("1,000,000", 100_000_000),
        ("999999999.99", MAX_PENCE),
        ("-999,999,999.99", -MAX_PENCE),
        ("0", 0),
        (12, 1200),
        (Decimal("1234.56"), 123456),
        (Decimal("-0.10"), -10),
    ],
)
def test_accepted_forms(text, pence):
    assert parse_money(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter amount"),
        ("   ", "Enter amount"),
        (None, "Enter amount"),
        ("1.234", "more than 2 decimal places"),
        ("0.001", "more than 2 decimal places"),
        ("abc", "pounds and pence"),
        ("12abc", "pounds and pence"),
        ("1,23.45", "pounds and pence"),
        ("1,2345", "pounds and pence"),
        ("£", "pounds and pence"),
        ("1.2.3", "pounds and pence"),
        ("--12", "pounds and pence"),
        ("-(12.00)", "either brackets or a minus sign"),
        ("NaN", "must be a number"),
        ("inf", "must be a number"),
        ("-Infinity", "must be a number"),
        ("1e5", "pounds and pence"),
        ("1000000000.00", "between"),
        ("-1000000000", "between"),
        ("=1+2", "pounds and pence"),
        ("$12.00", "pounds and pence"),
        (Decimal("NaN"), "must be a number"),
        (Decimal("0.001"), "more than 2 decimal places"),
        (12.5, "pounds and pence"),
        (True, "pounds and pence"),
    ],
)
def test_refused_forms_name_the_field(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_money(text)
    with pytest.raises(MoneyError, match=r"(?i)annual budget"):
        parse_money(text, field="Annual budget")


@pytest.mark.parametrize(
    ("pence", "shown", "plain"),
    [
        (123450, "£1,234.50", "1234.50"),
        (-1200, "-£12.00", "-12.00"),
        (0, "£0.00", "0.00"),
        (5, "£0.05", "0.05"),
        (-5, "-£0.05", "-0.05"),
        (100_000_00, "£100,000.00", "100000.00"),
        (MAX_PENCE, "£999,999,999.99", "999999999.99"),
    ],
)
def test_formatting_round_trips(pence, shown, plain):
    assert format_gbp(pence) == shown
    assert format_plain(pence) == plain
    assert parse_money(shown) == pence
    assert parse_money(plain) == pence


def test_no_value_formats_blank():
    assert format_gbp(None) == ""
    assert format_gbp(None, blank="-") == "-"
    assert format_plain(None) == ""


def test_pounds_for_spreadsheets_are_exact_decimals():
    assert to_pounds(123450) == Decimal("1234.50")
    assert to_pounds(-1) == Decimal("-0.01")
    assert to_pounds(None) is None
    assert isinstance(to_pounds(1), Decimal)


@pytest.mark.parametrize(
    ("annual", "profile"),
    [
        (100_00, (25_00, 25_00, 25_00, 25_00)),
        (10_003, (2500, 2500, 2500, 2503)),
        (3, (0, 0, 0, 3)),
        (0, (0, 0, 0, 0)),
        (-10_003, (-2500, -2500, -2500, -2503)),
    ],
)
def test_default_profile_is_floor_quarters_and_q4_takes_the_rest(annual, profile):
    assert split_evenly(annual) == profile
    assert sum(split_evenly(annual)) == annual


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (5, 100, Decimal("5.0")),
        (-1, 3, Decimal("-33.3")),
        (2, 3, Decimal("66.7")),
        (1, 0, None),
        (1, 8, Decimal("12.5")),
    ],
)
def test_percent_of(part, whole, expected):
    assert percent_of(part, whole) == expected


@pytest.mark.parametrize(("part", "whole"), [(-1, 100_000), (-4, 10_000), (0, 5)])
def test_a_percentage_that_rounds_to_nothing_is_never_negative_zero(part, whole):
    assert str(percent_of(part, whole)) == "0.0"


@pytest.mark.parametrize(
    ("cell", "pence"),
    [
        (3.3000000000000003, 330),  # =1.1*3
        (0.30000000000000004, 30),  # =0.1+0.2
        (1234.5, 123450),
        (-12.0, -1200),
        (99.98999999999999, 9999),  # a hair below a penny: that penny
        (0.0000004, 0),
        (999999999.99, 99999999999),
    ],
)
def test_spreadsheet_formula_noise_is_the_nearest_penny(cell, pence):
    assert parse_cell_number(cell) == pence


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (3.305, "Amount must not have more than 2 decimal places"),
        (3.30001, "Amount must not have more than 2 decimal places"),
        (float("nan"), "Amount must be a number"),
        (float("inf"), "Amount must be a number"),
        (1e12, "Amount must be between"),
    ],
)
def test_spreadsheet_numbers_off_the_penny_are_refused(cell, message):
    with pytest.raises(MoneyError, match=message):
        parse_cell_number(cell)


@pytest.mark.parametrize(
    ("quarter", "months"),
    [(0, (0, 0, 0)), (1, (0, 0, 1)), (2, (0, 0, 2)), (3, (1, 1, 1)), (100, (33, 33, 34)), (101, (33, 33, 35)),
     (99_999_999_999, (33_333_333_333, 33_333_333_333, 33_333_333_333))],
)  # fmt: skip
def test_a_quarter_splits_into_months_first_and_second_floor_third_the_rest(quarter, months):
    assert split_quarter(quarter) == months
    assert sum(split_quarter(quarter)) == quarter


def test_months_and_quarters_convert_exactly():
    quarters = (100, 3, 5, 0)
    months = months_of(quarters)
    assert months == (33, 33, 34, 1, 1, 1, 1, 1, 3, 0, 0, 0)
    assert quarters_of(months) == quarters


@pytest.mark.parametrize(
    ("text", "pence"),
    [
        ("468.60-", -46860),
        ("£5.00 -", -500),
        (" 1,545.22 ", 154522),
        ("\u00a01,545.22\u00a0", 154522),
        ("1,234.00 CR", -123400),
        ("1,234.00cr", -123400),
        ("1,234.00 DR", 123400),
        ("(49,703,770.97)", -4970377097),
        ("1,673,907.50", 167390750),
    ],
)
def test_ledger_forms(text, pence):
    """DOMAIN.md Money: the forms ledger extracts print."""
    assert parse_money(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-12.00 CR", "one sign only"),
        ("(12.00) DR", "one sign only"),
        ("(12.00)-", "one sign only"),
        ("12.00--", "one sign only"),
        ("-", "pounds and pence"),
        ("CR", "pounds and pence"),
        ("12.00 XR", "pounds and pence"),
        ("1.234 CR", "more than 2 decimal places"),
    ],
)
def test_ledger_forms_refused(text, message):
    with pytest.raises(MoneyError, match=message):
        parse_money(text)


@pytest.mark.parametrize(
    ("value", "pence"),
    [
        ("3.3000000000000003", 330),
        (3.3000000000000003, 330),
        ("-0.30000000000000004", -30),
        ("12.50", 1250),
        ("1,234.00 CR", -123400),
    ],
)
def test_imported_cells_lose_formula_noise(value, pence):
    assert parse_import_amount(value) == pence


@pytest.mark.parametrize("value", ["1.234", "3.30001", None, ""])
def test_imported_cells_still_refuse_real_fractions_and_blanks(value):
    with pytest.raises(MoneyError):
        parse_import_amount(value)
