"""Long downloads run as background jobs (issue 32, item 4), in the process: the test app runs a
job as soon as it is queued (``JOBS_IMMEDIATE``), so each test follows a job from the request that
asks for it to its file. ``tests/test_jobs_worker.py`` runs them through gunicorn and a real worker.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from incometrack.jobs import queue
from incometrack.models import ExportRecord, ImportBatch, IncomeEntry, Job, JobStatus, Role, StagedUpload
from incometrack.periods import FinancialYear
from incometrack.services import imports, locks
from incometrack.services import jobs as job_service
from tests.factories import make_budget, make_entry, make_stream

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def entries(session, make_user):
    finance = make_user(Role.FINANCE, name="Fran Finance")
    printing = make_stream(session, "LIB-PRINT", name="Printing")
    make_budget(session, printing, 1_000_00)
    for day, pence in ((4, 12_50), (5, 3_00), (6, 4_00), (7, 1_25)):
        make_entry(session, printing, date(2026, 5, day), pence, reference=f"P{day}", actor=finance)
    session.commit()
    return printing


@pytest.fixture
def small_threshold(app):
    app.config["JOBS_ROW_THRESHOLD"] = 3
    return app


def job_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    match = re.fullmatch(r"/jobs/([0-9a-f]{32})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def entries_job(session, owner) -> Job:
    """A job recorded as the entry list's workbook download asks for one (4 rows)."""
    return job_service.create(
        session, owner=owner, title="Income entries", method="GET", path="/income/entries?format=xlsx",
        form={}, back="/income/entries", total=4,
    )  # fmt: skip


def workbook_rows(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def test_a_workbook_over_the_threshold_is_made_by_a_job_with_the_same_rows(
    small_threshold, entries, login_as, session
):
    client = login_as(Role.VIEWER).client
    job_id = job_id_of(client.get("/income/entries?year=2026-27&format=xlsx"))

    page = client.get(f"/jobs/{job_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Income entries: workbook of 4 rows" in html and "Ready" in html
    assert f'href="/jobs/{job_id}/file"' in html
    assert 'href="/income/entries?year=2026-27"' in html  # the way back keeps the filters

    state = client.get(f"/jobs/{job_id}/progress.json").get_json()
    assert (state["status"], state["done"], state["total"], state["percent"]) == ("done", 4, 4, 100)

    response = client.get(f"/jobs/{job_id}/file")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert re.search(
        r'filename="?income-entries-\d{4}-\d\d-\d\d\.xlsx', response.headers["Content-Disposition"]
    )
    rows = workbook_rows(response.get_data())
    assert rows[0][0] == "Income entries"
    assert [(r[0].date(), r[1], r[5], r[7]) for r in rows[3:]] == [
        (date(2026, 5, 7), "LIB-PRINT", "P7", Decimal("1.25")),
        (date(2026, 5, 6), "LIB-PRINT", "P6", Decimal("4")),
        (date(2026, 5, 5), "LIB-PRINT", "P5", Decimal("3")),
        (date(2026, 5, 4), "LIB-PRINT", "P4", Decimal("12.5")),
    ]
    session.reread()
    job = session.get(Job, job_id)
    assert (job.status, job.attempts, job.total, job.method) == (JobStatus.DONE, 1, 4, "GET")


def test_at_the_threshold_and_as_csv_the_download_comes_at_once(small_threshold, entries, login_as, session):
    client = login_as(Role.VIEWER).client
    small_threshold.config["JOBS_ROW_THRESHOLD"] = 4
    at_once = client.get("/income/entries?year=2026-27&format=xlsx")
    assert at_once.status_code == 200 and at_once.mimetype == XLSX
    small_threshold.config["JOBS_ROW_THRESHOLD"] = 1
    streamed = client.get("/income/entries?year=2026-27&format=csv")
    assert streamed.status_code == 200 and streamed.mimetype == "text/csv"
    assert len(streamed.get_data(as_text=True).strip().splitlines()) == 5  # heading and four rows
    session.reread()
    assert session.scalars(select(Job)).all() == []


def test_only_the_person_who_asked_sees_the_job_or_its_file(small_threshold, entries, login_as):
    asker = login_as(Role.VIEWER).client
    job_id = job_id_of(asker.get("/income/entries?year=2026-27&format=xlsx"))
    other = login_as(Role.ADMIN).client
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/file", f"/jobs/{job_id}/progress.json"):
        assert other.get(url).status_code == 404, url
        assert asker.get(url).status_code == 200, url
    assert job_id not in other.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{job_id}" in asker.get("/jobs/").get_data(as_text=True)
    for bad in ("nothing", "0" * 31, "G" * 32, "0" * 33):
        assert asker.get(f"/jobs/{bad}").status_code == 404, bad
    assert asker.get("/jobs/%00").status_code == 400  # a NUL byte is refused before any view


def test_a_return_workbook_over_the_threshold_is_a_job_and_its_checksum_is_recorded(
    small_threshold, entries, login_as, session
):
    client = login_as(Role.FINANCE).client
    job_id = job_id_of(client.post("/returns/2026-27/1/export/xlsx", data={}))
    response = client.get(f"/jobs/{job_id}/file")
    assert response.status_code == 200 and response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.get_data()))
    entry_sheet = next(sheet for sheet in workbook.worksheets if sheet.title == "Income entries")
    amounts = [row[-1] for row in entry_sheet.iter_rows(values_only=True) if isinstance(row[0], datetime)]
    assert sorted(Decimal(str(a)) for a in amounts) == [
        Decimal("1.25"),
        Decimal("3"),
        Decimal("4"),
        Decimal("12.5"),
    ]
    session.reread()
    record = session.scalars(select(ExportRecord).where(ExportRecord.format == "xlsx")).one()
    assert record.checksum == hashlib.sha256(response.get_data()).hexdigest()
    # the PDF has no entry sheet: it comes at once whatever the threshold
    pdf = client.post("/returns/2026-27/1/export/pdf", data={})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_job_whose_owner_may_no_longer_read_it_fails_and_leaves_no_file(app, entries, make_user, session):
    viewer = make_user(Role.VIEWER)
    job = entries_job(session, viewer)
    viewer.role = Role.LEAD  # leads do not read income
    session.commit()
    queue.run_job(app, job.id)
    session.reread()
    failed = session.get(Job, job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.message == (
        "This page is for administrators, finance officers and viewers. You are signed in as a project lead."
    )
    assert not (Path(app.config["EXPORTS_DIR"]) / "jobs" / job.id).exists()


def test_a_job_is_run_once_however_many_times_it_is_handed_out(app, entries, make_user, session):
    job = entries_job(session, make_user(Role.VIEWER))
    session.commit()
    queue.run_job(app, job.id)
    queue.run_job(app, job.id)
    session.reread()
    assert (session.get(Job, job.id).status, session.get(Job, job.id).attempts) == (JobStatus.DONE, 1)


def _stalled(session, owner, attempts: int) -> Job:
    job = entries_job(session, owner)
    job.status, job.attempts = JobStatus.RUNNING, attempts
    job.started_at = datetime.now(UTC) - timedelta(minutes=2)
    session.commit()
    return job


def test_a_job_whose_worker_was_killed_is_cleaned_up_and_run_again(app, entries, make_user, session):
    folder = Path(app.config["EXPORTS_DIR"]) / "jobs"
    folder.mkdir(parents=True)
    job = _stalled(session, make_user(Role.VIEWER), attempts=1)
    half = folder / f".{job.id}.x1y2.part"
    half.write_bytes(b"PK half a workbook")
    queue.recover_jobs(app)
    session.reread()
    again = session.get(Job, job.id)
    assert (again.status, again.attempts) == (JobStatus.DONE, 2)
    assert not half.exists()
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [job.id]


def test_a_job_killed_twice_is_marked_failed_with_nothing_left(app, entries, make_user, session):
    folder = Path(app.config["EXPORTS_DIR"]) / "jobs"
    folder.mkdir(parents=True)
    job = _stalled(session, make_user(Role.VIEWER), attempts=2)
    (folder / f".{job.id}.a.part").write_bytes(b"half")
    queue.recover_jobs(app)
    session.reread()
    failed = session.get(Job, job.id)
    assert failed.status == JobStatus.FAILED and "stopped before it finished" in failed.message
    assert list(folder.glob(f"*{job.id}*")) == []


def test_a_running_job_with_a_fresh_heartbeat_is_left_alone(app, entries, make_user, session):
    job = _stalled(session, make_user(Role.VIEWER), attempts=1)
    queue.jobs_of(app).queue.put(f"beat:{job.id}", datetime.now(UTC).timestamp())
    queue.recover_jobs(app)
    session.reread()
    assert session.get(Job, job.id).status == JobStatus.RUNNING


def test_files_are_deleted_after_the_hours_they_are_kept(small_threshold, entries, login_as, session):
    client = login_as(Role.VIEWER).client
    job_id = job_id_of(client.get("/income/entries?year=2026-27&format=xlsx"))
    path = Path(small_threshold.config["EXPORTS_DIR"]) / "jobs" / job_id
    assert path.is_file()
    job = session.get(Job, job_id)
    job.finished_at = datetime.now(UTC) - timedelta(hours=25)
    session.commit()
    queue.recover_jobs(small_threshold)
    assert not path.exists()
    assert client.get(f"/jobs/{job_id}/file").status_code == 404
    assert "was deleted 24 hours after" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def test_temporary_folders_of_workers_that_are_gone_are_deleted(app, tmp_path):
    folder = tmp_path / "jobs"
    host = socket.gethostname()
    gone, alive = folder / "tmp" / f"{host}-999999999", folder / "tmp" / f"{host}-{os.getpid()}"
    for path in (gone, alive):
        path.mkdir(parents=True)
        (path / "openpyxl.abc").write_bytes(b"sheet")
    queue.sweep_worker_folders(folder)
    assert not gone.exists() and alive.exists()


def test_the_queue_is_chosen_from_the_settings(tmp_path):
    from huey import RedisHuey

    sqlite = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.db'}"}
    assert queue.queue_file(sqlite) == str(tmp_path / "app-jobs.db")
    assert queue.queue_file({**sqlite, "JOBS_QUEUE_FILE": "/srv/q.db"}) == "/srv/q.db"
    assert isinstance(queue.make_queue({**sqlite, "REDIS_URL": "redis://127.0.0.1:1/0"}), RedisHuey)
    postgres = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u:p@db.example:5432/it"}
    # (PostgresHuey connects when made: only its connection string is checked here)
    assert queue.postgres_dsn(postgres["SQLALCHEMY_DATABASE_URI"]) == "postgresql://u:p@db.example:5432/it"


FIVE_LINES = (
    b"date,stream_code,amount,reference\n"
    b"01/06/2026,LIB-PRINT,10.00,J1\n02/06/2026,LIB-PRINT,5.00,J2\n03/06/2026,LIB-PRINT,2.50,J3\n"
    b"04/06/2026,LIB-PRINT,1.00,J4\n05/06/2026,LIB-PRINT,0.25,J5\n"
)


def preview_token(client, data: bytes) -> str:
    preview = client.post(
        "/income/import",
        data={"kind": "income", "file": (io.BytesIO(data), "june.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.get_data(as_text=True)[:300]
    return preview.get_data(as_text=True).split('name="token" value="', 1)[1].split('"', 1)[0]


def test_a_long_import_is_confirmed_by_a_job_once(small_threshold, entries, login_as, session):
    client = login_as(Role.FINANCE).client
    token = preview_token(client, FIVE_LINES)
    job_id = job_id_of(client.post("/income/import/confirm", data={"token": token}))
    session.reread()
    job = session.get(Job, job_id)
    batch = session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert (job.status, job.total, job.title) == (JobStatus.DONE, 5, "Import of june.csv: 5 lines")
    assert job.message == "june.csv: imported 5, skipped 0 duplicates."
    assert job.result_url == f"/income/imports/{batch.id}"
    total = session.scalar(select(func.sum(IncomeEntry.amount)).where(IncomeEntry.batch_id == batch.id))
    assert (batch.rows_imported, total) == (5, 18_75)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert (
        "june.csv: imported 5, skipped 0 duplicates." in page and f'href="/income/imports/{batch.id}"' in page
    )
    # the preview was taken by the job: confirming it again imports nothing
    again = client.post("/income/import/confirm", data={"token": token})
    assert again.status_code == 303 and again.headers["Location"].endswith("/income/import")
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 4 + 5


def test_a_long_import_that_became_wrong_fails_its_job_and_keeps_its_preview(
    small_threshold, entries, login_as, session, make_user
):
    client = login_as(Role.FINANCE).client
    token = preview_token(client, FIVE_LINES)
    locks.lock(session, FinancialYear(2026).quarter(1), actor=make_user(Role.FINANCE))
    session.commit()
    job_id = job_id_of(client.post("/income/import/confirm", data={"token": token}))
    session.reread()
    job = session.get(Job, job_id)
    assert job.status == JobStatus.FAILED
    assert job.message.startswith(
        "Nothing was imported: 5 problems found; 5 new lines (£18.75) dated in locked quarters (late postings)"
    )
    assert "row 2: date: 2026-27 Q1 is locked." in job.message
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 4
    assert session.scalar(select(func.count()).select_from(StagedUpload)) == 1


def test_a_quarter_locked_while_a_file_is_checked_refuses_its_new_lines(app, entries, session, make_user):
    finance = make_user(Role.FINANCE)
    session.commit()

    def someone_locks_q1() -> None:  # between checking the lines and writing them
        locks.lock(session, FinancialYear(2026).quarter(1), actor=finance)

    result = imports.import_income(
        session,
        FIVE_LINES,
        "june.csv",
        actor=finance,
        before_writing=someone_locks_q1,
        today=date(2026, 12, 1),
    )
    assert [str(error) for error in result.errors][:2] == [
        "row 2: date: 2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
        ' (the file has "01/06/2026")',
        "row 3: date: 2026-27 Q1 is locked. Record corrections as a new entry dated in an open period."
        ' (the file has "02/06/2026")',
    ]
    assert (len(result.errors), result.locked.count, result.locked.total) == (5, 5, 18_75)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 4
