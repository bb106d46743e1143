"""`make bench-scale`: the figures that read income cost the same at ten million entries as at one.

Generates ten years of ``BENCH_PER_YEAR`` entries (by default one run at 100,000 a year, a
million entries, then one at 1,000,000 a year, ten million), each in a fresh database, and times
in each the return for the last year's Q4, budget monitoring as at its P7 and the dashboard page
(medians of 15). Each figure at ten million must be within 1.1x of the same figure at one
million: they read the kept income totals (a row a stream and month), not the entries. Exit 1
when one is not.

    make bench-scale                          # SQLite: about ten minutes here
    BENCH_SCALES=20000,200000 make bench-scale  # the same comparison, smaller
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = 1.1
FIGURES = ("return Q4", "monitoring P7", "dashboard")


def median_s(function, repeat: int = 15) -> float:
    function()  # caches warm, as for a person who has used the app before
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(per_year: int) -> dict:
    """In a process of its own: generate, then time each figure. Prints one JSON line."""
    scratch = Path(tempfile.mkdtemp(prefix="incometrack-scale-"))
    url = f"sqlite:///{scratch / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from datetime import date

    from flask_migrate import upgrade

    from incometrack import create_app, periods
    from incometrack.extensions import db, init_migrate
    from incometrack.reports.returns import build_monitoring, build_return
    from tests.benchmarks.generate import generate

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "LOGIN_SLOWDOWN": False})
    init_migrate(app)
    last_year = periods.fy_for(date.today()).previous()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        sizes = generate(db.session, years=10, per_year=per_year, last_year=last_year)
        generated = time.perf_counter() - started
        session = db.session
        client = app.test_client()
        client.post(
            "/login", data={"email": "bench@bench.example", "password": "quartz lantern meadow ferry"}
        )
        assert client.get("/").status_code == 200
        figures = {
            "return Q4": median_s(lambda: build_return(session, last_year.quarter(4))),
            "monitoring P7": median_s(lambda: build_monitoring(session, last_year.months[6])),
            "dashboard": median_s(lambda: client.get("/")),
        }
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(scratch, ignore_errors=True)  # ten million entries are 1.6 GB of SQLite
    return {"entries": sizes["entries"], "generated_s": round(generated), "figures": figures}


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(int(sys.argv[2]))))
        return 0
    small, large = (int(n) for n in os.environ.get("BENCH_SCALES", "100000,1000000").split(","))
    runs = []
    for per_year in (small, large):
        done = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.scale", "--measure", str(per_year)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{runs[-1]['entries']:,} entries generated in {runs[-1]['generated_s']} s", flush=True)
    print(f"\n{'figure':<16}{runs[0]['entries']:>12,}{runs[1]['entries']:>13,}{'ratio':>8}{'target':>8}  ok")
    failed = False
    for name in FIGURES:
        one, ten = runs[0]["figures"][name], runs[1]["figures"][name]
        ratio = ten / one
        ok = ratio <= TARGET
        failed |= not ok
        print(
            f"{name:<16}{one * 1000:>10.1f}ms{ten * 1000:>11.1f}ms{ratio:>8.2f}{TARGET:>8.1f}  {'yes' if ok else 'NO'}"
        )
    out = ROOT / "exports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps({"runs": runs, "target": TARGET}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
