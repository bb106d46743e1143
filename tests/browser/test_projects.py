"""A project lead updates a milestone with a note and sees it move from Green to Amber."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from incometrack.models import Role
from tests.factories import make_milestone, make_project

pytestmark = pytest.mark.browser


def test_lead_updates_a_milestone_and_sees_it_turn_amber(
    page, session, make_user, sign_in, assert_accessible
):
    lead = make_user(Role.LEAD)
    today = date.today()
    project = make_project(session, lead, name="Makerspaces in six libraries")
    make_milestone(
        session, project, lead, title="Remaining makerspaces open", baseline=today + timedelta(days=20)
    )
    sign_in(page, lead)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Projects").click()
    assert_accessible(page)
    page.get_by_role("link", name="Makerspaces in six libraries").click()
    table = page.get_by_role("table", name="Milestones in forecast date order, rated today")
    assert "Green" in table.inner_text()
    assert page.locator("svg[role=img]").count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Update milestone Remaining makerspaces open").click()
    assert_accessible(page)
    page.get_by_label("Forecast date").fill((today + timedelta(days=41)).strftime("%d/%m/%Y"))
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_label("Note").fill("Contractor delayed by three weeks")
    page.get_by_role("button", name="Save update").click()
    expect(page.get_by_text("Remaining makerspaces open: update saved.")).to_be_visible()
    table = page.get_by_role("table", name="Milestones in forecast date order, rated today")
    assert "Amber" in table.inner_text() and "slipped 21 days" in table.inner_text()
    assert "Contractor delayed by three weeks" in table.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="My milestones").click()
    assert "Remaining makerspaces open" in page.get_by_role("table", name="Later (1)").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Remaining makerspaces open", exact=True).first.click()
    assert (
        "Contractor delayed by three weeks"
        in page.get_by_role("table", name="Updates, newest first").inner_text()
    )
    assert_accessible(page)
