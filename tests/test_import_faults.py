"""Killing an import part-way leaves no partial rows: the import is one transaction."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from incometrack.models import ImportBatch, IncomeEntry
from tests.factories import make_stream

ROWS = 60_000


def test_killing_an_import_at_any_moment_leaves_all_or_nothing(session, database_url, tmp_path):
    make_stream(session, "LIB-BIG")
    path = tmp_path / "big.csv"
    start = date(2025, 4, 1)
    with path.open("w") as file:
        file.write("date,stream_code,amount,reference\n")
        for n in range(ROWS):
            file.write(
                f"{start + timedelta(days=n % 365):%d/%m/%Y},LIB-BIG,{n % 900 + 1}.{n % 100:02d},R{n}\n"
            )
    env = {**os.environ, "DATABASE_URL": database_url, "INCOMETRACK_ENV": "development"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "import-income", str(path)]
    killed = 0
    for delay in (1.0, 2.0, 3.0, 4.0, 6.0):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=120)
        session.reread()
        entries = session.scalar(select(func.count()).select_from(IncomeEntry))
        batches = session.scalar(select(func.count()).select_from(ImportBatch))
        assert (entries, batches) in {(0, 0), (ROWS, 1)}, f"partial import after {delay}s: {entries} rows"
        if entries:
            break
    assert killed >= 1, "every run finished before it could be killed; the file is too small to test this"
