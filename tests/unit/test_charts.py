"""The money axis shared by the SVG charts and the PDF chart."""

import pytest

from incometrack.charts import short_gbp, value_axis


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([100_00, 400_00], (0, 400_00, (0, 100_00, 200_00, 300_00, 400_00))),
        ([], (0, 1, (0, 0, 0, 0, 1))),  # nothing to draw: a span of a penny, never zero
        ([0, 0], (0, 1, (0, 0, 0, 0, 1))),
        ([-200_00, 200_00], (-200_00, 200_00, (-200_00, -100_00, 0, 100_00, 200_00))),
        ([-50_00], (-50_00, 1, (-50_00, -37_50, -25_00, -12_50, 1))),  # refunds only
    ],
)
def test_the_axis_takes_in_zero_and_has_five_whole_penny_gridlines(values, expected):
    assert value_axis(values) == expected


@pytest.mark.parametrize(
    ("pence", "label"),
    [(0, "£0"), (99_999, "£999"), (1_000_00, "£1k"), (1_250_000_00, "£1.2m"), (-3_000_00, "-£3k")],
)
def test_axis_labels_are_short(pence, label):
    assert short_gbp(pence) == label
