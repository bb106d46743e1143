from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import SubmitField

from incometrack.forms import AppForm, EnumSelectField
from incometrack.models import ReminderFrequency


class RemindersForm(AppForm):
    frequency = EnumSelectField(
        "How often should IncomeTrack email you what is due?",
        ReminderFrequency,
        widget=GovRadioInput(),
        message="Select how often to email you",
        labels={
            ReminderFrequency.DAILY: "Daily: each morning there is something due",
            ReminderFrequency.WEEKLY: "Weekly: on Mondays",
            ReminderFrequency.NONE: "No reminder emails",
        },
    )
    submit = SubmitField("Save reminder choice", widget=GovSubmitInput())


class NewCalendarLinkForm(AppForm):
    submit = SubmitField("Replace the calendar link", widget=GovSubmitInput())
