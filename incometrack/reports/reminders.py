"""What is due, and whose it is: the reminder emails and the calendar feeds both read this.

Each kind of item goes to the people it belongs to (DOMAIN.md's roles, issue 19):

- a funder report due, or overdue and not yet submitted: the bid's lead;
- a grant payment expected and not yet received: every finance officer;
- a milestone due (its forecast date), not complete or cancelled: its owner and its project's lead;
- a bid's submission deadline, while it is still an idea or being drafted: the bid's lead;
- after a quarter has ended, until its return is submitted, each Amber or Red stream without the
  quarter's commentary: every finance officer (reminders only: it has no date of its own).

One SQL query a kind, however many people there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from incometrack.models import (
    BidStatus,
    FunderReport,
    GrantBid,
    GrantPayment,
    Milestone,
    MilestoneStatus,
    Project,
    ReturnSnapshot,
    Role,
    User,
)
from incometrack.periods import Quarter, quarter_for

#: How far ahead a reminder looks.
DAYS_AHEAD = 14
#: How far back the calendar shows what is still open (an overdue item stays on it).
CALENDAR_DAYS_BACK = 365


@dataclass(frozen=True)
class Item:
    """Something due, as a person reads it. ``key`` names it for the once-a-day rule and as the
    calendar event's identity; ``title`` carries no money (calendars are shared and synced)."""

    key: str
    kind: str  #: "Funder report", "Payment", "Milestone", "Bid deadline", "Commentary"
    title: str
    due_on: date | None
    overdue: bool
    endpoint: str
    args: tuple[tuple[str, object], ...] = ()
    #: pence, for the email only (a payment's amount); never in the calendar
    amount: int | None = None

    @property
    def url_args(self) -> dict[str, object]:
        return dict(self.args)


@dataclass
class Due:
    """Items by the id of the person they belong to."""

    by_person: dict[int, list[Item]] = field(default_factory=lambda: defaultdict(list))

    def add(self, person_ids, item: Item) -> None:
        for person_id in dict.fromkeys(p for p in person_ids if p is not None):
            self.by_person[person_id].append(item)

    def sorted(self) -> dict[int, list[Item]]:
        return {
            person: sorted(items, key=lambda i: (not i.overdue, i.due_on or date.max, i.kind, i.title))
            for person, items in self.by_person.items()
        }


def finance_ids(session: Session, person: User | None = None) -> list[int]:
    """The active finance officers (payments and commentary are theirs), or just ``person`` if one."""
    if person is not None:
        return [person.id] if person.role is Role.FINANCE and person.active else []
    return list(session.scalars(select(User.id).where(User.role == Role.FINANCE, User.active.is_(True))))


def _between(column, since: date | None, until: date) -> list:
    """Due by ``until`` and, where ``since`` is given, not before it."""
    return [column <= until] if since is None else [column >= since, column <= until]


def due_items(
    session: Session,
    today: date,
    *,
    since: date | None = None,
    until: date | None = None,
    person: User | None = None,
) -> Due:
    """Every open item due by ``until`` (default: :data:`DAYS_AHEAD` from today) and, where
    ``since`` is given, not before it, by person; only ``person``'s where one is given (their
    calendar feed), each query then narrowed to them in SQL."""
    until = until or today + timedelta(days=DAYS_AHEAD)
    due = Due()
    finance = finance_ids(session, person)

    reports = (
        select(
            FunderReport.id,
            FunderReport.title,
            FunderReport.due_on,
            GrantBid.id,
            GrantBid.title,
            GrantBid.lead_id,
        )
        .join(GrantBid, GrantBid.id == FunderReport.bid_id)
        .where(FunderReport.submitted_on.is_(None), *_between(FunderReport.due_on, since, until))
    )
    if person is not None:
        reports = reports.where(GrantBid.lead_id == person.id)
    for report_id, title, due_on, bid_id, bid_title, lead_id in session.execute(reports):
        due.add(
            [lead_id],
            Item(
                f"report:{report_id}",
                "Funder report",
                f"{title}: {bid_title}",
                due_on,
                due_on < today,
                "grants.bid_detail",
                (("bid_id", bid_id),),
            ),
        )

    payments = (
        select(
            GrantPayment.id,
            GrantPayment.expected_on,
            GrantPayment.amount_expected,
            GrantBid.id,
            GrantBid.title,
        )
        .join(GrantBid, GrantBid.id == GrantPayment.bid_id)
        .where(GrantPayment.received_on.is_(None), *_between(GrantPayment.expected_on, since, until))
    )
    if not finance:
        payments = payments.where(false())
    for payment_id, expected_on, amount, bid_id, bid_title in session.execute(payments):
        late = expected_on < today
        label = "Late payment" if late else "Payment expected"
        due.add(
            finance,
            Item(
                f"payment:{payment_id}",
                "Payment",
                f"{label}: {bid_title}",
                expected_on,
                late,
                "grants.bid_detail",
                (("bid_id", bid_id),),
                amount,
            ),
        )

    milestones = (
        select(
            Milestone.id,
            Milestone.title,
            Milestone.forecast_due,
            Milestone.owner_id,
            Project.name,
            Project.lead_id,
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(
            Milestone.status.not_in((MilestoneStatus.COMPLETE, MilestoneStatus.CANCELLED)),
            *_between(Milestone.forecast_due, since, until),
        )
    )
    if person is not None:
        milestones = milestones.where(or_(Milestone.owner_id == person.id, Project.lead_id == person.id))
    for milestone_id, title, due_on, owner_id, project, lead_id in session.execute(milestones):
        due.add(
            [owner_id, lead_id],
            Item(
                f"milestone:{milestone_id}",
                "Milestone",
                f"{title}: {project}",
                due_on,
                due_on < today,
                "projects.milestone_update",
                (("milestone_id", milestone_id),),
            ),
        )

    deadlines = select(GrantBid.id, GrantBid.title, GrantBid.submission_deadline, GrantBid.lead_id).where(
        GrantBid.status.in_((BidStatus.IDEA, BidStatus.DRAFTING)),
        *_between(GrantBid.submission_deadline, since or today, until),  # a passed deadline is gone
    )
    if person is not None:
        deadlines = deadlines.where(GrantBid.lead_id == person.id)
    for bid_id, title, deadline, lead_id in session.execute(deadlines):
        due.add(
            [lead_id],
            Item(
                f"deadline:{bid_id}",
                "Bid deadline",
                f"Submission deadline: {title}",
                deadline,
                False,
                "grants.bid_detail",
                (("bid_id", bid_id),),
            ),
        )
    return due


def quarter_awaiting_commentary(session: Session, today: date) -> Quarter | None:
    """The latest quarter that has ended, while its return has not been submitted."""
    quarter = quarter_for(today).previous()
    submitted = session.scalar(
        select(ReturnSnapshot.id).where(
            ReturnSnapshot.year == quarter.year.start, ReturnSnapshot.quarter == quarter.number
        )
    )
    return None if submitted is not None else quarter


def commentary_items(quarter: Quarter, streams) -> list[Item]:
    """One item per stream rated Amber or Red without the quarter's commentary (``streams``: the
    return's ``streams_needing_commentary``), each linking to the commentary page."""
    label = f"{quarter.year.label} Q{quarter.number}"
    return [
        Item(
            f"commentary:{label}:{s.code}",
            "Commentary",
            f"Commentary for {s.code} {s.name} ({label}, {s.figures.rag})",
            None,
            False,
            "returns.commentary",
            (("year_label", quarter.year.label), ("quarter", quarter.number)),
        )
        for s in streams
    ]
