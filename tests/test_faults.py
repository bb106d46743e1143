"""Faults: killed exports leave no half file, a full disk or unwritable folder says so plainly,
and a backup taken while people write is consistent and passes an integrity check."""

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from incometrack import demo
from incometrack.exports import files
from incometrack.models import IncomeEntry
from tests.factories import make_entry, make_stream

#: Other processes (gunicorn, the command line, raw connections) write here.
pytestmark = pytest.mark.full_reset

IS_SQLITE = not os.environ.get("TEST_DATABASE_URL")


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out" / "report.xlsx"

    def disk_full(stream):
        stream.write(b"PK partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(files.ExportError, match="No space left on device"):
        files.write_atomically(target, disk_full)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_a_crash_mid_write_leaves_the_old_file_untouched(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF- the old complete file")

    def crash(stream):
        stream.write(b"%PDF- half")
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        files.write_atomically(target, crash)
    assert target.read_bytes() == b"%PDF- the old complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_old_leftovers_of_killed_writes_are_swept(tmp_path):
    target = tmp_path / "report.pdf"
    old, young = tmp_path / ".report.pdf.abc.part", tmp_path / ".report.pdf.def.part"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    past = time.time() - files.LEFTOVER_AGE_SECONDS - 10
    os.utime(old, (past, past))
    files.write_atomically(target, lambda stream: stream.write(b"%PDF-"))
    assert not old.exists() and young.exists()  # a young one may belong to a writer still at work


@pytest.mark.parametrize("fault", ["export:bytes@1", "export:bytes@20000", "export:before-rename"])
def test_an_export_killed_at_any_step_leaves_no_file_or_the_old_one_whole(
    session, database_url, tmp_path, fault
):
    demo.load(session, today=date(2026, 11, 28))
    session.commit()
    out = tmp_path / "exports"
    target = out / "financial-resilience-return-2025-26-Q4-DRAFT.xlsx"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("INCOMETRACK_FAULT", None)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "export-return", "--year", "2025-26",
               "--quarter", "4", "--format", "xlsx", "--out", str(out)]  # fmt: skip
    killed = subprocess.run(
        command, env={**env, "INCOMETRACK_FAULT": fault}, capture_output=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL
    assert not target.exists()  # no file at all rather than half of one
    [leftover] = out.glob(".*.part")  # the temporary file, swept by a later export once old
    assert leftover.name.startswith(".financial-resilience-return-2025-26-Q4-DRAFT.xlsx.")
    first = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert first.returncode == 0
    before = target.read_bytes()
    killed_again = subprocess.run(
        command, env={**env, "INCOMETRACK_FAULT": fault}, capture_output=True, timeout=300
    )
    assert killed_again.returncode == -signal.SIGKILL
    assert target.read_bytes() == before  # the earlier complete file is untouched
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None


@pytest.mark.skipif(not IS_SQLITE, reason="the SQLite online backup")
def test_sqlite_backup_under_concurrent_writes_is_consistent(runner, session, database_url, tmp_path):
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 1_00, reference="FIRST")
    path = database_url.removeprefix("sqlite:///")
    stop, writing = threading.Event(), threading.Event()
    written = []

    def writer():
        connection = sqlite3.connect(path, timeout=30)
        n = 0
        while not stop.is_set():
            n += 1
            with connection:
                connection.execute(
                    "INSERT INTO income_entries (stream_id, date_received, financial_year, quarter, period, amount,"
                    " reference, description, entered_at, version) VALUES (?, '2026-05-02', 2026, 1, 2, 100, ?, '', "
                    "'2026-05-02 00:00:00', 1)",
                    (stream.id, f"W{n}"),
                )
            written.append(n)
            if n == 20:
                writing.set()  # the backup starts while commits are still arriving
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(timeout=30)
    destination = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", str(destination)])
    stop.set()
    thread.join()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    copy = sqlite3.connect(destination)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = copy.execute("SELECT COUNT(*) FROM income_entries").fetchone()[0]
    references = {r[0] for r in copy.execute("SELECT reference FROM income_entries")}
    copy.close()
    assert 1 <= copied <= 1 + len(written)
    # A consistent snapshot: the rows it holds are a prefix of what the writer committed.
    assert references == {"FIRST"} | {f"W{n}" for n in range(1, copied)}
    assert len(written) > 0
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 1 + len(written)


@pytest.mark.skipif(
    IS_SQLITE or shutil.which("pg_restore") is None, reason="PostgreSQL with its client tools"
)
def test_postgresql_backup_is_a_restorable_dump(runner, session, tmp_path):
    make_entry(session, make_stream(session, "LIB-A"), date(2026, 5, 1), 1_00)
    destination = tmp_path / "incometrack.dump"
    result = runner.invoke(args=["backup", str(destination)])
    assert result.exit_code == 0, result.output
    listing = subprocess.run(
        ["pg_restore", "--list", str(destination)], capture_output=True, text=True, check=True
    )
    assert "TABLE DATA public income_entries" in listing.stdout
    assert not Path(str(destination) + ".part").exists()
