"""Funders, programmes and grant bids: the pipeline, awards, payments, spend and funder reports.

Finance and admin manage everything; a lead edits the bids they lead and records their spend and
reports; viewers change nothing. Every change is audited and edits are conflict-safe.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import money, policy
from incometrack.models import (
    BID_TRANSITIONS,
    WON_STATUSES,
    BidProbability,
    BidStatus,
    BidStatusChange,
    Funder,
    FunderReport,
    FunderType,
    GrantBid,
    GrantPayment,
    GrantSpend,
    Outcome,
    Programme,
    Service,
    User,
)
from incometrack.services import NotAllowed, ServiceError, ValidationErrors, audit, check_version, within

# Permissions (the rules are incometrack.policy's) ----------------------------------------------


def can_edit_bid(user: User, bid: GrantBid) -> bool:
    """Finance and admin edit any bid; a lead edits the bids they lead."""
    return policy.can_act_for_lead(user, bid.lead_id)


def why_not_bid(bid: GrantBid) -> str:
    """Why someone who may not change ``bid`` is refused: whose bid it is."""
    lead = bid.lead.name if bid.lead else "no one"
    return f"This bid is led by {lead}. Only its lead, finance officers and administrators can change it."


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def _manages(actor: User | None) -> bool:
    """Finance and admin; ``actor`` None is the command line, run by the server's operator."""
    return actor is None or policy.can_manage(actor)


# Funders and programmes ----------------------------------------------------------------------


@dataclass(frozen=True)
class FunderInput:
    name: str
    type: FunderType
    notes: str = ""


def _funder_values(session: Session, data: FunderInput, funder_id: int | None) -> dict[str, object]:
    """:raises ValidationErrors: for a missing or duplicate name."""
    name = data.name.strip()
    errors = {}
    if not name:
        errors["name"] = "Enter the funder's name"
    elif len(name) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    else:
        clash = select(Funder.id).where(func.lower(Funder.name) == name.lower())
        if funder_id is not None:
            clash = clash.where(Funder.id != funder_id)
        if session.scalar(clash) is not None:
            errors["name"] = f"A funder called {name} already exists"
    if errors:
        raise ValidationErrors(errors)
    return {"name": name, "type": data.type, "notes": data.notes.strip()}


def create_funder(session: Session, data: FunderInput, *, actor: User | None) -> Funder:
    """:raises NotAllowed: unless finance or admin.
    :raises ValidationErrors: for a missing or duplicate name."""
    _require(_manages(actor), "Only finance officers and administrators manage funders")
    funder = Funder(**_funder_values(session, data, None))
    session.add(funder)
    audit.record_create(session, actor, funder, summary=funder.name)
    return funder


def update_funder(
    session: Session, funder: Funder, data: FunderInput, *, actor: User, expected_version: int | None
) -> Funder:
    """:raises NotAllowed: unless finance or admin.
    :raises StaleEdit: when the funder changed since the form was drawn.
    :raises ValidationErrors: for a missing or duplicate name."""
    _require(_manages(actor), "Only finance officers and administrators manage funders")
    check_version(funder, expected_version, asdict(data))
    values = _funder_values(session, data, funder.id)
    audit.update(session, actor, funder, values, summary=values["name"])
    return funder


@dataclass(frozen=True)
class ProgrammeInput:
    name: str
    total_pot: int | None = None
    opens_on: date | None = None
    closes_on: date | None = None
    notes: str = ""


def _programme_values(data: ProgrammeInput) -> dict[str, object]:
    """:raises ValidationErrors: for a missing name, a negative pot or dates the wrong way round."""
    errors = {}
    if not data.name.strip():
        errors["name"] = "Enter the programme's name"
    if data.total_pot is not None and data.total_pot < 0:
        errors["total_pot"] = "Total pot cannot be negative"
    if data.opens_on and data.closes_on and data.closes_on < data.opens_on:
        errors["closes_on"] = "Closing date must be on or after the opening date"
    if errors:
        raise ValidationErrors(errors)
    return asdict(data) | {"name": data.name.strip(), "notes": data.notes.strip()}


def create_programme(
    session: Session, funder: Funder, data: ProgrammeInput, *, actor: User | None
) -> Programme:
    """:raises NotAllowed: unless finance or admin.
    :raises ValidationErrors: for a missing name, a negative pot or dates the wrong way round."""
    _require(_manages(actor), "Only finance officers and administrators manage programmes")
    programme = Programme(funder_id=funder.id, **_programme_values(data))
    session.add(programme)
    audit.record_create(session, actor, programme, summary=f"{funder.name}: {programme.name}")
    return programme


def update_programme(
    session: Session, programme: Programme, data: ProgrammeInput, *, actor: User, expected_version: int | None
) -> Programme:
    """:raises NotAllowed: unless finance or admin.
    :raises StaleEdit: when the programme changed since the form was drawn.
    :raises ValidationErrors: for a missing name, a negative pot or dates the wrong way round."""
    _require(_manages(actor), "Only finance officers and administrators manage programmes")
    check_version(programme, expected_version, asdict(data))
    audit.update(session, actor, programme, _programme_values(data), summary=lambda p: p.name)
    return programme


# Bids ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidInput:
    title: str
    funder_id: int
    service_id: int
    programme_id: int | None = None
    lead_id: int | None = None
    outcome_ids: tuple[int, ...] = ()
    amount_requested: int = 0
    match_cash: int = 0
    match_in_kind: int = 0
    submission_deadline: date | None = None
    submitted_on: date | None = None
    decision_on: date | None = None
    awarded_resource: int | None = None
    awarded_capital: int | None = None
    start_on: date | None = None
    end_on: date | None = None
    probability: int = 50
    description: str = ""
    # The funder's reason for an unsuccessful bid is not here: it is recorded by the move to
    # unsuccessful, and an edit of the bid's details must not touch it.


def bid_problems(session: Session, data: BidInput) -> dict[str, str]:
    """Every problem with ``data``: what it refers to (funder, programme, service, lead, outcomes)
    and :func:`bid_detail_problems`."""
    errors: dict[str, str] = {}
    if session.get(Funder, data.funder_id) is None:
        errors["funder_id"] = "Select a funder"
    if data.programme_id is not None:
        programme = session.get(Programme, data.programme_id)
        if programme is None or programme.funder_id != data.funder_id:
            errors["programme_id"] = "Select a programme of the chosen funder, or none"
    if session.get(Service, data.service_id) is None:
        errors["service_id"] = "Select a service"
    if data.lead_id is not None and session.get(User, data.lead_id) is None:
        errors["lead_id"] = "Select a lead officer from the list"
    known = set(session.scalars(select(Outcome.id)))
    if set(data.outcome_ids) - known:
        errors["outcome_ids"] = "Select outcomes from the list"
    return bid_detail_problems(data) | errors


def bid_detail_problems(data: BidInput) -> dict[str, str]:
    """A bid's own figures and words checked, without the database: the rule for the bid form and
    a bids file alike (a file names its funder before it exists)."""
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Enter the bid's title"
    elif len(data.title.strip()) > 255:
        errors["title"] = "Title must be 255 characters or fewer"
    for name in ("amount_requested", "match_cash", "match_in_kind", "awarded_resource", "awarded_capital"):
        value = getattr(data, name)
        if value is not None and value < 0:
            errors[name] = "Amount cannot be negative"
    if not 0 <= data.probability <= 100:
        errors["probability"] = "Probability must be a whole number from 0 to 100"
    if data.start_on and data.end_on and data.end_on < data.start_on:
        errors["end_on"] = "End date must be on or after the start date"
    return errors


def _bid_values(data: BidInput) -> dict[str, object]:
    values = asdict(data)
    values.pop("outcome_ids")
    values["title"] = data.title.strip()
    values["description"] = data.description.strip()
    return values


def create_bid(
    session: Session,
    data: BidInput,
    *,
    actor: User | None,
    on: date | None = None,
    today: date | None = None,
    note: str = "Bid recorded",
) -> GrantBid:
    """Record a new bid at the start of the pipeline (idea). A lead may create bids they lead;
    ``actor`` None is the command line (``import-bids``), run by the server's operator.

    :raises NotAllowed: for viewers, or a lead creating a bid led by someone else.
    :raises ValidationErrors: naming each wrong field.
    """
    _require(
        actor is None or policy.can_act_for_lead(actor, data.lead_id),
        "You can only add bids that you lead",
    )
    if errors := bid_problems(session, data):
        raise ValidationErrors(errors)
    values = _bid_values(data)
    bid = GrantBid(status=BidStatus.IDEA, **values)
    bid.outcomes = list(session.scalars(select(Outcome).where(Outcome.id.in_(data.outcome_ids))))
    recorded_on = on or (today or date.today())
    bid.history.append(
        BidStatusChange(
            from_status=None,
            to_status=BidStatus.IDEA,
            changed_on=recorded_on,
            changed_by_id=actor.id if actor else None,
            note=note[:255],
        )
    )
    bid.probabilities.append(BidProbability(probability=data.probability, on=recorded_on))
    session.add(bid)
    audit.record_create(session, actor, bid, summary=bid.title)
    return bid


def update_bid(
    session: Session,
    bid: GrantBid,
    data: BidInput,
    *,
    actor: User,
    expected_version: int | None,
    today: date | None = None,
) -> GrantBid:
    """Change a bid's details (not its status: that moves only through :func:`move_bid`). A new
    probability is dated ``today``, so the pipeline as at an earlier day keeps the one it had.

    :raises NotAllowed: unless the actor manages grants or leads this bid.
    :raises StaleEdit: when the bid changed since the form was drawn.
    """
    _require(can_edit_bid(actor, bid), "You can only change bids that you lead")
    check_version(bid, expected_version, _bid_values(data))
    if errors := bid_problems(session, data):
        raise ValidationErrors(errors)
    if not policy.can_act_for_lead(actor, data.lead_id):
        raise ValidationErrors({"lead_id": "Only finance can hand a bid to another lead"})
    before = audit.snapshot(bid)
    before_outcomes = sorted(o.id for o in bid.outcomes)
    if data.probability != bid.probability:
        bid.probabilities.append(BidProbability(probability=data.probability, on=today or date.today()))
    for key, value in _bid_values(data).items():
        setattr(bid, key, value)
    bid.outcomes = list(session.scalars(select(Outcome).where(Outcome.id.in_(data.outcome_ids))))
    event = audit.record_update(session, actor, bid, before, summary=bid.title)
    if sorted(data.outcome_ids) != before_outcomes:
        change = {"outcome_ids": [before_outcomes, sorted(data.outcome_ids)]}
        if event is None:
            audit.record(session, actor, "update", "grant_bids", bid.id, changes=change, summary=bid.title)
        else:
            event.changes = {**event.changes, **change}
    return bid


def transition_problem(current: BidStatus, to: BidStatus) -> str | None:
    """Why a bid that is ``current`` cannot become ``to``, or None where the pipeline allows it."""
    if to in BID_TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(s.value for s in BID_TRANSITIONS[current])) or "nothing: it is finished"
    return f"A bid that is {current.value} cannot become {to.value}. It can become {allowed}."


def move_problems(
    current: BidStatus,
    to: BidStatus,
    *,
    on: date,
    last: date | None,
    today: date,
    awarded_resource: int | None = None,
    awarded_capital: int | None = None,
) -> dict[str, str]:
    """A move of a bid from ``current`` (its last change dated ``last``) to ``to`` on ``on``
    checked: allowed by the pipeline (key ``status``), dated in order and not in the future
    (``on``), and an award with its amount (``awarded_resource``). The rule for a move on screen
    and each step of a bid imported alike."""
    errors: dict[str, str] = {}
    if problem := transition_problem(current, to):
        errors["status"] = problem
    if last is not None and on < last:
        errors["on"] = f"Date must be on or after the last change of status ({last:%d/%m/%Y})"
    if on > today:
        errors["on"] = "Date must be today or in the past"
    if to is BidStatus.AWARDED:
        resource, capital = awarded_resource or 0, awarded_capital or 0
        if awarded_resource is None and awarded_capital is None:
            errors["awarded_resource"] = "Enter the amount awarded (resource, capital or both)"
        elif resource < 0 or capital < 0:
            errors["awarded_resource"] = "Amounts awarded cannot be negative"
        elif resource + capital == 0:
            errors["awarded_resource"] = "Enter the amount awarded: it cannot be zero"
    return errors


def move_bid(
    session: Session,
    bid: GrantBid,
    to: BidStatus,
    *,
    on: date,
    actor: User | None,
    note: str = "",
    awarded_resource: int | None = None,
    awarded_capital: int | None = None,
    reason: str = "",
    expected_version: int | None,
    today: date | None = None,
) -> BidStatusChange:
    """Move a bid one step along the pipeline, dated and kept in its history (the rules are
    :func:`move_problems`'s). Awarding needs the amount awarded (resource and capital parts; at
    least one above zero); unsuccessful keeps the funder's reason. ``actor`` None is the command
    line.

    :raises NotAllowed: unless the actor manages grants or leads this bid.
    :raises ServiceError: for a move the pipeline does not allow.
    :raises ValidationErrors: for a missing award or a date before the last move.
    """
    _require(actor is None or can_edit_bid(actor, bid), "You can only move bids that you lead")
    check_version(bid, expected_version, {"status": to.value})
    last = max((change.changed_on for change in bid.history), default=None)
    errors = move_problems(
        bid.status,
        to,
        on=on,
        last=last,
        today=today or date.today(),
        awarded_resource=awarded_resource,
        awarded_capital=awarded_capital,
    )
    if "status" in errors:
        raise ServiceError(errors["status"], field="status")
    if errors:
        raise ValidationErrors(errors)
    before = audit.snapshot(bid)
    change = BidStatusChange(
        from_status=bid.status,
        to_status=to,
        changed_on=on,
        note=(note or "").strip()[:255],
        changed_by_id=actor.id if actor else None,
    )
    bid.history.append(change)
    bid.status = to
    if to is BidStatus.SUBMITTED and bid.submitted_on is None:
        bid.submitted_on = on
    if to in (BidStatus.AWARDED, BidStatus.UNSUCCESSFUL):
        bid.decision_on = on
    if to is BidStatus.AWARDED:
        bid.awarded_resource = awarded_resource or 0
        bid.awarded_capital = awarded_capital or 0
    if to is BidStatus.UNSUCCESSFUL:
        bid.unsuccessful_reason = (reason or "").strip()
    if to is BidStatus.IN_DELIVERY and bid.start_on is None:
        bid.start_on = on
    audit.record_update(session, actor, bid, before, summary=f"{bid.title}: {before['status']} -> {to.value}")
    return change


# Payments, spend and reports -----------------------------------------------------------------


def _require_awarded(bid: GrantBid) -> None:
    if bid.status not in WON_STATUSES:
        raise ServiceError("Payments, spend and reports are recorded once a bid is awarded")


def add_payment(
    session: Session,
    bid: GrantBid,
    *,
    expected_on: date,
    amount_expected: int,
    actor: User,
    received_on: date | None = None,
    amount_received: int | None = None,
    note: str = "",
    today: date | None = None,
) -> GrantPayment:
    """An expected tranche, perhaps already received. Finance and admin only."""
    _require(policy.can_manage(actor), "Only finance officers and administrators record grant payments")
    _require_awarded(bid)
    errors = {}
    if amount_expected <= 0:
        errors["amount_expected"] = "Amount expected must be more than £0.00"
    _check_receipt(received_on, amount_received, errors, today)
    if errors:
        raise ValidationErrors(errors)
    payment = GrantPayment(
        bid_id=bid.id,
        expected_on=expected_on,
        amount_expected=amount_expected,
        received_on=received_on,
        amount_received=amount_received,
        note=within(note, 255, field="note", label="Note"),
    )
    session.add(payment)
    audit.record_create(
        session, actor, payment, summary=f"{bid.title}: {money.format_gbp(amount_expected)} expected"
    )
    return payment


def _check_receipt(
    received_on: date | None, amount_received: int | None, errors: dict[str, str], today: date | None = None
) -> None:
    if (received_on is None) != (amount_received is None):
        errors["received_on" if received_on is None else "amount_received"] = (
            "Enter both the date received and the amount received, or neither"
        )
    if amount_received is not None and amount_received < 0:
        errors["amount_received"] = "Amount received cannot be negative"
    if received_on is not None and received_on > (today or date.today()):
        errors["received_on"] = "Date received must be today or in the past"


def record_receipt(
    session: Session,
    payment: GrantPayment,
    *,
    received_on: date | None,
    amount_received: int | None,
    actor: User,
    expected_version: int | None,
    today: date | None = None,
) -> GrantPayment:
    _require(policy.can_manage(actor), "Only finance officers and administrators record grant payments")
    check_version(payment, expected_version, {"received_on": received_on, "amount_received": amount_received})
    errors: dict[str, str] = {}
    _check_receipt(received_on, amount_received, errors, today)
    if errors:
        raise ValidationErrors(errors)
    values = {"received_on": received_on, "amount_received": amount_received}
    audit.update(session, actor, payment, values, summary="payment received")
    return payment


def add_spend(
    session: Session,
    bid: GrantBid,
    *,
    spent_on: date,
    amount: int,
    description: str,
    actor: User,
    today: date | None = None,
    capital: bool = False,
) -> GrantSpend:
    """A line of spend against the award (negative for a correction), from its resource award or
    (``capital``) its capital award; the bid's lead may add it."""
    _require(can_edit_bid(actor, bid), "You can only record spend on bids that you lead")
    _require_awarded(bid)
    errors = {}
    if amount == 0:
        errors["amount"] = "Amount cannot be zero"
    if spent_on > (today or date.today()):
        errors["spent_on"] = "Date must be today or in the past"
    if not description.strip():
        errors["description"] = "Describe what the money was spent on"
    if errors:
        raise ValidationErrors(errors)
    spend = GrantSpend(
        bid_id=bid.id,
        spent_on=spent_on,
        amount=amount,
        description=within(description, 255, field="description", label="Description"),
        capital=capital,
        entered_by_id=actor.id,
    )
    session.add(spend)
    audit.record_create(session, actor, spend, summary=f"{bid.title}: {money.format_gbp(amount)} spent")
    return spend


def add_report(session: Session, bid: GrantBid, *, title: str, due_on: date, actor: User) -> FunderReport:
    """A report the funder requires; the bid's lead may add it."""
    _require(can_edit_bid(actor, bid), "You can only add reports to bids that you lead")
    _require_awarded(bid)
    if not title.strip():
        raise ValidationErrors({"title": "Enter what the report is, for example Final activity report"})
    report = FunderReport(
        bid_id=bid.id, title=within(title, 255, field="title", label="Report"), due_on=due_on
    )
    session.add(report)
    audit.record_create(session, actor, report, summary=f"{bid.title}: {report.title}")
    return report


def mark_report_submitted(
    session: Session,
    report: FunderReport,
    *,
    submitted_on: date,
    actor: User,
    expected_version: int | None,
    today: date | None = None,
) -> FunderReport:
    _require(can_edit_bid(actor, report.bid), "You can only update reports of bids that you lead")
    check_version(report, expected_version, {"submitted_on": submitted_on})
    if submitted_on > (today or date.today()):
        raise ValidationErrors({"submitted_on": "Date submitted must be today or in the past"})
    audit.update(session, actor, report, {"submitted_on": submitted_on}, summary=f"{report.title} submitted")
    return report
