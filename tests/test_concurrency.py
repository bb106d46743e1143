"""Many clients editing the same records through gunicorn (4 workers): no lost update, no
"database is locked", no 5xx. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from incometrack.models import AuditEvent, IncomeEntry, Role
from tests.conftest import PASSWORD
from tests.factories import make_entry, make_stream

#: Other processes (gunicorn, the command line, raw connections) write here.
pytestmark = pytest.mark.full_reset

CLIENTS = 12
ROUNDS = 5
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(
    database_url: str, folder: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of an app process of a test's own (gunicorn, a worker): its database, a
    development key and its own exports folder."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "k" * 64,
        "INCOMETRACK_ENV": "development",
        "EXPORTS_DIR": str(folder / "exports"),
        **(extra or {}),
    }


@contextlib.contextmanager
def start_gunicorn(database_url: str, folder: Path, *, workers: int = 4, env: dict[str, str] | None = None):
    """gunicorn serving the app on a free loopback port, with its own instance folders (nothing on
    disk is shared with another server); yields (base URL, log path)."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "gunicorn.log"
    env = server_environment(database_url, folder, env)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", "60", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
        yield base, log
    finally:
        stop(process)


def stop(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a server or worker as its supervisor would (SIGTERM), killing it if it will not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def gunicorn(database_url, tmp_path, reference_rows):
    with start_gunicorn(database_url, tmp_path / "server") as server:
        yield server


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def sign_in(base: str, email: str) -> requests.Session:
    client = requests.Session()
    page = client.get(f"{base}/login", timeout=30)
    response = client.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return client


def test_conflicting_edits_lose_nothing(gunicorn, session, make_user):
    base, log = gunicorn
    stream = make_stream(session, "LIB-A")
    entry = make_entry(session, stream, date(2026, 5, 1), 1_00, reference="START")
    people = [make_user(Role.FINANCE) for _ in range(CLIENTS)]
    clients = [sign_in(base, person.email) for person in people]
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def work(number: int, client: requests.Session) -> None:
        url = f"{base}/income/entries/{entry.id}/edit"
        for round_ in range(ROUNDS):
            page = client.get(url, timeout=60)
            version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
            barrier.wait(timeout=60)  # everyone saves from the version they read, at once
            response = client.post(
                url,
                allow_redirects=False,
                timeout=60,
                data={
                    "csrf_token": token(page.text),
                    "version": version,
                    "date_received": "01/05/2026",
                    "stream_id": stream.id,
                    "amount": f"{number + 1}.{round_:02d}",
                    "reference": f"C{number}-R{round_}",
                },
            )
            with lock:
                statuses.append(response.status_code)

    threads = [threading.Thread(target=work, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    accepted, refused = statuses.count(302), statuses.count(409)
    assert len(statuses) == CLIENTS * ROUNDS
    assert accepted + refused == len(statuses), (sorted(set(statuses)), log.read_text()[-3000:])  # no 5xx
    assert accepted >= ROUNDS  # at least one save wins each round
    session.reread()
    updates = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.entity == "income_entries",
            AuditEvent.entity_id == entry.id,
            AuditEvent.action == "update",
        )
    )
    assert updates == accepted  # every accepted save is in the audit log
    assert session.get(IncomeEntry, entry.id).version == 1 + accepted  # and none was lost
    text = log.read_text()
    assert "database is locked" not in text and "Traceback" not in text
