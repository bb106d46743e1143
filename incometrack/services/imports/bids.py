"""Past and live bids from a file, each recorded through the grants service: created as an idea on
its ``created_on`` day, then moved along the pipeline a dated step at a time, so a bid imported
obeys the rules a bid moved on screen obeys (:func:`grants.bid_detail_problems`,
:func:`grants.move_problems`), written in one place. This module only turns cells into the
service's input and its problems into ``row N: column`` messages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import (
    BID_TRANSITIONS,
    BidStatus,
    BidStatusChange,
    Funder,
    FunderType,
    GrantBid,
    Outcome,
    Programme,
    Service,
    User,
)
from incometrack.services import AS_READ, grants, locks
from incometrack.services.imports.common import (
    KEY_COLUMNS,
    ImportResult,
    RowError,
    cell_text,
    data_rows,
    finish_batch,
    open_table,
    optional_date,
    optional_money,
    start_batch,
)

#: A bid's dated steps after its idea, in pipeline order: (status, its date column).
_BID_STEPS = (
    (BidStatus.DRAFTING, "drafting_on"),
    (BidStatus.SUBMITTED, "submitted_on"),
    (None, "decided_on"),  # the status the "decision" column names
    (BidStatus.IN_DELIVERY, "delivery_on"),
    (BidStatus.CLOSED, "closed_on"),
)
_DECISIONS = {s.value: s for s in (BidStatus.AWARDED, BidStatus.UNSUCCESSFUL, BidStatus.WITHDRAWN)}


@dataclass
class _BidRow:
    #: the bid as the service takes it, less its funder and programme (which may not exist yet)
    bid: grants.BidInput
    funder: str
    programme: str
    #: each step after the idea: (status, day)
    steps: list[tuple[BidStatus, date]]
    reason: str
    #: the amount awarded (resource, capital), given to the move to awarded
    award: tuple[int | None, int | None] = (None, None)
    #: undated steps passed on the next dated step's day
    filled: int = 0

    @property
    def created_on(self) -> date:
        return self.steps[0][1]


def _bid_row(table, cells, number, lookups, today: date, errors: list[RowError]) -> _BidRow | None:
    """One line of a bids file as the grants service's input, or None (with ``errors``) where a
    cell cannot be read or the service's rules refuse it."""
    services, users, outcomes = lookups
    found = len(errors)

    def problem(column: str, message: str, value: object = "") -> None:
        errors.append(RowError(number, column, message, cell_text(value)))

    def has_problem(column: str) -> bool:
        return any(e.column == column for e in errors[found:])

    title = cell_text(table.cell(cells, "title"))
    funder = cell_text(table.cell(cells, "funder"))
    programme = cell_text(table.cell(cells, "programme"))
    service = cell_text(table.cell(cells, "service"))
    lead = cell_text(table.cell(cells, "lead_email")).lower()
    if not funder:
        problem("funder", "Enter the funder")
    for column, value in (("funder", funder), ("programme", programme)):
        if len(value) > 120:
            problem(column, f"{column.capitalize()} must be 120 characters or fewer", value)
    if service.lower() not in services:
        problem("service", f"No service is called {service or '(blank)'}")
    if lead not in users:
        problem("lead_email", f"No user has the email {lead or '(blank)'}")
    requested = optional_money(table, cells, "amount_requested", number, errors)
    if requested is None and not has_problem("amount_requested"):
        problem("amount_requested", "Enter the amount requested")
    outcome_ids = []
    for name in filter(None, (part.strip() for part in cell_text(table.cell(cells, "outcomes")).split(";"))):
        if name.lower() in outcomes:
            outcome_ids.append(outcomes[name.lower()])
        else:
            problem("outcomes", "No Libraries Deliver outcome is called this", name)
    probability_text = cell_text(table.cell(cells, "probability")) or "50"
    probability = int(probability_text) if probability_text.isascii() and probability_text.isdigit() else -1
    created = optional_date(table, cells, "created_on", number, errors)
    if created is None and not has_problem("created_on"):
        problem("created_on", "Enter the date the bid was recorded")
    elif created is not None and created > today:
        problem("created_on", "Date must be today or in the past", f"{created:%d/%m/%Y}")
    decision_text = cell_text(table.cell(cells, "decision")).lower()
    decision = _DECISIONS.get(decision_text)
    if decision_text and decision is None:
        problem("decision", "must be awarded, unsuccessful or withdrawn", decision_text)
    steps: list[tuple[BidStatus, date, str]] = [(BidStatus.IDEA, created, "created_on")] if created else []
    for status, column in _BID_STEPS:
        day = optional_date(table, cells, column, number, errors)
        if column == "decided_on":
            if decision is not None and day is None and not has_problem(column):
                problem(column, f"Enter the date the bid was {decision.value}")
            if day is not None and decision is None and not decision_text:
                problem(column, "Give the decision (awarded, unsuccessful or withdrawn)")
            status = decision
        if day is not None and status is not None:
            steps.append((status, day, column))
    steps, filled = _fill_undated_steps(steps)
    resource = optional_money(table, cells, "awarded_resource", number, errors)
    capital = optional_money(table, cells, "awarded_capital", number, errors)
    if decision is not BidStatus.AWARDED and (resource or capital):
        problem("awarded_resource", "Only an awarded bid has an amount awarded")
    for (before, early, _), (after, late, column) in pairwise(steps):
        moved = grants.move_problems(
            before, after, on=late, last=early, today=today, awarded_resource=resource,
            awarded_capital=capital,
        )  # fmt: skip
        for field, message in moved.items():
            if field == "awarded_resource":
                problem(field, message)
            else:  # the move itself (status) or its date (on): the step's own column
                problem(column, message, f"{late:%d/%m/%Y}" if field == "on" else "")
    if decision is BidStatus.AWARDED and not any(status is decision for status, _, _ in steps):
        # undated, so not a step: its amount is still checked, by the rule for an award
        award = grants.move_problems(
            BidStatus.SUBMITTED, decision, on=today, last=None, today=today, awarded_resource=resource,
            awarded_capital=capital,
        )  # fmt: skip
        if "awarded_resource" in award:
            problem("awarded_resource", award["awarded_resource"])
    start = optional_date(table, cells, "start_on", number, errors)
    end = optional_date(table, cells, "end_on", number, errors)
    match_cash = optional_money(table, cells, "match_cash", number, errors) or 0
    match_in_kind = optional_money(table, cells, "match_in_kind", number, errors) or 0
    bid = grants.BidInput(
        title=title,
        funder_id=0,  # named by the row's funder, which may be created with the bids
        service_id=services.get(service.lower(), 0),
        lead_id=users.get(lead),
        outcome_ids=tuple(dict.fromkeys(outcome_ids)),
        amount_requested=requested or 0,
        match_cash=match_cash,
        match_in_kind=match_in_kind,
        start_on=start,
        end_on=end,
        probability=probability,
    )
    for field, message in grants.bid_detail_problems(bid).items():
        # each field the service checks is the file's column of that name
        quoted = probability_text if field == "probability" else table.cell(cells, field)
        problem(field, message, quoted)
    if len(errors) > found:
        return None
    return _BidRow(
        bid=bid,
        funder=funder,
        programme=programme,
        steps=[(status, day) for status, day, _ in steps],
        reason=cell_text(table.cell(cells, "reason")),
        award=(resource, capital),
        filled=filled,
    )


#: A bid's ordinary path; a decision (awarded, unsuccessful, withdrawn) stands third.
_PIPELINE = (
    BidStatus.IDEA,
    BidStatus.DRAFTING,
    BidStatus.SUBMITTED,
    None,
    BidStatus.IN_DELIVERY,
    BidStatus.CLOSED,
)
#: Steps a spreadsheet often leaves undated, passed on the next dated step's day.
_FILLABLE = (BidStatus.DRAFTING, BidStatus.SUBMITTED, BidStatus.IN_DELIVERY)


def _pipeline_position(status: BidStatus) -> int:
    return _PIPELINE.index(status) if status in _PIPELINE else _PIPELINE.index(None)


def _fill_undated_steps(
    steps: list[tuple[BidStatus, date, str]],
) -> tuple[list[tuple[BidStatus, date, str]], int]:
    """A bid whose file dates a later step but not an earlier one passed the earlier step on the
    later step's date (created and submitted, no drafting date: drafted the day it was submitted).
    Decisions are never guessed: they need their own date and amounts."""
    completed: list[tuple[BidStatus, date, str]] = []
    filled = 0
    for step in steps:
        if completed and step[0] not in BID_TRANSITIONS[completed[-1][0]]:
            between: list[tuple[BidStatus, date, str]] = []
            for status in _FILLABLE:
                before = (between or completed)[-1][0]
                if (
                    _pipeline_position(before) < _pipeline_position(status) < _pipeline_position(step[0])
                    and status in BID_TRANSITIONS[before]
                ):
                    between.append((status, step[1], step[2]))
            if between and step[0] in BID_TRANSITIONS[between[-1][0]]:  # only where it makes the path
                completed.extend(between)
                filled += len(between)
        completed.append(step)
    return completed, filled


def import_bids(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Record past and live bids from a spreadsheet, each with its dated status history (idea on
    ``created_on``, then each later step given, along the pipeline's transitions only). Unknown
    funders and programmes are created and listed in ``notes``; a bid with the same funder, title
    and ``created_on`` as one recorded (or one above it in the file) is a duplicate."""
    result, table = open_table("bids", data, filename, sheet, dry_run)
    if table is None:
        return result
    today = today or date.today()
    if not dry_run:
        # Two imports of one file at once: the second waits here for the first, then finds its
        # bids recorded and skips them (no key in the database says two bids are the same one).
        locks.serialise_locking(session)
    lookups = (
        dict(session.execute(select(func.lower(Service.name), Service.id)).all()),
        dict(session.execute(select(func.lower(User.email), User.id)).all()),
        dict(session.execute(select(func.lower(Outcome.name), Outcome.id)).all()),
    )
    funders = dict(session.execute(select(func.lower(Funder.name), Funder.id)).all())
    programmes = {
        (funder_id, name.lower()): programme_id
        for funder_id, name, programme_id in session.execute(
            select(Programme.funder_id, Programme.name, Programme.id)
        )
    }
    created_on = (
        select(BidStatusChange.bid_id, func.min(BidStatusChange.changed_on).label("day"))
        .group_by(BidStatusChange.bid_id)
        .subquery()
    )
    recorded = {
        (funder.lower(), title.lower(), day)
        for funder, title, day in session.execute(
            select(Funder.name, GrantBid.title, created_on.c.day)
            .join(GrantBid, GrantBid.funder_id == Funder.id)
            .join(created_on, created_on.c.bid_id == GrantBid.id)
        )
    }
    accepted: list[_BidRow] = []
    for number, cells in data_rows(table, result, KEY_COLUMNS["bids"], "a title or a created_on date"):
        errors: list[RowError] = []
        row = _bid_row(table, cells, number, lookups, today, errors)
        if row is None:
            result.add_errors(errors)
            continue
        key = (row.funder.lower(), row.bid.title.lower(), row.created_on)
        if key in recorded:
            result.duplicates += 1
            continue
        recorded.add(key)
        accepted.append(row)
    result.imported = len(accepted)
    result.sample = [
        {"title": r.bid.title, "funder": r.funder, "status": r.steps[-1][0].value} for r in accepted[:10]
    ]
    new_funders = sorted({r.funder for r in accepted if r.funder.lower() not in funders}, key=str.lower)
    new_programmes = sorted(
        {(r.funder, r.programme) for r in accepted if r.programme
         and (funders.get(r.funder.lower()), r.programme.lower()) not in programmes},
        key=lambda pair: (pair[0].lower(), pair[1].lower()),
    )  # fmt: skip
    if new_funders:
        result.notes.append(f"{'would create' if dry_run else 'created'} funders: {', '.join(new_funders)}")
    if new_programmes:
        listed = ", ".join(f"{programme} ({funder})" for funder, programme in new_programmes)
        result.notes.append(f"{'would create' if dry_run else 'created'} programmes: {listed}")
    if filled := sum(r.filled for r in accepted):
        result.notes.append(f"filled {filled} undated steps, each passed on the next dated step's day")
    if not result.ok or dry_run:
        return result
    batch = start_batch(session, result, actor)
    note = f"Imported from {filename}"
    funder_rows: dict[str, Funder] = {}
    for name in new_funders:
        made = grants.FunderInput(name, FunderType.OTHER, f"Created by importing {filename}")
        funder = grants.create_funder(session, made, actor=actor)
        session.flush()
        funders[name.lower()] = funder.id
        funder_rows[name.lower()] = funder
    for funder_name, name in new_programmes:
        funder = funder_rows.get(funder_name.lower()) or session.get(Funder, funders[funder_name.lower()])
        programme = grants.create_programme(session, funder, grants.ProgrammeInput(name), actor=actor)
        session.flush()
        programmes[(funder.id, name.lower())] = programme.id
    for row in accepted:
        funder_id = funders[row.funder.lower()]
        programme_id = programmes.get((funder_id, row.programme.lower())) if row.programme else None
        data = replace(row.bid, funder_id=funder_id, programme_id=programme_id)
        bid = grants.create_bid(session, data, actor=actor, on=row.created_on, today=today, note=note)
        for status, day in row.steps[1:]:
            grants.move_bid(
                session, bid, status, on=day, actor=actor, note=note, expected_version=AS_READ, today=today,
                awarded_resource=row.award[0] if status is BidStatus.AWARDED else None,
                awarded_capital=row.award[1] if status is BidStatus.AWARDED else None,
                reason=row.reason if status is BidStatus.UNSUCCESSFUL else "",
            )  # fmt: skip
    finish_batch(session, batch, result, actor)
    return result
