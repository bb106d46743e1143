"""RAG rules at every boundary (DOMAIN.md: RAG for income; Projects and milestones)."""

from datetime import date

import pytest

from incometrack.rag import IncomeThresholds, Rag, income_rag, milestone_rag, worst

DEFAULTS = IncomeThresholds()


@pytest.mark.parametrize(
    ("budget", "forecast", "rag"),
    [
        (100_000_00, 100_000_00, Rag.GREEN),  # on budget
        (100_000_00, 120_000_00, Rag.GREEN),  # above budget is favourable
        (100_000_00, 98_000_01, Rag.GREEN),  # shortfall just under 2%
        (100_000_00, 98_000_00, Rag.AMBER),  # exactly 2%
        (100_000_00, 95_000_01, Rag.AMBER),  # just under 5%
        (100_000_00, 95_000_00, Rag.RED),  # exactly 5%
        (100_000_00, 0, Rag.RED),
        # Large budget: £100,000 is the lower threshold (5% of £3m is £150,000).
        (3_000_000_00, 2_900_000_01, Rag.AMBER),  # shortfall £99,999.99 (3.3%)
        (3_000_000_00, 2_900_000_00, Rag.RED),  # shortfall exactly £100,000
        (3_000_000_00, 2_950_000_00, Rag.GREEN),  # £50,000 is 1.7%
        (0, 0, Rag.GREEN),
        # No budget (or £0): nothing to fall short of, so a refund leaves it Green (DOMAIN.md).
        (0, -1, Rag.GREEN),
        (0, -250_00, Rag.GREEN),
        (1, 0, Rag.RED),  # a penny's budget and nothing received: 100% short
    ],
)
def test_income_rag_boundaries(budget, forecast, rag):
    assert income_rag(budget, forecast, DEFAULTS) is rag


def test_income_rag_uses_the_thresholds_given():
    strict = IncomeThresholds(red_basis_points=100, red_pence=1, amber_basis_points=50)
    assert income_rag(100_00, 99_50, strict) is Rag.RED  # any shortfall of a penny is red here


def test_thresholds_from_settings_fill_defaults():
    assert IncomeThresholds.from_settings({"rag_red_pence": 5}) == IncomeThresholds(red_pence=5)


@pytest.mark.parametrize(
    ("complete", "baseline", "forecast", "on", "rag", "slip"),
    [
        (False, date(2026, 6, 1), date(2026, 6, 1), date(2026, 6, 1), Rag.GREEN, 0),  # due today
        (False, date(2026, 6, 1), date(2026, 6, 1), date(2026, 6, 2), Rag.RED, 0),  # due yesterday
        (False, date(2026, 6, 1), date(2026, 6, 2), date(2026, 5, 1), Rag.AMBER, 1),  # slipped by one day
        (False, date(2026, 6, 1), date(2026, 5, 20), date(2026, 5, 1), Rag.GREEN, 0),  # ahead of baseline
        (False, date(2026, 6, 1), date(2026, 7, 1), date(2026, 7, 2), Rag.RED, 30),  # slipped and overdue
        (True, date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), Rag.COMPLETE, 30),  # completed late
    ],
)
def test_milestone_rag_boundaries(complete, baseline, forecast, on, rag, slip):
    assert milestone_rag(complete=complete, baseline=baseline, forecast=forecast, on=on) == (rag, slip)


def test_amber_and_red_need_commentary():
    assert Rag.RED.needs_commentary and Rag.AMBER.needs_commentary
    assert not Rag.GREEN.needs_commentary


def test_cancelled_milestones_are_not_rated():
    rag, _ = milestone_rag(complete=False, baseline=date(2026, 6, 1), forecast=date(2026, 6, 1), on=date(2027, 1, 1),
                           cancelled=True)  # fmt: skip
    assert rag is Rag.CANCELLED


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [([Rag.GREEN, Rag.RED, Rag.AMBER], Rag.RED), ([Rag.COMPLETE, Rag.AMBER], Rag.AMBER), ([Rag.COMPLETE], Rag.COMPLETE),
     ([], None)],
)  # fmt: skip
def test_a_project_takes_its_worst_milestone(ratings, expected):
    assert worst(ratings) is expected


@pytest.mark.parametrize(
    ("rag", "colour", "tint", "tag"),
    [
        (Rag.RED, "#d4351c", "#f4a9a0", "red"),
        (Rag.AMBER, "#f47738", "#fcd6b4", "orange"),
        (Rag.GREEN, "#00703c", "#b8e0c6", "green"),
        (Rag.COMPLETE, "#1d70b8", "#bbd4ea", "blue"),
        (Rag.CANCELLED, "#505a5f", "#dddddd", "grey"),
    ],
)
def test_one_palette_serves_pages_charts_workbook_and_pdf(rag, colour, tint, tag):
    from incometrack.charts import timeline_svg  # noqa: F401 - the chart reads rag.colour
    from incometrack.exports.pdf import RAG_COLOURS
    from incometrack.exports.xlsx import RAG_FILLS
    from incometrack.filters import rag_tag

    assert (rag.colour, rag.tint, rag.tag) == (colour, tint, tag)
    assert RAG_FILLS[rag].fgColor.rgb.endswith(tint[1:].upper())
    assert RAG_COLOURS[rag.value].hexval() == "0x" + tint[1:]
    assert f"govuk-tag--{tag}" in rag_tag(rag.value)
