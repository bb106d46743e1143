"""A long download in Chromium: the progress page moves its bar as the job goes, then offers the
file (issue 32, item 4). The job is set up by hand so that the test decides when it advances."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from incometrack.jobs import queue
from incometrack.models import JobStatus, Role
from incometrack.services import jobs as job_service

pytestmark = pytest.mark.browser


def test_the_progress_page_follows_the_job_and_then_offers_the_file(
    app, page, session, make_user, sign_in, assert_accessible
):
    viewer = make_user(Role.VIEWER)
    job = job_service.create(
        session, owner=viewer, title="Income entries: workbook of 200,000 rows", method="GET",
        path="/income/entries?format=xlsx", form={}, back="/income/entries", total=200_000,
    )  # fmt: skip
    job.status, job.attempts, job.started_at = JobStatus.RUNNING, 1, datetime.now(UTC)
    session.commit()
    progress = queue.jobs_of(app).queue
    progress.put(f"progress:{job.id}", 50_000)
    sign_in(page, viewer)

    page.goto(f"/jobs/{job.id}")
    bar = page.get_by_role("progressbar", name="Progress")
    expect(bar).to_have_attribute("value", "50000")
    expect(page.get_by_role("status")).to_have_text("In progress: 50,000 of 200,000 rows (25%).")
    assert_accessible(page)

    progress.put(f"progress:{job.id}", 150_000)  # the page asks again by itself
    expect(page.get_by_role("status")).to_have_text(
        "In progress: 150,000 of 200,000 rows (75%).", timeout=8000
    )
    expect(bar).to_have_attribute("value", "150000")

    folder = Path(app.config["EXPORTS_DIR"]) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / job.id).write_bytes(b"PK workbook")
    job_service.finish(
        session, job.id, file_name="income-entries-2026-12-07.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip
    session.commit()
    link = page.get_by_role("link", name="Download income-entries-2026-12-07.xlsx")
    expect(link).to_be_visible(timeout=8000)
    assert_accessible(page)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "income-entries-2026-12-07.xlsx"
    page.get_by_role("link", name="Back to where you asked for it").click()
    page.wait_for_url("**/income/entries")
