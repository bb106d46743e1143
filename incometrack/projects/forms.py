from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from incometrack import policy
from incometrack.fields import UKDateField
from incometrack.forms import (
    AppForm,
    EnumSelectField,
    IdSelectField,
    QueryForm,
    choices,
    optional_version,
)
from incometrack.models import GrantBid, MilestoneStatus, Outcome, Service, User
from incometrack.rag import Rag


def _people(session: Session, roles=policy.CREATORS):
    return session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.name)
    )


class ProjectForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter the project's name"), Length(max=255)]
    )
    lead_id = IdSelectField("Project lead")
    service_id = IdSelectField("Service")
    bid_id = IdSelectField("Grant that funds it (optional)")
    outcome_ids = SelectMultipleField(
        "Libraries Deliver outcomes", coerce=int, widget=GovCheckboxesInput(), validate_choice=False
    )
    description = TextAreaField(
        "Summary (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=4000)]
    )
    starts_on = UKDateField(
        "Start of delivery (optional)",
        description="Progress against targets is measured from here; left blank, the grant's start",
        optional=True,
    )
    learning = TextAreaField(
        "What the project has learned (optional)",
        description="Printed in the funder's activity report",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=8000)],
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save project", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.lead_id.choices = choices(_people(session), "Choose the lead")
        self.service_id.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "Choose a service"
        )
        bids = session.scalars(select(GrantBid).order_by(GrantBid.title))
        self.bid_id.choices = [SelectChoice("", "None")] + [SelectChoice(str(b.id), b.title) for b in bids]
        self.outcome_ids.choices = [
            SelectChoice(o.id, o.name) for o in session.scalars(select(Outcome).order_by(Outcome.position))
        ]


class MilestoneForm(AppForm):
    title = StringField(
        "Milestone", widget=GovTextInput(), validators=[InputRequired("Enter the milestone"), Length(max=255)]
    )
    owner_id = IdSelectField("Owner (optional)")
    baseline_due = UKDateField(
        "Baseline date", description="Fixed once set: only an administrator can re-baseline"
    )
    submit = SubmitField("Add milestone", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.owner_id.choices = choices(_people(session), "No owner")


class MilestoneDetailsForm(AppForm):
    title = StringField(
        "Milestone", widget=GovTextInput(), validators=[InputRequired("Enter the milestone"), Length(max=255)]
    )
    owner_id = IdSelectField("Owner (optional)")
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.owner_id.choices = choices(_people(session), "No owner")


class MilestoneUpdateForm(AppForm):
    update_on = UKDateField("Date of this update")
    status = EnumSelectField("Status", MilestoneStatus)
    forecast_due = UKDateField("Forecast date")
    completed_on = UKDateField("Completed on (only when complete)", optional=True)
    note = TextAreaField(
        "Note",
        widget=GovTextArea(),
        description="What has happened, and why any date has moved",
        validators=[Length(max=4000)],
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save update", widget=GovSubmitInput())


class RebaselineForm(AppForm):
    baseline_due = UKDateField("New baseline date")
    reason = TextAreaField(
        "Reason",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the reason for re-baselining"), Length(max=2000)],
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Re-baseline", widget=GovSubmitInput())


class ProjectFilterForm(QueryForm):
    service = IdSelectField("Service")
    lead = IdSelectField("Lead")
    grant = IdSelectField("Grant")
    outcome = IdSelectField("Outcome")
    rag = SelectField(
        "Rating",
        widget=GovSelect(),
        choices=[SelectChoice("", "Any rating")]
        + [SelectChoice(r.value, r.value) for r in (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.COMPLETE)],
        invalid_choice_message="Select a rating from the list",
        default="",
    )

    def fill_choices(self, session: Session) -> None:
        self.service.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "All services"
        )
        self.lead.choices = choices(_people(session), "Anyone")
        bids = session.scalars(select(GrantBid).order_by(GrantBid.title))
        self.grant.choices = [SelectChoice("", "Any grant")] + [
            SelectChoice(str(b.id), b.title) for b in bids
        ]
        self.outcome.choices = choices(
            session.scalars(select(Outcome).order_by(Outcome.position)), "All outcomes"
        )
