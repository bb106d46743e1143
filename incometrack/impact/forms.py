from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from incometrack.fields import MeasureField, UKDateField
from incometrack.forms import AppForm, EnumSelectField, IdSelectField, choices, optional_version
from incometrack.models import (
    OFFER_LABELS,
    ConsentGiver,
    ConsentUse,
    EvidenceKind,
    LibraryOffer,
    Measure,
    MeasureKind,
    MeasureUnit,
    Outcome,
    ResultSource,
    Site,
)


def _outcomes(session: Session, blank: str):
    return choices(session.scalars(select(Outcome).order_by(Outcome.position)), blank)


class MeasureForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter the measure's name"), Length(max=120)]
    )
    unit = EnumSelectField("Unit", MeasureUnit)
    kind = EnumSelectField("Kind", MeasureKind)
    outcome_id = IdSelectField("Libraries Deliver outcome it evidences")
    offer = EnumSelectField(
        "Universal Library Offer (optional)",
        LibraryOffer,
        blank="None",
        labels=OFFER_LABELS,
        widget=GovRadioInput(),
    )
    definition = TextAreaField(
        "Definition",
        description="What is counted, and how",
        widget=GovTextArea(),
        validators=[Length(max=2000)],
    )
    active = BooleanField("In use", widget=GovCheckboxInput(), default=True)
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save measure", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.outcome_id.choices = _outcomes(session, "Choose an outcome")


class TargetForm(AppForm):
    measure_id = IdSelectField("Measure")
    baseline = MeasureField("Baseline", description="Where the project started: often 0")
    target = MeasureField("Target")
    target_on = UKDateField("Target date")
    funder_required = BooleanField("The funder requires this measure", widget=GovCheckboxInput())
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save target", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.measure_id.choices = choices(
            session.scalars(select(Measure).where(Measure.active.is_(True)).order_by(Measure.name)),
            "Choose a measure",
        )


class ResultForm(AppForm):
    value = MeasureField("Value", description="The quarter's total: a count, or a percentage or score")
    site_id = IdSelectField("Site (optional)")
    source = EnumSelectField("Evidence source (optional)", ResultSource, blank="Not said")
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save result", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.site_id.choices = choices(session.scalars(select(Site).order_by(Site.name)), "No site")


_USES = [SelectChoice(use.value, use.value.capitalize()) for use in ConsentUse]


class ConsentFields:
    """The consent of the person an item is about, on the evidence form and on its own."""

    given_by = EnumSelectField("Consent given by", ConsentGiver, blank="No consent recorded yet")
    child = BooleanField("The person is a child (consent by a parent or guardian)", widget=GovCheckboxInput())
    uses = SelectMultipleField("Consent covers", choices=_USES, widget=GovCheckboxesInput())
    given_on = UKDateField("Date consent was given", optional=True)
    expires_on = UKDateField(
        "Consent expires (optional)", description="Left blank, five years after it was given", optional=True
    )


class EvidenceForm(ConsentFields, AppForm):
    kind = EnumSelectField("Kind of evidence", EvidenceKind)
    title = StringField(
        "Title", widget=GovTextInput(), validators=[InputRequired("Enter a title"), Length(max=255)]
    )
    body = TextAreaField(
        "Words",
        description="The case study, the words quoted, or what a document or link shows",
        widget=GovTextArea(),
        validators=[Length(max=8000)],
    )
    url = StringField("Link (for a link)", widget=GovTextInput(), validators=[Optional(), Length(max=255)])
    occurred_on = UKDateField("Date")
    outcome_id = IdSelectField("Libraries Deliver outcome (optional)")
    site_id = IdSelectField("Site (optional)")
    attribution = StringField(
        "Attribution",
        description='Anonymised, never a name: "Outreach service user, Folkestone"',
        widget=GovTextInput(),
        validators=[Length(max=255)],
    )
    alt_text = StringField(
        "Alt text (for a photo)",
        description="What the photo shows, for people who cannot see it",
        widget=GovTextInput(),
        validators=[Length(max=255)],
    )
    upload = FileField(
        "Photo or document",
        description="A photo as JPEG or PNG (its location and camera details are removed), a document as PDF",
        widget=GovFileInput(),
    )
    submit = SubmitField("Add evidence", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.outcome_id.choices = _outcomes(session, "None")
        self.site_id.choices = choices(session.scalars(select(Site).order_by(Site.name)), "No site")


class ConsentForm(ConsentFields, AppForm):
    submit = SubmitField("Record consent", widget=GovSubmitInput())


class WithdrawForm(AppForm):
    withdrawn_on = UKDateField("Date consent was withdrawn")
    reason = StringField("Note (optional)", widget=GovTextInput(), validators=[Length(max=255)])
    version = HiddenField(filters=[optional_version])
    submit = SubmitField(
        "Withdraw consent", widget=GovSubmitInput(), render_kw={"class": "govuk-button--warning"}
    )


class ApproveForm(AppForm):
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Approve for outputs", widget=GovSubmitInput())
