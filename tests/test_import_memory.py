"""A 10 MB upload is checked in bounded memory (issue 13, item 9).

Files are read row by row, valid lines kept as compact tuples, and checking stops at the first
1,000 problems, so memory depends on the valid lines a file holds, never on how it is broken. The
check runs in a process of its own, whose peak resident memory is read before and after.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from incometrack.models import Role
from tests.conftest import make_config
from tests.factories import make_stream

ROOT = Path(__file__).resolve().parents[1]
TEN_MB = 10 * 1024 * 1024
#: The most a preview may add to a worker's peak memory, whatever the file.
LIMIT_MB = 100

CHILD = """
import json, resource, sys
from incometrack import create_app
from incometrack.extensions import db
from incometrack.models import User
from incometrack.services import imports

config, path = json.loads(sys.argv[1]), sys.argv[2]
data = open(path, "rb").read()
app = create_app(config)
with app.app_context():
    actor = db.session.get(User, config["ACTOR_ID"])
    imports.import_income(db.session, b"date,stream_code,amount,reference\\n", "warm.csv", actor=actor, dry_run=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = imports.import_income(db.session, data, "big.csv", actor=actor, dry_run=True)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"grown_mb": (after - before) / 1024, "rows": result.rows_read, "ok": result.ok,
                      "imported": result.imported, "problems": len(result.errors), "stopped": result.stopped}))
"""


def valid_lines() -> bytes:
    line = "01/05/2026,LIB-A,1234.56,INV-{:06d},Takings at the counter\n"
    count = TEN_MB // len(line.format(0))
    return (
        "date,stream_code,amount,reference,description\n" + "".join(line.format(n) for n in range(count))
    ).encode()


def broken_lines() -> bytes:
    return b"date,stream_code,amount,reference\n" + b"x\n" * (TEN_MB // 2)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (valid_lines, {"ok": True, "imported": 177_724, "problems": 0, "stopped": False}),
        (broken_lines, {"ok": False, "imported": 0, "problems": 1000, "stopped": True}),
    ],
    ids=["valid", "every-row-wrong"],
)
def test_a_ten_megabyte_file_is_checked_in_bounded_memory(
    database_url, tmp_path, session, make_user, make, expected
):
    make_stream(session, "LIB-A")
    actor = make_user(Role.FINANCE)
    session.commit()
    path = tmp_path / "big.csv"
    path.write_bytes(make())
    config = {**make_config(database_url, tmp_path), "ACTOR_ID": actor.id}
    config = {k: v for k, v in config.items() if isinstance(v, str | int | bool | type(None))}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config), str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    assert {key: measured[key] for key in expected} == expected
    assert measured["grown_mb"] < LIMIT_MB, measured
