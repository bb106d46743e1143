from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired

from incometrack.forms import AppForm
from incometrack.models import ReminderFrequency

FREQUENCY_CHOICES = [
    SelectChoice(ReminderFrequency.DAILY.value, "Daily: each morning there is something due"),
    SelectChoice(ReminderFrequency.WEEKLY.value, "Weekly: on Mondays"),
    SelectChoice(ReminderFrequency.NONE.value, "No reminder emails"),
]


class RemindersForm(AppForm):
    frequency = RadioField(
        "How often should IncomeTrack email you what is due?",
        widget=GovRadioInput(),
        choices=FREQUENCY_CHOICES,
        validators=[InputRequired("Select how often to email you")],
    )
    submit = SubmitField("Save reminder choice", widget=GovSubmitInput())


class NewCalendarLinkForm(AppForm):
    submit = SubmitField("Replace the calendar link", widget=GovSubmitInput())
