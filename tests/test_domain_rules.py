"""The rules an outside check found broken (issue 26), each as DOMAIN.md states it, with figures
worked out by hand in the comments. The year is 2025-26, long ended; "today" is 30 Nov 2026."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from incometrack.models import Forecast, GrantBid, MilestoneStatus, Role, Service
from incometrack.periods import FinancialYear, MonthPeriod
from incometrack.rag import Rag
from incometrack.reports.dashboard import recent_quarters
from incometrack.reports.grants import grant_figures
from incometrack.reports.income import stream_positions
from incometrack.reports.returns import build_monitoring, build_return
from incometrack.services import AS_READ, NO_RECORD, grants, income, milestones
from incometrack.services import returns as return_service
from tests.factories import (
    make_bid,
    make_budget,
    make_entry,
    make_milestone,
    make_project,
    make_stream,
    move,
)

Y = FinancialYear(2025)
META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}
TODAY = date(2026, 11, 30)


def at(session, quarter: int):
    return build_return(session, Y.quarter(quarter), **META)


def stream_line(report, code: str):
    return next(line for line in report.streams if line.code == code)


# RAG: a stream with no budget, or a budget of £0, is Green -------------------------------------


def test_streams_without_a_budget_are_green_whatever_a_refund_does(session, make_user):
    finance = make_user(Role.FINANCE)
    none = make_stream(session, "LIB-NONE")  # no budget at all
    zero = make_stream(session, "LIB-ZERO")
    make_budget(session, zero, 0, year=2025)
    make_entry(session, none, date(2025, 5, 1), -25_00, reference="REFUND-1")
    make_entry(session, zero, date(2025, 5, 2), -10_00, reference="REFUND-2")
    q1 = at(session, 1)
    assert stream_line(q1, "LIB-NONE").figures.rag is Rag.GREEN
    assert stream_line(q1, "LIB-ZERO").figures.rag is Rag.GREEN
    assert [line.code for line in q1.streams if line.figures.rag is not Rag.GREEN] == []
    assert q1.streams_needing_commentary == ()
    # The Libraries total: £0 budget, -£35.00 actual; rated on those sums, Green too.
    libraries = next(s for s in q1.services if s.service == "Libraries")
    assert (libraries.figures.annual_budget, libraries.figures.actual_to_date) == (0, -35_00)
    assert libraries.figures.rag is Rag.GREEN and q1.overall.rag is Rag.GREEN
    # Nothing needs commentary, so the return goes without a reason.
    return_service.submit(session, Y.quarter(1), actor=finance, reason="", today=TODAY, **META)
    session.commit()


# Commentary is not a forecast -----------------------------------------------------------------


def test_commentary_on_a_default_quarter_leaves_the_default_standing(session, make_user):
    finance = make_user(Role.FINANCE)
    stream = make_stream(session, "LIB-HALL")
    make_budget(session, stream, 12_000_00, year=2025)  # £1,000 a month
    make_entry(session, stream, date(2025, 5, 1), 1_000_00, reference="Q1")
    make_entry(session, stream, date(2025, 8, 1), 5_000_00, reference="Q2")
    # Q1's default: £1,000 to date + 9 months x £1,000 still to come = £10,000; £2,000 short of
    # £12,000 (16.7%) is Red, so it needs commentary.
    q1 = stream_line(at(session, 1), "LIB-HALL").figures
    assert (q1.forecast_outturn, q1.rag) == (10_000_00, Rag.RED)
    income.save_commentary(
        session,
        stream,
        Y.quarter(1),
        "Hall shut for repairs in May",
        actor=finance,
        expected_version=NO_RECORD,
    )
    session.commit()
    saved = session.scalar(select(Forecast))
    assert (saved.quarter, saved.outturn, saved.commentary) == (1, None, "Hall shut for repairs in May")
    q1 = stream_line(at(session, 1), "LIB-HALL")
    assert (q1.figures.forecast_outturn, q1.forecast_is_default, q1.commentary) == (
        10_000_00,
        True,
        "Hall shut for repairs in May",
    )
    # Q2's default: £6,000 to date + 6 months x £1,000 = £12,000: on budget, Green. The bug made
    # Q1's £10,000 an entered forecast, which then stood in Q2 as Red.
    q2 = stream_line(at(session, 2), "LIB-HALL")
    assert (q2.figures.forecast_outturn, q2.forecast_is_default, q2.figures.rag) == (
        12_000_00,
        True,
        Rag.GREEN,
    )
    assert q2.figures.previous_forecast == 10_000_00  # Q1's default, as it stood at 30 Jun 2025


def test_saving_the_same_commentary_again_changes_nothing(session, make_user):
    finance = make_user(Role.FINANCE)
    stream = make_stream(session, "LIB-HALL")
    make_budget(session, stream, 12_000_00, year=2025)
    income.save_commentary(session, stream, Y.quarter(1), "Noted", actor=finance, expected_version=NO_RECORD)
    session.commit()
    income.save_commentary(session, stream, Y.quarter(1), "Noted", actor=finance, expected_version=1)
    session.commit()
    assert session.scalar(select(Forecast.version)) == 1


# The library service is known by what it is, not its name ------------------------------------


def test_cipfa_lines_follow_the_library_service_through_a_rename(session, make_user):
    lettings = make_stream(session, "LIB-ROOM", category="Room and venue hire")
    registration = make_stream(
        session, "REG-CER", service="Registration", category="Ceremonies and certificates"
    )
    make_entry(session, lettings, date(2025, 5, 1), 100_00)
    make_entry(session, registration, date(2025, 5, 2), 2_000_00)
    library = session.scalar(select(Service).where(Service.name == "Libraries"))
    library.name = "Libraries and Culture"
    session.commit()
    lines = {line.line: line.actual_to_date for line in at(session, 1).cipfa}
    assert lines["Lettings"] == 100_00
    assert lines["Libraries: not on a CIPFA line"] == 0
    assert lines["Registration (outside CIPFA library statistics)"] == 2_000_00
    assert "Libraries and Culture (outside CIPFA library statistics)" not in lines
    assert sum(lines.values()) == 2_100_00


# A milestone at a date: its latest update dated on or before it --------------------------------


def test_a_milestone_stands_as_its_latest_dated_update_not_its_last_entered(session, make_user):
    lead = make_user(Role.FINANCE)
    project = make_project(session, lead, name="Digital Playground")
    milestone = make_milestone(session, project, lead, baseline=date(2025, 12, 1), on=date(2025, 4, 1))

    def update(on, forecast, note):
        milestones.update_milestone(session, milestone, forecast_due=forecast, status=MilestoneStatus.IN_PROGRESS,
                                    completed_on=None, note=note, actor=lead, update_on=on, today=TODAY,
                                    expected_version=AS_READ)  # fmt: skip
        session.commit()

    update(date(2025, 9, 1), date(2026, 1, 15), "Supplier late")
    update(date(2025, 8, 1), date(2025, 12, 20), "August note, typed in late")  # entered last, dated earlier
    update(date(2025, 9, 1), date(2026, 1, 31), "Second note that day")  # a tie: the later entered wins
    q2 = [(m.forecast, m.latest_update) for m in at(session, 2).milestones]
    assert q2 == [(date(2026, 1, 31), "Second note that day")]


def test_a_milestone_created_after_a_quarter_is_not_in_its_return(session, make_user):
    lead = make_user(Role.FINANCE)
    project = make_project(session, lead, name="Digital Playground")
    milestone = make_milestone(session, project, lead, baseline=date(2026, 3, 1), on=date(2025, 11, 1))
    milestones.update_milestone(session, milestone, forecast_due=date(2026, 3, 1), status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note="Backdated", actor=lead, update_on=date(2025, 8, 1),
                                today=TODAY, expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert at(session, 2).milestones == ()
    assert [m.latest_update for m in at(session, 3).milestones] == ["Milestone set"]


# A bid as it stood: nothing its later award brought, its probability then ----------------------


def test_a_pending_bid_shows_nothing_its_later_award_brought(session, make_user):
    finance = make_user(Role.FINANCE)
    bid = make_bid(session, finance, title="Makerspaces", requested=60_000_00, on=date(2025, 4, 10))
    move(session, bid, finance, "drafting", "submitted", on=date(2025, 6, 1))
    move(session, bid, finance, "awarded", on=date(2025, 11, 15), awarded_resource=50_000_00)
    bid = session.get(GrantBid, bid.id)
    bid.start_on, bid.end_on = date(2026, 1, 1), date(2026, 12, 31)
    grants.add_report(session, bid, title="Interim report", due_on=date(2026, 6, 30), actor=finance)
    session.commit()
    q2 = next(g for g in at(session, 2).grants if g.bid == "Makerspaces")
    assert (q2.status.value, q2.start_on, q2.end_on, q2.next_report, q2.next_report_due) == (
        "submitted",
        None,
        None,
        "",
        None,
    )
    q3 = next(g for g in at(session, 3).grants if g.bid == "Makerspaces")
    assert (q3.start_on, q3.end_on, q3.next_report, q3.next_report_due) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        "Interim report",
        date(2026, 6, 30),
    )


def test_a_probability_changed_today_leaves_past_pipelines_as_they_were(session, make_user):
    finance = make_user(Role.FINANCE)
    bid = make_bid(
        session, finance, title="Reading", requested=120_000_00, probability=40, on=date(2025, 4, 10)
    )
    data = grants.BidInput(
        title="Reading",
        funder_id=bid.funder_id,
        service_id=bid.service_id,
        lead_id=finance.id,
        amount_requested=120_000_00,
        probability=90,
    )
    grants.update_bid(session, bid, data, actor=finance, expected_version=bid.version, today=TODAY)
    session.commit()
    # At 30 Jun 2025: 40% of £120,000 = £48,000. Today: 90% = £108,000.
    assert at(session, 1).grants_headline.weighted_pipeline == 48_000_00
    assert grant_figures(session, FinancialYear(2026), as_of=TODAY).weighted_pipeline == 108_000_00


# Live figures for a quarter in progress ---------------------------------------------------------


def test_a_quarter_in_progress_is_profiled_to_the_as_at_month(session):
    stream = make_stream(session, "LIB-LIVE")
    make_budget(session, stream, 12_000_00, year=2026)  # £3,000 a quarter, £1,000 a month
    make_entry(session, stream, date(2026, 7, 10), 2_500_00, reference="Q2")
    make_entry(session, stream, date(2026, 10, 5), 500_00, reference="P7")
    make_entry(session, stream, date(2026, 11, 3), 700_00, reference="P8")  # after the as-at day
    p7 = MonthPeriod(FinancialYear(2026), 7)  # to 31 Oct 2026
    position = stream_positions(session, p7, [stream.id])[stream.id]
    # Q3 to 31 Oct: October's £1,000 of profile against October's £500.
    assert position.profile_to_date == (3_000_00, 3_000_00, 1_000_00, 3_000_00)
    assert position.actuals[:3] == (0, 2_500_00, 500_00)
    assert (position.profiled_to_date, position.actual_to_date) == (7_000_00, 3_000_00)
    bars = {bar.label: (bar.actual, bar.profiled) for bar in recent_quarters(session, p7)}
    assert bars["2026-27 Q2"] == (2_500_00, 3_000_00)
    assert bars["2026-27 Q3"] == (500_00, 1_000_00)  # the November £700 is after the as-at day
    assert bars["2026-27 Q1"] == (0, 3_000_00)
    pack = build_monitoring(session, p7, **META)
    assert [(bar.label, bar.actual, bar.profiled) for bar in pack.quarters] == [
        ("Q1", 0, 3_000_00),
        ("Q2", 2_500_00, 3_000_00),
        ("Q3", 500_00, 1_000_00),
        ("Q4", None, 3_000_00),
    ]


# A return only for a quarter that has ended --------------------------------------------------


def test_export_return_refuses_a_quarter_that_has_not_ended(runner, tmp_path):
    result = runner.invoke(
        args=["export-return", "--year", "2027-28", "--quarter", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert (
        "The 2027-28 Q1 return can be produced from 1 Jul 2027, once the quarter has ended" in result.output
    )
    assert list(tmp_path.iterdir()) == []


def test_the_preview_of_a_quarter_in_progress_offers_no_download(login_as):
    finance = login_as(Role.FINANCE)
    page = finance.client.get("/returns/2027-28/1").get_data(as_text=True)
    assert "can be produced from 1 Jul 2027" in page and "Download Excel workbook" not in page
    assert 'href="/monitoring/"' in page
    refused = finance.client.post("/returns/2027-28/1/export/xlsx")
    assert refused.status_code == 400
    assert "can be produced from 1 Jul 2027" in refused.get_data(as_text=True)


def test_a_monitoring_pack_of_a_month_not_ended_is_refused_by_its_download_route(login_as):
    finance = login_as(Role.FINANCE)
    refused = finance.client.post("/monitoring/2027-28/12/export/html")
    assert refused.status_code == 400
    assert "2027-28 P12 has not ended yet" in refused.get_data(as_text=True)


def test_the_stream_page_shows_commentary_without_a_forecast_as_such(session, login_as):
    finance = login_as(Role.FINANCE)
    stream = make_stream(session, "LIB-HALL")
    make_budget(session, stream, 12_000_00, year=2025)
    income.save_commentary(
        session,
        stream,
        Y.quarter(1),
        "Hall shut for repairs in May",
        actor=finance.user,
        expected_version=NO_RECORD,
    )
    session.commit()
    page = finance.client.get(f"/income/streams/{stream.id}?year=2025-26").get_data(as_text=True)
    assert "None entered (commentary only)" in page and "Hall shut for repairs in May" in page
