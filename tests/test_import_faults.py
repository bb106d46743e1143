"""Killing an import part-way leaves no partial rows: the import is one transaction.

The import is stopped at exact points (incometrack.faults) rather than after guessed delays, so
each moment is tested on every machine, however fast.
"""

import os
import signal
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from incometrack.models import ImportBatch, IncomeEntry
from tests.factories import make_stream

#: Other processes (gunicorn, the command line, raw connections) write here.
pytestmark = pytest.mark.full_reset

ROWS = 30_000  # three inserts of 10,000


@pytest.fixture
def big_file(session, tmp_path):
    make_stream(session, "LIB-BIG")
    session.commit()
    path = tmp_path / "big.csv"
    start = date(2025, 4, 1)
    with path.open("w") as file:
        file.write("date,stream_code,amount,reference\n")
        for n in range(ROWS):
            file.write(
                f"{start + timedelta(days=n % 365):%d/%m/%Y},LIB-BIG,{n % 900 + 1}.{n % 100:02d},R{n}\n"
            )
    return path


def run_import(database_url, path, fault=None):
    env = {**os.environ, "DATABASE_URL": database_url, "INCOMETRACK_ENV": "development"}
    env.pop("INCOMETRACK_FAULT", None)
    if fault:
        env["INCOMETRACK_FAULT"] = fault
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "import-income", str(path)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def counts(session):
    session.reread()
    return (
        session.scalar(select(func.count()).select_from(IncomeEntry)),
        session.scalar(select(func.count()).select_from(ImportBatch)),
    )


@pytest.mark.parametrize(
    "fault",
    ["import:chunk-inserted@1", "import:chunk-inserted@2", "import:chunk-inserted@3", "import:finished"],
)
def test_an_import_killed_at_any_step_writes_nothing_and_a_rerun_writes_all(
    session, database_url, big_file, fault
):
    killed = run_import(database_url, big_file, fault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert counts(session) == (0, 0)
    finished = run_import(database_url, big_file)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip() == f"imported {ROWS}, skipped 0 duplicates"
    assert counts(session) == (ROWS, 1)
