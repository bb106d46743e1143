"""The return as at its quarter end (DOMAIN.md): a past year whose bids move through the pipeline
across quarter ends, checked quarter by quarter; the previous forecast from the submitted return;
every figure the same in the HTML, the workbook and the PDF."""

import io
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from incometrack.models import BidStatus, IncomeStream, Milestone, MilestoneStatus, Role, StreamStatus
from incometrack.periods import FinancialYear
from incometrack.reports.returns import build_return, return_for
from incometrack.services import AS_READ, income, locks, milestones
from incometrack.services import returns as return_service
from tests.conftest import needs
from tests.factories import make_bid, make_budget, make_entry, make_funder, make_stream, move, service_id

Y = FinancialYear(2025)
META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}
LATER = date(2026, 11, 30)  #: "today": every quarter of 2025-26 has ended


@pytest.fixture
def pipeline(session, make_user):
    """2025-26's bids, each moving on its own dates:

    - Early: created 10/04/2025, submitted 01/06/2025, awarded £100,000 on 15/11/2025 (serving
      three outcomes), in delivery 01/12/2025.
    - Lost: created 02/04/2025, submitted 20/05/2025, unsuccessful 15/08/2025.
    - July: created 10/07/2025, still an idea.
    - Old: awarded £40,000 in 2024-25, closed 10/05/2025.
    - Next year: created 01/05/2026, so in no 2025-26 return.
    """
    lead = make_user(Role.FINANCE, name="Farah Finance")
    funder = make_funder(session, "Arts Council England")

    def bid(title, created, requested, *, outcomes=(), probability=50):
        return make_bid(session, lead, funder=funder, title=title, requested=requested, on=created,
                        outcome_ids=outcomes, probability=probability)  # fmt: skip

    early = bid("Early", date(2025, 4, 10), 120_000_00, outcomes=(1, 2, 3), probability=40)
    move(session, early, lead, "drafting", on=date(2025, 5, 1))
    move(session, early, lead, "submitted", on=date(2025, 6, 1))
    move(session, early, lead, "awarded", on=date(2025, 11, 15), awarded_resource=100_000_00)
    move(session, early, lead, "in delivery", on=date(2025, 12, 1))
    lost = bid("Lost", date(2025, 4, 2), 30_000_00, probability=20)
    move(session, lost, lead, "drafting", "submitted", on=date(2025, 5, 20))
    move(session, lost, lead, "unsuccessful", on=date(2025, 8, 15))
    bid("July", date(2025, 7, 10), 8_000_00, probability=10)
    old = bid("Old", date(2024, 5, 1), 40_000_00, outcomes=(4,))
    move(session, old, lead, "drafting", "submitted", on=date(2024, 6, 1))
    move(session, old, lead, "awarded", on=date(2024, 9, 1), awarded_capital=40_000_00)
    move(session, old, lead, "in delivery", on=date(2024, 10, 1))
    move(session, old, lead, "closed", on=date(2025, 5, 10))
    bid("Next year", date(2026, 5, 1), 5_000_00)
    project = milestones.create_project(
        session,
        milestones.ProjectInput(name="Digital Playground", lead_id=lead.id,
                                service_id=service_id(session, "Libraries"), outcome_ids=(1, 3)),
        actor=lead,
    )  # fmt: skip
    milestones.add_milestone(session, project, title="Kit bought", owner_id=None,
                             baseline_due=date(2025, 12, 1), actor=lead, on=date(2025, 9, 1))  # fmt: skip
    session.commit()
    return lead


def at(session, quarter):
    return build_return(session, Y.quarter(quarter), **META)


@pytest.mark.parametrize(
    ("quarter", "listed"),
    [
        (1, {"Early": BidStatus.SUBMITTED, "Lost": BidStatus.SUBMITTED, "Old": BidStatus.CLOSED}),
        (2, {"Early": BidStatus.SUBMITTED, "Lost": BidStatus.UNSUCCESSFUL, "July": BidStatus.IDEA,
             "Old": BidStatus.CLOSED}),
        (3, {"Early": BidStatus.IN_DELIVERY, "Lost": BidStatus.UNSUCCESSFUL, "July": BidStatus.IDEA,
             "Old": BidStatus.CLOSED}),
    ],
)  # fmt: skip
def test_grants_are_listed_with_their_status_at_the_quarter_end(session, pipeline, quarter, listed):
    assert {g.bid: g.status for g in at(session, quarter).grants} == listed


def test_a_bid_awarded_later_shows_no_award_and_no_decision_before_it(session, pipeline):
    q2 = next(g for g in at(session, 2).grants if g.bid == "Early")
    q3 = next(g for g in at(session, 3).grants if g.bid == "Early")
    assert (q2.awarded, q2.decision_on, q2.remaining, q2.submitted_on) == (None, None, None, date(2025, 6, 1))
    assert (q3.awarded, q3.decision_on, q3.remaining) == (100_000_00, date(2025, 11, 15), 100_000_00)


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        # awarded, decided won, decided lost, pending count, pending requested, weighted, success rate
        (1, (0, 0, 0, 2, 150_000_00, 54_000_00, None)),
        (2, (0, 0, 1, 2, 128_000_00, 48_800_00, 0)),
        (3, (100_000_00, 1, 1, 1, 8_000_00, 800_00, 50)),
        (4, (100_000_00, 1, 1, 1, 8_000_00, 800_00, 50)),
    ],
)
def test_the_grants_headline_counts_what_was_decided_and_pending_then(session, pipeline, quarter, expected):
    g = at(session, quarter).grants_headline
    rate = None if g.success_rate_count is None else int(g.success_rate_count)
    assert (g.awarded_in_year, g.decided_awarded, g.decided_unsuccessful, g.pending_count, g.pending_requested,
            g.weighted_pipeline, rate) == expected  # fmt: skip


def test_the_summary_award_agrees_with_the_grants_section(session, pipeline):
    for quarter in (1, 2, 3, 4):
        report = at(session, quarter)
        awarded_in_year = sum(
            g.awarded or 0 for g in report.grants if g.decision_on and g.decision_on >= Y.first_day
        )
        assert awarded_in_year == report.grants_headline.awarded_in_year


def test_outcome_totals_count_each_bid_and_project_once(session, pipeline):
    q2, q3 = at(session, 2), at(session, 3)
    assert [(o.grants_awarded, o.grants_value) for o in q2.outcomes[:4]] == [(0, 0)] * 4
    assert [(o.grants_awarded, o.grants_value) for o in q3.outcomes[:4]] == [(1, 100_000_00)] * 3 + [(0, 0)]
    total = q3.outcome_totals
    assert (total.grants_awarded, total.grants_value, total.projects) == (1, 100_000_00, 1)
    assert [o.projects for o in q3.outcomes[:3]] == [1, 0, 1]
    # The project's first milestone was set on 01/09/2025: it did not exist at the end of Q1.
    assert at(session, 1).outcome_totals.projects == 0


def test_a_return_of_last_year_lists_no_bid_created_after_it(session, pipeline):
    assert "Next year" not in {g.bid for g in at(session, 4).grants}


def test_cipfa_lines_by_service(session, make_user):
    library = make_stream(session, "LIB-ROOM", category="Room and venue hire")
    registration = make_stream(session, "REG-ROOM", service="Registration", category="Room and venue hire")
    archives = make_stream(session, "ARC-ROOM", service="Archives", category="Room and venue hire")
    library_other = make_stream(session, "LIB-CER", category="Ceremonies and certificates")
    for stream, amount in ((library, 100_00), (registration, 2_000_00), (archives, 30_000_00),
                           (library_other, 4_00)):  # fmt: skip
        make_entry(session, stream, date(2025, 5, 1), amount, reference=stream.code)
    lines = {c.line: c.actual_to_date for c in at(session, 1).cipfa}
    assert lines["Lettings"] == 100_00
    assert lines["Libraries: not on a CIPFA line"] == 4_00
    assert lines["Registration (outside CIPFA library statistics)"] == 2_000_00
    assert lines["Archives (outside CIPFA library statistics)"] == 30_000_00
    assert sum(lines.values()) == 32_104_00
    assert list(lines)[-3:] == [
        "Libraries: not on a CIPFA line",
        "Archives (outside CIPFA library statistics)",
        "Registration (outside CIPFA library statistics)",
    ]


@pytest.fixture
def submitted_q1(session, make_user):
    """A stream with a default forecast at Q1 (£20,000 + £75,000 still profiled), Q1 submitted,
    then its budget raised by a virement."""
    finance = make_user(Role.FINANCE)
    stream = make_stream(session, "LIB-ROOM")
    make_budget(session, stream, 100_000_00, year=2025)
    make_entry(session, stream, date(2025, 5, 1), 20_000_00)
    make_entry(session, stream, date(2025, 8, 1), 25_000_00, reference="Q2")
    return_service.submit(session, Y.quarter(1), actor=finance, reason="Test", today=LATER, **META)
    session.commit()
    income.set_budget(session, stream, 2025, 140_000_00, actor=finance, expected_version=AS_READ)
    session.commit()
    return finance


def previous_of(report, code="LIB-ROOM"):
    figures = next(s for s in report.streams if s.code == code).figures
    return figures.previous_forecast, figures.movement


def test_previous_forecast_is_what_the_submitted_return_reported(session, submitted_q1):
    # Recomputed today it would be £20,000 + 3 x £35,000 = £125,000; Q1's return said £95,000.
    q2 = at(session, 2)
    assert previous_of(q2) == (95_000_00, 45_000_00 + 70_000_00 - 95_000_00)
    assert (
        next(s for s in return_for(session, Y.quarter(1), **META).streams).figures.annual_budget == 100_000_00
    )


def test_previous_forecast_stays_after_an_admin_reopens_the_quarter(session, submitted_q1, make_user):
    admin = make_user(Role.ADMIN)
    locks.reopen(session, Y.quarter(1), actor=admin, reason="Late ledger journal", expected_version=AS_READ)
    session.commit()
    stream = session.scalar(select(IncomeStream))
    make_entry(session, stream, date(2025, 6, 1), 5_000_00, reference="LATE")
    assert previous_of(at(session, 2))[0] == 95_000_00


def test_previous_forecast_is_computed_at_the_previous_quarter_end_without_a_submission(session, make_user):
    stream = make_stream(session, "LIB-ROOM")
    make_budget(session, stream, 100_000_00, year=2025)
    make_entry(session, stream, date(2025, 5, 1), 20_000_00)
    assert previous_of(at(session, 2))[0] == 95_000_00
    income.set_budget(session, stream, 2025, 140_000_00, actor=None, expected_version=AS_READ)
    session.commit()
    assert previous_of(at(session, 2))[0] == 125_000_00


def test_a_ceased_stream_forecasts_only_what_it_has_earned(session):
    stream = make_stream(session, "LIB-GONE")
    make_budget(session, stream, 100_000_00, year=2025)
    make_entry(session, stream, date(2025, 5, 1), 20_000_00)
    stream.status = StreamStatus.CEASED
    session.commit()
    figures = next(s for s in at(session, 2).streams).figures
    assert figures.forecast_outturn == 20_000_00


def test_milestones_are_as_they_stood(session, pipeline):
    milestone = session.scalar(select(Milestone))
    milestones.update_milestone(session, milestone, forecast_due=date(2026, 1, 15), status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note="Supplier late", actor=pipeline, update_on=date(2025, 11, 1), expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert [m.milestone for m in at(session, 1).milestones] == []
    assert [(m.forecast, m.latest_update) for m in at(session, 2).milestones] == [
        (date(2025, 12, 1), "Milestone set")
    ]
    assert [(m.forecast, m.latest_update) for m in at(session, 3).milestones] == [
        (date(2026, 1, 15), "Supplier late")
    ]


# The same figures in every format --------------------------------------------------------------


def test_html_workbook_and_pdf_show_the_same_as_at_grants(session, pipeline, login_as):
    from incometrack.services.returns import write_file

    report = at(session, 2)
    page = login_as(Role.FINANCE).client.get("/returns/2025-26/2").get_data(as_text=True)
    assert "Unsuccessful" in page and "July" in page and "Next year" not in page
    buffer = io.BytesIO()
    write_file(report, "xlsx", buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["Grants"]
    header = [c.value for c in sheet[1]]
    rows = {r[header.index("Bid")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Lost"][header.index("Status")] == "Unsuccessful"
    assert rows["Early"][header.index("Awarded")] is None
    assert "Next year" not in rows
    outcomes = load_workbook(io.BytesIO(buffer.getvalue()))["Outcomes"]
    assert [c.value for c in outcomes[outcomes.max_row]][:4] == [
        "Total (each grant and project once)",
        0,
        0,
        1,
    ]


@needs("pdftotext")
def test_the_pdf_carries_the_as_at_grants_and_outcome_totals(session, pipeline, tmp_path):
    from incometrack.services.returns import write_file

    target = tmp_path / "q3.pdf"
    with target.open("wb") as stream:
        write_file(at(session, 3), "pdf", stream)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    assert "In delivery" in text and "Unsuccessful" in text and "Next year" not in text
    early = next(line for line in text.splitlines() if "Early" in line and "In delivery" in line)
    assert "15 Nov 2025" in early  # its decision, in the Decision column
    total = next(line for line in text.splitlines() if "Total (each grant and project once)" in line)
    assert total.split()[-3:] == ["1", "£100,000.00", "1"]


@needs("pdftotext")
def test_the_largest_amounts_fit_their_pdf_columns(session, tmp_path):
    from incometrack.services.returns import write_file

    largest = 99_999_999_999
    stream = make_stream(session, "LIB-BIG", name="A very large stream")
    make_budget(session, stream, largest, (largest // 4, largest // 4, largest // 4, largest - 3 * (largest // 4)),
                year=2025)  # fmt: skip
    make_entry(session, stream, date(2025, 5, 1), largest, reference="BIG")
    make_entry(session, stream, date(2025, 5, 2), -largest, reference="BIG-REFUND")
    make_entry(session, stream, date(2025, 8, 1), largest, reference="BIG-AGAIN")
    target = tmp_path / "big.pdf"
    with target.open("wb") as out:
        write_file(at(session, 2), "pdf", out)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    position, forecast = [line.strip() for line in text.splitlines() if line.strip().startswith("LIB-BIG")]
    # Annual budget, Q1 (nil: a sale and its refund), Q2, profiled, actual to date, variance, %.
    assert position.split()[-7:] == [
        "£999,999,999.99", "£0.00", "£999,999,999.99", "£499,999,999.98", "£999,999,999.99",
        "£500,000,000.01", "100.0%",
    ]  # fmt: skip
    # Previous forecast (the Q1 default), forecast outturn (the default: actual to date and the
    # profile of Q3 and Q4), movement, forecast variance, %, RAG: more than any one amount.
    assert forecast.split()[-6:] == [
        "£750,000,000.00", "£1,500,000,000.00*", "£750,000,000.00", "£500,000,000.01", "50.0%", "Green",
    ]  # fmt: skip


@needs("pdftotext")
def test_cipfa_lines_and_previous_forecast_agree_in_html_workbook_and_pdf(
    session, submitted_q1, login_as, tmp_path
):
    from incometrack.money import format_gbp
    from incometrack.services.returns import write_file

    registration = make_stream(session, "REG-ROOM", service="Registration", category="Room and venue hire")
    make_entry(session, registration, date(2025, 7, 1), 3_456_78, reference="REG")
    report = at(session, 2)
    expected_cipfa = {c.line: c.actual_to_date for c in report.cipfa}
    assert expected_cipfa["Lettings"] == 45_000_00
    assert expected_cipfa["Registration (outside CIPFA library statistics)"] == 3_456_78
    html = login_as(Role.FINANCE).client.get("/returns/2025-26/2").get_data(as_text=True)
    buffer = io.BytesIO()
    write_file(report, "xlsx", buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet_lines = {row[0]: row[1] for row in book["CIPFA lines"].iter_rows(min_row=2, values_only=True)}
    pdf = tmp_path / "q2.pdf"
    with pdf.open("wb") as out:
        write_file(report, "pdf", out)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    for line, pence in expected_cipfa.items():
        shown = format_gbp(pence)
        assert f"{line}</th>" in html and shown in html
        assert round(sheet_lines[line] * 100) == pence
        assert any(
            row.strip().startswith(line) and row.strip().endswith(shown) for row in text.splitlines()
        ), line
    # The previous forecast as Q1's return reported it, in all three.
    streams = book["Income by stream"]
    header = [c.value for c in streams[1]]
    row = next(r for r in streams.iter_rows(min_row=2, values_only=True) if r[0] == "LIB-ROOM")
    assert row[header.index("Previous forecast")] == 95_000
    assert "£95,000.00" in html
    forecast_part = text[text.index("Income by stream: forecast outturn") :]
    forecast_line = next(r for r in forecast_part.splitlines() if r.split()[:1] == ["LIB-ROOM"])
    assert forecast_line.split()[-6] == "£95,000.00"
