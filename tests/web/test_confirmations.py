"""Destructive actions ask first (issue 26): each button opens a page in GOV.UK's pattern that says
what will happen, with the action and a secondary Cancel; only posting that page acts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from incometrack.models import IncomeEntry, IncomeStream, Role, StreamStatus, User
from incometrack.services import imports
from tests.factories import make_entry, make_stream

CANCEL = 'class="govuk-button govuk-button--secondary" href="'


def test_ceasing_a_stream_asks_first(login_as, session):
    finance = login_as(Role.FINANCE).client
    stream = make_stream(session, "LIB-ROOM", name="Room hire")
    detail = finance.get(f"/income/streams/{stream.id}").get_data(as_text=True)
    assert f'href="/income/streams/{stream.id}/cease">Cease this stream</a>' in detail
    page = finance.get(f"/income/streams/{stream.id}/cease").get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">Cease LIB-ROOM Room hire?</h1>' in page
    assert "its default forecast becomes its income to date" in page
    assert f'{CANCEL}/income/streams/{stream.id}">Cancel</a>' in page
    session.reread()
    assert session.get(IncomeStream, stream.id).status is StreamStatus.ACTIVE
    # The page's own form, as the browser sends it: CSRF (off in tests) and the version.
    assert finance.post(f"/income/streams/{stream.id}/cease", data={"version": "1"}).status_code == 302
    session.reread()
    assert session.get(IncomeStream, stream.id).status is StreamStatus.CEASED


def test_a_cease_without_the_version_it_was_drawn_from_is_refused(login_as, session):
    finance = login_as(Role.FINANCE).client
    stream = make_stream(session, "LIB-ROOM")
    refused = finance.post(f"/income/streams/{stream.id}/cease", data={})
    assert refused.status_code == 400
    assert "did not say which version" in refused.get_data(as_text=True)
    session.reread()
    assert session.get(IncomeStream, stream.id).status is StreamStatus.ACTIVE


def test_disabling_a_user_asks_first(login_as, session, make_user):
    admin = login_as(Role.ADMIN).client
    lead = make_user(Role.LEAD, name="Lee Lead", email="lee@council.example")
    page = admin.get(f"/admin/users/{lead.id}/disable").get_data(as_text=True)
    assert "Disable Lee Lead?" in page and "signed out at once" in page
    assert f'{CANCEL}/admin/users/{lead.id}">Cancel</a>' in page
    session.reread()
    assert session.get(User, lead.id).active is True
    assert f'name="version" value="{lead.version}"' in page
    assert (
        admin.post(f"/admin/users/{lead.id}/disable", data={"version": str(lead.version)}).status_code == 302
    )
    session.reread()
    assert session.get(User, lead.id).active is False


def test_undoing_an_import_asks_first(login_as, session):
    finance = login_as(Role.FINANCE)
    make_stream(session, "LIB-ROOM")
    csv = b"date,stream_code,amount,reference\n01/06/2026,LIB-ROOM,12.50,A1\n02/06/2026,LIB-ROOM,7.50,A2\n"
    result = imports.import_income(session, csv, "june.csv", actor=finance.user, today=date(2026, 11, 28))
    session.commit()
    url = f"/income/imports/{result.batch_id}/undo"
    page = finance.client.get(url).get_data(as_text=True)
    assert (
        "Undo the import of june.csv?" in page
        and "refused if any of its entries is dated in a locked" in page
    )
    assert f'{CANCEL}/income/imports/{result.batch_id}">Cancel</a>' in page
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 2
    assert finance.client.post(url, data={}).status_code == 302
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0


def test_deleting_an_entry_asks_first(login_as, session):
    finance = login_as(Role.FINANCE).client
    stream = make_stream(session, "LIB-ROOM", name="Room hire")
    entry = make_entry(session, stream, date(2026, 6, 1), 12_50, reference="A1")
    entry_id = entry.id
    page = finance.get(f"/income/entries/{entry.id}/delete").get_data(as_text=True)
    assert "Delete this income entry?" in page and "£12.50" in page and "1 Jun 2026" in page
    assert "Cancel</a>" in page
    assert finance.post(f"/income/entries/{entry.id}/delete", data={"version": "1"}).status_code == 302
    session.reread()
    assert session.scalar(select(IncomeEntry).where(IncomeEntry.id == entry_id)) is None


def test_closing_a_grant_says_what_it_does_with_a_secondary_cancel(login_as, session):
    from tests.factories import make_bid, move

    finance = login_as(Role.FINANCE)
    bid = make_bid(session, finance.user)
    move(session, bid, finance.user, "drafting", "submitted", on=date(2026, 5, 1))
    move(session, bid, finance.user, "awarded", on=date(2026, 6, 1), awarded_resource=10_000_00)
    move(session, bid, finance.user, "in delivery", on=date(2026, 6, 2))
    page = finance.client.get(f"/grants/bids/{bid.id}/status/closed").get_data(as_text=True)
    assert "Closing marks the grant finished" in page
    assert f'{CANCEL}/grants/bids/{bid.id}">Cancel</a>' in page
