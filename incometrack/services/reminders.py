"""Reminder emails: who gets a digest today, and recording what was sent (the once-a-day rule).

The CLI command owns the transactions and the sending: it asks :func:`digests` what each person
is due, :func:`claim`s each digest (committed before sending, so of several runs at once only one
sends it), sends it, and then calls :func:`record_sent`; a digest the server did not accept is
:func:`release`d, so the next run tries it again, as it does a claim whose run died.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, update
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
    live_since = utcnow() - CLAIM_EXPIRES
    sent = set(
        session.execute(
            select(ReminderSent.user_id, ReminderSent.item).where(
                ReminderSent.sent_on == today,
                or_(ReminderSent.delivered_at.is_not(None), ReminderSent.sent_at >= live_since),
            )
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


#: A claim not marked delivered after this long belongs to a run that died: a later run takes it.
CLAIM_EXPIRES = timedelta(minutes=15)


def claim(session: Session, digest: Digest, today: date, *, now: datetime | None = None) -> bool:
    """Claim the digest's items for sending today, before anything is sent: True when this run
    may send it. Of several runs at once one claims it (the unique key refuses the others); a claim
    left undelivered for :data:`CLAIM_EXPIRES` is taken over. Flushes; the caller commits at once."""
    now = now or utcnow()
    keys = [i.key for i in digest.items]
    mine = (
        ReminderSent.user_id == digest.person.id,
        ReminderSent.item.in_(keys),
        ReminderSent.sent_on == today,
    )
    stale = session.execute(
        update(ReminderSent)
        .where(*mine, ReminderSent.delivered_at.is_(None), ReminderSent.sent_at < now - CLAIM_EXPIRES)
        .values(sent_at=now)
    ).rowcount
    held = set(session.scalars(select(ReminderSent.item).where(*mine)))
    if held and stale < len(held):
        return False  # claimed by a live run, or delivered already
    session.add_all(
        ReminderSent(user_id=digest.person.id, item=key, sent_on=today, sent_at=now)
        for key in keys
        if key not in held
    )
    session.flush()  # IntegrityError: another run claimed it first
    return True


def release(session: Session, digest: Digest, today: date) -> None:
    """Give up an undelivered claim (the message was not accepted), so the next run tries again."""
    session.execute(
        delete(ReminderSent).where(
            ReminderSent.user_id == digest.person.id,
            ReminderSent.item.in_([i.key for i in digest.items]),
            ReminderSent.sent_on == today,
            ReminderSent.delivered_at.is_(None),
        )
    )


def record_sent(session: Session, digest: Digest, today: date) -> None:
    """Mark the digest's claimed items delivered to its person today."""
    now = utcnow()
    session.execute(
        update(ReminderSent)
        .where(
            ReminderSent.user_id == digest.person.id,
            ReminderSent.item.in_([i.key for i in digest.items]),
            ReminderSent.sent_on == today,
        )
        .values(delivered_at=now)
    )
    digest.person.reminders_last_sent_at = now
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
