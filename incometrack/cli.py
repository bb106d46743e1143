"""Commands for `flask --app wsgi ...`; each wraps a service and owns its transaction."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from incometrack import periods
from incometrack.extensions import db
from incometrack.filters import count_of
from incometrack.models import Role
from incometrack.services import AS_READ, ServiceError, imports, users


def _read_password() -> str:
    """From standard input when it is not a terminal (scripts), otherwise prompted twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def committed(call):
    """Run a service call as the command's one transaction: committed, or rolled back with the
    rule's message as the command's error (exit 1)."""
    try:
        result = call()
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    return result


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="What they may do.")
@click.option(
    "--break-glass",
    is_flag=True,
    help="An administrator's emergency account: it may sign in with its password even where"
    " PASSWORD_LOGIN=break_glass_only (every such sign-in is audited).",
)
@with_appcontext
def create_user_command(email: str, name: str, role: str, break_glass: bool) -> None:
    """Create a user; the password is read from standard input or prompted for."""
    if break_glass and role != Role.ADMIN.value:
        raise click.BadParameter(
            "only an administrator's account can be break-glass", param_hint="--break-glass"
        )
    password = _read_password()
    user = committed(
        lambda: users.create_user(
            db.session, email=email, name=name, role=Role(role), password=password, break_glass=break_glass
        )
    )
    click.echo(f"Created {user.email} ({user.role.value}{', break-glass' if user.break_glass else ''}).")


@click.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database holds data.")
@click.option("--today", type=str, default=None, help="Pretend today is this date (dd/mm/yyyy or ISO).")
@with_appcontext
def load_demo_command(if_empty: bool, today: str | None) -> None:
    """Load deterministic demo data into an empty database (never in production)."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("load-demo refuses to run with INCOMETRACK_ENV=production.")
    from incometrack import demo  # the demo's data and its services load for this command only

    if demo.has_data(db.session):
        if if_empty:
            click.echo("The database already holds data; demo not loaded.")
            return
        raise click.ClickException(
            "The database already holds users, streams, entries or bids; load-demo only fills an empty one."
        )
    try:
        day = periods.parse_date(today, field="--today") if today else date.today()
    except periods.PeriodError as error:
        raise click.BadParameter(str(error)) from None
    summary = demo.load(db.session, today=day)
    db.session.commit()
    click.echo(summary.describe())


def _run_import(kind: str, path: str, dry_run: bool, sheet: str | None, **options) -> None:
    """Import a file as one transaction: problems go to standard error and nothing is written."""
    from pathlib import Path

    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {path}: {error.strerror}") from None
    try:
        result = imports.run_import(
            kind, db.session, data, file.name, actor=None, dry_run=dry_run, sheet=sheet, **options
        )
    except imports.ImportRefused as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    if not result.ok:
        db.session.rollback()
        for problem in result.errors:
            click.echo(str(problem), err=True)
        click.echo(f"{result.problems()}; nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(result.summary())
    for note in result.notes:
        click.echo(note)


#: New lines dated in locked quarters refuse an income file unless this is given.
skip_locked_option = click.option(
    "--skip-locked",
    is_flag=True,
    help="Leave out new lines dated in locked quarters (late postings) and import the rest;"
    " lines already recorded are duplicates wherever they are dated.",
)


def _import_command(kind: str, columns: str):
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option(
        "--dry-run", is_flag=True, help="Check the file and report what would happen; write nothing."
    )
    @click.option("--sheet", default=None, help="For an XLSX file, the sheet to read (default: the first).")
    @with_appcontext
    def command(file: str, dry_run: bool, sheet: str | None, **options) -> None:
        _run_import(kind, file, dry_run, sheet, **options)

    if kind == "income":
        command = skip_locked_option(command)

    command.__doc__ = f"Import {kind} from a CSV or XLSX file with columns {columns}."
    return click.command(f"import-{kind}")(command)


import_income_command = _import_command("income", "date,stream_code,amount,reference,site,description")
import_streams_command = _import_command(
    "streams", "code,name,service,category,site,owner_email,status,description"
)
import_budgets_command = _import_command("budgets", "year,stream_code,annual_budget,q1,q2,q3,q4")
import_milestones_command = _import_command(
    "milestones", "project,milestone,owner_email,baseline_due,forecast_due and optionally completed_on,status"
)
import_results_command = _import_command(
    "results",
    "project,measure,year,quarter,value and optionally site,source (impact results, a quarter a row)",
)


@click.command("import-ledger")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--profile", "profile_name", required=True, help="The saved import profile to read it with.")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would happen; write nothing.")
@click.option("--sheet", default=None, help="For an XLSX file, the sheet to read (default: the first).")
@skip_locked_option
@with_appcontext
def import_ledger_command(
    file: str, profile_name: str, dry_run: bool, sheet: str | None, skip_locked: bool
) -> None:
    """Import a ledger extract as the ledger wrote it, read through a saved import profile."""
    from incometrack.services import profiles

    profile = profiles.find(db.session, profile_name)
    if profile is None:
        known = ", ".join(p.name for p in profiles.profiles(db.session)) or "none yet"
        raise click.ClickException(f"No import profile is called {profile_name} (saved profiles: {known})")
    _run_import("ledger", file, dry_run, sheet, profile=profile, skip_locked=skip_locked)


@click.group("import-profile")
def import_profile_group() -> None:
    """Saved import profiles: how each ledger's extract is read."""


@import_profile_group.command("save")
@click.argument("name")
@click.option("--date", "date_column", required=True, help="The column holding each line's date.")
@click.option("--amount", "amount_column", required=True, help="The column holding each line's amount.")
@click.option(
    "--code", "code_columns", required=True, multiple=True,
    help="The column holding the ledger code; give it again for each further column (joined with -).",
)  # fmt: skip
@click.option("--reference", "reference_column", default="", help="The column holding the reference.")
@click.option("--description", "description_column", default="", help="The column holding a description.")
@click.option("--site", "site_column", default="", help="The column naming the site.")
@click.option("--income-negative", is_flag=True, help="This ledger prints income as negative (a credit).")
@click.option(
    "--unmapped", type=click.Choice(["skip", "refuse"]), default="skip", show_default=True,
    help="Lines whose code maps to no stream: leave them out and report them, or refuse the file.",
)  # fmt: skip
@with_appcontext
def import_profile_save(name: str, **columns) -> None:
    """Save (or replace) the import profile NAME."""
    from incometrack.models import UnmappedLines
    from incometrack.services import ValidationErrors, profiles

    columns["unmapped"] = UnmappedLines(columns["unmapped"])
    columns["code_columns"] = tuple(columns["code_columns"])
    try:
        profile = profiles.save_profile(
            db.session, profiles.ProfileInput(name=name, **columns), actor=None, expected_version=AS_READ
        )
    except ValidationErrors as error:
        db.session.rollback()
        raise click.ClickException("; ".join(error.errors.values())) from None
    db.session.commit()
    click.echo(f"saved {profiles.describe(profile)}")


@import_profile_group.command("list")
@with_appcontext
def import_profile_list() -> None:
    """List the saved import profiles, one a line."""
    from incometrack.services import profiles

    for profile in profiles.profiles(db.session):
        click.echo(profiles.describe(profile))


import_bids_command = _import_command(
    "bids",
    "title,funder,service,lead_email,amount_requested,created_on and optionally programme,outcomes,"
    "probability,match_cash,match_in_kind,drafting_on,submitted_on,decision,decided_on,awarded_resource,"
    "awarded_capital,delivery_on,closed_on,start_on,end_on,reason",
)


def _file_options(default_folder: str):
    """``--format xlsx|pdf|html|all`` and ``--out DIR``, as the export commands take them."""

    def decorate(command):
        command = click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False),
            default=None,
            help=f"Folder to write to (default: {default_folder}).",
        )(command)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(["xlsx", "pdf", "html", "all"]),
            default="all",
            show_default=True,
            help="The Excel workbook, the committee PDF, the accessible web page to publish, or all three.",
        )(command)

    return decorate


def _write_files(report, fmt: str, folder) -> None:
    """Write a return's or monitoring pack's files into ``folder`` as one transaction (the export
    records), printing each path; a file that cannot be written is a plain error."""
    from incometrack.exports.files import ExportError
    from incometrack.services import returns

    formats = returns.FORMATS if fmt == "all" else (fmt,)
    try:
        written = returns.export(db.session, report, formats, folder, actor=None)
    except ExportError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    for file in written:
        click.echo(str(file.path))


@click.command("export-return")
@click.option("--year", "year_label", required=True, help="Financial year, like 2026-27.")
@click.option("--quarter", required=True, help="Quarter: 1, 2, 3 or 4 (or Q1..Q4).")
@_file_options("exports/<year>/Q<n>/")
@with_appcontext
def export_return_command(year_label: str, quarter: str, fmt: str, out_dir: str | None) -> None:
    """Write the quarterly return as XLSX and/or PDF, printing each file's path."""
    from pathlib import Path

    from incometrack.reports.returns import return_for
    from incometrack.services import returns

    try:
        period = periods.Quarter.parse(year_label, quarter)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error)) from None
    if refusal := returns.production_refusal(period, date.today()):
        raise click.ClickException(refusal)
    config = current_app.config
    report = return_for(
        db.session, period, council=config["COUNCIL_NAME"], service_name=config["SERVICE_NAME"]
    )
    _write_files(
        report, fmt, Path(out_dir) if out_dir else returns.default_folder(config["EXPORTS_DIR"], period)
    )


@click.command("export-activity-report")
@click.option("--bid", "bid_id", required=True, type=int, help="The awarded grant's id (its page's address).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx", "pdf", "html"]),
    default="docx",
    show_default=True,
    help="Word (for the lead to edit before sending), PDF or an accessible web page.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write to (default: exports/activity-reports/).")  # fmt: skip
@with_appcontext
def export_activity_report_command(bid_id: int, fmt: str, out_dir: str | None) -> None:
    """Write the funder's activity report of an awarded grant from what is recorded, printing its path."""
    from pathlib import Path

    from incometrack.exports.files import ExportError
    from incometrack.reports.activity import NotAwarded, build_activity_report
    from incometrack.services import impact

    try:
        report = build_activity_report(db.session, bid_id, today=date.today())
    except (LookupError, NotAwarded) as error:
        raise click.ClickException(str(error)) from None
    folder = Path(out_dir) if out_dir else Path(current_app.config["EXPORTS_DIR"]) / "activity-reports"
    try:
        path = impact.export_activity_report(db.session, report, fmt, folder, actor=None)
    except ExportError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(str(path))


@click.group("api-token")
def api_token_group() -> None:
    """Tokens for the read-only API (Power BI, Excel, scripts)."""


@api_token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, such as Power BI income dashboard.")
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    help="income:read, budgets:read, grants:read,"
    " projects:read, returns:read or audit:read; give it again for each further scope.",
)
@click.option("--days", default=90, show_default=True, type=int, help="How long it lasts (at most 365).")
@with_appcontext
def api_token_create(email: str, name: str, scopes: tuple[str, ...], days: int) -> None:
    """Make a token for EMAIL and print it: it is shown this once."""
    from incometrack.services import ValidationErrors, api_tokens

    owner = users.find_by_email(db.session, email)
    if owner is None or not owner.active:
        raise click.ClickException(f"No active user has the email {email}")
    try:
        made = api_tokens.create_token(db.session, owner, name=name, scopes=scopes, days=days, actor=None)
    except ValidationErrors as error:
        db.session.rollback()
        raise click.ClickException("; ".join(error.errors.values())) from None
    db.session.commit()
    click.echo(made.plaintext)


@click.command("submit-return")
@click.option("--year", "year_label", required=True, help="Financial year, like 2025-26.")
@click.option("--quarter", required=True, help="Quarter: 1, 2, 3 or 4 (or Q1..Q4).")
@click.option(
    "--by", "email", required=True, help="Email of the finance officer or administrator submitting."
)
@click.option("--reason", default="", help="Why Amber or Red streams go without commentary, where any do.")
@with_appcontext
def submit_return_command(year_label: str, quarter: str, email: str, reason: str) -> None:
    """Submit a quarter's return, as the Check and submit page does: freeze its figures and lock
    the quarter (and any earlier open quarter of its year)."""
    from incometrack.services import ValidationErrors, returns

    try:
        period = periods.Quarter.parse(year_label, quarter)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error)) from None
    actor = users.find_by_email(db.session, email)
    if actor is None or not actor.active:
        raise click.ClickException(f"No active user has the email {email}.")
    config = current_app.config
    to_lock = returns.quarters_to_lock(db.session, period)
    try:
        returns.submit(
            db.session,
            period,
            actor=actor,
            reason=reason,
            council=config["COUNCIL_NAME"],
            service_name=config["SERVICE_NAME"],
        )
    except ServiceError as error:  # refused: too early, again, no reason, or not finance
        db.session.rollback()
        message = error.message
        if isinstance(error, ValidationErrors) and "reason" in error.errors:
            message = f"{error.errors['reason'].replace('give the reason', 'give the reason (--reason)')}."
        raise click.ClickException(message) from None
    db.session.commit()
    click.echo(f"Submitted the {period.label} return as {actor.email}.")
    locked = ", ".join(q.label for q in to_lock) or f"nothing: {period.label} and earlier were locked already"
    click.echo(f"Locked {locked}.")


@click.command("export-monitoring")
@click.option("--year", "year_label", required=True, help="Financial year, like 2026-27.")
@click.option("--period", required=True, help="Month period: 1 (April) to 12 (March), or P1..P12.")
@_file_options("exports/<year>/P<nn>/")
@with_appcontext
def export_monitoring_command(year_label: str, period: str, fmt: str, out_dir: str | None) -> None:
    """Write budget monitoring as at the end of a month period as XLSX and/or PDF, printing each
    file's path."""
    from pathlib import Path

    from incometrack.reports.returns import build_monitoring
    from incometrack.services import returns

    try:
        month = periods.MonthPeriod.parse(year_label, period)
    except periods.PeriodError as error:
        raise click.BadParameter(str(error)) from None
    if refusal := returns.monitoring_refusal(month, date.today()):
        raise click.ClickException(refusal)
    config = current_app.config
    report = build_monitoring(
        db.session, month, council=config["COUNCIL_NAME"], service_name=config["SERVICE_NAME"]
    )
    _write_files(
        report, fmt, Path(out_dir) if out_dir else returns.monitoring_folder(config["EXPORTS_DIR"], month)
    )


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(destination: str) -> None:
    """Take a consistent copy of the database while it is in use (SQLite online backup, pg_dump)."""
    from pathlib import Path

    from incometrack.backup import BackupError, backup

    try:
        click.echo(backup(db.engine, Path(destination)))
    except BackupError as error:
        raise click.ClickException(str(error)) from None


@click.command("check-income-totals")
@click.option("--repair", is_flag=True, help="Recount every total from the entries where any differs.")
@with_appcontext
def check_income_totals_command(repair: bool) -> None:
    """Compare the kept income totals (what the return reads) with the entries; exit 1 if any
    differs, unless --repair recounts them."""
    from incometrack import money
    from incometrack.services import income_totals

    differences = income_totals.differences(db.session)
    for d in differences:
        click.echo(
            f"{d.financial_year} P{d.period} stream {d.stream_id}: kept {money.format_gbp(d.kept[0])}"
            f" in {d.kept[1]} entries, recorded {money.format_gbp(d.recorded[0])} in {d.recorded[1]}"
        )
    if not differences:
        click.echo("The income totals agree with the entries.")
        return
    if not repair:
        raise SystemExit(1)
    rows = income_totals.rebuild(db.session)
    db.session.commit()
    click.echo(f"Recounted {rows} totals from the entries.")


class LazyMigrateGroup(click.Group):
    """``flask db ...``: Flask-Migrate's commands, loaded (with Alembic) only when one runs."""

    def _real(self) -> click.Group:
        from flask_migrate.cli import db as group

        from incometrack.extensions import init_migrate

        init_migrate(current_app._get_current_object())
        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)


@click.group("db", cls=LazyMigrateGroup)
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@with_appcontext
def db_command(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Database migrations (Flask-Migrate): upgrade, downgrade, current, history ..."""
    g.directory = directory  # as Flask-Migrate's own group does: its commands read these
    g.x_arg = x_arg


@click.command("send-reminders")
@click.option("--today", default=None, help="Send as if today were this date (dd/mm/yyyy or ISO).")
@click.option("--dry-run", is_flag=True, help="Print who would get what; send and record nothing.")
@with_appcontext
def send_reminders_command(today: str | None, dry_run: bool) -> None:
    """Email each person a digest of what is theirs and overdue or due in the next 14 days (for
    cron or a systemd timer). An item goes to a person at most once a day; a message the server
    does not accept is logged and tried again on the next run."""
    from sqlalchemy.exc import IntegrityError

    from incometrack import mail
    from incometrack.account.messages import compose
    from incometrack.database import start_writing, stop_writing
    from incometrack.services import reminders

    try:
        day = periods.parse_date(today, field="--today") if today else date.today()
    except periods.PeriodError as error:
        raise click.BadParameter(str(error)) from None
    config = current_app.config
    # Reading and talking to the mail server hold no write lock (SQLite has one for the whole
    # database, and a slow server would stall every save); each person's record takes it briefly.
    g.sqlite_begin = "DEFERRED"
    digests = reminders.digests(
        db.session, day, council=config["COUNCIL_NAME"], service_name=config["SERVICE_NAME"]
    )
    sent = failed = 0
    for digest in digests:
        try:
            message = compose(digest)
        except ValueError as error:  # an address no message can carry (stored before addresses were checked)
            failed += 1
            current_app.logger.error("Reminder to %r not sent: %s", digest.person.email, error)
            continue
        if dry_run:
            click.echo(f"To {digest.person.name} <{digest.person.email}>: {message['Subject']}")
            for item in digest.items:
                when = f" ({periods.format_date(item.due_on)})" if item.due_on else ""
                click.echo(f"  - {item.kind}: {item.title}{when}")
            continue
        # Claimed (and committed) before it is sent: of several runs at once, one sends it.
        start_writing(db.session)
        try:
            mine = reminders.claim(db.session, digest, day)
            db.session.commit()
        except IntegrityError:  # another run claimed it first
            db.session.rollback()
            mine = False
        stop_writing()
        if not mine:
            continue
        try:
            mail.send(message)
        except mail.MailError as error:
            failed += 1
            current_app.logger.error("Reminder to %s not sent: %s", digest.person.email, error)
            start_writing(db.session)
            reminders.release(db.session, digest, day)
            db.session.commit()
            stop_writing()
            continue
        start_writing(db.session)
        reminders.record_sent(db.session, digest, day)
        db.session.commit()
        stop_writing()
        sent += 1
    db.session.rollback()
    emails = count_of(len(digests) if dry_run else sent, "email")
    people = count_of(len(digests) if dry_run else sent, "person", "people")
    click.echo(f"{'would send' if dry_run else 'sent'} {emails} to {people}")
    if failed:
        raise click.ClickException(
            f"{count_of(failed, 'email')} could not be sent (see the log); the next run tries again."
        )


@click.command("calendar-link")
@click.argument("email")
@with_appcontext
def calendar_link_command(email: str) -> None:
    """Print the path of EMAIL's private calendar feed (made on first use)."""
    from incometrack.services import reminders

    person = users.find_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"No account has the email address {email}")
    token = reminders.calendar_token(db.session, person)
    db.session.commit()
    click.echo(f"/calendar/{token}.ics")


@click.group("ledger-codes")
def ledger_codes_group() -> None:
    """Which stream each code the ledger prints belongs to."""


@ledger_codes_group.command("add")
@click.argument("stream_code")
@click.argument("ledger_codes", nargs=-1, required=True)
@with_appcontext
def ledger_codes_add(stream_code: str, ledger_codes: tuple[str, ...]) -> None:
    """Add LEDGER_CODEs (quote one with spaces) to the stream STREAM_CODE; prints its codes."""
    from incometrack.services import income

    stream = income.stream_by_code(db.session, stream_code)
    if stream is None:
        raise click.ClickException(f"No stream has the code {stream_code}")
    codes = committed(lambda: income.add_ledger_codes(db.session, stream, ledger_codes, actor=None))
    click.echo(f"{stream.code}: {'; '.join(codes)}")


@ledger_codes_group.command("list")
@with_appcontext
def ledger_codes_list() -> None:
    """Every ledger code and its stream, a line each: code, stream code and name, tab-separated."""
    from incometrack.services import income

    for code, stream_code, name in income.ledger_code_list(db.session):
        click.echo(f"{code}\t{stream_code}\t{name}")


@click.command("worker")
@click.option(
    "--workers", type=click.IntRange(1, 16), default=2, show_default=True, help="Jobs run at once (threads)."
)
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the background jobs (long downloads and imports) until stopped.

    Run one or more on any host that reaches the database (and Redis, with REDIS_URL); Ctrl+C or
    SIGTERM lets running jobs finish first.
    """
    from incometrack.jobs.queue import run_worker

    run_worker(current_app._get_current_object(), workers=workers)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_command)
    for command in (
        create_user_command,
        load_demo_command,
        import_income_command,
        import_streams_command,
        import_budgets_command,
        import_bids_command,
        import_milestones_command,
        import_results_command,
        import_ledger_command,
        import_profile_group,
        export_return_command,
        export_monitoring_command,
        export_activity_report_command,
        submit_return_command,
        backup_command,
        check_income_totals_command,
        send_reminders_command,
        calendar_link_command,
        worker_command,
        ledger_codes_group,
        api_token_group,
    ):
        app.cli.add_command(command)
