"""Red/Amber/Green ratings as DOMAIN.md defines them, for income forecasts and milestones.

Pure functions of integers and dates: the thresholds are passed in (they are settings), so the
same rule serves the forecast form, the dashboard and the return.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class Rag(enum.Enum):
    RED = "Red"
    AMBER = "Amber"
    GREEN = "Green"
    COMPLETE = "Complete"  #: milestones only
    CANCELLED = "Cancelled"  #: milestones only; not rated

    @property
    def needs_commentary(self) -> bool:
        return self in (Rag.RED, Rag.AMBER)

    @property
    def colour(self) -> str:
        """Its strong colour (GOV.UK Frontend's), for chart marks drawn on white."""
        return PALETTE[self][0]

    @property
    def tint(self) -> str:
        """Its light colour, behind black text in a workbook or PDF cell."""
        return PALETTE[self][1]

    @property
    def tag(self) -> str:
        """Its GOV.UK tag colour (``govuk-tag--<tag>``) on pages."""
        return PALETTE[self][2]

    def __str__(self) -> str:
        return self.value


#: The one palette of RAG ratings (strong colour, light tint, GOV.UK tag), used by pages, charts,
#: the workbook and the PDF. Every rating is also written as its word, so colour is never the
#: only cue.
PALETTE = {
    Rag.RED: ("#d4351c", "#f4a9a0", "red"),
    Rag.AMBER: ("#f47738", "#fcd6b4", "orange"),
    Rag.GREEN: ("#00703c", "#b8e0c6", "green"),
    Rag.COMPLETE: ("#1d70b8", "#bbd4ea", "blue"),
    Rag.CANCELLED: ("#505a5f", "#dddddd", "grey"),
}


def rag_named(word: object) -> Rag | None:
    """The rating a word (or a Rag) names, or None: templates and renderers hold ratings as words."""
    try:
        return Rag(str(word))
    except ValueError:
        return None


@dataclass(frozen=True)
class IncomeThresholds:
    """Red where the shortfall is at least the lower of ``red_basis_points`` of the annual budget
    and ``red_pence``; Amber where it is at least ``amber_basis_points``. 100 basis points = 1%."""

    red_basis_points: int = 500
    red_pence: int = 10_000_000
    amber_basis_points: int = 200

    @classmethod
    def from_settings(cls, values: dict[str, int]) -> IncomeThresholds:
        defaults = cls()
        return cls(
            red_basis_points=values.get("rag_red_basis_points", defaults.red_basis_points),
            red_pence=values.get("rag_red_pence", defaults.red_pence),
            amber_basis_points=values.get("rag_amber_basis_points", defaults.amber_basis_points),
        )


def income_rag(annual_budget: int, forecast_outturn: int, thresholds: IncomeThresholds) -> Rag:
    """Rate a forecast against the annual budget; comparisons are exact integer arithmetic
    (shortfall x 10,000 against budget x basis points) so no rounding decides a boundary.
    Without a budget (none, or £0) there is nothing to fall short of: Green, whatever a refund
    does to the forecast."""
    shortfall = annual_budget - forecast_outturn
    if annual_budget <= 0 or shortfall <= 0:
        return Rag.GREEN
    red_by_share = shortfall * 10_000 >= annual_budget * thresholds.red_basis_points
    red_by_amount = shortfall >= thresholds.red_pence
    # "the lower of 5% and £100,000": the shortfall reaches the lower threshold when it reaches either.
    if red_by_share or red_by_amount:
        return Rag.RED
    if shortfall * 10_000 >= annual_budget * thresholds.amber_basis_points:
        return Rag.AMBER
    return Rag.GREEN


def milestone_rag(
    *, complete: bool, baseline: date, forecast: date, on: date, cancelled: bool = False
) -> tuple[Rag, int]:
    """Rate a milestone at date ``on``; the second value is the slippage in days (forecast later
    than baseline), shown beside Amber. A cancelled milestone is not rated."""
    slippage = max(0, (forecast - baseline).days)
    if cancelled:
        return Rag.CANCELLED, slippage
    if complete:
        return Rag.COMPLETE, slippage
    if forecast < on:
        return Rag.RED, slippage
    if forecast > baseline:
        return Rag.AMBER, slippage
    return Rag.GREEN, slippage


#: Worst first: a project is rated by its worst milestone.
SEVERITY = (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE, Rag.CANCELLED)


def worst(ratings) -> Rag | None:
    """The most severe rating among ``ratings`` (None when there are none)."""
    found = set(ratings)
    return next((rag for rag in SEVERITY if rag in found), None)


#: How far (percentage points) a measure's progress may trail the time elapsed and still be Amber.
PROGRESS_AMBER_POINTS = 10


def elapsed_share(start: date, target_on: date, on: date) -> Decimal:
    """The share (a percentage, 0 to 100, to 1 dp half-up) of the time from ``start`` to
    ``target_on`` that has passed at ``on``."""
    whole = (target_on - start).days
    if whole <= 0:
        return Decimal(100)
    passed = min(max((on - start).days, 0), whole)
    return (Decimal(passed) * 100 / whole).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def progress_rag(percent_of_target: Decimal | None, share_elapsed: Decimal) -> Rag:
    """A measure's progress at a date (DOMAIN.md): Green where its % of target is at least the
    share of the time to its target date elapsed; Amber within 10 points below; Red below that
    (no % of target, as where the target equals the baseline, reads as none achieved)."""
    achieved = percent_of_target if percent_of_target is not None else Decimal(0)
    if achieved >= share_elapsed:
        return Rag.GREEN
    if achieved >= share_elapsed - PROGRESS_AMBER_POINTS:
        return Rag.AMBER
    return Rag.RED
