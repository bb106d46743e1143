"""The import screens: upload and preview, confirm, the list of batches, undo."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from incometrack import policy
from incometrack.auth.access import roles_required
from incometrack.database import reads_first, start_writing, stop_writing
from incometrack.extensions import db
from incometrack.forms import act_and_redirect, apply_service_error
from incometrack.income.forms import ConfirmForm, ConfirmImportForm, ImportForm
from incometrack.income.views import bp
from incometrack.models import ImportBatch, IncomeEntry
from incometrack.reports.pagination import paginate
from incometrack.services import imports, staging


@bp.route("/import", methods=["GET", "POST"])
@roles_required(policy.MANAGERS)
@reads_first
def import_upload():
    """Upload a file and preview what it would import, with every problem listed."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = (upload.filename or "upload").rsplit("/", 1)[-1]
        sheet = (form.sheet.data or "").strip() or None
        try:
            result = imports.run_import(
                form.kind.data, db.session, data, filename, actor=current_user, dry_run=True, sheet=sheet
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
                )
                db.session.commit()
                stop_writing()
            return render_template(
                "income/import_preview.html",
                result=result,
                confirm=ConfirmImportForm(token=token),
                errors=result.errors,
            ), 200 if result.ok else 400
        db.session.rollback()
    return render_template("income/import_upload.html", form=form), 400 if form.errors else 200


@bp.route("/import/confirm", methods=["POST"])
@roles_required(policy.MANAGERS)
def import_confirm():
    """Import the previewed file as one transaction."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    staged = staging.claim(db.session, form.token.data, current_user.id)
    if staged is None:
        flash("That upload has expired or was already imported. Upload the file again.", "error")
        return redirect(url_for("income.import_upload")), 303
    result = imports.run_import(
        staged.kind, db.session, staged.data, staged.filename, actor=current_user, sheet=staged.sheet
    )
    if not result.ok:
        # Something changed since the preview (a quarter was locked, a stream renamed): nothing is
        # written, and the rollback leaves the preview staged as it was.
        db.session.rollback()
        return render_template(
            "income/import_preview.html",
            result=result,
            confirm=ConfirmImportForm(token=""),
            errors=result.errors,
        ), 409
    db.session.commit()
    flash(f"{staged.filename}: {'; '.join([result.summary(), *result.notes])}.")
    return redirect(url_for("income.import_batch", batch_id=result.batch_id))


@bp.route("/imports")
@roles_required(policy.FINANCE_READERS)
def import_batches():
    """List the imports: who brought which file in, when, and what it added."""
    total = db.session.scalar(select(func.count(ImportBatch.id)))
    page = paginate(
        db.session,
        select(ImportBatch).order_by(ImportBatch.id.desc()),
        page=request.args.get("page", 1, type=int),
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


@bp.route("/imports/<int:batch_id>/undo", methods=["POST"])
@roles_required(policy.MANAGERS)
def import_undo(batch_id: int):
    """Remove every entry an income import added."""
    batch = db.get_or_404(ImportBatch, batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    here = url_for("income.import_batch", batch_id=batch.id)
    return act_and_redirect(
        lambda: imports.undo_batch(db.session, batch, actor=current_user),
        then=here,
        done=lambda removed: f"Import undone: {removed} entries removed.",
        back=here,
    )
