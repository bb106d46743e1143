"""The one declaration of the return's sections that the workbook, the PDF and the HTML share."""

from datetime import date
from decimal import Decimal

import pytest

from incometrack.reports.return_layout import (
    MILESTONE_COUNTS,
    QUARTERS,
    SECTIONS,
    STREAMS,
    Kind,
    Ratio,
    display,
)
from tests.contracts import SHEET_NAMES, STREAM_COLUMNS


def test_the_sheets_and_stream_columns_are_the_published_contract():
    assert tuple(s.sheet for s in SECTIONS) == SHEET_NAMES
    assert tuple(c.title for c in STREAMS.columns) == STREAM_COLUMNS


@pytest.mark.parametrize("section", [*SECTIONS, QUARTERS, MILESTONE_COUNTS], ids=lambda s: s.key)
def test_every_section_is_declared_consistently(section):
    titles = [c.title for c in section.columns]
    assert len(titles) == len(set(titles)), "a column title appears twice"
    for part in section.paper_parts():
        assert set(part.titles) <= set(titles), f"{part.heading} names a column the section lacks"
        assert part.flex is None or part.flex in part.titles
        assert all(section.column(t).on_paper for t in part.titles)
    for column in section.columns:
        if isinstance(column.total, Ratio):
            assert {column.total.numerator, column.total.denominator} <= set(titles)
        assert column.width > 0


def test_anchors_are_unique():
    keys = [s.key for s in (*SECTIONS, QUARTERS, MILESTONE_COUNTS)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (None, Kind.MONEY, ""),
        (123450, Kind.MONEY, "£1,234.50"),
        (-5, Kind.MONEY, "-£0.05"),
        (Decimal("12.5"), Kind.PERCENT, "12.5%"),
        ("No decisions yet", Kind.PERCENT, "No decisions yet"),
        (date(2026, 4, 1), Kind.DATE, "1 Apr 2026"),
        (12345, Kind.INT, "12,345"),
        ("Amber", Kind.RAG, "Amber"),
        ("=1+1", Kind.USER, "=1+1"),
    ],
)
def test_display(value, kind, text):
    assert display(value, kind) == text
