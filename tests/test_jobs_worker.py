"""Long downloads as jobs through gunicorn and a real worker (``flask worker``), on SQLite and
PostgreSQL (issue 32, item 4): a 200,000-row workbook is made by the worker with a moving progress
bar while other pages answer within a second, and a worker killed half way leaves no file and no
temporary file behind, its job run again by the next worker.
"""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import func, select

from incometrack.models import IncomeEntry, Job, JobStatus, Role
from tests.conftest import needs
from tests.factories import add_entries, make_stream
from tests.test_concurrency import ROOT, server_environment, sign_in, start_gunicorn, stop, token

#: Other processes (gunicorn, the worker) write here.
pytestmark = pytest.mark.full_reset

ROWS = 200_000
#: the settings both gunicorn and the worker run with
SETTINGS = {"JOBS_STALL_SECONDS": "12"}


@contextlib.contextmanager
def worker(database_url: str, folder: Path, log_name: str = "worker.log"):
    env = server_environment(database_url, folder, SETTINGS)
    with (folder / log_name).open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "1"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        stop(process)


@pytest.fixture
def server(database_url, tmp_path, reference_rows):
    folder = tmp_path / "server"
    with start_gunicorn(database_url, folder, env=SETTINGS) as (base, _log):
        yield base, folder


def ask_for_workbook(client: requests.Session, base: str) -> tuple[str, float]:
    started = time.monotonic()
    response = client.get(
        f"{base}/income/entries?year=2026-27&format=xlsx", allow_redirects=False, timeout=30
    )
    took = time.monotonic() - started
    assert response.status_code == 303, response.text[:300]
    return re.fullmatch(r"/jobs/([0-9a-f]{32})", response.headers["Location"]).group(1), took


def poll(client, base, job_id, until, timeout=300) -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"{base}/jobs/{job_id}/progress.json", timeout=30).json()
        seen.append(state)
        if until(state):
            return seen
        time.sleep(0.5)
    pytest.fail(f"the job did not get there in {timeout} s: {seen[-1]}")


def leftovers(folder: Path) -> list[str]:
    """Half-written files and temporary files anywhere under the exports folder."""
    jobs = folder / "exports" / "jobs"
    found = [p.name for p in jobs.glob(".*.part")]
    found += [str(p.relative_to(jobs)) for p in (jobs / "tmp").rglob("*") if p.is_file()]
    return found


def test_a_200000_row_workbook_is_made_by_the_worker_while_pages_answer_within_a_second(
    server, database_url, session, make_user
):
    base, folder = server
    stream = make_stream(session, "LIB-PRINT", name="Printing")
    add_entries(session, stream, ROWS)
    viewer, other = make_user(Role.VIEWER), make_user(Role.FINANCE)
    asker, someone = sign_in(base, viewer.email), sign_in(base, other.email)
    with worker(database_url, folder):
        job_id, asked_in = ask_for_workbook(asker, base)
        assert asked_in < 1.0  # the request returns at once
        page = asker.get(f"{base}/jobs/{job_id}", timeout=30).text
        assert '<progress id="job-progress"' in page and f'max="{ROWS}"' in page

        waits: list[float] = []
        stop = threading.Event()

        def browse() -> None:
            while not stop.is_set():
                for url in ("/", "/income/streams", "/income/entries?year=2026-27"):
                    started = time.monotonic()
                    assert someone.get(base + url, timeout=30).status_code == 200
                    waits.append(time.monotonic() - started)
                time.sleep(0.2)

        browsing = threading.Thread(target=browse)
        browsing.start()
        try:
            seen = poll(asker, base, job_id, lambda s: s["finished"])
        finally:
            stop.set()
            browsing.join()
    assert seen[-1]["status"] == "done", seen[-1]
    moving = [s["done"] for s in seen if s["status"] == "running" and 0 < s["done"] < ROWS]
    assert len(set(moving)) >= 2, seen  # the bar moved while the worker wrote
    assert waits and max(waits) < 1.0, sorted(waits)[-5:]

    response = asker.get(f"{base}/jobs/{job_id}/file", timeout=120)
    assert response.status_code == 200
    path = folder / "downloaded.xlsx"
    path.write_bytes(response.content)
    sheet = load_workbook(path, read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    assert next(rows)[0] == "Income entries"
    next(rows)  # the filters
    assert next(rows)[:2] == ("Date received", "Stream code")
    count = sum(1 for _row in rows)
    assert count == ROWS
    assert leftovers(folder) == []


def test_a_worker_killed_half_way_leaves_nothing_and_the_next_worker_runs_the_job_again(
    server, database_url, session, make_user
):
    base, folder = server
    stream = make_stream(session, "LIB-PRINT", name="Printing")
    add_entries(session, stream, 60_000)
    viewer = make_user(Role.VIEWER)
    asker = sign_in(base, viewer.email)
    with worker(database_url, folder, "first.log") as first:
        job_id, _took = ask_for_workbook(asker, base)
        poll(asker, base, job_id, lambda s: s["status"] == "running" and s["done"] > 10_000, timeout=120)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    jobs = folder / "exports" / "jobs"
    assert not (jobs / job_id).exists()  # the file was never renamed into place
    assert leftovers(folder) != []  # what the killed worker was writing is still there
    session.reread()
    assert session.scalar(select(Job.status).where(Job.id == job_id)) == JobStatus.RUNNING
    time.sleep(int(SETTINGS["JOBS_STALL_SECONDS"]) + 1)  # its heartbeat is now old
    with worker(database_url, folder, "second.log"):
        seen = poll(asker, base, job_id, lambda s: s["finished"], timeout=300)
    assert seen[-1]["status"] == "done", seen[-1]
    session.reread()
    job = session.get(Job, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert leftovers(folder) == []
    response = asker.get(f"{base}/jobs/{job_id}/file", timeout=120)
    path = folder / "downloaded.xlsx"
    path.write_bytes(response.content)
    assert sum(1 for _row in load_workbook(path, read_only=True).active.iter_rows()) == 60_000 + 3


@contextlib.contextmanager
def redis_server(folder: Path):
    """A Redis of the test's own on a free loopback port, keeping nothing on disk."""
    from tests.test_concurrency import free_port

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


@needs("redis-server")
def test_with_redis_url_jobs_queue_on_redis(database_url, tmp_path, reference_rows, session, make_user):
    stream = make_stream(session, "LIB-PRINT", name="Printing")
    add_entries(session, stream, 40)
    viewer = make_user(Role.VIEWER)
    folder = tmp_path / "server"
    with redis_server(tmp_path / "redis") as url:
        settings = {"REDIS_URL": url, "JOBS_ROW_THRESHOLD": "10"}
        SETTINGS.update(settings)
        try:
            with start_gunicorn(database_url, folder, env=dict(SETTINGS)) as (base, _log):
                asker = sign_in(base, viewer.email)
                job_id, _took = ask_for_workbook(asker, base)
                import redis

                assert redis.Redis.from_url(url).keys("*")  # the job is queued on Redis
                with worker(database_url, folder):
                    seen = poll(asker, base, job_id, lambda s: s["finished"], timeout=120)
                assert seen[-1]["status"] == "done", seen[-1]
                response = asker.get(f"{base}/jobs/{job_id}/file", timeout=30)
        finally:
            for name in settings:
                SETTINGS.pop(name)
    path = folder / "downloaded.xlsx"
    path.write_bytes(response.content)
    assert sum(1 for _row in load_workbook(path, read_only=True).active.iter_rows()) == 40 + 3


def test_a_200000_line_import_runs_as_a_job_and_other_writers_wait_less_than_the_busy_timeout(
    server, database_url, session, make_user
):
    base, folder = server
    make_stream(session, "LIB-A", name="Printing")
    finance, other = make_user(Role.FINANCE), make_user(Role.FINANCE)
    session.commit()
    lines = "".join(f"{1 + n % 28:02d}/05/2026,LIB-A,{1 + n % 900}.00,R{n}\n" for n in range(ROWS))
    data = f"date,stream_code,amount,reference\n{lines}".encode()
    asker = sign_in(base, finance.email)
    preview = asker.post(
        f"{base}/income/import",
        data={"kind": "income", "csrf_token": token(asker.get(f"{base}/income/import", timeout=30).text)},
        files={"file": ("year.csv", data, "text/csv")},
        timeout=120,
    )
    assert preview.status_code == 200, preview.text[:500]
    staged = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    form = {"token": staged, "csrf_token": token(preview.text)}
    waits: list[float] = []
    with worker(database_url, folder):
        confirmed = asker.post(f"{base}/income/import/confirm", data=form, allow_redirects=False, timeout=30)
        assert confirmed.status_code == 303, confirmed.text[:300]
        job_id = re.fullmatch(r"/jobs/([0-9a-f]{32})", confirmed.headers["Location"]).group(1)
        stop = threading.Event()

        def write_meanwhile() -> None:  # signing in writes (the session's token, the attempt)
            while not stop.is_set():
                started = time.monotonic()
                sign_in(base, other.email)
                waits.append(time.monotonic() - started)

        writing = threading.Thread(target=write_meanwhile)
        writing.start()
        try:
            seen = poll(asker, base, job_id, lambda s: s["finished"], timeout=300)
        finally:
            stop.set()
            writing.join()
        assert seen[-1]["status"] == "done", seen[-1]
        page = asker.get(f"{base}/jobs/{job_id}", timeout=30).text
    assert "year.csv: imported 200000, skipped 0 duplicates." in page
    assert any(0 < s["done"] < ROWS for s in seen if s["status"] == "running"), seen
    # SQLite's busy timeout is 10 s; the write lock is held for the insert only (about 4 s here,
    # where it was 15 s with the checking included and sign-ins failed with 503 after 11 s)
    assert len(waits) >= 3 and max(waits) < 8.0, sorted(waits)[-5:]
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == ROWS
