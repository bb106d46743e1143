"""Issue 29 through Chromium: a lead sets a target, records a quarter's result and adds a photo
with its consent; a finance officer approves it and downloads the grant's activity report. Every
page is checked by axe-core."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from incometrack import periods
from incometrack.models import Evidence, MeasureKind, MeasureUnit, Outcome, Role
from incometrack.services import impact
from tests.factories import make_bid, make_project, move

pytestmark = pytest.mark.browser


def test_a_lead_records_impact_and_finance_approves_it(
    page, session, make_user, sign_in, assert_accessible, tmp_path
):
    finance, lead = make_user(Role.FINANCE), make_user(Role.LEAD)
    bid = move(session, make_bid(session, finance, lead=lead, title="Code clubs"), finance, "drafting",
               "submitted", "awarded", awarded_resource=5_000_00)  # fmt: skip
    project = make_project(session, finance, lead=lead, name="Code clubs", bid_id=bid.id)
    outcome = session.scalar(select(Outcome.id).where(Outcome.name == "Improved digital access and literacy"))
    impact.create_measure(
        session,
        impact.MeasureInput("Attendances", MeasureUnit.ATTENDANCES, MeasureKind.OUTPUT, outcome),
        actor=None,
    )
    session.commit()
    today = date.today()
    quarter = periods.quarter_for(today)
    photo = tmp_path / "club.jpg"
    Image.new("RGB", (120, 80), (0, 112, 60)).save(photo, "JPEG")

    sign_in(page, lead)
    page.goto(f"/projects/{project.id}")
    page.get_by_role("link", name="Impact: measures, results and evidence").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a measure to report").click()
    assert_accessible(page)
    page.get_by_label("Measure", exact=True).select_option(label="Attendances")
    page.get_by_label("Baseline").fill("0")
    page.get_by_label("Target", exact=True).fill("400")
    page.get_by_label("Target date").fill((today + timedelta(days=300)).strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Save target").click()
    expect(page.get_by_text("Target saved.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"Record Attendances for {quarter.label}").click()
    assert_accessible(page)
    page.get_by_label("Value").fill("12.55")
    page.get_by_role("button", name="Save result").click()
    expect(page.get_by_role("link", name="Value can have one decimal place at most")).to_be_visible()
    assert_accessible(page)  # the error summary and the message beside the field
    page.get_by_label("Value").fill("125")
    page.get_by_role("button", name="Save result").click()
    expect(page.get_by_text(f"Attendances, {quarter.label}: result saved.")).to_be_visible()
    assert (
        "125"
        in page.get_by_role(
            "table", name="Each measure's baseline, target and the results of the last four quarters"
        ).inner_text()
    )

    page.get_by_role("link", name="Add evidence").click()
    assert_accessible(page)
    page.get_by_label("Kind of evidence").select_option(label="Photo")
    page.get_by_label("Title").fill("First session")
    page.get_by_label("Date", exact=True).fill(today.strftime("%d/%m/%Y"))
    page.get_by_label("Attribution").fill("Code club, Ashford")
    page.get_by_label("Alt text (for a photo)").fill("A green square of card")
    page.get_by_label("Photo or document").set_input_files(str(photo))
    page.get_by_label("Consent given by").select_option(label="The person")
    page.get_by_label("Committee papers").check()
    page.get_by_label("Funder reports").check()
    page.get_by_label("Date consent was given").fill(today.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_role("heading", name="First session")).to_be_visible()
    assert page.get_by_role("img", name="A green square of card").count() == 1
    assert_accessible(page)
    evidence = session.scalar(select(Evidence).where(Evidence.title == "First session"))
    assert evidence.consent.funder_reports and evidence.approved_at is None

    page.context.clear_cookies()
    sign_in(page, finance)
    page.goto(f"/evidence/{evidence.id}")
    page.get_by_role("button", name="Approve for outputs").click()
    expect(page.get_by_text("First session approved for outputs.")).to_be_visible()
    assert_accessible(page)
    page.goto(f"/grants/bids/{bid.id}")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download activity report (Word)").click()
    assert download.value.suggested_filename == "activity-report-code-clubs.docx"
    from docx import Document

    text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
    assert "Photo: First session. A green square of card" in text
