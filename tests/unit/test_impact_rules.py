"""The impact rules of DOMAIN.md, worked by hand: % of target, the time elapsed, the progress RAG,
a consent's expiry, a measure's value as typed and a site's postcode."""

from datetime import date
from decimal import Decimal

import pytest

from incometrack.periods import years_after
from incometrack.rag import Rag, elapsed_share, progress_rag
from incometrack.reports.impact import first_result_due, percent_of_target
from incometrack.services import ValidationErrors
from incometrack.services.impact import format_value, parse_value
from incometrack.services.reference import normal_postcode


@pytest.mark.parametrize(
    ("ytd", "baseline", "target", "expected"),
    [
        ("800", "0", "2000", "40.0"),
        ("60", "40", "80", "50.0"),  # (60 - 40) / (80 - 40)
        ("72.5", "40", "75", "92.9"),  # 32.5 / 35 = 92.857…
        ("1", "0", "8", "12.5"),  # half-up at the boundary: 12.5 exactly
        ("1", "0", "16", "6.3"),  # 6.25 rounds half up
        ("30", "40", "80", "-25.0"),  # below the baseline
        ("40", "40", "80", "0.0"),  # never -0.0
        ("5", "10", "0", "50.0"),  # a target below the baseline (fewer complaints)
    ],
)
def test_percent_of_target(ytd, baseline, target, expected):
    assert percent_of_target(Decimal(ytd), Decimal(baseline), Decimal(target)) == Decimal(expected)


def test_no_percent_where_the_target_is_the_baseline():
    assert percent_of_target(Decimal(5), Decimal(5), Decimal(5)) is None


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2026, 3, 1), "0.0"),  # before the start
        (date(2026, 4, 1), "0.0"),
        (date(2026, 9, 30), "50.0"),  # 182 of 364 days
        (date(2026, 12, 31), "75.3"),  # 274 / 364 = 75.27…
        (date(2027, 3, 31), "100.0"),
        (date(2028, 1, 1), "100.0"),  # after the target date
    ],
)
def test_elapsed_share(on, expected):
    assert elapsed_share(date(2026, 4, 1), date(2027, 3, 31), on) == Decimal(expected)


@pytest.mark.parametrize(
    ("percent", "elapsed", "rag"),
    [
        ("50.0", "50.0", Rag.GREEN),  # at the time elapsed
        ("60.0", "50.0", Rag.GREEN),
        ("40.0", "50.0", Rag.AMBER),  # 10 points below is still Amber
        ("39.9", "50.0", Rag.RED),
        (None, "50.0", Rag.RED),  # nothing achieved
        (None, "5.0", Rag.AMBER),
    ],
)
def test_progress_rag(percent, elapsed, rag):
    assert progress_rag(Decimal(percent) if percent else None, Decimal(elapsed)) is rag


def test_the_first_result_is_due_at_the_end_of_the_starting_quarter():
    assert first_result_due(date(2026, 5, 20)) == date(2026, 6, 30)
    assert first_result_due(date(2027, 1, 1)) == date(2027, 3, 31)


def test_a_consent_given_on_29_february_expires_on_28_february():
    assert years_after(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert years_after(date(2026, 5, 1), 5) == date(2031, 5, 1)


@pytest.mark.parametrize(
    ("typed", "value"), [("1,250", "1250.0"), (" 72.5 ", "72.5"), ("0", "0.0"), ("99999999.9", "99999999.9")]
)
def test_a_value_as_typed(typed, value):
    assert parse_value(typed, field="value", label="Value") == Decimal(value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the value"),
        ("lots", "Value must be a number, like 120 or 72.5"),
        ("NaN", "Value must be 0 or more"),
        ("-1", "Value must be 0 or more"),
        ("1.25", "Value can have one decimal place at most"),
        ("100000000", "Value must be 99,999,999.9 or less"),
    ],
)
def test_a_value_refused(typed, message):
    with pytest.raises(ValidationErrors) as refused:
        parse_value(typed, field="value", label="Value")
    assert refused.value.errors == {"value": message}


def test_values_read_as_typed():
    assert format_value(Decimal("1250.0")) == "1,250" and format_value(Decimal("72.5")) == "72.5"


@pytest.mark.parametrize(
    ("typed", "postcode"),
    [("me141lq", "ME14 1LQ"), ("CT20 1HD", "CT20 1HD"), ("", ""), ("ec1a1bb", "EC1A 1BB")],
)
def test_a_postcode(typed, postcode):
    assert normal_postcode(typed) == postcode


def test_a_postcode_refused():
    with pytest.raises(ValidationErrors) as refused:
        normal_postcode("Folkestone")
    assert refused.value.errors == {"postcode": "Enter a UK postcode, like ME14 1LQ"}
