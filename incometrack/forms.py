"""Form mechanics every blueprint shares."""

from __future__ import annotations

from flask_wtf import FlaskForm

from incometrack.services import ServiceError


def apply_service_error(form: FlaskForm, error: ServiceError, default_field: str | None = None) -> None:
    """Show a service's refusal beside the field it names (or ``default_field``), or at the top."""
    field_name = error.field or default_field
    field = getattr(form, field_name, None) if field_name else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def error_summary(form: FlaskForm) -> dict[str, object]:
    """Parameters for govukErrorSummary: each field's first error linked to its input, then the
    form-level errors (which have no field to link to)."""
    items: list[dict[str, str]] = []
    for field in form:
        if field.errors:
            items.append({"text": str(field.errors[0]), "href": f"#{field.id}"})
    items.extend({"text": str(message)} for message in form.form_errors)
    return {"titleText": "There is a problem", "errorList": items}


def init_app(app) -> None:
    app.add_template_global(error_summary, "wtforms_error_summary")
