"""Past and live bids from a file, with their dated steps along the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
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
from incometrack.services import audit, locks
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
    values: dict[str, object]
    funder: str
    programme: str
    outcome_ids: list[int]
    steps: list[tuple[BidStatus, date]]
    #: undated steps passed on the next dated step's day
    filled: int = 0


def _bid_row(table, cells, number, lookups, today: date, errors: list[RowError]) -> _BidRow | None:
    """One line of a bids file checked, or None (with ``errors``) where it is wrong."""
    services, users, outcomes = lookups
    title = cell_text(table.cell(cells, "title"))
    funder = cell_text(table.cell(cells, "funder"))
    programme = cell_text(table.cell(cells, "programme"))
    service = cell_text(table.cell(cells, "service"))
    lead = cell_text(table.cell(cells, "lead_email")).lower()
    found = len(errors)
    for column, value, limit in (
        ("title", title, 255),
        ("funder", funder, 120),
        ("programme", programme, 120),
    ):
        if column != "programme" and not value:
            errors.append(RowError(number, column, f"Enter the {column}"))
        elif len(value) > limit:
            errors.append(RowError(number, column, f"must be {limit} characters or fewer"))
    if service.lower() not in services:
        errors.append(RowError(number, "service", f"No service is called {service or '(blank)'}"))
    if lead not in users:
        errors.append(RowError(number, "lead_email", f"No user has the email {lead or '(blank)'}"))
    requested = optional_money(table, cells, "amount_requested", number, errors)
    if requested is None and not any(e.column == "amount_requested" for e in errors[found:]):
        errors.append(RowError(number, "amount_requested", "Enter the amount requested"))
    outcome_ids = []
    for name in filter(None, (part.strip() for part in cell_text(table.cell(cells, "outcomes")).split(";"))):
        if name.lower() in outcomes:
            outcome_ids.append(outcomes[name.lower()])
        else:
            errors.append(RowError(number, "outcomes", "No Libraries Deliver outcome is called this", name))
    probability_text = cell_text(table.cell(cells, "probability")) or "50"
    probability = int(probability_text) if probability_text.isascii() and probability_text.isdigit() else -1
    if not 0 <= probability <= 100:
        errors.append(
            RowError(number, "probability", "must be a whole number from 0 to 100", probability_text)
        )
    created = optional_date(table, cells, "created_on", number, errors)
    if created is None and not any(e.column == "created_on" for e in errors[found:]):
        errors.append(RowError(number, "created_on", "Enter the date the bid was recorded"))
    decision_text = cell_text(table.cell(cells, "decision")).lower()
    decision = _DECISIONS.get(decision_text)
    if decision_text and decision is None:
        errors.append(
            RowError(number, "decision", "must be awarded, unsuccessful or withdrawn", decision_text)
        )
    steps: list[tuple[BidStatus, date, str]] = [(BidStatus.IDEA, created, "created_on")] if created else []
    for status, column in _BID_STEPS:
        day = optional_date(table, cells, column, number, errors)
        if column == "decided_on":
            if decision is not None and day is None and not any(e.column == column for e in errors[found:]):
                errors.append(RowError(number, column, f"Enter the date the bid was {decision.value}"))
            if day is not None and decision is None and not decision_text:
                errors.append(
                    RowError(number, column, "Give the decision (awarded, unsuccessful or withdrawn)")
                )
            status = decision
        if day is not None and status is not None:
            steps.append((status, day, column))
    steps, filled = _fill_undated_steps(steps)
    for (before, early, _), (after, late, column) in pairwise(steps):
        if after not in BID_TRANSITIONS[before]:
            errors.append(
                RowError(number, column, f"a bid that is {before.value} cannot become {after.value}")
            )
        elif late < early:
            errors.append(RowError(number, column, f"must be on or after the step before ({early:%d/%m/%Y})"))
    for _status, day, column in steps:
        if day > today:
            errors.append(RowError(number, column, "must be today or in the past"))
    resource = optional_money(table, cells, "awarded_resource", number, errors)
    capital = optional_money(table, cells, "awarded_capital", number, errors)
    if decision is BidStatus.AWARDED and not (resource or capital):
        errors.append(
            RowError(number, "awarded_resource", "Enter the amount awarded (resource, capital or both)")
        )
    if decision is not BidStatus.AWARDED and (resource or capital):
        errors.append(RowError(number, "awarded_resource", "Only an awarded bid has an amount awarded"))
    start = optional_date(table, cells, "start_on", number, errors)
    end = optional_date(table, cells, "end_on", number, errors)
    if start and end and end < start:
        errors.append(RowError(number, "end_on", "must be on or after start_on"))
    match_cash = optional_money(table, cells, "match_cash", number, errors) or 0
    match_in_kind = optional_money(table, cells, "match_in_kind", number, errors) or 0
    reason = cell_text(table.cell(cells, "reason"))
    if len(errors) > found:
        return None
    dated = {status: day for status, day, _ in steps}
    return _BidRow(
        values={
            "title": title,
            "service_id": services[service.lower()],
            "lead_id": users[lead],
            "status": steps[-1][0],
            "amount_requested": requested,
            "match_cash": match_cash,
            "match_in_kind": match_in_kind,
            "submitted_on": dated.get(BidStatus.SUBMITTED),
            "decision_on": dated.get(BidStatus.AWARDED) or dated.get(BidStatus.UNSUCCESSFUL),
            "awarded_resource": (resource or 0) if decision is BidStatus.AWARDED else None,
            "awarded_capital": (capital or 0) if decision is BidStatus.AWARDED else None,
            "start_on": start or dated.get(BidStatus.IN_DELIVERY),
            "end_on": end,
            "probability": probability,
            "unsuccessful_reason": reason if decision is BidStatus.UNSUCCESSFUL else "",
            "description": "",
        },
        funder=funder,
        programme=programme,
        outcome_ids=outcome_ids,
        steps=[(status, day) for status, day, _ in steps],
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
        key = (row.funder.lower(), row.values["title"].lower(), row.steps[0][1])
        if key in recorded:
            result.duplicates += 1
            continue
        recorded.add(key)
        accepted.append(row)
    result.imported = len(accepted)
    result.sample = [
        {"title": r.values["title"], "funder": r.funder, "status": r.values["status"].value}
        for r in accepted[:10]
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
    for name in new_funders:
        funder = Funder(name=name, type=FunderType.OTHER, notes=f"Created by importing {filename}")
        session.add(funder)
        session.flush()
        funders[name.lower()] = funder.id
        audit.record_create(session, actor, funder, summary=name)
    for funder_name, name in new_programmes:
        programme = Programme(funder_id=funders[funder_name.lower()], name=name, notes="")
        session.add(programme)
        session.flush()
        programmes[(programme.funder_id, name.lower())] = programme.id
        audit.record_create(session, actor, programme, summary=name)
    outcome_rows = {o.id: o for o in session.scalars(select(Outcome))}
    for row in accepted:
        funder_id = funders[row.funder.lower()]
        bid = GrantBid(
            funder_id=funder_id,
            programme_id=programmes.get((funder_id, row.programme.lower())) if row.programme else None,
            **row.values,
        )
        bid.outcomes = sorted((outcome_rows[i] for i in set(row.outcome_ids)), key=lambda o: o.position)
        previous = None
        for status, day in row.steps:
            note = f"Imported from {filename}"[:255]
            bid.history.append(
                BidStatusChange(from_status=previous, to_status=status, changed_on=day, note=note,
                                changed_by_id=actor.id if actor else None)
            )  # fmt: skip
            previous = status
        session.add(bid)
        audit.record_create(session, actor, bid, summary=bid.title)
    finish_batch(session, batch, result, actor)
    return result
