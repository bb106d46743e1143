"""A stream's position in a quarter: DOMAIN.md's Income rules on known figures, no database."""

from decimal import Decimal

import pytest

from incometrack.periods import FinancialYear
from incometrack.rag import IncomeThresholds, Rag
from incometrack.reports.income import position

Y = FinancialYear(2026)
BUDGET = (100_000_00, (25_000_00, 25_000_00, 25_000_00, 25_000_00))


def at(quarter, *, budget=BUDGET, actuals=None, forecasts=None):
    return position(
        stream_id=1,
        quarter=Y.quarter(quarter),
        budget=budget,
        actual_by_quarter=actuals or {},
        forecasts=forecasts or {},
        thresholds=IncomeThresholds(),
    )


def test_actuals_after_the_quarter_are_empty_and_to_date_sums_the_rest():
    p = at(2, actuals={1: 20_000_00, 2: 30_000_00, 3: 99_00})
    assert p.actuals == (20_000_00, 30_000_00, None, None)
    assert p.actual_to_date == 50_000_00
    assert p.profiled_to_date == 50_000_00
    assert p.variance_to_date == 0
    assert p.variance_to_date_pct == Decimal("0.0")


def test_default_forecast_is_actual_to_date_plus_profile_still_to_come():
    p = at(2, actuals={1: 20_000_00, 2: 22_000_00})
    assert p.forecast_is_default
    assert p.forecast_outturn == 42_000_00 + 50_000_00
    assert p.forecast_variance == -8_000_00
    assert p.forecast_variance_pct == Decimal("-8.0")
    assert p.rag is Rag.RED
    assert p.commentary_missing


def test_previous_forecast_in_q1_is_the_annual_budget():
    p = at(1, actuals={1: 25_000_00}, forecasts={1: (97_000_00, "Slow start")})
    assert p.previous_forecast == 100_000_00
    assert p.movement == -3_000_00
    assert p.rag is Rag.AMBER
    assert not p.commentary_missing


def test_latest_earlier_forecast_stands_when_none_is_made_this_quarter():
    p = at(3, actuals={1: 25_000_00, 2: 25_000_00, 3: 25_000_00}, forecasts={1: (101_000_00, "Good")})
    assert p.forecast_outturn == 101_000_00
    assert not p.forecast_is_default
    assert p.forecast_from_quarter == 1
    assert p.previous_forecast == 101_000_00  # stood at the end of Q2
    assert p.movement == 0
    assert p.commentary == ""  # commentary belongs to the quarter it was written in


def test_previous_forecast_falls_back_to_the_default_at_the_previous_quarter():
    p = at(2, actuals={1: 10_000_00, 2: 25_000_00}, forecasts={2: (90_000_00, "Recovering")})
    assert p.previous_forecast == 10_000_00 + 75_000_00  # Q1 actual + Q2..Q4 profile
    assert p.movement == 90_000_00 - 85_000_00


def test_amber_or_red_without_commentary_this_quarter_is_flagged():
    p = at(3, actuals={}, forecasts={2: (50_000_00, "Explained last quarter")})
    assert p.rag is Rag.RED
    assert p.commentary_missing


def test_no_budget_means_zero_and_blank_percentages():
    p = at(1, budget=None, actuals={1: 5_00})
    assert not p.has_budget
    assert p.annual_budget == 0
    assert p.variance_to_date_pct is None
    assert p.forecast_variance_pct is None
    assert p.forecast_outturn == 5_00
    assert p.rag is Rag.GREEN


@pytest.mark.parametrize(("quarter", "expected"), [(1, 10_00), (2, 30_00), (3, 60_00), (4, 100_00)])
def test_profiled_budget_to_date_sums_the_profile(quarter, expected):
    profile = (10_00, 20_00, 30_00, 40_00)
    assert at(quarter, budget=(100_00, profile)).profiled_to_date == expected


# As at a month end (DOMAIN.md: live screens and monitoring) ------------------------------------

SEASONAL = (0, 0, 0, 500_00, 2_000_00, 500_00, 0, 0, 1_000_00, 0, 0, 0)  # P4-P6 summer, P9 Christmas


def at_month(period, *, budget, actuals, forecasts=None):
    return position(
        stream_id=1,
        as_at=Y.months[period - 1],
        budget=budget,
        actual_by_month=actuals,
        forecasts=forecasts or {},
        thresholds=IncomeThresholds(),
    )


@pytest.mark.parametrize(
    ("period", "profiled", "actual", "quarters", "default"),
    [
        # 12,000 a year, 3,000 a quarter, 1,000 a month by default; 900 taken each month
        (1, 1_000_00, 900_00, (900_00, None, None, None), 900_00 + 11_000_00),
        (7, 7_000_00, 6_300_00, (2_700_00, 2_700_00, 900_00, None), 6_300_00 + 5_000_00),
        (9, 9_000_00, 8_100_00, (2_700_00, 2_700_00, 2_700_00, None), 8_100_00 + 3_000_00),
        (12, 12_000_00, 10_800_00, (2_700_00,) * 4, 10_800_00),
    ],
)
def test_figures_as_at_each_month_end(period, profiled, actual, quarters, default):
    budget = (12_000_00, (3_000_00,) * 4, (1_000_00,) * 12)
    p = at_month(period, budget=budget, actuals={m: 900_00 for m in range(1, 13)})
    assert (p.profiled_to_date, p.actual_to_date, p.actuals, p.forecast_outturn) == (
        profiled, actual, quarters, default
    )  # fmt: skip
    assert p.forecast_is_default and p.period == period


def test_a_seasonal_profile_expects_nothing_until_its_season():
    budget = (4_000_00, (0, 3_000_00, 1_000_00, 0), SEASONAL)
    p7 = at_month(7, budget=budget, actuals={4: 400_00, 5: 2_100_00, 6: 500_00})
    assert (p7.profiled_to_date, p7.actual_to_date, p7.variance_to_date) == (3_000_00, 3_000_00, 0)
    # November and December still to come: the December profile is in the default forecast.
    assert p7.forecast_outturn == 3_000_00 + 1_000_00


def test_mid_quarter_the_quarters_forecast_stands_and_the_previous_is_the_last_quarter_ends():
    budget = (12_000_00, (3_000_00,) * 4, (1_000_00,) * 12)
    p8 = at_month(8, budget=budget, actuals={m: 1_000_00 for m in range(1, 9)},
                  forecasts={2: (11_500_00, "Q2 view"), 3: (11_800_00, "Q3 view")})  # fmt: skip
    assert (p8.quarter, p8.forecast_outturn, p8.previous_forecast, p8.commentary) == (
        3, 11_800_00, 11_500_00, "Q3 view"
    )  # fmt: skip
