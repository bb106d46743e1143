"""The dashboard and the quarterly return in Chromium: both files download, and the README's
screenshots are taken from the demo data."""

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from incometrack import demo, periods

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_dashboard_then_both_downloads(page, session, sign_in, assert_accessible, tmp_path):
    demo.load(session, today=date.today())
    session.commit()
    finance = session.scalar(demo.select(demo.User).where(demo.User.email == "finance@demo.example"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    page.get_by_label("Email address").fill(finance.email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.locator("svg[role=img]").count() == 2
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=False)

    quarter = periods.quarter_for(date.today()).previous()
    page.get_by_role("link", name="Quarterly returns").click()
    assert_accessible(page)
    page.get_by_role("button", name="Open the return").click()
    expect(
        page.get_by_role(
            "heading", name=f"Financial resilience return {quarter.year.label} Q{quarter.number}"
        )
    ).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Download Excel workbook").click()
    xlsx = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx)
    assert xlsx.name == f"financial-resilience-return-{quarter.year.label}-Q{quarter.number}.xlsx"
    assert load_workbook(xlsx, read_only=True).sheetnames[0] == "Summary"

    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(SCREENSHOTS / "return-first-page"),
            ],
            check=True,
        )
    page.reload()
    assert f"financial-resilience-return-{quarter.year.label}-Q{quarter.number}.pdf" in page.content()
