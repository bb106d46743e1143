"""Form mechanics every blueprint shares."""

from __future__ import annotations

from flask import abort, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS, _Auto
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from werkzeug.datastructures import CombinedMultiDict
from wtforms import FieldList, Form, FormField, SelectChoice, SelectField, ValidationError

from incometrack.extensions import db
from incometrack.periods import FinancialYear
from incometrack.services import (
    NO_RECORD,
    MissingVersion,
    NotAllowed,
    ServiceError,
    StaleEdit,
    ValidationErrors,
)
from incometrack.text import clean_text

#: The largest id an id column holds (a 32-bit INTEGER on PostgreSQL); larger numbers name no
#: record, and are refused before they reach a query (PostgreSQL would refuse them there).
MAX_ID = 2**31 - 1


def clean_input(value):
    """Text fields keep :func:`incometrack.text.clean_text`'s rule: normal line breaks, no control
    characters (PostgreSQL refuses NUL; a workbook cannot hold U+000B)."""
    return clean_text(value) if isinstance(value, str) else value


def _bind_with_cleaning(meta_base, form, unbound_field, options):
    # Keep the field's own filters (e.g. the version's int conversion) and add ours after;
    # lists of sub-forms take none (their own fields do).
    if not issubclass(unbound_field.field_class, FieldList | FormField):
        options["filters"] = [*unbound_field.kwargs.get("filters", ()), clean_input]
    return meta_base.bind_field(form, unbound_field, options)


class QueryForm(Form):
    """Filters read from the query string (a GET form needs no CSRF token); text cleaned as in
    :class:`AppForm`."""

    class Meta(Form.Meta):
        def bind_field(self, form, unbound_field, options):
            return _bind_with_cleaning(super(), form, unbound_field, options)


class AppForm(FlaskForm):
    """Every form of the app. Flask-WTF treats a POST with an empty body as "no form data", which
    would leave required fields unchecked; here a submitted form always reads the request. Text
    is cleaned on the way in (:func:`clean_input`)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return _bind_with_cleaning(super(), form, unbound_field, options)

        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.method in SUBMIT_METHODS:
                return CombinedMultiDict((request.files, request.form))
            return super().wrap_formdata(form, formdata)


def validate_with(form: FlaskForm, problems) -> bool:
    """``form.validate_on_submit()``, and where the form fails, the service's own rules too, over
    what did parse (``problems()`` returns them by field): every field's error is shown at once,
    rather than the form's first and the service's on the next try. A field keeps the form's
    error where it has one (an empty date is "Enter…", not also "…in the past")."""
    if form.validate_on_submit():
        return True
    if request.method not in SUBMIT_METHODS or "csrf_token" in form.errors:
        return False
    if fresh := {name: message for name, message in problems().items() if name not in form.errors}:
        apply_service_error(form, ValidationErrors(fresh))
    return False


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
    except NotAllowed as refusal:
        db.session.rollback()
        abort(403, refusal.message)
    except MissingVersion as refusal:
        db.session.rollback()
        abort(400, refusal.message)
    except StaleEdit:
        db.session.rollback()
        raise
    except ServiceError as error:
        db.session.rollback()
        apply_service_error(form, error)
        return None
    db.session.commit()
    return result


def act_and_redirect(action, *, then: str, done, back: str, stale: str | None = None):
    """Run the one service call a button asks for (cease, delete, undo, submit), in the request's
    transaction, and answer with a redirect and a message.

    On success: commit, flash ``done`` (or ``done(result)``) and go to ``then``. A refusal is rolled
    back and flashed, and the person goes ``back`` (303); a stale edit says ``stale`` when given.
    A refusal for the person's role is a 403.
    """
    from flask import flash, redirect

    try:
        result = action()
    except NotAllowed as refusal:
        db.session.rollback()
        abort(403, refusal.message)
    except MissingVersion as refusal:
        db.session.rollback()
        abort(400, refusal.message)
    except ServiceError as error:
        db.session.rollback()
        message = stale if stale and isinstance(error, StaleEdit) else error.message
        flash(message, "error")
        return redirect(back), 303
    db.session.commit()
    flash(done(result) if callable(done) else done)
    return redirect(then)


def confirm_page(
    question: str, *, consequences: list[str], button: str, back: str, form: FlaskForm, rows=(), warning=True
):
    """The page that asks before something destructive (GOV.UK's pattern): what will happen, the
    action, and a secondary Cancel back to ``back``. The form posts to the page's own address."""
    from flask import render_template

    return render_template(
        "confirm.html",
        question=question,
        consequences=consequences,
        button=button,
        back=back,
        form=form,
        rows=list(rows),
        warning=warning,
    )


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
    """The whole number in ``value`` (ASCII digits, within an id column's range), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -MAX_ID <= value <= MAX_ID else None
    text = str(value or "").strip()
    digits = text[1:] if text.startswith("-") else text
    if not digits or len(digits) > 19 or not digits.isascii() or not digits.isdigit():
        return None
    number = int(text)
    return number if -MAX_ID <= number <= MAX_ID else None


class EnumSelectField(SelectField):
    """A select (or, with ``widget=GovRadioInput()``, radios) of an enum's members: ``data`` is
    the member, or None for the blank choice. The stored member is the option marked selected
    whether the form was drawn from a record (``obj=``) or given ``data=`` at construction; anything
    else submitted is refused beside the field, never looked up. ``labels`` words a member's option
    where its capitalised value would not read well."""

    def __init__(
        self,
        label,
        enum_class,
        *,
        blank: str | None = None,
        labels=None,
        message: str | None = None,
        **kwargs,
    ):
        self.enum_class = enum_class
        self.message = message  #: said when nothing, or no member, was chosen
        self.required = blank is None  #: without a blank choice, one of the members must come
        labels = labels or {}
        options = [SelectChoice("", blank)] if blank is not None else []
        options += [
            SelectChoice(member.value, labels.get(member, member.value[:1].upper() + member.value[1:]))
            for member in enum_class
        ]
        kwargs.setdefault("widget", GovSelect())
        super().__init__(label, choices=options, coerce=self._member, **kwargs)

    def _member(self, value):
        if value is None or value == "" or isinstance(value, self.enum_class):
            return value or None
        try:
            return self.enum_class(value)
        except ValueError:
            return _Invalid(value)

    def process_data(self, value) -> None:
        self.data = self._member(value)

    def iter_choices(self):
        # Compare members with members, so that the saved value is the one the browser sends back.
        saved = self._member(self.data)
        return [
            choice._replace(selected=self._member(choice.value) == saved) for choice in super().iter_choices()
        ]

    def pre_validate(self, form) -> None:
        if isinstance(self.data, _Invalid) or (self.data is None and self.required):
            self.data = None
            raise ValidationError(self.message or f"Choose {self.label.text.lower()} from the list")


class IdSelectField(SelectField):
    """A select of records by id (``data`` the id, or None for the blank choice). Anything sent that
    is no id at all (letters, a number beyond any id, a negative) is refused beside the field,
    never dropped as if nothing had been chosen; whether the record exists is the service's to say."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("widget", GovSelect())
        super().__init__(label, coerce=record_id, validate_choice=False, **kwargs)

    def pre_validate(self, form) -> None:
        if isinstance(self.data, _Invalid):
            self.data = None
            what = self.label.text.lower().removesuffix(" (optional)")
            raise ValidationError(f"Choose {what} from the list")


def record_id(value):
    """A record's id from what was sent: None for nothing, the number for a possible id, and for
    anything else (letters, a negative, beyond any id) the text, marked invalid."""
    if value is None or value == "":
        return None
    number = optional_int(value)
    return number if number is not None and number > 0 else _Invalid(str(value)[:40])


def arg_id(name: str) -> int | None:
    """The id in the query string's ``name`` (None when absent or empty).

    :raises BadRequest: (400) when it is there but names no possible record.
    """
    found = record_id(request.args.get(name, ""))
    if isinstance(found, _Invalid):
        abort(400, f"The address asks for {name} {found!r}, which is no record's number.")
    return found


def arg_int(name: str, default: int | None = None) -> int | None:
    """A whole number from the query string (``default`` when absent); 400 when it is not one."""
    raw = request.args.get(name, "")
    if raw == "":
        return default
    number = optional_int(raw)
    if number is None:
        abort(400, f"The address gives {name} as {raw[:40]!r}, which is not a whole number.")
    return number


class _Invalid(str):
    """A submitted value that is no member of the field's enum."""


def optional_version(value) -> int | None:
    """The version a form was drawn from; :data:`NO_RECORD` when there was no record; None when
    the form carried none at all."""
    return optional_int(value)


def version_of(record) -> int:
    """What a form drawn now carries for ``record`` (which may not exist yet)."""
    return record.version if record is not None else NO_RECORD


def choices(rows, blank: str | None = None) -> list[SelectChoice]:
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(str(row.id), str(row)) for row in rows]


QUARTER_CHOICES = [SelectChoice(str(n), f"Q{n}") for n in range(1, 5)]


def year_choices(around: FinancialYear, back: int = 3, ahead: int = 1) -> list[SelectChoice]:
    years = [FinancialYear(around.start + offset) for offset in range(-back, ahead + 1)]
    return [SelectChoice(year.label, year.label) for year in reversed(years)]
