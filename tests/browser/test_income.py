"""A finance officer records income and imports a ledger extract through Chromium."""

from datetime import date

import pytest
from playwright.sync_api import expect

from incometrack.models import Role
from tests.factories import make_budget, make_entry, make_stream

pytestmark = pytest.mark.browser


def test_record_an_entry_and_find_it_in_the_filtered_list(
    page, session, make_user, sign_in, assert_accessible
):
    stream = make_stream(session, "LIB-PRINT", name="Printing and photocopying")
    other = make_stream(session, "LIB-ROOM", name="Room hire")
    make_entry(session, other, date(2026, 5, 3), 500_00, reference="OTHER")
    make_entry(session, stream, date(2026, 5, 4), 100_00, reference="EARLIER")
    sign_in(page, make_user(Role.FINANCE))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Income").click()
    assert_accessible(page)
    page.get_by_role("link", name="Record income").click()
    assert_accessible(page)

    page.get_by_label("Date received").fill("31/02/2026")
    page.get_by_label("Income stream").select_option(label="LIB-PRINT Printing and photocopying")
    page.get_by_label("Amount").fill("12.345")
    page.get_by_role("button", name="Save entry").click()
    summary = page.locator(".govuk-error-summary")
    assert "Date received must be a real date" in summary.inner_text()
    assert "Amount must not have more than 2 decimal places" in summary.inner_text()
    assert_accessible(page)

    page.get_by_label("Date received").fill("05/05/2026")
    page.get_by_label("Amount").fill("£1,234.50")
    page.get_by_label("Reference").fill("INV-2044")
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_text("Entry of £1,234.50 saved.")).to_be_visible()

    page.get_by_label("Stream", exact=True).select_option(label="LIB-PRINT Printing and photocopying")
    page.get_by_role("button", name="Apply filters").click()
    assert_accessible(page)
    expect(page.get_by_role("cell", name="INV-2044", exact=True)).to_be_visible()
    assert "Total of all 2 filtered entries: £1,334.50" in page.get_by_role("status").inner_text()


def test_import_a_ledger_extract_with_preview(page, session, make_user, sign_in, assert_accessible, tmp_path):
    make_stream(session, "LIB-PRINT")
    path = tmp_path / "november.csv"
    path.write_bytes(
        b"Date,Stream_code,Amount,Reference\n02/11/2026,LIB-PRINT,\xa3250.00,J1\n03/11/2026,LIB-PRINT,(20.00),J2\n"
    )
    sign_in(page, make_user(Role.FINANCE))
    page.goto("/income/import")
    assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check your import")).to_be_visible()
    assert "2 rows will be imported" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("november.csv: imported 2, skipped 0 duplicates.")).to_be_visible()
    assert_accessible(page)
    page.goto("/income/entries?year=2026-27")
    assert "Total of all 2 filtered entries: £230.00" in page.get_by_role("status").inner_text()


def test_other_income_pages_pass_axe(page, session, make_user, sign_in, assert_accessible):
    stream = make_stream(session, "LIB-PRINT")
    make_budget(session, stream, 100_000_00)
    make_entry(session, stream, date(2026, 5, 4), 100_00, reference="R1")
    sign_in(page, make_user(Role.ADMIN))
    for path in (
        "/income/streams",
        f"/income/streams/{stream.id}",
        f"/income/streams/{stream.id}/edit",
        f"/income/streams/{stream.id}/budget/2026-27",
        "/income/budgets/2026-27",
        f"/income/streams/{stream.id}/forecast/2026-27/2",
        "/income/locks",
        "/income/imports",
        "/admin/audit",
    ):
        page.goto(path)
        assert_accessible(page)
    page.goto(f"/income/streams/{stream.id}/forecast/2026-27/2")
    page.get_by_label("Forecast outturn for the year").fill("90,000")
    page.get_by_role("button", name="Save forecast").click()
    assert "This forecast is Red" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
