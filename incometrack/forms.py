"""Form mechanics every blueprint shares."""

from __future__ import annotations

from flask import abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from werkzeug.datastructures import CombinedMultiDict
from wtforms import FieldList, FormField, SelectChoice

from incometrack.extensions import db
from incometrack.periods import FinancialYear
from incometrack.services import NotAllowed, ServiceError, StaleEdit, ValidationErrors


def strip_nul(value):
    """NUL characters have no place in text and PostgreSQL refuses them: drop them on input."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class AppForm(FlaskForm):
    """Every form of the app. Flask-WTF treats a POST with an empty body as "no form data", which
    would leave required fields unchecked; here a submitted form always reads the request. Text
    loses any NUL characters on the way in."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            # Keep the field's own filters (e.g. the version's int conversion) and add ours after;
            # lists of sub-forms take none (their own fields do).
            if not issubclass(unbound_field.field_class, FieldList | FormField):
                options["filters"] = [*unbound_field.kwargs.get("filters", ()), strip_nul]
            return super().bind_field(form, unbound_field, options)

        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.method in SUBMIT_METHODS:
                return CombinedMultiDict((request.files, request.form))
            return super().wrap_formdata(form, formdata)


def apply_service_error(form: FlaskForm, error: ServiceError, default_field: str | None = None) -> None:
    """Show a service's refusal beside the field(s) it names (or ``default_field``), or at the top."""
    if isinstance(error, ValidationErrors):
        for field_name, message in error.errors.items():
            apply_service_error(form, ServiceError(message, field=field_name), default_field)
        return
    field_name = error.field or default_field
    field = getattr(form, field_name, None) if field_name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def commit_or_show(form: FlaskForm, action):
    """Run the one service call a submitted form asks for, in the request's transaction.

    Returns what the service returned, after committing; or None when it refused, after rolling
    back and showing the refusal beside the field(s) it names. A refusal for the person's role is
    a 403. A stale edit is rolled back and raised again, for the view to show its 409 page.
    """
    try:
        result = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except StaleEdit:
        db.session.rollback()
        raise
    except ServiceError as error:
        db.session.rollback()
        apply_service_error(form, error)
        return None
    db.session.commit()
    return result


def form_status(form: FlaskForm) -> int:
    """400 for a form shown again with errors, 200 otherwise."""
    return 400 if form.errors else 200


def _field_errors(fields) -> list[tuple[str, str]]:
    """(input id, first message) for every field with an error, looking inside lists of sub-forms."""
    found = []
    for field in fields:
        if field.type in ("FieldList", "FormField"):
            found.extend(_field_errors(field))
        elif field.errors:
            found.append((field.id, str(field.errors[0])))
    return found


def error_summary(form: FlaskForm) -> dict[str, object]:
    """Parameters for govukErrorSummary: each field's first error linked to its input, then the
    form-level errors (which have no field to link to)."""
    items = [{"text": message, "href": f"#{field_id}"} for field_id, message in _field_errors(form)]
    items.extend({"text": str(message)} for message in form.form_errors)
    return {"titleText": "There is a problem", "errorList": items}


def init_app(app) -> None:
    app.add_template_global(error_summary, "wtforms_error_summary")


def _shown(field) -> str:
    """A field's value as the person sees it: the chosen option's label for a select."""
    if hasattr(field, "iter_choices"):
        for choice in field.iter_choices():
            value, label, selected = choice[0], choice[1], choice[2]
            if selected and value not in ("", None):
                return str(label)
        return ""
    return str(field._value() if hasattr(field, "_value") else field.data or "")


def conflict_response(submitted: FlaskForm, saved: FlaskForm, edit_url: str, what: str):
    """The 409 page for a stale edit: each field where the saved record and the person's own
    change differ, side by side. Nothing was saved; the link opens the latest version."""
    from flask import render_template

    rows = []
    for field in submitted:
        if field.type in ("HiddenField", "CSRFTokenField", "SubmitField") or field.name not in saved:
            continue
        mine, theirs = _shown(field), _shown(saved[field.name])
        if mine != theirs:
            rows.append({"label": field.label.text, "saved": theirs, "yours": mine})
    return render_template("errors/conflict.html", rows=rows, edit_url=edit_url, what=what), 409


def optional_int(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def optional_version(value) -> int | None:
    return optional_int(value)


def choices(rows, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(str(row.id), str(row)) for row in rows]


QUARTER_CHOICES = [SelectChoice(str(n), f"Q{n}") for n in range(1, 5)]


def year_choices(around: FinancialYear, back: int = 3, ahead: int = 1) -> list[SelectChoice]:
    years = [FinancialYear(around.start + offset) for offset in range(-back, ahead + 1)]
    return [SelectChoice(year.label, year.label) for year in reversed(years)]
