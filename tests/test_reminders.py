"""Reminder emails through a real SMTP server on loopback (aiosmtpd), and the calendar feeds
(issue 19): who receives what, the once-a-day rule, preferences, a refused recipient and a server
that is down; the feed parsed with icalendar."""

from __future__ import annotations

import email
import socket
from datetime import date, timedelta

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import func, select

from incometrack.models import ReminderFrequency, ReminderSent, Role
from incometrack.services import AS_READ, grants
from tests.factories import (
    make_bid,
    make_budget,
    make_funder,
    make_milestone,
    make_project,
    make_stream,
    move,
)

MONDAY, TUESDAY = "2026-12-07", "2026-12-08"


class Mailbox:
    """An SMTP server's handler that keeps what it is given, and refuses the addresses in
    ``refuse`` as a real server refuses an unknown mailbox."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse: set[str] = set()
        #: called with each recipient while the message is being handed over
        self.during_delivery = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.during_delivery is not None:
            for address in envelope.rcpt_tos:
                self.during_delivery(address)
        for _ in envelope.rcpt_tos:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="incometrack@council.example"
    )
    yield mailbox
    controller.stop()


@pytest.fixture
def people(session, make_user):
    """A finance officer and a lead with daily emails, a milestone owner on the weekly default, a
    finance officer who wants none, a viewer; and one item of every kind due around 7 Dec 2026."""
    finance = make_user(Role.FINANCE, email="farah@council.example", name="Farah Finance")
    quiet = make_user(Role.FINANCE, email="quiet@council.example", name="Quinn Quiet")
    lead = make_user(Role.LEAD, email="lee@council.example", name="Lee Lead")
    owner = make_user(Role.LEAD, email="olu@council.example", name="Olu Owner")
    make_user(Role.VIEWER, email="val@council.example", name="Val Viewer")
    finance.reminder_frequency = lead.reminder_frequency = ReminderFrequency.DAILY
    quiet.reminder_frequency = ReminderFrequency.NONE

    funder = make_funder(session)
    won = move(session, make_bid(session, lead, funder=funder, title="Makerspaces"), finance, "drafting", "submitted", "awarded",
               on=date(2026, 6, 1), awarded_resource=30_000_00, awarded_capital=0)  # fmt: skip
    grants.add_report(session, won, title="Interim report", due_on=date(2026, 11, 23), actor=finance)
    grants.add_payment(session, won, expected_on=date(2026, 11, 30), amount_expected=30_000_00, actor=finance)
    grants.add_report(session, won, title="Final report", due_on=date(2027, 3, 31), actor=finance)  # not yet
    idea = make_bid(session, lead, funder=funder, title="Reading festival")
    idea.submission_deadline = date(2026, 12, 15)
    project = make_project(session, lead, lead=lead, name="Reading trails")
    make_milestone(
        session, project, lead, title="Trail maps printed", baseline=date(2026, 12, 10), owner=owner
    )
    stream = make_stream(session, "LIB-PRINT", name="Printing")
    make_budget(session, stream, 100_000_00)  # nothing received by Q2's end: Red, without commentary
    session.commit()
    return {"finance": finance, "lead": lead, "owner": owner, "quiet": quiet}


def _run(runner, *args):
    return runner.invoke(args=["send-reminders", *args])


def test_each_person_gets_one_digest_of_what_is_theirs(runner, smtp, people):
    result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("sent 3 emails to 3 people")
    assert sorted(m["To"] for m in smtp.messages) == [
        "farah@council.example",
        "lee@council.example",
        "olu@council.example",
    ]
    [lee] = smtp.to("lee@council.example")
    assert (
        lee["Subject"].strip()
        == "Libraries, Registration and Archives: 3 things due, 1 overdue (IncomeTrack)"
    )
    text = lee.get_body(("plain",)).get_content()
    html = lee.get_body(("html",)).get_content()
    assert "Interim report: Makerspaces, was due 23 Nov 2026 (overdue)" in text
    assert "Trail maps printed: Reading trails, due 10 Dec 2026" in text
    assert "Submission deadline: Reading festival, due 15 Dec 2026" in text
    assert "Final report" not in text and "Late payment" not in text  # not due yet; not theirs
    assert "http://127.0.0.1:5000/grants/bids/" in text and '<a href="http://127.0.0.1:5000/' in html
    [farah] = smtp.to("farah@council.example")
    farah_text = farah.get_body(("plain",)).get_content()
    assert "Late payment: Makerspaces, was due 30 Nov 2026 (overdue), £30,000.00" in farah_text
    assert "Commentary for LIB-PRINT Printing (2026-27 Q2, Red)" in farah_text
    assert "/returns/2026-27/2/commentary" in farah_text
    assert "Interim report" not in farah_text
    [olu] = smtp.to("olu@council.example")
    assert "Trail maps printed" in olu.get_body(("plain",)).get_content()


def test_nothing_is_sent_twice_on_one_day(runner, smtp, people, session):
    assert _run(runner, "--today", MONDAY).exit_code == 0
    again = _run(runner, "--today", MONDAY)
    assert again.output.strip().endswith("sent 0 emails to 0 people") and len(smtp.messages) == 3
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 2 + 3 + 1
    tuesday = _run(runner, "--today", TUESDAY)  # the daily people again; the weekly owner waits
    assert tuesday.output.strip().endswith("sent 2 emails to 2 people")
    assert {m["To"] for m in smtp.messages[3:]} == {"farah@council.example", "lee@council.example"}
    session.reread()
    assert (
        people["lead"].reminders_last_sent_at is not None and people["quiet"].reminders_last_sent_at is None
    )


def test_a_dry_run_says_what_it_would_send_and_sends_nothing(runner, smtp, people, session):
    result = _run(runner, "--today", MONDAY, "--dry-run")
    assert result.exit_code == 0
    assert (
        "To Lee Lead <lee@council.example>: Libraries, Registration and Archives: 3 things due"
        in result.output
    )
    assert "  - Bid deadline: Submission deadline: Reading festival (15 Dec 2026)" in result.output
    assert result.output.strip().endswith("would send 3 emails to 3 people")
    assert smtp.messages == [] and session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_a_refused_recipient_is_logged_the_rest_are_sent_and_it_is_tried_again(runner, smtp, people, session):
    smtp.refuse.add("lee@council.example")
    result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 1 and "1 email could not be sent" in result.output
    assert sorted(m["To"] for m in smtp.messages) == ["farah@council.example", "olu@council.example"]
    recorded = set(session.scalars(select(ReminderSent.user_id).distinct()))
    assert people["lead"].id not in recorded  # nothing is marked sent that was not
    smtp.refuse.clear()
    retry = _run(runner, "--today", MONDAY)
    assert retry.exit_code == 0 and retry.output.strip().endswith("sent 1 email to 1 person")
    assert smtp.to("lee@council.example")


def test_a_server_that_is_down_sends_nothing_and_records_nothing(runner, app, people, session):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens there
    result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 1 and "3 emails could not be sent" in result.output
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_without_a_mail_server_the_messages_go_to_the_log(runner, app, people, caplog):
    app.config["MAIL_SERVER"] = ""
    with caplog.at_level("INFO", logger="incometrack.mail"):
        result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 0 and result.output.strip().endswith("sent 3 emails to 3 people")
    assert "Email (no MAIL_SERVER set, so not sent) to lee@council.example" in caplog.text


def test_the_account_page_sets_the_choice_and_shows_the_last_email(app, people, session, runner, smtp):
    from tests.conftest import PASSWORD

    client = app.test_client()
    client.post("/login", data={"email": "olu@council.example", "password": PASSWORD})
    page = client.get("/account").get_data(as_text=True)
    assert 'value="weekly" checked' in page and "No reminder email has been sent to you yet." in page
    assert client.post("/account", data={"frequency": "none"}).status_code == 302
    session.reread()
    assert people["owner"].reminder_frequency is ReminderFrequency.NONE
    assert client.post("/account", data={"frequency": "hourly"}).status_code == 400
    assert _run(runner, "--today", MONDAY).output.strip().endswith("sent 2 emails to 2 people")
    assert not smtp.to("olu@council.example")
    client.post("/account", data={"frequency": "daily"})
    _run(runner, "--today", TUESDAY)
    assert "The last reminder email was sent" in client.get("/account").get_data(as_text=True)


def _feed(client, path: str) -> Calendar:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"  # no proxy keeps a copy
    assert "£" not in response.get_data(as_text=True) and "30,000" not in response.get_data(as_text=True)
    return Calendar.from_ical(response.data)


def _events(calendar: Calendar) -> dict[str, date]:
    return {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}


def test_the_calendar_feed_lists_each_persons_due_dates(app, runner, people, session):
    client = app.test_client()  # Outlook: nobody signs in
    lead_path = runner.invoke(args=["calendar-link", "LEE@council.example"]).output.strip()
    assert lead_path.startswith("/calendar/") and lead_path.endswith(".ics")
    assert runner.invoke(args=["calendar-link", "lee@council.example"]).output.strip() == lead_path  # stable
    lead = _events(_feed(client, lead_path))
    assert lead == {
        "Funder report: Interim report: Makerspaces": date(2026, 11, 23),
        "Funder report: Final report: Makerspaces": date(2027, 3, 31),
        "Milestone: Trail maps printed: Reading trails": date(2026, 12, 10),
        "Bid deadline: Submission deadline: Reading festival": date(2026, 12, 15),
    }
    event = next(iter(_feed(client, lead_path).walk("VEVENT")))
    assert event.decoded("dtend") == event.decoded("dtstart") + timedelta(days=1)
    assert str(event["url"]).startswith("http://127.0.0.1:5000/")
    finance_path = runner.invoke(args=["calendar-link", "farah@council.example"]).output.strip()
    assert _events(_feed(client, finance_path)) == {"Payment: Late payment: Makerspaces": date(2026, 11, 30)}
    owner_path = runner.invoke(args=["calendar-link", "olu@council.example"]).output.strip()
    assert _events(_feed(client, owner_path)) == {
        "Milestone: Trail maps printed: Reading trails": date(2026, 12, 10)
    }
    viewer_path = runner.invoke(args=["calendar-link", "val@council.example"]).output.strip()
    assert _events(_feed(client, viewer_path)) == {}  # nothing is a viewer's
    assert client.get("/calendar/not-a-real-token-at-all-xxxxxxxx.ics").status_code == 404
    assert runner.invoke(args=["calendar-link", "nobody@council.example"]).exit_code == 1


def test_replacing_the_calendar_link_revokes_the_old_one(app, runner, people, session):
    from tests.conftest import PASSWORD

    old = runner.invoke(args=["calendar-link", "lee@council.example"]).output.strip()
    client = app.test_client()
    client.post("/login", data={"email": "lee@council.example", "password": PASSWORD})
    assert "http://127.0.0.1:5000" + old in client.get("/account").get_data(as_text=True)
    assert client.post("/account/calendar").status_code == 302
    assert client.get(old).status_code == 404
    session.reread()
    new = f"/calendar/{people['lead'].calendar_token}.ics"
    assert new != old and client.get(new).status_code == 200


@pytest.mark.parametrize("how", ["password reset", "disabled and enabled again"])
def test_a_password_reset_or_disabling_ends_the_calendar_feed(app, runner, people, session, how):
    from incometrack.services import users

    old = runner.invoke(args=["calendar-link", "lee@council.example"]).output.strip()
    client = app.test_client()
    assert client.get(old).status_code == 200
    session.reread()
    lead = people["lead"]
    if how == "password reset":
        users.reset_password(session, lead, "a new and long passphrase 2027", actor=people["finance"])
    else:
        users.set_active(session, lead, False, actor=people["finance"], expected_version=AS_READ)
        users.set_active(session, lead, True, actor=people["finance"], expected_version=AS_READ)
    session.commit()
    assert client.get(old).status_code == 404  # the old address does not come back
    fresh = runner.invoke(args=["calendar-link", "lee@council.example"]).output.strip()
    assert fresh != old and client.get(fresh).status_code == 200


def test_the_demo_reminds_of_every_kind_today(runner, session):
    from incometrack import demo

    demo.load(session, today=date.today())
    session.commit()
    result = _run(runner, "--dry-run")
    assert result.exit_code == 0, result.output
    for kind in ("Funder report:", "Payment:", "Milestone:", "Bid deadline:", "Commentary:"):
        assert f"  - {kind}" in result.output, kind
    calendar = runner.invoke(args=["calendar-link", "lead2@demo.example"])
    assert calendar.exit_code == 0 and calendar.output.startswith("/calendar/")


def test_sending_holds_no_write_lock(app, runner, smtp, people, session):
    """While the mail server takes a message, others can save (SQLite's one write lock is not
    held: the digest was claimed, and that claim committed, before sending)."""
    import time

    from incometrack.extensions import db

    with app.app_context():
        engine = db.engine
    waits = []

    def rival(_address: str) -> None:
        started = time.monotonic()
        with engine.begin() as connection:  # another process saving while the email is handed over
            connection.execute(ReminderSent.__table__.update().where(ReminderSent.id == -1).values(item="x"))
        waits.append(time.monotonic() - started)

    smtp.during_delivery = rival
    result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("sent 3 emails to 3 people")
    assert len(waits) == 3 and max(waits) < 1  # nobody waited for the reminder run's lock


def test_three_runs_at_once_send_each_digest_once(app, smtp, people, session):
    import threading

    barrier, outputs = threading.Barrier(3), []

    def run():
        barrier.wait(timeout=30)
        outputs.append(app.test_cli_runner().invoke(args=["send-reminders", "--today", MONDAY]).output)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(m["To"] for m in smtp.messages) == [
        "farah@council.example",
        "lee@council.example",
        "olu@council.example",
    ], outputs
    session.reread()
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 2 + 3 + 1


def _claim_left_behind(session, person, minutes_ago: int) -> None:
    """Lee's items claimed by a run that then stopped, ``minutes_ago``, never delivered."""
    from datetime import UTC, datetime

    from incometrack.services import reminders

    [digest] = [d for d in reminders.digests(session, date(2026, 12, 7)) if d.person.id == person.id]
    claimed = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    for item in digest.items:
        session.add(
            ReminderSent(user_id=person.id, item=item.key, sent_on=date(2026, 12, 7), sent_at=claimed)
        )
    session.commit()


def test_a_claim_of_a_live_run_is_left_to_it(runner, smtp, people, session):
    _claim_left_behind(session, people["lead"], minutes_ago=1)
    result = _run(runner, "--today", MONDAY)
    assert result.output.strip().endswith("sent 2 emails to 2 people")
    assert smtp.to("lee@council.example") == []


def test_a_claim_of_a_run_that_died_is_sent_by_the_next(runner, smtp, people, session):
    _claim_left_behind(session, people["lead"], minutes_ago=20)
    result = _run(runner, "--today", MONDAY)
    assert result.output.strip().endswith("sent 3 emails to 3 people")
    assert len(smtp.to("lee@council.example")) == 1
    session.reread()
    undelivered = select(func.count()).select_from(ReminderSent).where(ReminderSent.delivered_at.is_(None))
    assert session.scalar(undelivered) == 0


def test_an_address_no_message_can_carry_is_skipped_and_the_others_sent(runner, smtp, people, session):
    """An address stored before addresses were checked at entry, with a line break and a header in it."""
    from incometrack.models import User

    session.execute(
        User.__table__.update()
        .where(User.id == people["lead"].id)
        .values(email="lee@council.example\r\nBcc: everyone@elsewhere.example")
    )
    session.commit()
    result = _run(runner, "--today", MONDAY)
    assert result.exit_code == 1 and "1 email could not be sent" in result.output
    assert sorted(m["To"] for m in smtp.messages) == ["farah@council.example", "olu@council.example"]
