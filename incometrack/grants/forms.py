from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from incometrack import policy
from incometrack.fields import MoneyField, UKDateField
from incometrack.forms import (
    AppForm,
    EnumSelectField,
    IdSelectField,
    QueryForm,
    choices,
    optional_version,
)
from incometrack.models import BidStatus, Funder, FunderType, Outcome, Programme, Service, User


class FunderForm(AppForm):
    name = StringField(
        "Name", widget=GovTextInput(), validators=[InputRequired("Enter the funder's name"), Length(max=120)]
    )
    type = EnumSelectField("Type", FunderType)
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=4000)])
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save funder", widget=GovSubmitInput())


class ProgrammeForm(AppForm):
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the programme's name"), Length(max=120)],
    )
    total_pot = MoneyField("Total pot (optional)", optional=True)
    opens_on = UKDateField("Opens (optional)", optional=True)
    closes_on = UKDateField("Closes (optional)", optional=True)
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=4000)])
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save programme", widget=GovSubmitInput())


class BidForm(AppForm):
    title = StringField(
        "Title", widget=GovTextInput(), validators=[InputRequired("Enter the bid's title"), Length(max=255)]
    )
    funder_id = IdSelectField("Funder")
    programme_id = IdSelectField("Programme or fund (optional)")
    service_id = IdSelectField("Service")
    lead_id = IdSelectField("Lead officer")
    outcome_ids = SelectMultipleField(
        "Libraries Deliver outcomes it serves", coerce=int, widget=GovCheckboxesInput(), validate_choice=False
    )
    amount_requested = MoneyField("Amount requested")
    match_cash = MoneyField("Match funding in cash (optional)", optional=True)
    match_in_kind = MoneyField("Match funding in kind (optional)", optional=True)
    submission_deadline = UKDateField("Submission deadline (optional)", optional=True)
    submitted_on = UKDateField("Date submitted (optional)", optional=True)
    decision_on = UKDateField("Decision date (optional)", optional=True)
    awarded_resource = MoneyField("Awarded: resource (revenue) (optional)", optional=True)
    awarded_capital = MoneyField("Awarded: capital (optional)", optional=True)
    start_on = UKDateField("Start date (optional)", optional=True)
    end_on = UKDateField("End date (optional)", optional=True)
    probability = IntegerField(
        "Probability of success, per cent",
        widget=GovTextInput(),
        description="While the bid is pending: 0 to 100",
        validators=[InputRequired("Enter the probability as a whole number from 0 to 100"),
                    NumberRange(0, 100, "Probability must be a whole number from 0 to 100")],
    )  # fmt: skip
    description = TextAreaField(
        "Summary (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=4000)]
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save bid", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.funder_id.choices = choices(
            session.scalars(select(Funder).order_by(Funder.name)), "Choose a funder"
        )
        programmes = session.scalars(
            select(Programme).join(Programme.funder).order_by(Funder.name, Programme.name)
        )
        self.programme_id.choices = [SelectChoice("", "None")] + [
            SelectChoice(str(p.id), f"{p.funder.name}: {p.name}") for p in programmes
        ]
        self.service_id.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "Choose a service"
        )
        people = session.scalars(
            select(User).where(User.active.is_(True), User.role.in_(policy.CREATORS))
            .order_by(User.name)
        )  # fmt: skip
        self.lead_id.choices = choices(people, "No lead yet")
        self.outcome_ids.choices = [
            SelectChoice(o.id, o.name) for o in session.scalars(select(Outcome).order_by(Outcome.position))
        ]


MOVE_LABELS = {
    BidStatus.DRAFTING: "Start drafting",
    BidStatus.SUBMITTED: "Record submission",
    BidStatus.AWARDED: "Record award",
    BidStatus.UNSUCCESSFUL: "Record as unsuccessful",
    BidStatus.WITHDRAWN: "Withdraw",
    BidStatus.IN_DELIVERY: "Start delivery",
    BidStatus.CLOSED: "Mark the grant closed",
}


class MoveForm(AppForm):
    on = UKDateField("Date")
    note = TextAreaField("Note (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=2000)])
    awarded_resource = MoneyField("Amount awarded: resource (revenue)", optional=True)
    awarded_capital = MoneyField("Amount awarded: capital", optional=True)
    reason = TextAreaField(
        "The funder's reason (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=4000)]
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save", widget=GovSubmitInput())


class PaymentForm(AppForm):
    expected_on = UKDateField("Expected on")
    amount_expected = MoneyField("Amount expected")
    received_on = UKDateField("Received on (optional)", optional=True)
    amount_received = MoneyField("Amount received (optional)", optional=True)
    note = StringField("Note (optional)", widget=GovTextInput(), validators=[Length(max=255)])
    submit = SubmitField("Add payment", widget=GovSubmitInput())


class ReceiptForm(AppForm):
    received_on = UKDateField("Received on")
    amount_received = MoneyField("Amount received")
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Record receipt", widget=GovSubmitInput())


class SpendForm(AppForm):
    spent_on = UKDateField("Date")
    amount = MoneyField("Amount", description="Negative for a correction")
    description = StringField("What it was spent on", widget=GovTextInput(), validators=[Length(max=255)])
    capital = BooleanField(
        "Capital spend (equipment, building works), from the capital award", widget=GovCheckboxInput()
    )
    submit = SubmitField("Add spend", widget=GovSubmitInput())


class ReportForm(AppForm):
    title = StringField(
        "Report",
        widget=GovTextInput(),
        description="For example, Final activity report",
        validators=[Length(max=255)],
    )
    due_on = UKDateField("Due on")
    submit = SubmitField("Add report", widget=GovSubmitInput())


class ReportSubmittedForm(AppForm):
    submitted_on = UKDateField("Submitted on")
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Record submission", widget=GovSubmitInput())


class BidFilterForm(QueryForm):
    status = EnumSelectField("Status", BidStatus, blank="Any status")
    funder = IdSelectField("Funder")
    service = IdSelectField("Service")
    outcome = IdSelectField("Outcome")
    lead = IdSelectField("Lead officer")
    year = SelectField("Decided in financial year", widget=GovSelect(), validate_choice=False)

    def fill_choices(self, session: Session, years: list[SelectChoice]) -> None:
        self.funder.choices = choices(session.scalars(select(Funder).order_by(Funder.name)), "All funders")
        self.service.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "All services"
        )
        self.outcome.choices = choices(
            session.scalars(select(Outcome).order_by(Outcome.position)), "All outcomes"
        )
        people = session.scalars(select(User).where(User.role.in_(policy.CREATORS)).order_by(User.name))
        self.lead.choices = choices(people, "Anyone")
        self.year.choices = [SelectChoice("", "Any year"), *years]
