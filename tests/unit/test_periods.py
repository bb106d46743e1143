"""The UK financial year as DOMAIN.md states it: 1 April to 31 March, Q1 Apr-Jun ... Q4 Jan-Mar."""

from datetime import UTC, date, datetime

import pytest

from incometrack import periods
from incometrack.periods import (
    FinancialYear,
    MonthPeriod,
    PeriodError,
    Quarter,
    coerce_date,
    format_date,
    fy_for,
    parse_date,
    quarter_for,
    quarters_back,
)


@pytest.mark.parametrize(
    ("day", "year", "quarter", "month"),
    [
        (date(2026, 4, 1), "2026-27", 1, 1),
        (date(2026, 6, 30), "2026-27", 1, 3),
        (date(2026, 7, 1), "2026-27", 2, 4),
        (date(2026, 9, 30), "2026-27", 2, 6),
        (date(2026, 10, 1), "2026-27", 3, 7),
        (date(2026, 12, 31), "2026-27", 3, 9),
        (date(2027, 1, 1), "2026-27", 4, 10),
        (date(2027, 3, 31), "2026-27", 4, 12),
        (date(2027, 4, 1), "2027-28", 1, 1),
        (date(2026, 3, 31), "2025-26", 4, 12),
        (date(2024, 2, 29), "2023-24", 4, 11),
        (date(2000, 1, 1), "1999-00", 4, 10),
        (date(2099, 4, 1), "2099-00", 1, 1),
    ],
)
def test_a_date_falls_in_one_year_quarter_and_month(day, year, quarter, month):
    assert fy_for(day).label == year
    assert quarter_for(day) == Quarter(FinancialYear.parse(year), quarter)
    assert MonthPeriod.containing(day).number == month
    assert quarter_for(day).contains(day)
    assert fy_for(day).contains(day)


@pytest.mark.parametrize(
    ("label", "start"),
    [("2026-27", 2026), ("1999-00", 1999), ("2026/27", 2026), (" 2030-31 ", 2030), ("2099-00", 2099)],
)
def test_year_labels_parse(label, start):
    assert FinancialYear.parse(label) == FinancialYear(start)
    assert FinancialYear(start).label == label.strip().replace("/", "-")


@pytest.mark.parametrize(
    "label", ["2026-28", "2026", "26-27", "2026-2027", "", "abcd-ef", "2026-26", "1800-01"]
)
def test_bad_year_labels_are_refused(label):
    with pytest.raises(PeriodError):
        FinancialYear.parse(label)


@pytest.mark.parametrize(
    ("number", "first", "last"),
    [
        (1, date(2026, 4, 1), date(2026, 6, 30)),
        (2, date(2026, 7, 1), date(2026, 9, 30)),
        (3, date(2026, 10, 1), date(2026, 12, 31)),
        (4, date(2027, 1, 1), date(2027, 3, 31)),
    ],
)
def test_quarter_bounds(number, first, last):
    quarter = FinancialYear(2026).quarter(number)
    assert (quarter.first_day, quarter.last_day) == (first, last)
    assert quarter.label == f"2026-27 Q{number}"


def test_year_bounds_and_leap_years():
    assert FinancialYear(2026).first_day == date(2026, 4, 1)
    assert FinancialYear(2026).last_day == date(2027, 3, 31)
    february = FinancialYear(2023).months[10]
    assert february.label == "2023-24 P11"
    assert february.last_day == date(2024, 2, 29)
    assert FinancialYear(2024).months[10].last_day == date(2025, 2, 28)


def test_month_periods_run_april_to_march():
    months = FinancialYear(2026).months
    assert [m.first_day.month for m in months] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert months[-1].last_day == date(2027, 3, 31)
    assert [m.quarter.number for m in months] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert FinancialYear(2026).quarter(3).months == months[6:9]


@pytest.mark.parametrize(
    ("quarter", "previous", "following"),
    [
        (Quarter(FinancialYear(2026), 1), Quarter(FinancialYear(2025), 4), Quarter(FinancialYear(2026), 2)),
        (Quarter(FinancialYear(2026), 4), Quarter(FinancialYear(2026), 3), Quarter(FinancialYear(2027), 1)),
    ],
)
def test_quarters_step_across_year_ends(quarter, previous, following):
    assert quarter.previous() == previous
    assert quarter.next() == following


def test_quarters_back_lists_oldest_first():
    last = Quarter(FinancialYear(2026), 2)
    labels = [q.label for q in quarters_back(last, 8)]
    assert labels == [
        "2024-25 Q3", "2024-25 Q4", "2025-26 Q1", "2025-26 Q2",
        "2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2",
    ]  # fmt: skip


@pytest.mark.parametrize(("text", "number"), [("2", 2), ("Q3", 3), ("q4", 4), (1, 1)])
def test_quarter_parse(text, number):
    assert Quarter.parse("2026-27", text) == Quarter(FinancialYear(2026), number)


@pytest.mark.parametrize("text", ["0", "5", "Q", "first", ""])
def test_bad_quarters_are_refused(text):
    with pytest.raises(PeriodError):
        Quarter.parse("2026-27", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/03/2027", date(2027, 3, 31)),
        ("1/4/2027", date(2027, 4, 1)),
        ("01/04/27", date(2027, 4, 1)),
        ("5/1/26", date(2026, 1, 5)),  # 5 January, never 1 May
        ("2027-03-31", date(2027, 3, 31)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        # as ledger extracts print them (DOMAIN.md Periods; issue 17)
        ("31-03-2027", date(2027, 3, 31)),
        ("01.11.2010", date(2010, 11, 1)),
        ("20 Dec  2012", date(2012, 12, 20)),
        ("06-Apr-2011", date(2011, 4, 6)),
        ("03-NOV-2010", date(2010, 11, 3)),
        ("03-nov-10", date(2010, 11, 3)),
        ("5 September 2026", date(2026, 9, 5)),
        ("5 Sept 2026", date(2026, 9, 5)),
        ("2010-11-03 00:00:00", date(2010, 11, 3)),
        ("2010-11-03T00:00", date(2010, 11, 3)),
    ],
)
def test_uk_and_iso_dates_parse(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter date"),
        ("13/25/2026", "real date"),
        ("03/31/2027", "real date"),  # month-first is not accepted
        ("29/02/2023", "real date"),
        ("2027/03/31", "like 31/03/2027"),
        ("31-03/2027", "like 31/03/2027"),
        ("Dec 20 2012", "like 31/03/2027"),
        ("20 Dex 2012", "like 31/03/2027"),
        ("31-Feb-2027", "real date"),
        ("2010-11-03 12:30:00", "like 31/03/2027"),
        ("tomorrow", "like 31/03/2027"),
        ("31/3/027", "like 31/03/2027"),
    ],
)
def test_bad_dates_are_refused_with_a_message(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_date(text)


def test_date_messages_name_the_field():
    with pytest.raises(PeriodError, match=r"^Date received must be"):
        parse_date("yesterday", field="Date received")


def test_spreadsheet_dates_are_taken_as_they_are():
    assert coerce_date(datetime(2026, 5, 4, 0, 0))  # noqa: DTZ001 - openpyxl reads naive datetimes == date(2026, 5, 4)
    assert coerce_date(date(2026, 5, 4)) == date(2026, 5, 4)
    assert coerce_date("04/05/2026") == date(2026, 5, 4)


def test_format_date_is_uk():
    assert format_date(date(2027, 3, 1)) == "1 Mar 2027"
    assert format_date(None) == ""


def test_format_datetime_is_uk():
    assert periods.format_datetime(datetime(2027, 3, 1, 9, 5, tzinfo=UTC)) == "1 Mar 2027 09:05"  # GMT
    # in UK time: BST from the last Sunday of March to the last Sunday of October
    assert periods.format_datetime(datetime(2026, 10, 20, 9, 30, tzinfo=UTC)) == "20 Oct 2026 10:30"
    assert periods.format_datetime(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == "29 Mar 2026 00:59"
    assert periods.format_datetime(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "29 Mar 2026 02:00"
    assert periods.format_datetime(datetime(2026, 10, 25, 0, 59, tzinfo=UTC)) == "25 Oct 2026 01:59"
    assert periods.format_datetime(datetime(2026, 10, 25, 1, 0, tzinfo=UTC)) == "25 Oct 2026 01:00"
    naive = datetime(2026, 7, 1, 12, 0)  # noqa: DTZ001 - as a database without zones returns it: UTC
    assert periods.format_datetime(naive) == "1 Jul 2026 13:00"
    assert periods.format_datetime(None) == ""


@pytest.mark.parametrize(
    ("today", "label", "code"),
    [
        (date(2026, 11, 30), "to 31 Oct 2026 (P7)", "P07"),  # the last day of a month: the month before
        (date(2026, 12, 1), "to 30 Nov 2026 (P8)", "P08"),  # the first day: the month just ended
        (date(2026, 4, 1), "to 31 Mar 2026 (P12)", "P12"),  # into the previous financial year
        (date(2027, 3, 1), "to 28 Feb 2027 (P11)", "P11"),
        (date(2028, 3, 1), "to 29 Feb 2028 (P11)", "P11"),  # a leap year
    ],
)
def test_the_latest_month_that_has_ended(today, label, code):
    month = periods.latest_ended_month(today)
    assert (month.to_label, month.code) == (label, code)


@pytest.mark.parametrize("text", ["7", "07", "P7", "p07", " P 7 "])
def test_month_periods_parse(text):
    assert periods.MonthPeriod.parse("2026-27", text) == periods.MonthPeriod(periods.FinancialYear(2026), 7)


@pytest.mark.parametrize("text", ["0", "13", "P13", "Q3", "", "\u0667"])  # the last: Arabic-Indic 7
def test_month_periods_refused(text):
    with pytest.raises(periods.PeriodError, match="from 1 to 12"):
        periods.MonthPeriod.parse("2026-27", text)


def test_a_quarter_ends_with_its_third_month():
    q3 = periods.FinancialYear(2026).quarter(3)
    assert (q3.last_month.number, q3.last_month.last_day, q3.last_month.ends_quarter) == (
        9,
        date(2026, 12, 31),
        True,
    )
