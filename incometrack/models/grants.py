"""Funders, their programmes, and grant bids from idea to closure with payments, spend and reports."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Column, ForeignKey, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, Pence, Versioned, enum_type, intpk, str120, str255, text, timestamp
from incometrack.models.reference import Outcome, Service
from incometrack.models.users import User


class FunderType(enum.Enum):
    GOVERNMENT = "government"
    ARTS_COUNCIL = "Arts Council"
    LOTTERY = "lottery"
    TRUST = "trust/foundation"
    CORPORATE = "corporate"
    OTHER = "other"


class BidStatus(enum.Enum):
    IDEA = "idea"
    DRAFTING = "drafting"
    SUBMITTED = "submitted"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"
    WITHDRAWN = "withdrawn"
    IN_DELIVERY = "in delivery"
    CLOSED = "closed"


#: The only moves a bid may make (DOMAIN.md, Grants).
BID_TRANSITIONS: dict[BidStatus, frozenset[BidStatus]] = {
    BidStatus.IDEA: frozenset({BidStatus.DRAFTING, BidStatus.WITHDRAWN}),
    BidStatus.DRAFTING: frozenset({BidStatus.SUBMITTED, BidStatus.WITHDRAWN}),
    BidStatus.SUBMITTED: frozenset({BidStatus.AWARDED, BidStatus.UNSUCCESSFUL, BidStatus.WITHDRAWN}),
    BidStatus.AWARDED: frozenset({BidStatus.IN_DELIVERY}),
    BidStatus.IN_DELIVERY: frozenset({BidStatus.CLOSED}),
    BidStatus.UNSUCCESSFUL: frozenset(),
    BidStatus.WITHDRAWN: frozenset(),
    BidStatus.CLOSED: frozenset(),
}
PENDING_STATUSES = frozenset({BidStatus.IDEA, BidStatus.DRAFTING, BidStatus.SUBMITTED})
WON_STATUSES = frozenset({BidStatus.AWARDED, BidStatus.IN_DELIVERY, BidStatus.CLOSED})


class Funder(Versioned, Base):
    __tablename__ = "funders"

    id: Mapped[intpk]
    name: Mapped[str120] = mapped_column(unique=True)
    type: Mapped[FunderType]
    notes: Mapped[text]

    programmes: Mapped[list[Programme]] = relationship(back_populates="funder", order_by="Programme.name")

    def __str__(self) -> str:
        return self.name


class Programme(Versioned, Base):
    """A fund a funder runs, such as Libraries: Opportunities for Everyone."""

    __tablename__ = "programmes"
    __table_args__ = (CheckConstraint("total_pot IS NULL OR total_pot >= 0", name="pot_not_negative"),)

    id: Mapped[intpk]
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id"), index=True)
    name: Mapped[str120]
    total_pot: Mapped[Pence | None]
    opens_on: Mapped[date | None]
    closes_on: Mapped[date | None]
    notes: Mapped[text]

    funder: Mapped[Funder] = relationship(back_populates="programmes")

    def __str__(self) -> str:
        return self.name


bid_outcomes = Table(
    "bid_outcomes",
    Base.metadata,
    Column("bid_id", ForeignKey("grant_bids.id", ondelete="CASCADE"), primary_key=True),
    Column("outcome_id", ForeignKey("outcomes.id"), primary_key=True),
)


class GrantBid(Versioned, Base):
    __tablename__ = "grant_bids"
    __table_args__ = (
        CheckConstraint("amount_requested >= 0", name="requested_not_negative"),
        CheckConstraint("match_cash >= 0 AND match_in_kind >= 0", name="match_not_negative"),
        CheckConstraint(
            "(awarded_resource IS NULL OR awarded_resource >= 0)"
            " AND (awarded_capital IS NULL OR awarded_capital >= 0)",
            name="award_not_negative",
        ),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability_percent"),
    )

    id: Mapped[intpk]
    title: Mapped[str255]
    funder_id: Mapped[int] = mapped_column(ForeignKey("funders.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    status: Mapped[BidStatus] = mapped_column(default=BidStatus.IDEA, index=True)
    amount_requested: Mapped[Pence] = mapped_column(default=0)
    match_cash: Mapped[Pence] = mapped_column(default=0)
    match_in_kind: Mapped[Pence] = mapped_column(default=0)
    submission_deadline: Mapped[date | None]
    submitted_on: Mapped[date | None]
    decision_on: Mapped[date | None]
    awarded_resource: Mapped[Pence | None]  #: revenue part of the award
    awarded_capital: Mapped[Pence | None]
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]
    probability: Mapped[int] = mapped_column(default=50)  #: percent, while pending
    unsuccessful_reason: Mapped[text]
    description: Mapped[text]
    created_at: Mapped[timestamp]

    funder: Mapped[Funder] = relationship()
    programme: Mapped[Programme | None] = relationship()
    lead: Mapped[User | None] = relationship()
    service: Mapped[Service] = relationship()
    outcomes: Mapped[list[Outcome]] = relationship(secondary=bid_outcomes, order_by="Outcome.position")
    history: Mapped[list[BidStatusChange]] = relationship(
        back_populates="bid", order_by="BidStatusChange.id", cascade="all, delete-orphan"
    )
    #: ``probability`` as it was judged over time; the latest dated is the one above
    probabilities: Mapped[list[BidProbability]] = relationship(
        order_by="BidProbability.id", cascade="all, delete-orphan"
    )

    @property
    def amount_awarded(self) -> int:
        return (self.awarded_resource or 0) + (self.awarded_capital or 0)


class BidStatusChange(Base):
    """A dated move along the pipeline, kept as the bid's history."""

    __tablename__ = "bid_status_changes"

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("grant_bids.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[BidStatus | None] = mapped_column(enum_type(BidStatus, "from_status"))
    to_status: Mapped[BidStatus] = mapped_column(enum_type(BidStatus, "to_status"))
    changed_on: Mapped[date]
    note: Mapped[text]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[timestamp]

    bid: Mapped[GrantBid] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()


class BidProbability(Base):
    """A bid's chance of success as it was judged on a date: the weighted pipeline as at a past
    day uses the judgement that stood then, not today's (DOMAIN.md: everything about a pending bid
    is dated)."""

    __tablename__ = "bid_probabilities"
    __table_args__ = (CheckConstraint("probability BETWEEN 0 AND 100", name="probability_percent"),)

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("grant_bids.id", ondelete="CASCADE"), index=True)
    probability: Mapped[int]  #: percent
    on: Mapped[date]  #: from this day on, until a later judgement
    recorded_at: Mapped[timestamp]


class GrantPayment(Versioned, Base):
    """A tranche of an award: expected on a date, received (perhaps late, perhaps part) later."""

    __tablename__ = "grant_payments"
    __table_args__ = (
        CheckConstraint("amount_expected >= 0", name="expected_not_negative"),
        CheckConstraint("amount_received IS NULL OR amount_received >= 0", name="received_not_negative"),
    )

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("grant_bids.id", ondelete="CASCADE"), index=True)
    expected_on: Mapped[date]
    amount_expected: Mapped[Pence]
    received_on: Mapped[date | None]
    amount_received: Mapped[Pence | None]
    note: Mapped[str255] = mapped_column(default="")

    bid: Mapped[GrantBid] = relationship()


class GrantSpend(Versioned, Base):
    __tablename__ = "grant_spend"

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("grant_bids.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[date]
    amount: Mapped[Pence]  #: negative for a correction
    description: Mapped[str255] = mapped_column(default="")
    #: spent from the capital award (equipment, works) rather than the resource award
    capital: Mapped[bool] = mapped_column(default=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[timestamp]

    bid: Mapped[GrantBid] = relationship()
    entered_by: Mapped[User | None] = relationship()


class FunderReport(Versioned, Base):
    """A report the funder requires (activity report, completion report) and when it went in."""

    __tablename__ = "funder_reports"

    id: Mapped[intpk]
    bid_id: Mapped[int] = mapped_column(ForeignKey("grant_bids.id", ondelete="CASCADE"), index=True)
    title: Mapped[str255]
    due_on: Mapped[date]
    submitted_on: Mapped[date | None]

    bid: Mapped[GrantBid] = relationship()
