"""Reminder emails: who gets a digest today, and recording what was sent (the once-a-day rule).

The CLI command owns the transaction and the sending: it asks :func:`digests` what each person is
due, sends each digest, and only after the server accepted it calls :func:`record_sent`; a digest
that failed is recorded nowhere, so the next run tries it again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.models import ReminderFrequency, ReminderSent, User
from incometrack.models.base import utcnow
from incometrack.reports import reminders as due
from incometrack.reports.returns import build_return


@dataclass(frozen=True)
class Digest:
    person: User
    items: tuple[due.Item, ...]


def wants_today(person: User, today: date) -> bool:
    """Daily every day; weekly on Mondays; never with "none"."""
    if person.reminder_frequency is ReminderFrequency.DAILY:
        return True
    return person.reminder_frequency is ReminderFrequency.WEEKLY and today.weekday() == 0


def digests(session: Session, today: date, *, council: str = "", service_name: str = "") -> list[Digest]:
    """One digest per active person who wants email today and has something due that was not
    already sent to them today; people by name."""
    items = due.due_items(session, today)
    quarter = due.quarter_awaiting_commentary(session, today)
    if quarter is not None:
        report = build_return(session, quarter, council=council, service_name=service_name)
        if streams := report.streams_needing_commentary:
            finance = due.finance_ids(session)
            for item in due.commentary_items(quarter, streams):
                items.add(finance, item)
    by_person = items.sorted()
    if not by_person:
        return []
    sent = set(
        session.execute(
            select(ReminderSent.user_id, ReminderSent.item).where(ReminderSent.sent_on == today)
        ).all()
    )
    people = session.scalars(
        select(User).where(User.id.in_(by_person), User.active.is_(True)).order_by(User.name)
    )
    result = []
    for person in people:
        if not wants_today(person, today):
            continue
        fresh = tuple(i for i in by_person[person.id] if (person.id, i.key) not in sent)
        if fresh:
            result.append(Digest(person, fresh))
    return result


def record_sent(session: Session, digest: Digest, today: date) -> None:
    """Mark the digest's items sent to its person today (flushes; the unique key refuses a
    second record of the same item on the same day)."""
    session.add_all(ReminderSent(user_id=digest.person.id, item=i.key, sent_on=today) for i in digest.items)
    digest.person.reminders_last_sent_at = utcnow()
    session.flush()


def set_frequency(session: Session, person: User, frequency: ReminderFrequency) -> User:
    person.reminder_frequency = frequency
    session.flush()
    return person


def new_calendar_token(session: Session, person: User) -> str:
    """Give ``person`` a new calendar feed address; the old one stops working at once."""
    person.calendar_token = secrets.token_urlsafe(32)
    session.flush()
    return person.calendar_token


def calendar_token(session: Session, person: User) -> str:
    """The person's calendar token, made on first use."""
    return person.calendar_token or new_calendar_token(session, person)
