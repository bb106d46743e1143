from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional

from incometrack.fields import UKDateField
from incometrack.forms import AppForm, EnumSelectField, IdSelectField, QueryForm, optional_version
from incometrack.models import ROLE_LABELS, Role, SiteKind


def _role_field() -> EnumSelectField:
    return EnumSelectField("Role", Role, widget=GovRadioInput(), labels=ROLE_LABELS, message="Select a role")


class NewUserForm(AppForm):
    name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the person's name"), Length(max=120)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter an email address"), Length(max=255)],
    )
    role = _role_field()
    password = PasswordField(
        "Initial password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Give it to the person by a separate channel.",
        validators=[InputRequired("Enter an initial password")],
    )
    submit = SubmitField("Create user", widget=GovSubmitInput())


class RoleForm(AppForm):
    role = _role_field()
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save role", widget=GovSubmitInput())


class ResetPasswordForm(AppForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. Resetting signs the person out everywhere.",
        validators=[InputRequired("Enter a new password")],
    )
    submit = SubmitField("Reset password", widget=GovSubmitInput())


class ConfirmForm(AppForm):
    """A button that changes an account: the CSRF token and the account's version."""

    version = HiddenField(filters=[optional_version])


class AuditFilterForm(QueryForm):
    """Filters of the audit log, read from the query string."""

    entity = SelectField("Record type", widget=GovSelect(), validate_choice=False)
    action = SelectField("Action", widget=GovSelect(), validate_choice=False)
    user = SelectField("Who", widget=GovSelect(), validate_choice=False)
    entity_id = StringField("Record number", widget=GovTextInput(), validators=[Length(max=12)])
    date_from = UKDateField("From date", optional=True)
    date_to = UKDateField("To date", optional=True)
    sign_ins = BooleanField("Include sign-ins and sign-outs", widget=GovCheckboxInput())


class ServiceForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter a name"), Length(max=120)]
    )
    active = BooleanField("In use", widget=GovCheckboxInput(), default=True)
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save service", widget=GovSubmitInput())


class SiteForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter a name"), Length(max=120)]
    )
    kind = EnumSelectField("Kind of site", SiteKind)
    service_id = IdSelectField("Service")
    postcode = StringField(
        "Postcode (optional)",
        description="Printed with the venue in a funder's activity report",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=10)],
    )
    active = BooleanField("In use", widget=GovCheckboxInput(), default=True)
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save site", widget=GovSubmitInput())


class CategoryForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter a name"), Length(max=120)]
    )
    cipfa_line_id = IdSelectField("CIPFA income line")
    cipfa_note = StringField(
        "Why no CIPFA line (optional)",
        widget=GovTextInput(),
        description="For example, Registration",
        validators=[Length(max=120)],
    )
    active = BooleanField("In use", widget=GovCheckboxInput(), default=True)
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save category", widget=GovSubmitInput())
