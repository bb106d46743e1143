"""The committee PDF reads as a document (issue 18): no page under a third full but the last, no
heading left at the foot of a page without its table, no text under 8pt, DRAFT on every page, a
key to RAG, and "No decisions yet" rather than a blank success rate. Measured on the demo's return
from the words' boxes that pdftotext reads off each page."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from html import unescape

import pytest

from incometrack import demo, periods
from incometrack.reports.returns import build_return
from incometrack.services.returns import write_file
from tests.conftest import needs

MM = 72 / 25.4
TOP, BOTTOM = 12 * MM, 15 * MM  # the document's margins; the footer and banner lie outside them
HEADINGS = ("Summary by service", "Grants and milestones", "Income by stream: position to date",
            "Income by stream: forecast outturn", "Commentary", "Grants", "Milestones by RAG at the quarter end",
            "Libraries Deliver outcomes", "CIPFA income lines, year to date")  # fmt: skip


def pages_of(path) -> list[dict]:
    html = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for match in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        height = float(match[2])
        words = [
            (float(y0), float(y1), unescape(text))
            for y0, y1, text in re.findall(
                r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', match[3]
            )
        ]
        pages.append({"height": height, "words": words})
    return pages


def lines_of(page) -> list[tuple[float, str]]:
    """The page's lines inside the margins, top to bottom: (bottom edge, text)."""
    lines: dict[int, list[str]] = {}
    for y0, y1, text in page["words"]:
        if y0 >= TOP and y1 <= page["height"] - BOTTOM:
            lines.setdefault(round(y1), []).append(text)
    return sorted((y, " ".join(words)) for y, words in lines.items())


@needs("pdftotext")
@pytest.mark.parametrize("quarter", [1, 2])
def test_the_demo_return_as_a_committee_document(session, tmp_path, quarter):
    today = date(2026, 11, 30)
    demo.load(session, today=today)
    session.commit()
    report = build_return(session, periods.FinancialYear(2026).quarter(quarter), council="Kent County Council",
                          service_name="Libraries, Registration and Archives")  # fmt: skip
    target = tmp_path / "return.pdf"
    with target.open("wb") as stream:
        write_file(report, "pdf", stream)
    pages = pages_of(target)
    assert len(pages) >= 3
    frame = pages[0]["height"] - TOP - BOTTOM
    for number, page in enumerate(pages, 1):
        lines = lines_of(page)
        text = " ".join(t for _, t in lines)
        everything = " ".join(w for *_, w in page["words"])
        assert "DRAFT: not submitted" in everything, number
        assert f"Page {number} of {len(pages)}" in everything
        if number < len(pages):
            used = lines[-1][0] - TOP
            assert used >= frame / 3, f"page {number} is {used / frame:.0%} full: {text[:200]}"
        if lines:
            last = lines[-1][1]
            assert last not in HEADINGS, f"page {number} ends with the heading {last!r}"
        for y0, y1, word in page["words"]:
            assert y1 - y0 >= 8 * 0.9 or not word.strip(), f"page {number}: {word!r} is {y1 - y0:.1f}pt tall"
    whole = " ".join(w for page in pages for *_, w in page["words"])
    assert "RAG What the ratings mean" in whole and "Red" in whole
    assert "Success rate by count" in whole


@needs("pdftotext")
def test_a_countys_totals_too_wide_for_one_table_print_as_two(session, make_user):
    """A million entries' totals (£99,999,999.99 a stream) make the position-to-date table's eight
    figures wider than the page together: it prints as two tables, each with the stream's code and
    name, every figure whole (it raised "the table would run off the page" before)."""
    import io

    from incometrack.exports.pdf import write_pdf
    from tests.factories import make_budget, make_entry, make_stream

    year = periods.FinancialYear(2026)
    for code in ("LIB-BIG", "REG-BIG"):
        stream = make_stream(session, code)
        make_budget(session, stream, 399_999_999_96)  # £99,999,999.99 a quarter
        for quarter in range(1, 5):
            make_entry(session, stream, year.quarter(quarter).first_day, 99_999_999_99)
    report = build_return(session, year.quarter(4), council="Kent County Council", service_name="LRA")
    out = io.BytesIO()
    write_pdf(report, out)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=out.getvalue(), capture_output=True
    ).stdout
    text = text.decode()
    # each stream's Q1 to Q4 actuals, and the total of both streams' year: £799,999,999.92
    assert text.count("£99,999,999.99") >= 8 and "£799,999,999.92" in text
    assert text.count("LIB-BIG") >= 3  # in each of the tables it is split into, and the forecast part
