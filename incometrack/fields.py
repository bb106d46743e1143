"""WTForms fields for money and UK dates, parsed by incometrack.money and incometrack.periods.

Their messages are in GOV.UK wording and name the field; the parsed value is pence (an ``int``) or
a ``date``.
"""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field, ValidationError

from incometrack import money, periods


class _TextParsedField(Field):
    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, optional: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.optional = optional
        self.raw_text = ""

    def process_formdata(self, valuelist):
        self.raw_text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw_text:
            if not self.optional:
                raise ValidationError(self.empty_message())
            return
        try:
            self.data = self.parse(self.raw_text)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def _value(self) -> str:
        if self.raw_text and (self.errors or self.data is None):
            return self.raw_text
        return self.format(self.data) if self.data is not None else ""

    def empty_message(self) -> str:
        return f"Enter {self.label.text.lower()}"

    def parse(self, text: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def format(self, value) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class MoneyField(_TextParsedField):
    """Pounds and pence typed as ``1,234.50``, ``£1,234.50`` or ``(12.00)``; data is pence."""

    def parse(self, text: str) -> int:
        return money.parse_money(text, field=self.label.text)

    def format(self, value: int) -> str:
        return money.format_plain(value)


class UKDateField(_TextParsedField):
    """A date typed as ``31/03/2027`` or ``2027-03-31``; never month first."""

    def parse(self, text: str):
        return periods.parse_date(text, field=self.label.text)

    def format(self, value) -> str:
        return f"{value:%d/%m/%Y}"


class MeasureField(_TextParsedField):
    """A count, percentage or score typed as ``1,250`` or ``72.5``; data is a ``Decimal``."""

    def parse(self, text: str):
        from incometrack.services import ServiceError
        from incometrack.services.impact import parse_value

        try:
            return parse_value(text, field=self.name, label=self.label.text)
        except ServiceError as error:
            raise ValueError(error.message) from None

    def format(self, value) -> str:
        from incometrack.services.impact import format_value

        return format_value(value)
