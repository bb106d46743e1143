"""The dashboard and the quarterly return in Chromium: both files download, and the README's
screenshots are taken from the demo data."""

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from incometrack import demo, periods
from tests.contracts import latest_month_ended

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_dashboard_then_every_download(page, session, sign_in, assert_accessible, axe, tmp_path):
    demo.load(session, today=date.today())
    session.commit()
    finance = session.scalar(demo.select(demo.User).where(demo.User.email == "finance@demo.example"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    page.get_by_label("Email address").fill(finance.email)
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.locator("svg[role=img]").count() == 3  # by service, by month, by quarter
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
    assert xlsx.name == f"financial-resilience-return-{quarter.year.label}-Q{quarter.number}-DRAFT.xlsx"
    assert load_workbook(xlsx, read_only=True).sheetnames[:2] == ["Streams rated Red or Amber", "Summary"]

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
    assert f"financial-resilience-return-{quarter.year.label}-Q{quarter.number}-DRAFT.pdf" in page.content()

    # The accessible web page to publish: one file that opens on its own, with no script.
    with page.expect_download() as html_download:
        page.get_by_role("button", name="Download accessible web page (HTML)").click()
    published = tmp_path / html_download.value.suggested_filename
    html_download.value.save_as(published)
    assert published.name.endswith("-DRAFT.html")
    page.context.set_offline(True)  # nothing it shows may come from anywhere else
    page.goto(published.as_uri())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Financial resilience return {quarter.year.label} Q{quarter.number} DRAFT"
    )
    assert page.locator("script").count() == 0
    assert page.locator("table").count() == page.locator("table > caption").count() >= 9
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        violations = axe.run(page).response["violations"]  # every rule: WCAG 2.2 AA and best practice
        assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    page.context.set_offline(False)


def test_commentary_then_check_and_submit(page, session, assert_accessible):
    """Finance writes the flagged streams' commentary on one page, is stopped by the check (no
    confirmation, no reason), then submits; every page and error state passes axe-core."""
    demo.load(session, today=date.today())
    session.commit()
    quarter = periods.quarter_for(date.today()).previous()
    year, number = quarter.year.label, quarter.number
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    page.get_by_label("Email address").fill("finance@demo.example")
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/returns/{year}/{number}")
    expect(page.get_by_text("This return is a draft until it is submitted")).to_be_visible()
    page.get_by_role("link", name="Check and submit").click()
    expect(page.get_by_role("heading", name=f"Check and submit the {quarter.label} return")).to_be_visible()
    assert_accessible(page)
    outstanding = page.locator("main ul.govuk-list--bullet").first.locator("li").count()

    page.get_by_role("button", name=f"Submit the {quarter.label} return").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Write the quarter's commentary").click()
    expect(page.get_by_role("heading", name=f"Commentary for {quarter.label}")).to_be_visible()
    assert_accessible(page)
    boxes = page.locator("textarea")
    empty = [i for i in range(boxes.count()) if not boxes.nth(i).input_value().strip()]
    assert len(empty) == outstanding
    if empty:
        boxes.nth(empty[0]).fill("Closure for building works; bookings move to the spring.")
    page.get_by_role("button", name="Save commentary").click()
    expect(page.get_by_text("Commentary saved for")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Check and submit the return").click()
    if outstanding > 1:
        page.get_by_label("Reason for submitting without commentary").fill("The rest follows at committee")
    page.get_by_label("I have checked this return").check()
    page.get_by_role("button", name=f"Submit the {quarter.label} return").click()
    expect(page.get_by_text("return is submitted: its figures are frozen")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_text("This return is a draft")).to_have_count(0)


def test_budget_monitoring_pack(page, session, assert_accessible, tmp_path):
    """The period pack as at the latest month ended, under axe-core, with its README screenshot."""
    demo.load(session, today=date.today())
    session.commit()
    as_at_label, year, number = latest_month_ended(date.today())
    day_month_year = as_at_label.removeprefix("to ").split(" (")[0]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/login")
    page.get_by_label("Email address").fill("viewer@demo.example")
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(as_at_label).first).to_be_visible()
    page.get_by_role("link", name="Monitoring").click()
    assert_accessible(page)
    page.get_by_role("button", name="Open the pack").click()
    title = f"Budget monitoring {year} P{number} (to {day_month_year})"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "monitoring.png"), full_page=False)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Excel workbook").click()
    assert download.value.suggested_filename == f"budget-monitoring-{year}-P{number:02d}.xlsx"


def test_the_committee_sees_the_answer_first_on_a_desktop_and_a_phone(
    page, session, sign_in, assert_accessible
):
    """Issue 28: the demo's last quarter's return opens with the key and the streams rated Red or
    Amber, read at 1,280 px (no sideways scrolling) and at 375 px (nothing wider than the screen);
    the README's two screenshots."""
    demo.load(session, today=date.today())
    session.commit()
    quarter = periods.quarter_for(date.today()).previous()
    page.goto("/login")
    page.get_by_label("Email address").fill("finance@demo.example")
    page.get_by_label("Password", exact=True).fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, shot in ((1280, "exceptions-desktop.png"), (375, "exceptions-phone.png")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/returns/{quarter.year.label}/{quarter.number}")
        heading = page.get_by_role("heading", name="Streams rated Red or Amber")
        expect(heading).to_be_visible()
        key = page.get_by_role("table", name="What the ratings mean")
        expect(key.get_by_role("row")).to_have_count(5)  # its header and four ratings
        expect(key).to_contain_text("the lower of 5% of the annual budget and £100,000")
        exceptions = page.get_by_role(
            "table", name="Streams rated Red or Amber, the largest forecast shortfall first"
        )
        if width == 1280:
            rows = exceptions.locator("tbody tr")
            assert rows.count() >= 1
            ratings = [rows.nth(n).locator("td, th").nth(5).inner_text().strip() for n in range(rows.count())]
            assert set(ratings) <= {"Red", "Amber"}, ratings
            # in the order of the shortfall: the largest (most negative forecast variance) first
            shortfalls = [
                int(
                    rows.nth(n)
                    .locator("td, th")
                    .nth(3)
                    .inner_text()
                    .replace("£", "")
                    .replace(",", "")
                    .replace(".", "")
                )
                for n in range(rows.count())
            ]
            assert shortfalls == sorted(shortfalls), shortfalls
        else:  # on a phone, a card a stream in the same order, each figure beside its label
            expect(exceptions).to_be_hidden()
            cards = page.locator("h2#exceptions ~ .app-narrow-only").first.locator(".govuk-summary-card")
            expect(cards.first.locator("dt", has_text="Forecast variance").first).to_be_visible()
            expect(cards.first.locator(".govuk-tag")).to_have_text(re.compile("Red|Amber"))
            assert cards.count() == len(ratings)  # the same streams as the table on a desktop
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        position = page.get_by_role(
            "table", name="Income by stream, year to date and forecast outturn: the position"
        )
        if width == 1280:  # the whole table in view: no scrolling sideways inside its container
            assert exceptions.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
            # income by stream: the position, with the quarters and the movement one click away
            expect(position.locator("thead th")).to_have_count(8)
            everything = page.get_by_role(
                "table", name="Income by stream, year to date and forecast outturn", exact=True
            )
            expect(everything).to_be_hidden()
            page.get_by_text("Every column: the quarters, the previous forecast and the movement").click()
            expect(everything).to_be_visible()
            expect(everything.locator("thead th")).to_have_count(20)  # every column of the sheet
        else:  # on a phone the Summary and the streams are cards, a figure beside each label
            expect(position).to_be_hidden()
            card = page.locator(
                ".govuk-summary-card", has=page.get_by_role("heading", name="Total", exact=True)
            ).first
            expect(card).to_be_visible()
            expect(card.get_by_text("Actual to date")).to_be_visible()
        assert_accessible(page)
        page.evaluate("document.getElementById('exceptions').scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SCREENSHOTS / shot), full_page=False)
