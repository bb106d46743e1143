"""The grant pipeline, awards, payments, spend and reports; figures on known data; permissions."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from incometrack.models import AuditEvent, BidStatus, Role
from incometrack.periods import FinancialYear
from incometrack.reports import grants as reports
from incometrack.services import AS_READ, NotAllowed, ServiceError, StaleEdit, ValidationErrors, grants
from tests.factories import make_bid, make_funder, move

ALL_MOVES = [(a, b) for a in BidStatus for b in BidStatus if a is not b]
PATH_TO = {
    BidStatus.IDEA: [],
    BidStatus.DRAFTING: ["drafting"],
    BidStatus.SUBMITTED: ["drafting", "submitted"],
    BidStatus.AWARDED: ["drafting", "submitted", "awarded"],
    BidStatus.UNSUCCESSFUL: ["drafting", "submitted", "unsuccessful"],
    BidStatus.WITHDRAWN: ["withdrawn"],
    BidStatus.IN_DELIVERY: ["drafting", "submitted", "awarded", "in delivery"],
    BidStatus.CLOSED: ["drafting", "submitted", "awarded", "in delivery", "closed"],
}
AWARD = {"awarded_resource": 8_000_00, "awarded_capital": 2_000_00}
#: The pipeline as DOMAIN.md and the README state it, written out here rather than read from the
#: code under test: idea -> drafting -> submitted -> awarded | unsuccessful | withdrawn;
#: awarded -> in delivery -> closed; idea and drafting may also be withdrawn.
ALLOWED = {
    ("idea", "drafting"),
    ("idea", "withdrawn"),
    ("drafting", "submitted"),
    ("drafting", "withdrawn"),
    ("submitted", "awarded"),
    ("submitted", "unsuccessful"),
    ("submitted", "withdrawn"),
    ("awarded", "in delivery"),
    ("in delivery", "closed"),
}


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE)


@pytest.mark.parametrize(("start", "target"), ALL_MOVES, ids=lambda s: s.value)
def test_every_move_is_allowed_only_along_the_pipeline(session, finance, start, target):
    bid = move(session, make_bid(session, finance), finance, *PATH_TO[start], **AWARD)
    assert bid.status is start
    if (start.value, target.value) in ALLOWED:
        grants.move_bid(
            session, bid, target, on=date(2026, 7, 1), actor=finance, expected_version=AS_READ, **AWARD
        )
        session.commit()
        assert bid.status is target
        assert bid.history[-1].from_status is start and bid.history[-1].to_status is target
    else:
        with pytest.raises(ServiceError, match=f"cannot become {target.value}"):
            grants.move_bid(
                session, bid, target, on=date(2026, 7, 1), actor=finance, expected_version=AS_READ, **AWARD
            )
        session.rollback()
        assert bid.status is start


def test_history_keeps_every_dated_move_with_notes(session, finance):
    bid = make_bid(session, finance)
    grants.move_bid(
        session,
        bid,
        BidStatus.DRAFTING,
        on=date(2026, 4, 10),
        actor=finance,
        note="Partners agreed",
        expected_version=AS_READ,
    )
    grants.move_bid(
        session, bid, BidStatus.SUBMITTED, on=date(2026, 5, 1), actor=finance, expected_version=AS_READ
    )
    session.commit()
    assert [(c.to_status.value, c.changed_on, c.note) for c in bid.history] == [
        ("idea", date(2026, 4, 1), "Bid recorded"),
        ("drafting", date(2026, 4, 10), "Partners agreed"),
        ("submitted", date(2026, 5, 1), ""),
    ]
    assert bid.submitted_on == date(2026, 5, 1)


def test_awarding_requires_the_amount(session, finance):
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted")
    with pytest.raises(ValidationErrors, match="Enter the amount awarded"):
        grants.move_bid(
            session, bid, BidStatus.AWARDED, on=date(2026, 7, 1), actor=finance, expected_version=AS_READ
        )
    with pytest.raises(ValidationErrors, match="cannot be zero"):
        grants.move_bid(
            session,
            bid,
            BidStatus.AWARDED,
            on=date(2026, 7, 1),
            actor=finance,
            awarded_resource=0,
            expected_version=AS_READ,
        )
    grants.move_bid(
        session,
        bid,
        BidStatus.AWARDED,
        on=date(2026, 7, 1),
        actor=finance,
        awarded_capital=5_000_00,
        expected_version=AS_READ,
    )
    session.commit()
    # The probability keeps the estimate made while pending: a return as at a day before the
    # decision weighs the bid by it.
    assert (bid.amount_awarded, bid.decision_on, bid.probability) == (5_000_00, date(2026, 7, 1), 50)


def test_unsuccessful_keeps_the_reason(session, finance):
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted")
    grants.move_bid(session, bid, BidStatus.UNSUCCESSFUL, on=date(2026, 7, 1), actor=finance,
                    reason="Oversubscribed round", expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert (bid.unsuccessful_reason, bid.decision_on, bid.probability) == (
        "Oversubscribed round",
        date(2026, 7, 1),
        50,
    )


def test_moves_cannot_go_back_in_time_or_into_the_future(session, finance):
    bid = make_bid(session, finance)
    with pytest.raises(ValidationErrors, match="on or after the last change"):
        grants.move_bid(
            session, bid, BidStatus.DRAFTING, on=date(2026, 3, 1), actor=finance, expected_version=AS_READ
        )
    with pytest.raises(ValidationErrors, match="today or in the past"):
        grants.move_bid(
            session,
            bid,
            BidStatus.DRAFTING,
            on=date.today() + timedelta(days=1),
            actor=finance,
            expected_version=AS_READ,
        )


def test_stale_move_is_refused(session, finance):
    bid = make_bid(session, finance)
    version = bid.version
    move(session, bid, finance, "drafting")
    with pytest.raises(StaleEdit):
        grants.move_bid(
            session, bid, BidStatus.WITHDRAWN, on=date(2026, 7, 1), actor=finance, expected_version=version
        )


class TestPermissions:
    def test_leads_edit_only_bids_they_lead(self, session, make_user, finance):
        lead, other = make_user(Role.LEAD), make_user(Role.LEAD)
        mine = make_bid(session, finance, lead=lead)
        theirs = make_bid(session, finance, lead=other, title="Other", funder=mine.funder)
        grants.move_bid(
            session, mine, BidStatus.DRAFTING, on=date(2026, 5, 1), actor=lead, expected_version=AS_READ
        )
        with pytest.raises(NotAllowed):
            grants.move_bid(
                session, theirs, BidStatus.DRAFTING, on=date(2026, 5, 1), actor=lead, expected_version=AS_READ
            )
        data = grants.BidInput(
            title="Renamed", funder_id=theirs.funder_id, service_id=theirs.service_id, lead_id=lead.id
        )
        with pytest.raises(NotAllowed):
            grants.update_bid(session, theirs, data, actor=lead, expected_version=theirs.version)

    def test_a_lead_may_add_only_bids_they_lead(self, session, make_user, finance):
        lead, other = make_user(Role.LEAD), make_user(Role.LEAD)
        funder = make_funder(session)
        assert make_bid(session, lead, funder=funder).lead_id == lead.id
        with pytest.raises(NotAllowed):
            make_bid(session, lead, funder=funder, lead=other)

    def test_viewers_change_nothing(self, session, make_user, finance):
        viewer = make_user(Role.VIEWER)
        bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded", **AWARD)
        with pytest.raises(NotAllowed):
            grants.move_bid(
                session,
                bid,
                BidStatus.IN_DELIVERY,
                on=date(2026, 7, 1),
                actor=viewer,
                expected_version=AS_READ,
            )
        with pytest.raises(NotAllowed):
            grants.add_spend(session, bid, spent_on=date(2026, 7, 1), amount=1, description="x", actor=viewer)
        with pytest.raises(NotAllowed):
            grants.create_funder(session, grants.FunderInput("New", bid.funder.type), actor=viewer)
        with pytest.raises(NotAllowed):
            make_bid(session, viewer, funder=bid.funder, lead=finance)

    def test_leads_record_spend_and_reports_but_not_payments(self, session, make_user, finance):
        lead = make_user(Role.LEAD)
        bid = move(
            session,
            make_bid(session, finance, lead=lead),
            finance,
            "drafting",
            "submitted",
            "awarded",
            **AWARD,
        )
        grants.add_spend(
            session, bid, spent_on=date(2026, 7, 1), amount=100_00, description="Kits", actor=lead
        )
        report = grants.add_report(
            session, bid, title="Activity report", due_on=date(2027, 1, 31), actor=lead
        )
        grants.mark_report_submitted(
            session, report, submitted_on=date(2026, 7, 2), actor=lead, expected_version=AS_READ
        )
        with pytest.raises(NotAllowed):
            grants.add_payment(session, bid, expected_on=date(2026, 8, 1), amount_expected=1_00, actor=lead)


def test_payments_spend_and_reports_need_an_award(session, finance):
    bid = make_bid(session, finance)
    with pytest.raises(ServiceError, match="once a bid is awarded"):
        grants.add_payment(session, bid, expected_on=date(2026, 8, 1), amount_expected=1_00, actor=finance)


def test_balances_and_audit(session, finance):
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded", **AWARD)
    payment = grants.add_payment(
        session, bid, expected_on=date(2026, 7, 1), amount_expected=6_000_00, actor=finance
    )
    grants.add_payment(session, bid, expected_on=date(2026, 12, 1), amount_expected=4_000_00, actor=finance)
    grants.record_receipt(
        session,
        payment,
        received_on=date(2026, 7, 3),
        amount_received=6_000_00,
        actor=finance,
        expected_version=AS_READ,
    )
    grants.add_spend(
        session, bid, spent_on=date(2026, 7, 10), amount=2_500_00, description="Kit", actor=finance
    )
    grants.add_spend(
        session, bid, spent_on=date(2026, 7, 11), amount=-500_00, description="Refund", actor=finance
    )
    session.commit()
    balance = reports.bid_balances(session, [bid.id])[bid.id]
    assert (balance.awarded, balance.expected, balance.received, balance.spent, balance.remaining) == (
        10_000_00, 10_000_00, 6_000_00, 2_000_00, 8_000_00,
    )  # fmt: skip
    assert str(balance.share_spent) == "20.0"
    entities = {e.entity for e in session.scalars(select(AuditEvent))}
    assert {"grant_bids", "grant_payments", "grant_spend"} <= entities


def test_receipt_needs_both_date_and_amount(session, finance):
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded", **AWARD)
    payment = grants.add_payment(
        session, bid, expected_on=date(2026, 7, 1), amount_expected=6_000_00, actor=finance
    )
    with pytest.raises(ValidationErrors, match="both the date received and the amount"):
        grants.record_receipt(
            session,
            payment,
            received_on=date(2026, 7, 3),
            amount_received=None,
            actor=finance,
            expected_version=AS_READ,
        )


def test_figures_on_known_data(session, finance):
    y = FinancialYear(2026)
    funder = make_funder(session)
    on = date(2026, 6, 1)
    won_a = move(session, make_bid(session, finance, funder=funder, title="A", requested=100_000_00), finance,
                 "drafting", "submitted", "awarded", on=on, awarded_resource=80_000_00, awarded_capital=20_000_00)  # fmt: skip
    move(session, make_bid(session, finance, funder=funder, title="B", requested=50_000_00), finance,
         "drafting", "submitted", "awarded", "in delivery", on=on, awarded_resource=40_000_00)  # fmt: skip
    move(session, make_bid(session, finance, funder=funder, title="C", requested=60_000_00), finance,
         "drafting", "submitted", "unsuccessful", on=on)  # fmt: skip
    move(
        session,
        make_bid(session, finance, funder=funder, title="Old", requested=9_999_00, on=date(2026, 1, 5)),
        finance,
        "drafting",
        "submitted",
        "unsuccessful",
        on=date(2026, 3, 31),
    )  # fmt: skip (decided in 2025-26)
    make_bid(session, finance, funder=funder, title="P1", requested=10_000_00, probability=25)
    move(session, make_bid(session, finance, funder=funder, title="P2", requested=3_333_33, probability=50), finance,
         "drafting", "submitted", on=on)  # fmt: skip
    move(
        session,
        make_bid(session, finance, funder=funder, title="W", requested=1_000_00),
        finance,
        "withdrawn",
        on=on,
    )
    grants.add_payment(session, won_a, expected_on=date(2026, 5, 1), amount_expected=50_000_00, actor=finance,
                       received_on=date(2026, 6, 2), amount_received=50_000_00)  # fmt: skip
    session.commit()
    figures = reports.grant_figures(session, y)
    assert (figures.decided_awarded, figures.decided_unsuccessful) == (2, 1)
    assert figures.awarded_value == 140_000_00
    assert str(figures.success_rate_count) == "66.7"
    assert str(figures.success_rate_value) == "70.0"  # 140,000 / (140,000 + 60,000)
    assert figures.received_in_year == 50_000_00
    assert (figures.pending_count, figures.pending_requested) == (2, 13_333_33)
    assert figures.weighted_pipeline == 2_500_00 + 1_666_67  # half of £3,333.33 rounds up to the penny
    previous = reports.grant_figures(session, y.previous())
    assert (previous.decided_awarded, previous.decided_unsuccessful, previous.success_rate_count) == (0, 1, 0)
    board = {column.status: (column.count, column.value) for column in reports.pipeline(session)}
    assert board[BidStatus.AWARDED] == (1, 100_000_00)
    assert board[BidStatus.IN_DELIVERY] == (1, 40_000_00)
    assert board[BidStatus.IDEA] == (1, 10_000_00)
    assert board[BidStatus.CLOSED] == (0, 0)
    totals = reports.funder_totals(session, funder.id)
    assert (totals.bids, totals.awarded) == (7, 140_000_00)


def test_due_soon_lists_overdue_first(session, finance):
    today = date(2026, 11, 28)
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded", **AWARD)
    grants.add_report(session, bid, title="Late report", due_on=today - timedelta(days=3), actor=finance)
    grants.add_report(session, bid, title="Next report", due_on=today + timedelta(days=10), actor=finance)
    grants.add_report(session, bid, title="Far report", due_on=today + timedelta(days=60), actor=finance)
    grants.add_payment(
        session, bid, expected_on=today - timedelta(days=1), amount_expected=1_00, actor=finance
    )
    session.commit()
    items = reports.due_soon(session, today)
    assert [(i.what, i.overdue) for i in items] == [
        ("Late report", True), ("Payment expected", True), ("Next report", False),
    ]  # fmt: skip


@pytest.mark.parametrize(("today", "allowed"), [(date(2030, 1, 1), True), (date(2029, 12, 31), False)])
def test_a_move_is_dated_today_or_earlier_by_the_given_today(session, finance, today, allowed):
    bid = make_bid(session, finance)
    if allowed:
        grants.move_bid(
            session,
            bid,
            BidStatus.DRAFTING,
            on=date(2030, 1, 1),
            actor=finance,
            today=today,
            expected_version=AS_READ,
        )
        assert bid.status is BidStatus.DRAFTING
    else:
        with pytest.raises(ValidationErrors, match="today or in the past"):
            grants.move_bid(
                session,
                bid,
                BidStatus.DRAFTING,
                on=date(2030, 1, 1),
                actor=finance,
                today=today,
                expected_version=AS_READ,
            )


def test_a_report_title_too_long_for_its_column_is_refused_not_cut(session, finance):
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded", **AWARD)
    with pytest.raises(ValidationErrors, match="Report must be 255 characters or fewer"):
        grants.add_report(session, bid, title="x" * 256, due_on=date(2027, 1, 1), actor=finance)
    assert (
        grants.add_report(session, bid, title="x" * 255, due_on=date(2027, 1, 1), actor=finance).title
        == "x" * 255
    )
