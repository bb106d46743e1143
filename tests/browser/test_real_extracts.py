"""Month end from real published extracts in Chromium (issue 27), kept byte for byte in tests/data:
Leeds City Council's June 2020 spending and the Greater London Authority's payments for 2012-13
period 10, each from a profile made from the file to its lines imported with their real codes
mapped on the preview; Leeds again year to date after the quarter is locked."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from incometrack.models import IncomeEntry, Role
from incometrack.periods import FinancialYear
from incometrack.services import locks
from tests.factories import make_stream

pytestmark = pytest.mark.browser

LEEDS = Path(__file__).parents[1] / "data" / "leeds-2020-06-part.csv"
#: The ten codes the ledger prints for Libraries, Arts and Heritage in this extract (20 lines, £19,272.04).
LIBRARY_CODES = [f"LIBRARIES ARTS & HERITAGE-{n}" for n in (201, 205, 206, 210, 214, 226, 227, 265, 277, 933)]


def test_the_leeds_extract_through_the_screens(page, session, make_user, sign_in, assert_accessible):
    arts = make_stream(session, "LIB-ARTS", name="Libraries, arts and heritage")
    finance = make_user(Role.FINANCE)
    session.commit()
    sign_in(page, finance)

    page.goto("/income/import/profiles/new")
    page.get_by_label("An extract from the ledger").set_input_files(str(LEEDS))
    page.get_by_role("button", name="Read its columns").click()
    expect(page.get_by_role("heading", name="Choose the extract's columns")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_label("Date column")).to_have_value("Payment Date")
    expect(page.get_by_label("Amount column")).to_have_value("Amount")
    page.get_by_label("Profile name").fill("Leeds spending")
    page.get_by_label("Ledger code column", exact=True).select_option("Service Division Label")
    page.get_by_label("Second ledger code column (optional)").select_option("Detailed Expenditure Code")
    page.get_by_label("As positive figures").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Import profile Leeds spending saved.")).to_be_visible()

    page.get_by_role("link", name="Import with it (Leeds spending)").click()
    page.get_by_label("File", exact=True).set_input_files(str(LEEDS))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#nothing-to-import")).to_contain_text("no line's code belongs to a stream yet")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert_accessible(page)
    for code in LIBRARY_CODES:
        page.get_by_label(f"Stream for {code}", exact=True).select_option(str(arts.id))
    page.get_by_role("button", name="Add the codes and check the file again").click()
    expect(page.get_by_text("10 ledger codes added to streams; the file is checked again.")).to_be_visible()
    expect(page.locator("#reconciliation")).to_contain_text("£19,272.04")
    assert_accessible(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("imported 20, skipped 0 duplicates")
    session.reread()
    assert session.execute(select(func.count(), func.sum(IncomeEntry.amount))).one() == (20, 19_272_04)

    locks.lock(session, FinancialYear(2020).quarter(1), actor=finance)  # Q1 2020-21 submitted
    session.commit()
    page.goto("/income/import")
    page.get_by_label("A ledger extract, as the ledger wrote it").check()
    page.get_by_label("Import profile (for a ledger extract)").select_option(label="Leeds spending")
    page.get_by_label("File", exact=True).set_input_files(str(LEEDS))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "0 rows will be imported and 20 duplicates skipped"
    )


GLA = Path(__file__).parents[1] / "data" / "gla-2012-13-P10-250.csv"


def test_the_gla_extract_through_the_screens(page, session, make_user, sign_in, assert_accessible):
    """Six title rows above the header, amounts in quotes with thousands commas, dates like
    ``20 Dec  2012`` and a totals row: 860 lines of £66,938,627.74, 79 of them (£17,679,375.78)
    under the one code mapped on the preview."""
    grants = make_stream(session, "GLA-GRANTS", name="Grants to external organisations")
    finance = make_user(Role.FINANCE)
    session.commit()
    sign_in(page, finance)

    page.goto("/income/import/profiles/new")
    page.get_by_label("An extract from the ledger").set_input_files(str(GLA))
    page.get_by_role("button", name="Read its columns").click()
    expect(page.get_by_role("heading", name="Choose the extract's columns")).to_be_visible()
    expect(page.get_by_label("Date column")).to_have_value("Clearing Date")
    expect(page.get_by_label("Amount column")).to_have_value("Amount")
    expect(page.get_by_label("Ledger code column", exact=True)).to_have_value(
        "Expenditure Account Code Description"
    )
    expect(page.get_by_label("Second ledger code column (optional)")).to_have_value("Cost Element")
    page.get_by_label("Profile name").fill("GLA payments")
    page.get_by_label("As positive figures").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Import profile GLA payments saved.")).to_be_visible()

    page.get_by_role("link", name="Import with it (GLA payments)").click()
    page.get_by_label("File", exact=True).set_input_files(str(GLA))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#nothing-to-import")).to_be_visible()
    page.get_by_label("Stream for GRANTS TO EXTERNAL ORGANISATIONS-544075", exact=True).select_option(
        str(grants.id)
    )
    page.get_by_role("button", name="Add the codes and check the file again").click()
    expect(page.get_by_text("1 ledger code added to streams; the file is checked again.")).to_be_visible()
    reconciliation = page.locator("#reconciliation")
    expect(reconciliation).to_contain_text("£66,938,627.74")
    expect(reconciliation).to_contain_text("£17,679,375.78")
    assert_accessible(page)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("imported 79, skipped 0 duplicates")
    session.reread()
    assert session.execute(select(func.count(), func.sum(IncomeEntry.amount))).one() == (79, 1_767_937_578)
