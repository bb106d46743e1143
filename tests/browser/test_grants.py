"""A finance officer moves a bid from drafting to awarded and records a payment, in Chromium."""

import pytest
from playwright.sync_api import expect

from incometrack.models import Role
from tests.factories import make_bid, move

pytestmark = pytest.mark.browser


def test_drafting_to_awarded_then_a_payment(page, session, make_user, sign_in, assert_accessible):
    finance = make_user(Role.FINANCE)
    bid = move(session, make_bid(session, finance, title="Kent's Digital Playground", requested=100_000_00), finance,
               "drafting")  # fmt: skip
    sign_in(page, finance)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Grants").click()
    assert_accessible(page)
    page.get_by_role("link", name="Kent's Digital Playground").click()
    assert_accessible(page)

    page.get_by_role("link", name="Record submission").click()
    assert_accessible(page)
    page.get_by_label("Date").fill("25/11/2026")
    page.get_by_label("Note (optional)").fill("Sent through the funder's portal")
    page.get_by_role("button", name="Record submission").click()
    expect(page.get_by_text("is now submitted")).to_be_visible()

    page.get_by_role("link", name="Record award").click()
    page.get_by_role("button", name="Record award").click()
    assert "Enter the amount awarded" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Amount awarded: resource (revenue)").fill("80,000")
    page.get_by_label("Amount awarded: capital").fill("20,000")
    page.get_by_role("button", name="Record award").click()
    expect(page.get_by_text("is now awarded")).to_be_visible()
    expect(page.get_by_role("cell", name="£100,000.00", exact=True).first).to_be_visible()

    page.get_by_text("Add a payment").click()
    page.get_by_label("Expected on").fill("30/11/2026")
    page.get_by_label("Amount expected").fill("50,000")
    page.get_by_label("Received on (optional)").fill("27/11/2026")
    page.get_by_label("Amount received (optional)").fill("50,000")
    page.get_by_role("button", name="Add payment").click()
    expect(page.get_by_text("Payment added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Received", exact=True)).to_be_visible()
    history = page.get_by_role("table", name="Status history").inner_text()
    assert "Drafting → Submitted" in history and "Submitted → Awarded" in history
    assert_accessible(page)
    for path in ("/grants/pipeline", "/grants/due", "/grants/funders", f"/grants/funders/{bid.funder_id}",
                 f"/grants/bids/{bid.id}/edit", "/grants/bids/new"):  # fmt: skip
        page.goto(path)
        assert_accessible(page)
