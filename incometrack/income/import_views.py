"""The import screens: upload and preview, confirm, the list of batches, undo."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from incometrack import downloads, money, periods, policy
from incometrack.auth.access import roles_required
from incometrack.database import reads_first, start_writing, stop_writing
from incometrack.extensions import db
from incometrack.forms import (
    act_and_redirect,
    apply_service_error,
    arg_id,
    arg_int,
    commit_or_show,
    confirm_page,
    form_status,
)
from incometrack.income.forms import (
    BATCH_COLUMNS,
    BATCH_ROWS,
    MAX_BATCH_ROWS,
    BatchEntryForm,
    ConfirmForm,
    ConfirmImportForm,
    ImportForm,
    MapCodesForm,
    ProfileForm,
    ProfileSampleForm,
)
from incometrack.income.views import bp
from incometrack.jobs import queue as jobs
from incometrack.models import ImportBatch, ImportProfile, IncomeEntry
from incometrack.reports import listings
from incometrack.reports.pagination import paginate
from incometrack.services import ServiceError, StaleEdit, imports, profiles, reading, staging
from incometrack.services import income as income_service


def _options(
    kind: str,
    profile_id: int | None,
    sheet: str | None,
    profile_version: int | None = None,
    skip_locked: bool = False,
) -> dict[str, object]:
    """What an import runs with besides its file: the sheet, for income lines whether new lines
    in locked quarters are left out, and for a ledger extract its profile (at a confirm, the very
    version the preview was read with)."""
    options: dict[str, object] = {"sheet": sheet}
    if kind in LONG_KINDS:
        options["skip_locked"] = skip_locked
    if kind == "ledger":
        profile = db.session.get(ImportProfile, profile_id) if profile_id else None
        if profile is None:
            abort(409, "The import profile was deleted. Upload the file again with another profile.")
        if profile_version is not None and profile.version != profile_version:
            abort(409, f"The profile {profile.name} changed after this preview; preview the file again.")
        options["profile"] = profile
    return options


@bp.route("/import", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
@reads_first
def import_upload():
    """Upload a file and preview what it would import, with every problem listed."""
    form = ImportForm(kind=request.args.get("kind", "income"), profile_id=arg_id("profile"))
    form.fill_choices(db.session)
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = (upload.filename or "upload").rsplit("/", 1)[-1]
        sheet = (form.sheet.data or "").strip() or None
        profile_id = form.profile_id.data if form.kind.data == "ledger" else None
        options = _options(form.kind.data, profile_id, sheet, skip_locked=bool(form.skip_locked.data))
        profile = options.get("profile")
        try:
            result = imports.run_import(
                form.kind.data, db.session, data, filename, actor=current_user, dry_run=True, **options
            )
        except imports.ImportRefused as error:
            apply_service_error(form, error, default_field="file")
        else:
            token = ""
            if result.ok:
                start_writing(db.session)
                token = staging.stage(
                    db.session,
                    kind=form.kind.data,
                    filename=filename,
                    sheet=sheet,
                    user_id=current_user.id,
                    data=data,
                    profile_id=profile_id,
                    profile_version=profile.version if profile is not None else None,
                    lines=result.rows_read,
                    skip_locked=bool(options.get("skip_locked")),
                )
                db.session.commit()
                stop_writing()
            return _preview(result, token), 200 if result.ok else 400
        db.session.rollback()
    return render_template("income/import_upload.html", form=form), 400 if form.errors else 200


#: The imports that can be long (a year's ledger): their lines are checked while only reading and
#: written under the write lock afterwards, and a file of more than ``JOBS_ROW_THRESHOLD`` lines is
#: imported by a background job.
LONG_KINDS = frozenset({"income", "ledger"})


@bp.route("/import/confirm", methods=["POST"])
@roles_required(policy.MANAGERS)
@reads_first
def import_confirm():
    """Import the previewed file as one transaction, exactly once however often it is confirmed."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data
    staged = staging.peek(db.session, token, current_user.id)
    if staged is None:
        return _already_imported()
    job = jobs.current()
    if job is None and staged.kind in LONG_KINDS and staged.lines > current_app.config["JOBS_ROW_THRESHOLD"]:
        return jobs.start(
            f"Import of {staged.filename}: {staged.lines:,} lines",
            total=staged.lines,
            back=url_for("income.import_upload"),
        )
    options = _options(
        staged.kind, staged.profile_id, staged.sheet, staged.profile_version, skip_locked=staged.skip_locked
    )

    def claim() -> None:
        """Start writing and take the preview: of several confirmations only one gets it."""
        start_writing(db.session)
        if staging.claim(db.session, token, current_user.id) is None:
            raise staging.AlreadyClaimed

    if staged.kind in LONG_KINDS:
        options.update(before_writing=claim, progress=job.progress if job else None)
    else:
        claim()
    try:
        result = imports.run_import(
            staged.kind, db.session, staged.data, staged.filename, actor=current_user, **options
        )
    except staging.AlreadyClaimed:
        db.session.rollback()
        return _already_imported()
    except imports.ImportRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("income.import_upload")), 303
    if not result.ok:
        # Something changed since the preview (a quarter was locked, a stream renamed): nothing is
        # written, and the rollback leaves the preview staged as it was.
        db.session.rollback()
        if job is not None:
            first = "; ".join(str(error) for error in result.errors[:5])
            raise jobs.JobFailed(f"Nothing was imported: {result.problems()}: {first}")
        return _preview(result, ""), 409
    db.session.commit()
    # The summary only: the notes (one a ledger code left out) can be hundreds, too many for the
    # session cookie that carries a message; the import's page keeps them all.
    more = " The import's page lists what was left out and why." if result.notes else ""
    flash(f"{staged.filename}: {result.summary()}.{more}")
    return redirect(url_for("income.import_batch", batch_id=result.batch_id))


def _preview(result, token: str, mapping: MapCodesForm | None = None) -> str:
    """The preview page: what the file would do, with its unmapped codes to map and its confirm."""
    return render_template(
        "income/import_preview.html",
        result=result,
        confirm=ConfirmImportForm(token=token),
        mapping=mapping or MapCodesForm.for_result(result, token, db.session),
        errors=result.errors,
        warnings=result.dating_warnings(date.today()) if result.ok else [],
    )


@bp.route("/import/map", methods=["POST"])
@roles_required(policy.MANAGERS)
@reads_first
def import_map():
    """Add the preview's unmapped codes to the streams chosen for them (audited), then check the
    same file again: no new upload."""
    form = MapCodesForm()
    form.fill_choices(db.session)
    staged = staging.peek(db.session, form.token.data or "", current_user.id)
    if staged is None:
        return _already_imported()
    status = 200
    if form.validate_on_submit():
        chosen = {e.code.data: e.stream_id.data for e in form.codes if e.stream_id.data is not None}
        start_writing(db.session)
        try:
            count = income_service.map_ledger_codes(db.session, chosen, actor=current_user)
        except ServiceError as error:
            db.session.rollback()
            form.codes.errors.append(error.message)
            status = 400
        else:
            db.session.commit()
            if count:
                flash(
                    f"{count} ledger code{'' if count == 1 else 's'} added to streams;"
                    " the file is checked again."
                )
        stop_writing()
    else:
        status = 400
    options = _options(
        staged.kind, staged.profile_id, staged.sheet, staged.profile_version, skip_locked=staged.skip_locked
    )
    result = imports.run_import(
        staged.kind, db.session, staged.data, staged.filename, actor=current_user, dry_run=True, **options
    )
    db.session.rollback()
    return _preview(
        result, staged.token, form if status == 400 else None
    ), 200 if result.ok and status == 200 else 400


def _already_imported():
    flash("That upload has expired or was already imported. Upload the file again.", "error")
    return redirect(url_for("income.import_upload")), 303


@bp.route("/imports")
@roles_required(policy.FINANCE_READERS)
def import_batches():
    """List the imports: who brought which file in, when, and what it added."""
    if fmt := downloads.wanted():
        return downloads.send(listings.import_batches(db.session), fmt)
    total = db.session.scalar(select(func.count(ImportBatch.id)))
    page = paginate(
        db.session,
        select(ImportBatch).order_by(ImportBatch.id.desc()),
        page=arg_int("page", 1),
        per_page=50,
        total=total,
    )
    return render_template("income/import_batches.html", page=page)


@bp.route("/imports/<int:batch_id>")
@roles_required(policy.FINANCE_READERS)
def import_batch(batch_id: int):
    """Show one import and, while its quarters are open, offer to undo it."""
    batch = db.get_or_404(ImportBatch, batch_id)
    remaining = db.session.scalar(select(func.count(IncomeEntry.id)).where(IncomeEntry.batch_id == batch.id))
    return render_template("income/import_batch.html", batch=batch, remaining=remaining, form=ConfirmForm())


@bp.route("/imports/<int:batch_id>/undo", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def import_undo(batch_id: int):
    """Ask, then remove every entry an income import added."""
    batch = db.get_or_404(ImportBatch, batch_id)
    here = url_for("income.import_batch", batch_id=batch.id)
    if request.method == "GET":
        return confirm_page(
            f"Undo the import of {batch.filename}?",
            rows=[
                {"key": {"text": "Imported"}, "value": {"text": periods.format_datetime(batch.created_at)}},
                {"key": {"text": "Lines it added"}, "value": {"text": str(batch.rows_imported)}},
            ],
            consequences=[
                "Every entry this import added is removed from every figure; entries recorded another way"
                " stay.",
                "It is refused if any of its entries is dated in a locked quarter. The audit log keeps what"
                " was removed.",
            ],
            button="Undo this import",
            back=here,
            form=ConfirmForm(),
        )
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return act_and_redirect(
        lambda: imports.undo_batch(db.session, batch, actor=current_user),
        then=here,
        done=lambda removed: f"Import undone: {removed} entries removed.",
        back=here,
    )


@bp.route("/import/templates/<kind>.csv")
@roles_required(policy.MANAGERS)
def import_template(kind: str):
    """A CSV of a kind's columns and an example line, to fill in and upload."""
    if kind not in imports.TEMPLATES:
        abort(404)
    return Response(
        imports.template_csv(kind),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="incometrack-{kind}-template.csv"'},
    )


@bp.route("/import/profiles")
@roles_required(policy.MANAGERS)
def import_profiles():
    """The saved import profiles: how each ledger's extract is read."""
    return render_template("income/import_profiles.html", profiles=profiles.profiles(db.session))


@bp.route("/import/profiles/new", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def import_profile_new():
    """Read a sample extract's header, then choose which of its columns holds what."""
    sample = ProfileSampleForm()
    if sample.validate_on_submit():
        upload = sample.file.data
        try:
            columns = reading.columns_with_samples(
                upload.read(), upload.filename or "sample", sheet=(sample.sheet.data or "").strip() or None
            )
        except reading.ImportRefused as error:
            apply_service_error(sample, error, default_field="file")
        else:
            form = ProfileForm(formdata=None)
            form.offer(list(columns))
            _guess(form, columns)
            return render_template(
                "income/import_profile_form.html", form=form, profile=None, samples=columns
            )
    return render_template("income/import_profile_sample.html", form=sample), form_status(sample)


@bp.route("/import/profiles/save", methods=["POST"])
@bp.route("/import/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def import_profile_edit(profile_id: int | None = None):
    """Save a profile from the columns offered (a new one, or a change to a saved one)."""
    profile = db.get_or_404(ImportProfile, profile_id) if profile_id else None
    if request.method == "GET":
        form = ProfileForm(formdata=None, obj=profile)
        codes = profile.codes
        form.offer(list(dict.fromkeys(filter(None, [profile.date_column, profile.amount_column, *codes,
                   profile.reference_column, profile.description_column, profile.site_column]))))  # fmt: skip
        form.code_1.data, form.code_2.data, form.code_3.data = [*codes, "", ""][:3]
        form.income_negative.data = "yes" if profile.income_negative else "no"
        return render_template("income/import_profile_form.html", form=form, profile=profile)
    form = ProfileForm()
    form.offer(form.offered())
    if form.validate_on_submit():
        data = profiles.ProfileInput(
            name=profile.name if profile else form.name.data or "",
            date_column=form.date_column.data or "",
            amount_column=form.amount_column.data or "",
            code_columns=tuple(c for c in (form.code_1.data, form.code_2.data, form.code_3.data) if c),
            reference_column=form.reference_column.data or "",
            description_column=form.description_column.data or "",
            site_column=form.site_column.data or "",
            income_negative=form.income_negative.data == "yes",
            unmapped=form.unmapped.data,
        )
        if profile is None and profiles.find(db.session, data.name):
            form.name.errors = [
                f"A profile called {data.name} exists: choose another name, or change that one"
            ]
        else:
            try:
                saved = commit_or_show(
                    form,
                    lambda: profiles.save_profile(
                        db.session, data, actor=current_user, expected_version=form.version.data
                    ),
                )
            except StaleEdit:
                db.session.rollback()
                form.form_errors.append(
                    "Someone else changed this profile after you opened it: open it again"
                )
                saved = None
            if saved is not None:
                flash(f"Import profile {saved.name} saved.")
                return redirect(url_for("income.import_profiles"))
    return render_template("income/import_profile_form.html", form=form, profile=profile), 400


def _guess(form: ProfileForm, columns: dict[str, list[str]]) -> None:
    """Pre-select a column only where its header names what it holds and its sample values are
    that kind: dates that read as dates, amounts that read as money and are not all zero, codes
    that are not web addresses. Where two columns qualify alike (an effective date and a payment
    date), or none does, the person chooses."""
    keys = {name: reading.column_key(name) for name in columns}
    taken: set[str] = set()

    def parses(name: str, read) -> bool:
        values = columns[name]
        try:
            return bool(values) and all(read(value) is not None for value in values)
        except (periods.PeriodError, money.MoneyError):
            return False

    def pick(words: tuple[str, ...], fits, prefer: tuple[str, ...] = ()) -> str:
        found = [n for n in columns if n not in taken and any(w in keys[n] for w in words) and fits(n)]
        if len(found) > 1 and prefer:
            found = [n for n in found if any(w in keys[n] for w in prefer)] or found
        chosen = found[0] if len(found) == 1 else ""
        taken.add(chosen)
        return chosen

    def dated(name: str) -> bool:
        return parses(name, lambda value: periods.parse_date(value))

    def amount(name: str) -> bool:
        return parses(name, lambda value: money.parse_import_amount(value)) and any(
            money.parse_import_amount(value) for value in columns[name]
        )

    def code(name: str) -> bool:
        values = columns[name]
        return bool(values) and not any(
            "://" in value or value.lower().startswith("www.") for value in values
        )

    def anything(name: str) -> bool:
        return bool(columns[name])

    form.date_column.data = pick(
        ("date",), dated, prefer=("payment", "trans", "posting", "clearing", "received")
    )
    form.amount_column.data = pick(("amount", "value", "net"), amount)
    form.code_1.data = pick(("cost centre", "cost center", "cost code", "code"), code)
    form.code_2.data = pick(("account", "subjective", "g/l", "element"), code)
    form.reference_column.data = pick(("ref", "document", "invoice", "transaction"), anything)
    form.description_column.data = pick(("description", "narrative", "details", "text"), anything)


@bp.route("/entries/batch", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
def entries_batch():
    """Record many lines at once, typed or pasted from a spreadsheet: all or nothing, as an import."""
    form = BatchEntryForm()
    if request.method == "POST" and request.form.get("add"):
        # "Add 10 more rows" without JavaScript: the rows typed so far back, with more empty ones.
        form.pad(len(form.rows) + BATCH_ROWS)
        return render_template(
            "income/entry_batch.html", form=form, columns=BATCH_COLUMNS, max_rows=MAX_BATCH_ROWS
        )
    if request.method == "POST" and (problem := BatchEntryForm.posted_rows_problem(request.form)):
        form.form_errors.append(problem)
    elif form.validate_on_submit():
        lines = [
            (number, [(row[name].data or "").strip() for name, _ in BATCH_COLUMNS])
            for number, row in enumerate(form.rows, start=1)
            if row.form.filled()
        ]
        if not lines:
            form.form_errors.append("Enter at least one line")
        else:
            result = imports.record_lines(db.session, lines, actor=current_user)
            if result.ok:
                db.session.commit()
                total = money.format_gbp(result.imported_total)
                flash(
                    f"{result.imported} lines recorded ({total}); {result.duplicates} already recorded,"
                    " skipped."
                )
                return redirect(url_for("income.import_batch", batch_id=result.batch_id)), 303
            db.session.rollback()
            fields = {"date": "date", "stream_code": "stream", "amount": "amount", "reference": "reference",
                      "site": "site", "description": "description"}  # fmt: skip
            for error in result.errors:
                row = form.rows[error.row - 1]
                target = row[fields.get(error.column, "date")]
                target.errors = [*target.errors, error.message]
            form.pad()
            return render_template(
                "income/entry_batch.html", form=form, columns=BATCH_COLUMNS, max_rows=MAX_BATCH_ROWS
            ), 400
    status = 400 if form.errors or form.form_errors else 200
    form.pad()
    return render_template(
        "income/entry_batch.html", form=form, columns=BATCH_COLUMNS, max_rows=MAX_BATCH_ROWS
    ), status
