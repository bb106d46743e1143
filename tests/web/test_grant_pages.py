"""The grant screens through the test client: roles, moves, messages and conflicts."""

import pytest
from sqlalchemy import select

from incometrack.models import BidStatus, GrantBid, GrantPayment, Role
from tests.factories import make_bid, make_funder, move, service_id

AWARD = {"awarded_resource": 8_000_00, "awarded_capital": 2_000_00}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", ["/grants/", "/grants/pipeline", "/grants/due", "/grants/funders"])
def test_everyone_reads_grants(login_as, path, role):
    assert login_as(role).client.get(path).status_code == 200


def test_viewer_reads_a_bid_but_sees_no_actions(login_as, session, make_user):
    finance = make_user(Role.FINANCE)
    bid = make_bid(session, finance)
    html = login_as(Role.VIEWER).client.get(f"/grants/bids/{bid.id}").get_data(as_text=True)
    assert bid.title in html and "Start drafting" not in html and "Change details" not in html


def test_lead_reaching_another_leads_bid_by_url_gets_403(login_as, session, make_user):
    finance, other = make_user(Role.FINANCE), make_user(Role.LEAD)
    bid = make_bid(session, finance, lead=other)
    lead = login_as(Role.LEAD).client
    assert lead.get(f"/grants/bids/{bid.id}").status_code == 200
    assert lead.get(f"/grants/bids/{bid.id}/edit").status_code == 403
    assert lead.post(f"/grants/bids/{bid.id}/status/drafting", data={"on": "01/05/2026"}).status_code == 403
    assert lead.post(f"/grants/bids/{bid.id}/spend", data={}).status_code == 403


def test_move_a_bid_from_drafting_to_awarded_through_the_pages(login_as, session):
    finance = login_as(Role.FINANCE)
    bid = move(session, make_bid(session, finance.user), finance.user, "drafting")
    client = finance.client
    assert (
        client.post(
            f"/grants/bids/{bid.id}/status/submitted", data={"on": "01/06/2026", "version": bid.version}
        ).status_code
        == 302
    )
    session.reread()
    version = str(session.get(GrantBid, bid.id).version)
    refused = client.post(
        f"/grants/bids/{bid.id}/status/awarded", data={"on": "01/07/2026", "version": version}
    )
    assert refused.status_code == 400 and "Enter the amount awarded" in refused.get_data(as_text=True)
    ok = client.post(
        f"/grants/bids/{bid.id}/status/awarded",
        data={
            "on": "01/07/2026",
            "awarded_resource": "8,000",
            "awarded_capital": "2,000.00",
            "note": "Letter received",
            "version": version,
        },
    )
    assert ok.status_code == 302
    session.reread()
    saved = session.get(GrantBid, bid.id)
    assert saved.status is BidStatus.AWARDED and saved.amount_awarded == 10_000_00
    page = client.get(f"/grants/bids/{bid.id}").get_data(as_text=True)
    assert "Letter received" in page and "£10,000.00" in page


def test_a_move_the_pipeline_forbids_is_refused(login_as, session):
    finance = login_as(Role.FINANCE)
    bid = make_bid(session, finance.user)
    response = finance.client.post(
        f"/grants/bids/{bid.id}/status/awarded",
        data={"on": "01/07/2026", "awarded_resource": "1", "version": str(bid.version)},
    )
    assert response.status_code == 303
    follow = finance.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A bid that is idea cannot become awarded" in follow
    assert finance.client.get(f"/grants/bids/{bid.id}/status/closed").status_code == 409


def test_payments_spend_and_reports_through_the_pages(login_as, session):
    finance = login_as(Role.FINANCE)
    bid = move(
        session, make_bid(session, finance.user), finance.user, "drafting", "submitted", "awarded", **AWARD
    )
    client = finance.client
    bad = client.post(
        f"/grants/bids/{bid.id}/payments", data={"expected_on": "31/07/2026", "amount_expected": "0"}
    )
    assert bad.status_code == 400 and "more than £0.00" in bad.get_data(as_text=True)
    assert (
        client.post(
            f"/grants/bids/{bid.id}/payments", data={"expected_on": "31/07/2026", "amount_expected": "5,000"}
        ).status_code
        == 302
    )
    payment = session.scalar(select(GrantPayment))
    assert client.post(f"/grants/payments/{payment.id}/receive", data={"received_on": "02/08/2026",
                       "amount_received": "5,000", "version": payment.version}).status_code == 302  # fmt: skip
    assert (
        client.post(
            f"/grants/bids/{bid.id}/spend",
            data={"spent_on": "03/08/2026", "amount": "1,250.50", "description": "Laptops"},
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/grants/bids/{bid.id}/reports", data={"title": "Interim report", "due_on": "01/01/2027"}
        ).status_code
        == 302
    )
    page = client.get(f"/grants/bids/{bid.id}").get_data(as_text=True)
    assert "£8,749.50" in page  # remaining = 10,000 - 1,250.50
    assert "Interim report" in page and "Laptops" in page


def test_funders_and_programmes(login_as, session):
    client = login_as(Role.FINANCE).client
    response = client.post(
        "/grants/funders/new", data={"name": "National Lottery Heritage Fund", "type": "lottery"}
    )
    assert response.status_code == 302
    funder_id = int(response.headers["Location"].rsplit("/", 1)[1])
    dup = client.post(
        "/grants/funders/new", data={"name": "national lottery heritage fund", "type": "lottery"}
    )
    assert dup.status_code == 400 and "already exists" in dup.get_data(as_text=True)
    bad = client.post(f"/grants/funders/{funder_id}/programmes/new",
                      data={"name": "Grants for Heritage", "opens_on": "01/06/2026", "closes_on": "01/05/2026"})  # fmt: skip
    assert bad.status_code == 400 and "on or after the opening date" in bad.get_data(as_text=True)
    ok = client.post(f"/grants/funders/{funder_id}/programmes/new",
                     data={"name": "Grants for Heritage", "total_pot": "£1,000,000"})  # fmt: skip
    assert ok.status_code == 302
    assert "Grants for Heritage" in client.get(f"/grants/funders/{funder_id}").get_data(as_text=True)
    stale = client.post(
        f"/grants/funders/{funder_id}/edit", data={"name": "NLHF", "type": "lottery", "version": 0}
    )
    assert stale.status_code == 409


def test_bid_form_with_outcomes_and_a_stale_edit(login_as, session):
    finance = login_as(Role.FINANCE)
    funder = make_funder(session)
    data = {"title": "Reading Friends", "funder_id": funder.id, "service_id": service_id(session), "lead_id": finance.user.id,
            "outcome_ids": ["2", "5"], "amount_requested": "24,000", "probability": "60"}  # fmt: skip
    response = finance.client.post("/grants/bids/new", data=data)
    assert response.status_code == 302
    bid = session.scalar(select(GrantBid))
    assert [o.name for o in bid.outcomes] == ["Increased reading and literacy", "Healthier and happier lives"]
    assert bid.status is BidStatus.IDEA
    bad = finance.client.post("/grants/bids/new", data=data | {"probability": "150"})
    assert bad.status_code == 400 and "whole number from 0 to 100" in bad.get_data(as_text=True)
    opened = bid.version
    first = finance.client.post(
        f"/grants/bids/{bid.id}/edit", data=data | {"title": "New", "version": opened}
    )
    assert first.status_code == 302
    stale = finance.client.post(
        f"/grants/bids/{bid.id}/edit", data=data | {"title": "Stale", "version": opened}
    )
    assert stale.status_code == 409
    assert "New" in stale.get_data(as_text=True)
