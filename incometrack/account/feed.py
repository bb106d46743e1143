"""A person's due dates as an iCalendar feed (RFC 5545, built with the icalendar library):
one all-day event per item, titles and dates only (no money), each linking back to its page."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from incometrack.account.messages import external_urls
from incometrack.reports.reminders import Item


def calendar(name: str, items: list[Item], *, now: datetime) -> bytes:
    feed = Calendar()
    feed.add("prodid", "-//IncomeTrack//Reminders//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", f"IncomeTrack: {name}")
    feed.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    dated = [item for item in items if item.due_on is not None]
    links = external_urls(*((item.endpoint, item.url_args) for item in dated))
    for item, link in zip(dated, links, strict=True):
        event = Event()
        event.add("uid", f"{item.key}@incometrack")
        event.add("dtstamp", now)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + timedelta(days=1))
        event.add("summary", f"{item.kind}: {item.title}")
        event.add("description", link)
        event.add("url", link)
        event.add("transp", "TRANSPARENT")
        feed.add_component(event)
    return feed.to_ical()
