"""Grant figures: success rates, the weighted pipeline, awards and receipts by year, balances,
and what is due soon. SQL aggregates throughout; the return reuses them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Date, bindparam, case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from incometrack.models import (
    PENDING_STATUSES,
    WON_STATUSES,
    BidProbability,
    BidStatus,
    BidStatusChange,
    FunderReport,
    GrantBid,
    GrantPayment,
    GrantSpend,
    bid_outcomes,
)
from incometrack.money import percent_of
from incometrack.periods import FinancialYear
from incometrack.reports.sql import read

AWARDED_TOTAL = func.coalesce(GrantBid.awarded_resource, 0) + func.coalesce(GrantBid.awarded_capital, 0)


@dataclass(frozen=True)
class GrantFigures:
    year: int
    decided_awarded: int  #: bids awarded with a decision date in the year
    decided_unsuccessful: int
    awarded_value: int  #: value of those awards
    unsuccessful_value: int  #: amount requested by the unsuccessful ones
    success_rate_count: Decimal | None  #: percent; None with no decisions
    success_rate_value: Decimal | None
    received_in_year: int  #: grant payments received in the year
    pending_count: int
    pending_requested: int
    weighted_pipeline: int  #: sum of requested x probability over pending bids, to the penny


def bid_states(first, as_of):
    """Each bid as it stood at ``as_of`` (DOMAIN.md, Grants): its status then (the latest change
    dated on or before it; ties, the later recorded), when it was awarded or refused if by then,
    and whether its status changed between ``first`` and ``as_of``. A bid with no change by then
    did not exist yet and has no row. ``first`` and ``as_of`` are bound parameters or dates."""
    change = BidStatusChange
    dated = change.changed_on <= as_of
    ranked = (
        select(
            change.bid_id,
            change.to_status.label("status"),
            func.row_number()
            .over(partition_by=change.bid_id, order_by=(change.changed_on.desc(), change.id.desc()))
            .label("rank"),
        )
        .where(dated)
        .subquery("ranked")
    )
    days = (
        select(
            change.bid_id,
            func.min(case((change.to_status == BidStatus.AWARDED, change.changed_on))).label("awarded_on"),
            func.min(case((change.to_status == BidStatus.UNSUCCESSFUL, change.changed_on))).label(
                "refused_on"
            ),
            func.max(case((change.changed_on >= first, 1), else_=0)).label("moved_in_year"),
        )
        .where(dated)
        .group_by(change.bid_id)
        .subquery("days")
    )
    return (
        select(ranked.c.bid_id, ranked.c.status, days.c.awarded_on, days.c.refused_on, days.c.moved_in_year)
        .join(days, days.c.bid_id == ranked.c.bid_id)
        .where(ranked.c.rank == 1)
        .subquery("state")
    )


def probability_on(day):
    """A bid's probability as judged on ``day`` (a bind parameter): the latest dated on or before
    it, ties to the later entered; a bid with none dated by then has its first."""
    judged = select(BidProbability.probability).where(BidProbability.bid_id == GrantBid.id)
    by_then = judged.where(BidProbability.on <= day).order_by(
        BidProbability.on.desc(), BidProbability.id.desc()
    )
    first = judged.order_by(BidProbability.on, BidProbability.id)
    return func.coalesce(
        by_then.limit(1).correlate(GrantBid).scalar_subquery(),
        first.limit(1).correlate(GrantBid).scalar_subquery(),
    )


def _figures_statements():
    """Decisions dated in the year up to the as-at day, the bids pending that day, and the
    payments received in the year up to it: one statement."""
    first, until = bindparam("first", type_=Date), bindparam("until", type_=Date)
    state = bid_states(first, until)
    won = state.c.awarded_on.between(first, until)
    lost = state.c.refused_on.between(first, until)
    pending = state.c.status.in_(PENDING_STATUSES)
    weighted = GrantBid.amount_requested * probability_on(until)
    bids = select(
        func.count(case((won, 1))),
        func.count(case((lost, 1))),
        func.coalesce(func.sum(case((won, AWARDED_TOTAL), else_=0)), 0),
        func.coalesce(func.sum(case((lost, GrantBid.amount_requested), else_=0)), 0),
        func.count(case((pending, 1))),
        func.coalesce(func.sum(case((pending, GrantBid.amount_requested), else_=0)), 0),
        func.coalesce(func.sum(case((pending, weighted), else_=0)), 0),
    ).join_from(GrantBid, state, state.c.bid_id == GrantBid.id)
    received = (
        select(func.coalesce(func.sum(GrantPayment.amount_received), 0))
        .where(GrantPayment.received_on.between(first, until))
        .scalar_subquery()
    )
    return bids.add_columns(received)


_FIGURES = _figures_statements()


def grant_figures(session: Session, year: FinancialYear, *, as_of: date | None = None) -> GrantFigures:
    """One query: decisions and the pipeline over the bids as they stood at ``as_of`` (by default
    the year's last day, which for the current year is how they stand now), and receipts over
    payments, all dated in the year up to that day."""
    params = {"first": year.first_day, "until": min(year.last_day, as_of) if as_of else year.last_day}
    won_count, lost_count, won_value, lost_value, pending_count, pending_requested, weighted, received = (
        int(v) for v in read(session, _FIGURES, params).one()
    )
    return GrantFigures(
        year=year.start,
        decided_awarded=won_count,
        decided_unsuccessful=lost_count,
        awarded_value=won_value,
        unsuccessful_value=lost_value,
        success_rate_count=percent_of(won_count, won_count + lost_count),
        success_rate_value=percent_of(won_value, won_value + lost_value),
        received_in_year=int(received),
        pending_count=pending_count,
        pending_requested=pending_requested,
        weighted_pipeline=(weighted + 50) // 100,  # percent -> pence, rounded half up
    )


@dataclass(frozen=True)
class BidBalance:
    bid_id: int
    awarded: int
    expected: int
    received: int
    spent: int
    remaining: int  #: awarded - spent
    share_spent: Decimal | None


def bid_balances(session: Session, bid_ids: list[int] | None = None) -> dict[int, BidBalance]:
    """Received, spent and remaining per bid: two grouped queries whatever the number of bids."""
    payments = select(
        GrantPayment.bid_id,
        func.coalesce(func.sum(GrantPayment.amount_expected), 0),
        func.coalesce(func.sum(GrantPayment.amount_received), 0),
    ).group_by(GrantPayment.bid_id)
    spend = select(GrantSpend.bid_id, func.coalesce(func.sum(GrantSpend.amount), 0)).group_by(
        GrantSpend.bid_id
    )
    bids = select(GrantBid.id, AWARDED_TOTAL)
    if bid_ids is not None:
        payments = payments.where(GrantPayment.bid_id.in_(bid_ids))
        spend = spend.where(GrantSpend.bid_id.in_(bid_ids))
        bids = bids.where(GrantBid.id.in_(bid_ids))
    paid = {bid_id: (int(e), int(r)) for bid_id, e, r in session.execute(payments)}
    spent = {bid_id: int(s) for bid_id, s in session.execute(spend)}
    result = {}
    for bid_id, awarded in session.execute(bids):
        awarded = int(awarded)
        expected, received = paid.get(bid_id, (0, 0))
        used = spent.get(bid_id, 0)
        result[bid_id] = BidBalance(
            bid_id, awarded, expected, received, used, awarded - used, percent_of(used, awarded)
        )
    return result


@dataclass(frozen=True)
class DueItem:
    kind: str  #: "report" or "payment"
    bid_id: int
    bid_title: str
    what: str
    due_on: date
    amount: int | None
    overdue: bool
    record_id: int


def due_soon(session: Session, today: date, *, days: int = 30, lead_id: int | None = None) -> list[DueItem]:
    """Reports not yet submitted and payments not yet received, due by ``today + days``; the
    overdue and late ones (due before today) first."""
    horizon = today + timedelta(days=days)
    reports = (
        select(FunderReport)
        .options(joinedload(FunderReport.bid))
        .where(FunderReport.submitted_on.is_(None), FunderReport.due_on <= horizon)
    )
    payments = (
        select(GrantPayment)
        .options(joinedload(GrantPayment.bid))
        .where(GrantPayment.received_on.is_(None), GrantPayment.expected_on <= horizon)
    )
    if lead_id is not None:
        reports = reports.join(FunderReport.bid).where(GrantBid.lead_id == lead_id)
        payments = payments.join(GrantPayment.bid).where(GrantBid.lead_id == lead_id)
    items = [
        DueItem("report", r.bid_id, r.bid.title, r.title, r.due_on, None, r.due_on < today, r.id)
        for r in session.scalars(reports)
    ] + [
        DueItem(
            "payment",
            p.bid_id,
            p.bid.title,
            "Payment expected",
            p.expected_on,
            p.amount_expected,
            p.expected_on < today,
            p.id,
        )
        for p in session.scalars(payments)
    ]
    return sorted(items, key=lambda item: (not item.overdue, item.due_on, item.bid_title))


@dataclass(frozen=True)
class PipelineColumn:
    status: BidStatus
    count: int
    value: int  #: amount awarded for won bids, requested for the rest


def pipeline(session: Session, bid_ids_query=None) -> list[PipelineColumn]:
    """Count and value of bids in each status, in pipeline order (one grouped query)."""
    value = case((GrantBid.status.in_(WON_STATUSES), AWARDED_TOTAL), else_=GrantBid.amount_requested)
    query = select(GrantBid.status, func.count(GrantBid.id), func.coalesce(func.sum(value), 0)).group_by(
        GrantBid.status
    )
    if bid_ids_query is not None:
        query = query.where(GrantBid.id.in_(bid_ids_query))
    found = {status: (int(count), int(total)) for status, count, total in session.execute(query)}
    return [PipelineColumn(status, *found.get(status, (0, 0))) for status in BidStatus]


@dataclass(frozen=True)
class BidFilters:
    status: BidStatus | None = None
    funder_id: int | None = None
    service_id: int | None = None
    outcome_id: int | None = None
    lead_id: int | None = None
    decision_year: FinancialYear | None = None


def filtered_bid_ids(filters: BidFilters):
    """A SELECT of the ids of the bids that match; lists and the pipeline board share it."""
    query = select(GrantBid.id)
    if filters.status is not None:
        query = query.where(GrantBid.status == filters.status)
    if filters.funder_id is not None:
        query = query.where(GrantBid.funder_id == filters.funder_id)
    if filters.service_id is not None:
        query = query.where(GrantBid.service_id == filters.service_id)
    if filters.lead_id is not None:
        query = query.where(GrantBid.lead_id == filters.lead_id)
    if filters.outcome_id is not None:
        query = query.where(
            GrantBid.id.in_(
                select(bid_outcomes.c.bid_id).where(bid_outcomes.c.outcome_id == filters.outcome_id)
            )
        )
    if filters.decision_year is not None:
        year = filters.decision_year
        query = query.where(GrantBid.decision_on.between(year.first_day, year.last_day))
    return query


def list_bids(session: Session, filters: BidFilters) -> list[GrantBid]:
    """Matching bids, newest first, with funder, programme, lead, service and outcomes loaded."""
    query = (
        select(GrantBid)
        .where(GrantBid.id.in_(filtered_bid_ids(filters)))
        .options(
            joinedload(GrantBid.funder),
            joinedload(GrantBid.programme),
            joinedload(GrantBid.lead),
            joinedload(GrantBid.service),
            selectinload(GrantBid.outcomes),
        )
        .order_by(GrantBid.id.desc())
    )
    return list(session.scalars(query).unique())


@dataclass(frozen=True)
class FunderTotals:
    bids: int
    requested: int
    awarded: int


def funder_totals(session: Session, funder_id: int) -> FunderTotals:
    won = GrantBid.status.in_(WON_STATUSES)
    count, requested, awarded = session.execute(
        select(
            func.count(GrantBid.id),
            func.coalesce(func.sum(GrantBid.amount_requested), 0),
            func.coalesce(func.sum(case((won, AWARDED_TOTAL), else_=0)), 0),
        ).where(GrantBid.funder_id == funder_id)
    ).one()
    return FunderTotals(int(count), int(requested), int(awarded))
