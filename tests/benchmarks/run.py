"""`make bench`: the return, the exports, the import and the pages at a county's ten-year scale.

Every figure is a ratio against a baseline measured in the same run on the same data (these
machines are noisy), printed beside its target; the table also goes to exports/bench/latest.json.
Exit status 1 when a target is missed.

    make bench                                   # SQLite, 10 years of 100,000 entries
    BENCH_YEARS=2 make bench                     # quicker
    BENCH_DATABASE_URL=postgresql://… make bench  # PostgreSQL (an empty database)
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import SimpleDocTemplate, Table
from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[2]
TARGETS = {
    "return": 1.5,
    # The same computation to a month: its fixed queries (grants, milestones, outcomes, about 5 ms)
    # weigh more against an aggregate of fewer months.
    "monitoring": 2.0,
    "xlsx": 1.3,
    "pdf": 1.5,
    "import": 5.0,
    "pages": 1.5,
    # import-income and import-ledger of 100,000 lines as whole processes against csv and one raw
    # executemany (issue 27): 2.6x measured once the insert became the driver's own executemany
    "cli_import": 3.0,
    "cli_ledger": 3.0,
    "cli_export": 1.3,
    # issue 31: every income entry through the API's next links (1,000 a page) against a bare
    # keyset SELECT of the same columns dumped with json.dumps
    "api_walk": 2.0,
}
#: ``flask --app wsgi --help`` (starting the app and listing its commands), in seconds.
HELP_TARGET_S = 1.0
#: The upload screen's preview of a 10 MB ledger extract (issue 27): the request's seconds, and the
#: peak memory of the process serving it (app and libraries included), in MB.
PREVIEW_TARGET_S = 5.0
PREVIEW_TARGET_MB = 200


def timed(function, repeat: int = 3) -> float:
    """Median seconds of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def compare(measured, baseline, repeat: int) -> dict[str, float]:
    """Medians of ``repeat`` runs of each, taken in turns (baseline, measured, baseline, ...) so
    that a noisy moment on the machine falls on both sides rather than on one."""
    runs: dict[str, list[float]] = {"measured_s": [], "baseline_s": []}
    for _ in range(repeat):
        for key, function in (("baseline_s", baseline), ("measured_s", measured)):
            started = time.perf_counter()
            function()
            runs[key].append(time.perf_counter() - started)
    return {key: statistics.median(values) for key, values in runs.items()}


def main() -> int:
    years = int(os.environ.get("BENCH_YEARS", "10"))
    per_year = int(os.environ.get("BENCH_PER_YEAR", "100000"))
    scratch = Path(tempfile.mkdtemp(prefix="incometrack-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from incometrack import create_app, periods
    from incometrack.config import normalise_database_url
    from incometrack.exports.pdf import write_pdf
    from incometrack.exports.xlsx import write_workbook
    from incometrack.extensions import db, init_migrate
    from incometrack.reports.returns import build_return
    from incometrack.services import imports
    from tests.benchmarks.generate import generate

    url = normalise_database_url(url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_SLOWDOWN": False,
            # the walk is a thousand requests in well under a minute: measured, not limited
            "API_REQUESTS_PER_MINUTE": 10**9,
        }
    )
    init_migrate(app)
    last_year = periods.fy_for(date.today()).previous()
    quarter = last_year.quarter(4)
    results: dict[str, dict] = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        sizes = generate(db.session, years=years, per_year=per_year, last_year=last_year)
        generated = time.perf_counter() - started
        print(f"generated {sizes['entries']:,} entries over {years} years in {generated:.0f} s")
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load, and so before committee week: planner
            # statistics, and the visibility map that index-only scans need.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
        session = db.session

        # 1. The return's computation against one hand-written GROUP BY over the same rows, for
        # the same per-stream, per-month sums and entry counts the return reports.
        aggregate = text(
            "SELECT stream_id, period, SUM(amount), COUNT(*) FROM income_entries "
            "WHERE financial_year = :y GROUP BY stream_id, period"
        )
        results["return"] = compare(
            lambda: build_return(session, quarter),
            lambda: session.execute(aggregate, {"y": last_year.start}).all(),
            repeat=15,
        )

        # 1b. The same computation as at a month end (budget monitoring at P7) against the same
        # hand-written GROUP BY, to the month.
        from incometrack.reports.returns import build_monitoring

        month = last_year.months[6]
        to_month = text(
            "SELECT stream_id, period, SUM(amount), COUNT(*) FROM income_entries "
            "WHERE financial_year = :y AND period <= :p GROUP BY stream_id, period"
        )
        results["monitoring"] = compare(
            lambda: build_monitoring(session, month),
            lambda: session.execute(to_month, {"y": last_year.start, "p": month.number}).all(),
            repeat=15,
        )

        # 2. The workbook against a bare write-only dump of the same cells.
        report = build_return(session, quarter, council="Bench", service_name="Bench")
        entries = list(report.entries)

        results["xlsx"] = compare(
            lambda: write_workbook(report, io.BytesIO()), lambda: bare_xlsx(report, entries), repeat=3
        )
        results["xlsx"]["entries"] = len(entries)

        # 3. The PDF against a bare reportlab build of the same tables.
        results["pdf"] = compare(lambda: write_pdf(report, io.BytesIO()), lambda: bare_pdf(report), repeat=7)

        # 4. Importing 100,000 lines against csv + a raw executemany of the same rows.
        rng = random.Random(7)
        year = last_year
        lines = ["date,stream_code,amount,reference"]
        for n in range(100_000):
            day = year.first_day.toordinal() + rng.randint(0, 364)
            lines.append(
                f"{date.fromordinal(day):%d/%m/%Y},BENCH-{rng.randrange(60):02d},{rng.randint(1, 90000)}.00,IMP{n}"
            )
        data = ("\n".join(lines) + "\n").encode()
        stream_ids = dict(session.execute(text("SELECT code, id FROM income_streams")).all())

        def bare_import():
            rows = []
            for row in csv.DictReader(io.StringIO(data.decode())):
                d, m, y = row["date"].split("/")
                rows.append(
                    {
                        "s": stream_ids[row["stream_code"]],
                        "d": f"{y}-{m}-{d}",
                        "a": int(row["amount"].replace(".", "")),
                        "r": row["reference"],
                        "fy": year.start,
                    }
                )
            session.execute(
                text(
                    "INSERT INTO income_entries (stream_id, date_received, financial_year, quarter, period, amount, "
                    "reference, description, entered_at, version) VALUES (:s, :d, :fy, 1, 1, :a, :r, '', '2026-01-01', 1)"
                ),
                rows,
            )
            session.rollback()

        baseline = timed(bare_import, 1)

        def real_import():
            result = imports.import_income(
                session, data, "bench.csv", actor=None, today=date(year.start + 1, 4, 1)
            )
            assert result.ok and result.imported == 100_000, result.summary()
            session.rollback()

        measured = timed(real_import, 1)
        results["import"] = {"measured_s": measured, "baseline_s": baseline}

        # 5. Pages against bare views computing the same figures with hand-written SQL.
        results["pages"] = pages(app, session, last_year, quarter)

        # 6. The API: a full walk of the entries through next, against a bare keyset walk.
        results["api_walk"] = api_walk(app, session)

    # Peak memory of a workbook export in a process of its own. /usr/bin/time starts it from a small
    # process, so the figure is the export's own (a child forked from this big process would
    # report this process's memory).
    env = {**os.environ, "DATABASE_URL": url}
    measured = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "export-return",
            "--year",
            last_year.label,
            "--quarter",
            "4",
            "--format",
            "xlsx",
            "--out",
            str(scratch / "exports"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    peak_mb = int(measured.stderr.strip().splitlines()[-1]) / 1024
    results["xlsx"]["peak_memory_mb"] = round(peak_mb)
    results.update(whole_processes(url, scratch, last_year, env))

    failed = report_table(results, sizes, peak_mb)
    out = ROOT / "exports" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps({"sizes": sizes, "results": results, "database": url.split(":")[0]}, indent=2, default=str)
    )
    return 1 if failed else 0


def api_walk(app, session) -> dict:
    from incometrack.models import Role
    from incometrack.services import api_tokens, users

    owner = users.create_user(
        session,
        email="bench-api@example.gov.uk",
        name="Bench",
        role=Role.FINANCE,
        password="bench api pass 2026!",
    )
    token = api_tokens.create_token(session, owner, name="bench", scopes=["income:read"], days=1, actor=None)
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token.plaintext}"}
    bare_page = text(
        "SELECT e.id, e.date_received, e.financial_year, e.quarter, e.period, s.code, s.name, sv.name, c.name,"
        " si.name, e.reference, e.description, e.amount, e.entered_at FROM income_entries e"
        " JOIN income_streams s ON s.id = e.stream_id JOIN services sv ON sv.id = s.service_id"
        " JOIN income_categories c ON c.id = s.category_id LEFT JOIN sites si ON si.id = e.site_id"
        " WHERE e.id > :last ORDER BY e.id LIMIT 1000"
    )

    def walk():
        url, rows = "/api/v1/income-entries?page_size=1000", 0
        while url:
            page = client.get(url, headers=headers).get_json()
            rows += len(page["data"])
            url = page["next"] and page["next"].removeprefix("http://localhost")
        return rows

    def bare():
        last = 0
        while rows := session.execute(bare_page, {"last": last}).all():
            json.dumps([dict(r._mapping) for r in rows], default=str)
            last = rows[-1][0]
        session.rollback()

    return compare(walk, bare, repeat=3)


def whole_processes(url: str, scratch: Path, last_year, env: dict) -> dict:
    """What a finance officer waits for: each command as a whole process, start-up included,
    against a plain script doing the bare work (tests/benchmarks/bare_process.py)."""
    from sqlalchemy import create_engine

    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    bare = [sys.executable, "-m", "tests.benchmarks.bare_process"]

    def run(command: list[str]) -> None:
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)

    help_s = timed(lambda: run([*flask, "--help"]), repeat=5)

    rng = random.Random(11)
    path = scratch / "cli-import.csv"
    with path.open("w") as file:
        file.write("date,stream_code,amount,reference\n")
        for n in range(100_000):
            day = date.fromordinal(last_year.first_day.toordinal() + rng.randint(0, 364))
            file.write(f"{day:%d/%m/%Y},BENCH-{rng.randrange(60):02d},{rng.randint(1, 90000)}.00,CLI{n}\n")
    engine = create_engine(url)

    def forget_import() -> None:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM income_entries WHERE reference LIKE 'CLI%'"))
            connection.execute(
                text("DELETE FROM import_batches WHERE filename IN ('cli-import.csv', 'cli-ledger.csv')")
            )

    def ours_import() -> None:
        run([*flask, "import-income", str(path)])
        forget_import()

    def bare_import() -> None:
        run([*bare, "import", url, str(path), str(last_year.start)])
        forget_import()

    cli_import = compare(ours_import, bare_import, repeat=3)

    # A ledger extract of the same 100,000 lines as the ledger writes it (issue 17): title rows, a
    # leading empty column, the code in two columns, income printed negative in three forms and
    # dates in three; through a saved profile, against the same bare csv + executemany.
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO stream_ledger_codes (stream_id, code) SELECT id, 'CC' || substr(code, 7) || '-9100' "
            "FROM income_streams WHERE code LIKE 'BENCH-%' AND id NOT IN (SELECT stream_id FROM stream_ledger_codes)"
        ))  # fmt: skip
    run([*flask, "import-profile", "save", "Bench ledger", "--date", "Trans Date", "--amount", "Amount",
         "--code", "Cost Centre", "--code", "Account", "--reference", "Our Ref", "--income-negative"])  # fmt: skip
    ledger = scratch / "cli-ledger.csv"
    forms = ("({:,}.{:02d})", "{:,}.{:02d}-", "{:,}.{:02d} CR")
    with path.open() as plain, ledger.open("w") as file:
        file.write(",Kent County Council\n,Income transactions\n,Period 12\n,\n")
        file.write(",Trans Date ,Cost Centre,Account ,Amount,Our Ref\n")
        next(plain)
        for n, line in enumerate(plain):
            day, code, amount, reference = line.rstrip("\n").split(",")
            d, m, y = day.split("/")
            written = (day, f"{d}-{date(int(y), int(m), 1):%b}-{y}", f"{y}-{m}-{d}")[n % 3]
            pounds, pence = amount.split(".")
            shown = forms[n % 3].format(int(pounds), int(pence))
            file.write(f',{written},CC{code[6:]},9100,"{shown}",{reference}\n')
        file.write(',,,,"(1.00)",\n' + ",,,,,\n" * 100)

    def ours_ledger() -> None:
        run([*flask, "import-ledger", str(ledger), "--profile", "Bench ledger"])
        forget_import()

    cli_ledger = compare(ours_ledger, bare_import, repeat=3)
    preview = preview_of_ten_megabytes(url, scratch, last_year, env)
    out = scratch / "cli-exports"
    cli_export = compare(
        lambda: run([*flask, "export-return", "--year", last_year.label, "--quarter", "4", "--format", "xlsx",
                     "--out", str(out)]),
        lambda: run([*bare, "export", url, str(out / "bare.xlsx"), last_year.first_day.isoformat(),
                     last_year.last_day.isoformat()]),
        repeat=3,
    )  # fmt: skip
    engine.dispose()
    return {
        "cli_help": {"measured_s": help_s},
        "cli_import": cli_import,
        "cli_ledger": cli_ledger,
        "cli_export": cli_export,
        "preview": preview,
    }


def preview_of_ten_megabytes(url: str, scratch: Path, last_year, env: dict) -> dict:
    """A 10 MB extract in the ledger's own layout (title rows, the code in two columns, income
    printed negative, three date forms), previewed through the upload screen by a signed-in
    finance officer in a process of its own (tests/benchmarks/preview_process.py)."""
    rng = random.Random(13)
    path = scratch / "ten-megabytes.csv"
    forms = ("({:,}.{:02d})", "{:,}.{:02d}-", "{:,}.{:02d} CR")
    with path.open("w") as file:
        file.write(",Kent County Council\n,Income transactions\n,Year to date\n,\n")
        file.write(",Trans Date ,Cost Centre,Account ,Amount,Our Ref\n")
        n = 0
        while file.tell() < 10_000_000 - 60:  # 10 MB, under the upload limit of 10 MiB
            day = date.fromordinal(last_year.first_day.toordinal() + rng.randint(0, 364))
            written = (f"{day:%d/%m/%Y}", f"{day:%d-%b-%Y}", day.isoformat())[n % 3]
            shown = forms[n % 3].format(rng.randint(1, 90000), rng.randint(0, 99))
            file.write(f',{written},CC{rng.randrange(60):02d},9100,"{shown}",PRV{n}\n')
            n += 1
    runs = []
    for _ in range(3):
        finished = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.preview_process", url, str(path), "Bench ledger"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        runs.append(json.loads(finished.stdout.strip().splitlines()[-1]))
    assert all(run["status"] == 200 and run["reconciles"] for run in runs), runs
    return {
        "measured_s": statistics.median(run["seconds"] for run in runs),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "resident_before_mb": max(run["resident_before_mb"] for run in runs),
        "lines": n,
        "megabytes": round(runs[0]["megabytes_in"], 2),
    }


def bare_xlsx(report, entries) -> None:
    """The workbook's cells, appended as plain values to a write-only workbook."""
    from incometrack.money import to_pounds

    book = Workbook(write_only=True)
    for name in ("Summary", "Income by stream", "Grants", "Milestones", "Outcomes", "CIPFA lines"):
        book.create_sheet(name).append(["x"] * 20)
    sheet = book.create_sheet("Income by stream")
    for line in report.streams:
        sheet.append(
            [
                line.code,
                line.name,
                line.service,
                line.category,
                to_pounds(line.figures.annual_budget),
                *[to_pounds(a) for a in line.figures.actuals],
                to_pounds(line.figures.profiled_to_date),
                to_pounds(line.figures.actual_to_date),
                to_pounds(line.figures.variance_to_date),
            ]
        )
    sheet = book.create_sheet("Income entries")
    for e in entries:
        sheet.append(
            [
                e.date_received,
                f"Q{e.quarter}",
                e.stream_code,
                e.stream,
                e.service,
                e.category,
                e.site,
                e.reference,
                e.description,
                to_pounds(e.amount),
            ]
        )
    book.save(io.BytesIO())


def bare_pdf(report) -> None:
    """The same tables, rows and columns as the committee PDF, as plain strings in the same font."""
    g = report.grants_headline
    rated = sorted(
        (s for s in report.streams if s.figures.rag.value in ("Red", "Amber")),
        key=lambda s: (s.figures.forecast_variance, s.code),
    )
    tables = [
        [["Red", "the key's four lines"], ["Amber", ""], ["Green", ""], ["Complete", ""]],
        [
            [
                s.code,
                s.name,
                s.service,
                s.figures.forecast_variance,
                s.figures.forecast_variance_pct,
                s.figures.rag,
                s.figures.movement,
                s.commentary,
            ]
            for s in rated
        ],
        [
            [
                s.service,
                s.figures.annual_budget,
                s.figures.profiled_to_date,
                s.figures.actual_to_date,
                s.figures.variance_to_date,
                s.figures.variance_to_date_pct,
                s.figures.forecast_outturn,
                s.figures.forecast_variance,
                s.figures.forecast_variance_pct,
                s.figures.rag,
            ]
            for s in report.services
        ],
        [
            [g.awarded_in_year],
            [g.received_in_year],
            [g.pending_requested],
            [g.weighted_pipeline],
            [g.success_rate_count],
            [g.success_rate_value],
        ],
        [[c.rag, c.count] for c in report.milestone_counts],
        [[b.label, b.actual, b.profiled] for b in report.quarters],
        [
            [
                s.code,
                s.name,
                s.figures.annual_budget,
                *s.figures.actuals,
                s.figures.profiled_to_date,
                s.figures.actual_to_date,
                s.figures.variance_to_date,
                s.figures.variance_to_date_pct,
            ]
            for s in report.streams
        ],
        [
            [
                s.code,
                s.name,
                s.service,
                s.category,
                s.figures.previous_forecast,
                s.figures.forecast_outturn,
                s.figures.movement,
                s.figures.forecast_variance,
                s.figures.forecast_variance_pct,
                s.figures.rag,
            ]
            for s in report.streams
        ],
        [[s.code, s.commentary] for s in report.streams if s.commentary],
        [
            [
                x.funder,
                x.bid,
                x.status,
                f"{x.submitted_on} {x.decision_on} {x.start_on} {x.end_on}",
                x.requested,
                x.awarded,
                x.match_funding,
                x.received,
                x.spent,
                x.remaining,
                x.next_report_due,
                x.outcomes,
            ]
            for x in report.grants
        ],
        [
            [
                m.rag,
                m.project,
                m.milestone,
                m.owner,
                m.baseline,
                m.forecast,
                m.completed,
                m.status,
                m.slippage_days,
                m.latest_update,
            ]
            for m in report.milestones
        ],
        [[o.outcome, o.grants_awarded, o.grants_value, o.projects, o.project_names] for o in report.outcomes],
        [[c.line, c.actual_to_date] for c in report.cipfa],
    ]
    from incometrack.exports.pdf import fonts

    font, _bold = fonts()  # the same Unicode font: committee text is not all Latin-1
    flowables = [
        Table(
            [["h"] * len(rows[0]), *[[str(v) for v in row] for row in rows]],
            repeatRows=1,
            style=[("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 7)],
        )
        for rows in tables
        if rows
    ]
    SimpleDocTemplate(io.BytesIO(), pagesize=landscape(A4)).build(flowables)


def pages(app, session, last_year, quarter) -> dict:
    from flask import render_template_string

    from incometrack.extensions import db
    from incometrack.money import format_gbp

    @app.route("/bench/bare/entries")
    def bare_entries():
        """The entry list's figures by hand-written SQL, rendered with the page's own template (the
        page is mostly its filter form and table markup: a plain template would measure GOV.UK's
        macros, not the way the figures are got)."""
        from types import SimpleNamespace

        from flask import render_template
        from werkzeug.datastructures import MultiDict
        from wtforms.fields.choices import SelectChoice

        from incometrack.forms import year_choices
        from incometrack.income.forms import EntryFilterForm
        from incometrack.reports.pagination import Page

        params = {"y": last_year.start, "s": 1}
        form = EntryFilterForm(formdata=MultiDict({"year": last_year.label, "stream": "1"}))
        form.year.choices = [SelectChoice("", "All years"), *year_choices(last_year)]
        for field, sql, blank in (
            (form.service, "SELECT id, name FROM services ORDER BY name", "All services"),
            (form.site, "SELECT id, name FROM sites ORDER BY name", "All sites"),
            (form.stream, "SELECT id, code || ' ' || name FROM income_streams ORDER BY code", "All streams"),
            (form.category, "SELECT id, name FROM income_categories ORDER BY name", "All categories"),
        ):
            field.choices = [SelectChoice("", blank)] + [
                SelectChoice(str(i), name) for i, name in db.session.execute(text(sql))
            ]
        form.validate()
        count, total = db.session.execute(
            text(
                "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM income_entries e WHERE e.financial_year = :y "
                "AND e.stream_id = :s"
            ),
            params,
        ).one()
        rows = db.session.execute(
            text(
                "SELECT e.id, e.date_received, e.stream_id, s.code, s.name, v.name, t.name, e.reference, "
                "e.description, e.amount FROM income_entries e JOIN income_streams s ON s.id = e.stream_id "
                "JOIN services v ON v.id = s.service_id LEFT JOIN sites t ON t.id = e.site_id "
                "WHERE e.financial_year = :y AND e.stream_id = :s ORDER BY e.date_received DESC, e.id DESC LIMIT 50"
            ),
            params,
        ).all()
        items = [
            SimpleNamespace(
                id=r[0],
                date_received=date.fromisoformat(str(r[1])),
                stream_id=r[2],
                stream=SimpleNamespace(code=r[3], name=r[4], service=SimpleNamespace(name=r[5])),
                site=SimpleNamespace(name=r[6]) if r[6] else None,
                reference=r[7],
                description=r[8],
                amount=r[9],
                is_refund=r[9] < 0,
            )
            for r in rows
        ]
        listing = SimpleNamespace(
            page=Page(items=items, page=1, per_page=50, total=count),
            count=count,
            total_amount=int(total),
            sort="-date",
        )
        query = {"year": last_year.label, "stream": "1"}
        return render_template("income/entries.html", listing=listing, filters=form, query=query, form=form)

    def sql(statement: str, **params) -> list:
        return db.session.execute(text(statement), params).all()

    def pounds(pence) -> str:
        return format_gbp(int(pence or 0))  # PostgreSQL's SUM is a numeric

    def stream_figures(year: int, quarter: int) -> list[list]:
        """Per stream: budget, actual and profile to date, variance, latest forecast."""
        actual: dict[int, int] = {}
        for stream_id, _period, total, _count in sql(
            "SELECT stream_id, period, SUM(amount), COUNT(*) FROM income_entries "
            "WHERE financial_year = :y AND period <= :p GROUP BY stream_id, period",
            y=year,
            p=3 * quarter,
        ):
            actual[stream_id] = actual.get(stream_id, 0) + int(total)
        forecast = {
            stream_id: outturn
            for stream_id, outturn in sql(
                "SELECT stream_id, outturn FROM forecasts WHERE year = :y AND quarter <= :q ORDER BY quarter",
                y=year,
                q=quarter,
            )
        }
        rows = []
        for stream_id, code, name, service, category, annual, q1, q2, q3, q4 in sql(
            "SELECT s.id, s.code, s.name, v.name, c.name, b.annual, b.q1, b.q2, b.q3, b.q4 "
            "FROM income_streams s JOIN services v ON v.id = s.service_id "
            "JOIN income_categories c ON c.id = s.category_id "
            "LEFT JOIN budgets b ON b.stream_id = s.id AND b.year = :y ORDER BY s.code",
            y=year,
        ):
            profiled = sum((q1 or 0, q2 or 0, q3 or 0, q4 or 0)[:quarter])
            got = actual.get(stream_id, 0)
            outturn = forecast.get(stream_id, got + sum((q1 or 0, q2 or 0, q3 or 0, q4 or 0)[quarter:]))
            rows.append(
                [code, name, service, category, pounds(annual), pounds(profiled), pounds(got),
                 pounds(got - profiled), pounds(outturn), pounds(outturn - (annual or 0))]
            )  # fmt: skip
        return rows

    def milestones(on) -> list:
        return sql(
            "SELECT p.name, m.title, u.baseline_due, u.forecast_due, u.status, u.note FROM milestones m "
            "JOIN projects p ON p.id = m.project_id JOIN milestone_updates u ON u.id = "
            "(SELECT MAX(x.id) FROM milestone_updates x WHERE x.milestone_id = m.id AND x.update_on <= :on) "
            "ORDER BY u.forecast_due",
            on=on,
        )

    def tables(named: dict) -> str:
        return render_template_string(
            "{% for title, rows in tables.items() %}<table><caption>{{ title }}</caption>"
            "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}"
            "</table>{% endfor %}",
            tables=named,
        )

    @app.route("/bench/bare/return")
    def bare_return():
        """The return preview's figures by hand-written SQL, in plain tables."""
        first, as_of = quarter.year.first_day, quarter.last_day
        # Each bid's status as at the quarter end (its latest dated change), as the return reads it.
        grants = sql(
            "SELECT f.name, b.title, (SELECT c.to_status FROM bid_status_changes c WHERE c.bid_id = b.id "
            " AND c.changed_on <= :as_of ORDER BY c.changed_on DESC, c.id DESC LIMIT 1), b.amount_requested, "
            "COALESCE(b.awarded_resource, 0) + COALESCE(b.awarded_capital, 0), "
            "(SELECT COALESCE(SUM(p.amount_received), 0) FROM grant_payments p "
            " WHERE p.bid_id = b.id AND p.received_on <= :as_of), "
            "(SELECT COALESCE(SUM(x.amount), 0) FROM grant_spend x WHERE x.bid_id = b.id AND x.spent_on <= :as_of) "
            "FROM grant_bids b JOIN funders f ON f.id = b.funder_id ORDER BY f.name, b.title",
            as_of=as_of,
        )
        return tables(
            {
                "streams": stream_figures(quarter.year.start, quarter.number),
                "grants": [[*g[:3], *(pounds(v) for v in g[3:])] for g in grants],
                "pipeline": sql(
                    "SELECT status, COUNT(*), SUM(amount_requested) FROM grant_bids GROUP BY status"
                ),
                "received": sql(
                    "SELECT COALESCE(SUM(amount_received), 0) FROM grant_payments "
                    "WHERE received_on BETWEEN :first AND :as_of",
                    first=first,
                    as_of=as_of,
                ),
                "milestones": milestones(as_of),
                # Per outcome, the grants awarded in the year to the quarter end (by the date of the
                # award) and the projects serving it, as the return's Outcomes section reports.
                "outcomes": sql(
                    "SELECT o.name, COUNT(a.bid_id), COALESCE(SUM(COALESCE(b.awarded_resource, 0) "
                    "+ COALESCE(b.awarded_capital, 0)), 0) FROM outcomes o "
                    "LEFT JOIN bid_outcomes bo ON bo.outcome_id = o.id "
                    "LEFT JOIN (SELECT bid_id FROM bid_status_changes WHERE to_status = 'awarded' "
                    " AND changed_on BETWEEN :first AND :as_of) a ON a.bid_id = bo.bid_id "
                    "LEFT JOIN grant_bids b ON b.id = a.bid_id "
                    "GROUP BY o.id, o.name, o.position ORDER BY o.position",
                    first=first,
                    as_of=as_of,
                ),
                "projects": sql(
                    "SELECT po.outcome_id, p.name FROM project_outcomes po JOIN projects p ON p.id = po.project_id "
                    "ORDER BY p.name"
                ),
                "cipfa": sql("SELECT name FROM cipfa_lines ORDER BY position"),
                "entries": [
                    [*row[:5], pounds(row[5])]
                    for row in sql(
                        "SELECT e.date_received, s.code, t.name, e.reference, e.description, e.amount "
                        "FROM income_entries e JOIN income_streams s ON s.id = e.stream_id "
                        "LEFT JOIN sites t ON t.id = e.site_id WHERE e.date_received BETWEEN :first AND :last "
                        "ORDER BY e.date_received, e.id LIMIT 50",
                        first=first,
                        last=as_of,
                    )
                ],
            }
        )

    @app.route("/bench/bare/dashboard")
    def bare_dashboard():
        """The dashboard's figures by hand-written SQL, in plain tables."""
        from incometrack import periods

        today = date.today()
        current = periods.quarter_for(today)
        years = sorted({q.year.start for q in periods.quarters_back(current, 8)})
        marks = ", ".join(f":y{i}" for i in range(len(years)))
        return tables(
            {
                "streams": stream_figures(current.year.start, current.number),
                "quarters": sql(
                    "SELECT financial_year, (period + 2) / 3, SUM(amount) FROM income_entries "
                    f"WHERE financial_year IN ({marks}) GROUP BY financial_year, period",
                    **{f"y{i}": y for i, y in enumerate(years)},
                ),
                "profiles": sql(
                    "SELECT year, SUM(q1), SUM(q2), SUM(q3), SUM(q4) FROM budgets "
                    f"WHERE year IN ({marks}) GROUP BY year",
                    **{f"y{i}": y for i, y in enumerate(years)},
                ),
                "pipeline": sql(
                    "SELECT status, COUNT(*), SUM(amount_requested) FROM grant_bids GROUP BY status"
                ),
                "milestones": milestones(today),
            }
        )

    app.config["LOGIN_DISABLED"] = True
    from incometrack.auth import access

    access.PUBLIC_ENDPOINTS = access.PUBLIC_ENDPOINTS | {"bare_entries", "bare_return", "bare_dashboard"}
    client = app.test_client()
    client.post("/login", data={"email": "bench@bench.example", "password": "quartz lantern meadow ferry"})
    engine = db.engine
    label = last_year.label
    cases = {
        "entry list": (f"/income/entries?year={label}&stream=1&sort=-date", "/bench/bare/entries"),
        "return preview": (f"/returns/{label}/4", "/bench/bare/return"),
        "dashboard": ("/", "/bench/bare/dashboard"),
    }
    out = {}
    for name, (path, bare) in cases.items():
        statements = []
        listener = lambda *args, found=statements: found.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        page = client.get(path)
        assert page.status_code == 200, path
        event.remove(engine, "before_cursor_execute", listener)
        if name == "entry list":  # the bare view shows the same rows and total
            bare_page = client.get(bare).get_data(as_text=True)
            assert _total_line(page.get_data(as_text=True)) == _total_line(bare_page)
        out[name] = compare(lambda path=path: client.get(path), lambda bare=bare: client.get(bare), repeat=15)
        out[name]["queries"] = len(statements)
    return out


def _total_line(html: str) -> str:
    start = html.index("Total of all")
    return html[start : html.index("</tr>", start)]


def report_table(results: dict, sizes: dict, peak_mb: float) -> bool:
    print(f"\n{'figure':<34}{'measured':>11}{'baseline':>11}{'ratio':>8}{'target':>8}  ok")
    failed = False

    def line(name, measured, baseline, target):
        nonlocal failed
        ratio = measured / baseline if baseline else float("inf")
        ok = ratio <= target
        failed |= not ok
        print(
            f"{name:<34}{measured * 1000:>9.0f}ms{baseline * 1000:>9.0f}ms{ratio:>8.2f}{target:>8.1f}  {'yes' if ok else 'NO'}"
        )

    line(
        f"return ({sizes['entries']:,} entries)",
        results["return"]["measured_s"],
        results["return"]["baseline_s"],
        TARGETS["return"],
    )
    line(
        f"monitoring as at P7 ({sizes['entries']:,})",
        results["monitoring"]["measured_s"],
        results["monitoring"]["baseline_s"],
        TARGETS["monitoring"],
    )
    line(
        f"xlsx ({results['xlsx']['entries']:,} entry rows)",
        results["xlsx"]["measured_s"],
        results["xlsx"]["baseline_s"],
        TARGETS["xlsx"],
    )
    line("pdf", results["pdf"]["measured_s"], results["pdf"]["baseline_s"], TARGETS["pdf"])
    line(
        "import 100,000 lines",
        results["import"]["measured_s"],
        results["import"]["baseline_s"],
        TARGETS["import"],
    )
    for name, figures in results["pages"].items():
        line(
            f"page: {name} ({figures['queries']} queries)",
            figures["measured_s"],
            figures["baseline_s"],
            TARGETS["pages"],
        )
    line("command: import-income 100,000 lines", results["cli_import"]["measured_s"],
         results["cli_import"]["baseline_s"], TARGETS["cli_import"])  # fmt: skip
    line("command: import-ledger 100,000 lines", results["cli_ledger"]["measured_s"],
         results["cli_ledger"]["baseline_s"], TARGETS["cli_ledger"])  # fmt: skip
    line("command: export-return --format xlsx", results["cli_export"]["measured_s"],
         results["cli_export"]["baseline_s"], TARGETS["cli_export"])  # fmt: skip
    line(f"api: every entry through next ({sizes['entries']:,})", results["api_walk"]["measured_s"],
         results["api_walk"]["baseline_s"], TARGETS["api_walk"])  # fmt: skip
    preview = results["preview"]
    preview_ok = preview["measured_s"] < PREVIEW_TARGET_S and preview["peak_mb"] < PREVIEW_TARGET_MB
    failed |= not preview_ok
    print(
        f"{'preview: 10 MB ledger extract':<34}{preview['measured_s'] * 1000:>9.0f}ms{preview['peak_mb']:>9.0f}MB"
        f"{'':>8}{'<5s,200MB':>10}  {'yes' if preview_ok else 'NO'}"
    )
    help_s = results["cli_help"]["measured_s"]
    help_ok = help_s < HELP_TARGET_S
    failed |= not help_ok
    print(
        f"{'command: flask --help':<34}{help_s * 1000:>9.0f}ms{'':>11}{'':>8}{'<1s':>8}  {'yes' if help_ok else 'NO'}"
    )
    memory_ok = peak_mb < 150
    failed |= not memory_ok
    print(
        f"{'xlsx export peak memory':<34}{peak_mb:>9.0f}MB{'':>11}{'':>8}{'<150MB':>8}  {'yes' if memory_ok else 'NO'}"
    )
    return failed


if __name__ == "__main__":
    sys.exit(main())
