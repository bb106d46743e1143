"""What a finance officer waits for on the upload screen: the preview of a ledger extract, as the
browser sends it (a signed-in POST of the file to ``/income/import``), in a process of its own.

    python -m tests.benchmarks.preview_process DATABASE_URL FILE PROFILE_NAME

Prints one line of JSON: the request's seconds, its HTTP status, whether the page reconciles, and
the process's peak resident memory in MB while the request ran (the app and its libraries as
loaded, the request's body and the preview together: what the worker serving the upload holds at
most).
"""

from __future__ import annotations

import gc
import io
import json
import sys
import time
from pathlib import Path

from sqlalchemy import select


def _memory_mb(field: str = "VmHWM") -> float:
    """The process's resident memory (VmRSS) or its peak since last reset (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(url: str, path: str, profile_name: str) -> dict:
    from werkzeug.test import EnvironBuilder

    from incometrack import create_app
    from incometrack.extensions import db
    from incometrack.models import ImportProfile

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "LOGIN_SLOWDOWN": False})
    client = app.test_client()
    signed_in = client.post(
        "/login", data={"email": "bench@bench.example", "password": "quartz lantern meadow ferry"}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    with app.app_context():
        profile_id = db.session.scalar(select(ImportProfile.id).where(ImportProfile.name == profile_name))
    data = Path(path).read_bytes()
    # The request as the browser sends it, encoded before the clock starts: the client's own
    # copies of the file are not the server's work.
    environ = EnvironBuilder(
        path="/income/import",
        method="POST",
        data={"kind": "ledger", "profile_id": str(profile_id), "file": (io.BytesIO(data), "extract.csv")},
        content_type="multipart/form-data",
    ).get_environ()
    megabytes = len(data) / 1000 / 1000
    del data
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here on: the request's
    before = _memory_mb("VmRSS")
    started = time.perf_counter()
    response = client.open(environ)
    seconds = time.perf_counter() - started
    page = response.get_data(as_text=True)
    return {
        "seconds": seconds,
        "status": response.status_code,
        "reconciles": 'id="reconciliation"' in page,
        "megabytes_in": megabytes,
        "resident_before_mb": before,
        "peak_mb": _memory_mb(),
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
