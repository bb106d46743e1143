"""The money axis shared by the SVG charts and the PDF chart."""

import pytest

from incometrack.charts import short_gbp, value_axis


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([100_00, 400_00], (0, 400_00, (0, 100_00, 200_00, 300_00, 400_00))),
        ([], (0, 4_00, (0, 1_00, 2_00, 3_00, 4_00))),  # nothing to draw: £0 to £4, never five £0s
        ([0, 0], (0, 4_00, (0, 1_00, 2_00, 3_00, 4_00))),
        ([-200_00, 200_00], (-200_00, 200_00, (-200_00, -100_00, 0, 100_00, 200_00))),
        ([-50_00], (-60_00, 20_00, (-60_00, -40_00, -20_00, 0, 20_00))),  # refunds only
        ([1_234_56], (0, 2_000_00, (0, 500_00, 1_000_00, 1_500_00, 2_000_00))),
        (
            [99_999_999_999],
            (0, 200_000_000_000, (0, 50_000_000_000, 100_000_000_000, 150_000_000_000, 200_000_000_000)),
        ),
    ],
)
def test_the_axis_takes_in_zero_and_steps_by_one_two_or_five(values, expected):
    assert value_axis(values) == expected


@pytest.mark.parametrize(
    "largest", [0, 1, 99, 4_01, 37_12, 1_234_56, 49_999_99, 7_654_321_00, 99_999_999_999]
)
@pytest.mark.parametrize("smallest", [0, -1, -12_50, -3_000_00])
def test_every_gridline_has_its_own_label_and_the_axis_holds_the_values(smallest, largest):
    low, high, gridlines = value_axis([smallest, largest])
    assert low <= smallest and high >= largest and gridlines[0] == low and gridlines[-1] == high
    labels = [short_gbp(value) for value in gridlines]
    assert len(set(labels)) == 5, labels


@pytest.mark.parametrize(
    ("pence", "label"),
    [
        (0, "£0"),
        (99_999, "£999"),
        (1_000_00, "£1k"),
        (1_500_00, "£1.5k"),
        (1_250_000_00, "£1.2m"),
        (-3_000_00, "-£3k"),
    ],
)
def test_axis_labels_are_short(pence, label):
    assert short_gbp(pence) == label
