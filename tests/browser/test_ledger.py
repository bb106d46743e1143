"""A finance officer brings in a ledger extract through a profile made on screen, records a week's
takings one after another, and pastes rows from a spreadsheet into the grid (issue 17)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from incometrack.models import ImportProfile, IncomeEntry, Role
from incometrack.services import income as income_service
from tests.factories import make_site, make_stream
from tests.test_ledger_import import extract

pytestmark = pytest.mark.browser


def test_make_a_profile_from_an_extract_then_import_with_it(
    page, session, make_user, sign_in, assert_accessible, tmp_path
):
    for code, name, ledger_code in (
        ("LIB-ROOM", "Room hire", "LIB01-9100"),
        ("LIB-PRINT", "Printing", "LIB01-9200"),
    ):
        stream = make_stream(session, code, name=name)
        income_service.update_stream(
            session,
            stream,
            income_service.StreamInput(code=code, name=name, service_id=stream.service_id,
                                       category_id=stream.category_id, ledger_codes=(ledger_code,)),
            actor=None,
            expected_version=stream.version,
        )  # fmt: skip
    session.commit()
    path = tmp_path / "november.csv"
    path.write_bytes(extract(encoding="cp1252"))
    sign_in(page, make_user(Role.FINANCE))
    page.goto("/income/import")
    page.get_by_role("link", name="Import profiles").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Make a profile from an extract").click()
    assert_accessible(page)
    page.get_by_label("An extract from the ledger").set_input_files(str(path))
    page.get_by_role("button", name="Read its columns").click()
    expect(page.get_by_role("heading", name="Choose the extract's columns")).to_be_visible()
    assert_accessible(page)
    # The likely columns are chosen already; the officer names it and says how income is printed.
    expect(page.get_by_label("Date column")).to_have_value("Trans Date")
    expect(page.get_by_label("Ledger code column", exact=True)).to_have_value("Cost Centre")
    expect(page.get_by_label("Second ledger code column (optional)")).to_have_value("Account")
    page.get_by_label("Profile name").fill("Oracle monthly")
    page.get_by_label("As negative figures (a credit): turn them positive").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Import profile Oracle monthly saved.")).to_be_visible()
    assert_accessible(page)
    assert session.scalar(select(func.count()).select_from(ImportProfile)) == 1

    page.get_by_role("link", name="Import with it (Oracle monthly)").click()
    expect(page.get_by_label("Import profile (for a ledger extract)")).to_have_value(
        str(session.scalar(select(ImportProfile.id)))
    )
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check your import")).to_be_visible()
    assert_accessible(page)
    reconciliation = page.locator("#reconciliation").inner_text()
    assert "All income lines in the file" in reconciliation and "£2,705.10" in reconciliation
    assert "ARC07-9100" in page.locator("#unmapped").inner_text()
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "november.csv: imported 6, skipped 0 duplicates, skipped 1 unmapped lines (£12.00)."
    )
    expect(page.locator("#batch-summary")).to_contain_text("unmapped ARC07-9100: 1 line (£12.00)")
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 6


def test_record_a_weeks_takings_one_after_another(page, session, make_user, sign_in, assert_accessible):
    make_stream(session, "LIB-CAFE", name="Cafe")
    site = make_site(session, "Maidstone Library")
    sign_in(page, make_user(Role.FINANCE))
    page.goto("/income/entries/new")
    page.get_by_label("Date received").fill("02/11/2026")
    page.get_by_label("Income stream").select_option(label="LIB-CAFE Cafe")
    page.get_by_label("Site (optional)").select_option(label="Maidstone Library")
    for amount in ("12.40", "8.10", "15.00"):
        page.get_by_label("Amount").fill(amount)
        page.get_by_label("Reference").fill("TILL")
        page.get_by_label("Reference").press("Enter")  # Enter saves and opens the next entry
        expect(page.get_by_text(f"Entry of £{amount} saved.")).to_be_visible()
        # Date, stream and site are kept for the next line.
        expect(page.get_by_label("Date received")).to_have_value("02/11/2026")
        expect(page.get_by_label("Site (optional)")).to_have_value(str(site.id))
    caption = page.locator("#batch caption").inner_text()
    assert caption == "Recorded in this batch: 3 entries, £35.50"
    assert_accessible(page)


def paste(page, lines: list[str]) -> None:
    """Paste ``lines`` (tab-separated, as Excel copies them) into the focused cell."""
    page.evaluate(
        """text => {
            const data = new DataTransfer();
            data.setData('text/plain', text);
            document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true}));
        }""",
        "\r\n".join(lines) + "\r\n",
    )


def test_rows_pasted_from_a_spreadsheet_drop_into_the_grid(
    page, session, make_user, sign_in, assert_accessible
):
    make_stream(session, "LIB-CAFE")
    make_stream(session, "LIB-PRINT")
    sign_in(page, make_user(Role.FINANCE))
    page.goto("/income/entries/batch")
    assert_accessible(page)
    # Twelve rows copied from Excel: more than the grid's ten, so rows are added.
    lines = [f"{day:02d}/11/2026\tLIB-CAFE\t{day}.50\tTILL-{day}" for day in range(1, 12)]
    lines.append("12/11/2026\tLIB-PRNT\t(3.00)\tREF-12")
    page.get_by_label("Row 1, Date received").focus()
    paste(page, lines)
    expect(page.get_by_label("Row 12, Stream code")).to_have_value("LIB-PRNT")
    expect(page.get_by_label("Row 3, Amount")).to_have_value("3.50")
    # a running count and total to tie to the paper sheet: (1 + ... + 11) + 11 x 0.50 - 3.00
    expect(page.locator("#grid-total")).to_have_text("12 lines, totalling £68.50")
    aligned = page.evaluate(
        """() => ['Row 1, Amount', 'Row 1, Description'].map(label =>
            getComputedStyle(document.querySelector(`[aria-label="${label}"], #${CSS.escape(
                [...document.querySelectorAll('label')].find(l => l.textContent.trim() === label).htmlFor)}`)
            ).textAlign)"""
    )
    assert aligned == ["right", "left"]
    page.get_by_role("button", name="Record these lines").click()
    # All or nothing: the one wrong code stops every line, and is shown beside its cell.
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "No stream has this code; the nearest known: LIB-PRINT" in summary
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    assert_accessible(page)
    page.get_by_label("Row 12, Stream code").fill("LIB-PRINT")
    page.get_by_role("button", name="Record these lines").click()
    expect(page.get_by_text("12 lines recorded (£68.50)")).to_be_visible()
    assert_accessible(page)


def test_six_hundred_lines_pasted_are_recorded_whole(page, session, make_user, sign_in, assert_accessible):
    """Issue 32: 600 lines pasted showed 600 rows and recorded 500. The grid holds 2,000 lines,
    all recorded or none. 600 lines of £1.00 .. £600.00 come to £180,300.00 (600 x 601 / 2)."""
    make_stream(session, "LIB-CAFE")
    sign_in(page, make_user(Role.FINANCE))
    page.goto("/income/entries/batch")
    lines = [f"{1 + n % 28:02d}/10/2026\tLIB-CAFE\t{n + 1}.00\tTILL-{n}" for n in range(600)]
    page.get_by_label("Row 1, Date received").focus()
    paste(page, lines)
    expect(page.get_by_label("Row 600, Amount")).to_have_value("600.00")
    expect(page.locator("#grid-status")).to_have_text("600 lines pasted into the grid.")
    page.get_by_role("button", name="Record these lines").click()
    expect(page.get_by_text("600 lines recorded (£180,300.00)")).to_be_visible()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 600
    assert session.scalar(select(func.sum(IncomeEntry.amount))) == 180_300_00
    assert_accessible(page)
