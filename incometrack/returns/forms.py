from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from incometrack.forms import AppForm, optional_int, optional_version


class SubmitReturnForm(AppForm):
    reason = TextAreaField(
        "Reason for submitting without commentary",
        widget=GovTextArea(),
        description="It is kept with the return and printed on its Summary.",
        validators=[Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    confirm = BooleanField(
        "I have checked this return: submitted, its figures are frozen and the quarters listed locked",
        widget=GovCheckboxInput(),
        validators=[DataRequired(message="Confirm that you have checked the return before submitting it")],
    )
    submit = SubmitField("Submit the return", widget=GovSubmitInput())


class CommentaryRowForm(Form):
    stream_id = HiddenField(filters=[optional_int])
    commentary = TextAreaField(
        "Commentary",
        widget=GovTextArea(),
        validators=[Length(max=4000, message="Commentary must be 4,000 characters or fewer")],
    )
    version = HiddenField(filters=[optional_version])


class CommentaryForm(AppForm):
    rows = FieldList(FormField(CommentaryRowForm))
    submit = SubmitField("Save commentary", widget=GovSubmitInput())
