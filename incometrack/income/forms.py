from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from incometrack.fields import MoneyField, UKDateField
from incometrack.forms import (
    QUARTER_CHOICES,
    AppForm,
    EnumSelectField,
    IdSelectField,
    QueryForm,
    choices,
    optional_int,
    optional_version,
    year_choices,
)
from incometrack.models import IncomeCategory, IncomeStream, Service, Site, StreamStatus, UnmappedLines, User
from incometrack.periods import FinancialYear


def _select(label: str, *, description: str | None = None) -> SelectField:
    # Choices are filled per request; existence is checked by the service, which words the message.
    return IdSelectField(label, description=description)


class StreamForm(AppForm):
    code = StringField(
        "Stream code",
        widget=GovTextInput(),
        description="The ledger or cost-centre code, for example LIB-ROOM-MAI",
        validators=[
            InputRequired("Enter the stream code"),
            Length(max=40, message="Stream code must be 40 characters or fewer"),
        ],
    )
    name = StringField(
        "Name",
        widget=GovTextInput(),
        validators=[
            InputRequired("Enter the stream name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    service_id = _select("Service")
    category_id = _select("Income category")
    site_id = _select("Site (optional)")
    owner_id = _select("Owner (optional)")
    status = EnumSelectField("Status", StreamStatus, default=StreamStatus.ACTIVE)
    description = TextAreaField("Description (optional)", widget=GovTextArea(), validators=[Optional()])
    ledger_codes = TextAreaField(
        "Ledger codes (optional)",
        widget=GovTextArea(),
        description="The codes the ledger prints for this stream's income, as a ledger import profile joins"
        " them (cost centre and account with a -, like LIB01-9100). One a line, or separated by ;",
        validators=[Optional(), Length(max=2000, message="Ledger codes must be 2,000 characters or fewer")],
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save stream", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.service_id.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "Choose a service"
        )
        self.category_id.choices = choices(
            session.scalars(select(IncomeCategory).order_by(IncomeCategory.name)), "Choose a category"
        )
        self.site_id.choices = choices(
            session.scalars(select(Site).order_by(Site.name)), "No particular site"
        )
        self.owner_id.choices = choices(
            session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)), "No owner"
        )


MONTH_LABELS = (
    "P1 April", "P2 May", "P3 June", "P4 July", "P5 August", "P6 September", "P7 October", "P8 November",
    "P9 December", "P10 January", "P11 February", "P12 March",
)  # fmt: skip


class BudgetForm(AppForm):
    profile_by = RadioField(
        "How is the budget profiled?",
        choices=[
            SelectChoice("quarter", "By quarter: each quarter is split evenly into its three months"),
            SelectChoice("month", "By month: twelve figures (a seasonal stream); the quarters follow"),
        ],
        default="quarter",
        widget=GovRadioInput(),
        validators=[InputRequired("Select how the budget is profiled")],
    )
    annual = MoneyField("Annual budget", optional=True)
    q1 = MoneyField("Q1 (April to June)", optional=True)
    q2 = MoneyField("Q2 (July to September)", optional=True)
    q3 = MoneyField("Q3 (October to December)", optional=True)
    q4 = MoneyField("Q4 (January to March)", optional=True)
    p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12 = (
        MoneyField(label, optional=True) for label in MONTH_LABELS
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save budget", widget=GovSubmitInput())

    @property
    def by_month(self) -> bool:
        return self.profile_by.data == "month"

    @property
    def profile(self) -> tuple[int | None, int | None, int | None, int | None] | None:
        if self.by_month:
            return None
        quarters = (self.q1.data, self.q2.data, self.q3.data, self.q4.data)
        return None if all(q is None for q in quarters) else quarters

    @property
    def months(self) -> tuple[int | None, ...] | None:
        return tuple(getattr(self, f"p{n}").data for n in range(1, 13)) if self.by_month else None


class BudgetRowForm(Form):
    stream_id = HiddenField(filters=[optional_int])
    annual = MoneyField("Annual budget", optional=True)
    q1 = MoneyField("Q1", optional=True)
    q2 = MoneyField("Q2", optional=True)
    q3 = MoneyField("Q3", optional=True)
    q4 = MoneyField("Q4", optional=True)
    p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12 = (
        MoneyField(f"P{n}", optional=True) for n in range(1, 13)
    )
    version = HiddenField(filters=[optional_version])


class BudgetGridForm(AppForm):
    rows = FieldList(FormField(BudgetRowForm))
    submit = SubmitField("Save all budgets", widget=GovSubmitInput())


class EntryForm(AppForm):
    date_received = UKDateField("Date received")
    stream_id = _select("Income stream")
    amount = MoneyField(
        "Amount", description="Net of VAT. For a refund or correction, enter a negative amount, like -12.00"
    )
    reference = StringField(
        "Reference",
        widget=GovTextInput(),
        description="Ledger journal or invoice number",
        validators=[Length(max=120, message="Reference must be 120 characters or fewer")],
    )
    site_id = _select("Site (optional)")
    description = TextAreaField("Description (optional)", widget=GovTextArea(), validators=[Optional()])
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save entry", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        self.stream_id.choices = choices(
            session.scalars(select(IncomeStream).order_by(IncomeStream.code)), "Choose a stream"
        )
        self.site_id.choices = choices(
            session.scalars(select(Site).order_by(Site.name)), "No particular site"
        )


#: The batch grid's columns: (field, heading), in the order rows pasted from a spreadsheet fill them.
BATCH_COLUMNS = (
    ("date", "Date received"),
    ("stream", "Stream code"),
    ("amount", "Amount"),
    ("reference", "Reference"),
    ("site", "Site"),
    ("description", "Description"),
)
BATCH_ROWS = 10
MAX_BATCH_ROWS = 2_000  #: what the grid holds and the server takes at once (more is refused whole)


class BatchRowForm(Form):
    date = StringField("Date received", validators=[Length(max=40)])
    stream = StringField("Stream code", validators=[Length(max=40)])
    amount = StringField("Amount", validators=[Length(max=40)])
    reference = StringField("Reference", validators=[Length(max=120)])
    site = StringField("Site", validators=[Length(max=120)])
    description = StringField("Description", validators=[Length(max=500)])

    def filled(self) -> bool:
        return any((self[name].data or "").strip() for name, _ in BATCH_COLUMNS)


class BatchEntryForm(AppForm):
    """Many lines at once: checked all or nothing, as an import is."""

    # No min_entries: WTForms would fill the missing ones from the posted rows again; the view pads
    # the grid with empty rows for display instead (:meth:`pad`).
    rows = FieldList(FormField(BatchRowForm), max_entries=MAX_BATCH_ROWS)
    submit = SubmitField("Record these lines", widget=GovSubmitInput())

    @staticmethod
    def posted_rows_problem(formdata) -> str | None:
        """Why the rows posted cannot all be taken, or None. The grid is all or nothing: more rows
        than it holds, or a row numbered otherwise than the grid numbers them, refuses the whole
        post (WTForms would quietly keep the first rows and drop the rest)."""
        indices = {
            key.split("-", 2)[1] for key in formdata if key.startswith("rows-") and key.count("-") >= 2
        }
        if any(not (index.isascii() and index.isdigit()) or len(index) > 6 for index in indices):
            return (
                "A line came without a row number of the grid's own. Nothing was recorded: open the grid"
                " again."
            )
        beyond = [int(index) for index in indices if int(index) >= MAX_BATCH_ROWS]
        if len(indices) > MAX_BATCH_ROWS or beyond:
            return (
                f"The grid holds at most {MAX_BATCH_ROWS:,} lines at once and {len(indices):,} rows were"
                f" sent. Nothing was recorded: record them in parts of {MAX_BATCH_ROWS:,} lines, or import"
                " them as a file."
            )
        return None

    def pad(self, rows: int = BATCH_ROWS) -> None:
        """Empty rows after those filled, up to ``rows`` in all (and at most :data:`MAX_BATCH_ROWS`)."""
        while len(self.rows) < min(rows, MAX_BATCH_ROWS):
            self.rows.append_entry()


class ConfirmForm(AppForm):
    version = HiddenField(filters=[optional_version])


class VersionedActionForm(AppForm):
    """A button that changes a record (cease a stream, delete an entry): it must say which version
    of the record the person saw, so a change made since is refused rather than overwritten."""

    version = HiddenField(filters=[optional_version], validators=[DataRequired()])


class ForecastForm(AppForm):
    outturn = MoneyField(
        "Forecast outturn for the year",
        optional=True,
        description="Leave empty to keep the forecast standing now: commentary alone is not a forecast",
    )
    commentary = TextAreaField(
        "Commentary",
        widget=GovTextArea(),
        description="Required where the forecast is Amber or Red: why, and what is being done",
        validators=[Length(max=4000, message="Commentary must be 4,000 characters or fewer")],
    )
    version = HiddenField(filters=[optional_version])
    check = SubmitField("Check the rating", widget=GovSubmitInput())
    submit = SubmitField("Save forecast", widget=GovSubmitInput())


class LockForm(AppForm):
    year = SelectField("Financial year", widget=GovSelect(), validate_choice=False)
    quarter = SelectField("Quarter", choices=QUARTER_CHOICES, widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Lock quarter", widget=GovSubmitInput())


class ReopenForm(AppForm):
    reason = TextAreaField(
        "Reason for reopening",
        widget=GovTextArea(),
        validators=[InputRequired("Enter the reason for reopening the quarter"), Length(max=255)],
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Reopen quarter", widget=GovSubmitInput())


class EntryFilterForm(QueryForm):
    """The entry list's filters, read from the query string (a GET form needs no CSRF token)."""

    year = SelectField("Financial year", widget=GovSelect(), validate_choice=False)
    quarter = SelectField(
        "Quarter",
        choices=[SelectChoice("", "All quarters"), *QUARTER_CHOICES],
        widget=GovSelect(),
        validate_choice=False,
    )
    service = _select("Service")
    site = _select("Site")
    stream = _select("Stream")
    category = _select("Category")
    date_from = UKDateField("From date", optional=True)
    date_to = UKDateField("To date", optional=True)
    text = StringField(
        "Reference or description contains", widget=GovTextInput(), validators=[Length(max=100)]
    )

    def fill_choices(self, session: Session, current: FinancialYear) -> None:
        self.year.choices = [SelectChoice("", "All years"), *year_choices(current)]
        self.service.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "All services"
        )
        self.site.choices = choices(session.scalars(select(Site).order_by(Site.name)), "All sites")
        self.stream.choices = choices(
            session.scalars(select(IncomeStream).order_by(IncomeStream.code)), "All streams"
        )
        self.category.choices = choices(
            session.scalars(select(IncomeCategory).order_by(IncomeCategory.name)), "All categories"
        )


class StreamFilterForm(QueryForm):
    service = _select("Service")
    category = _select("Category")
    status = EnumSelectField("Status", StreamStatus, blank="Any status")
    text = StringField("Code or name contains", widget=GovTextInput(), validators=[Length(max=100)])

    def fill_choices(self, session: Session) -> None:
        self.service.choices = choices(
            session.scalars(select(Service).order_by(Service.name)), "All services"
        )
        self.category.choices = choices(
            session.scalars(select(IncomeCategory).order_by(IncomeCategory.name)), "All categories"
        )


#: What each import kind's radio says; the columns come from the import service's declaration.
IMPORT_KINDS = {
    "income": "Income entries",
    "ledger": "A ledger extract, as the ledger wrote it, read through a saved import profile",
    "streams": "Income streams",
    "budgets": "Budgets",
    "bids": "Grant bids",
    "milestones": "Project milestones",
    "results": "Impact results (a measure's value for a quarter)",
}


def _kind_choices() -> list[SelectChoice]:
    from incometrack.services.imports import COLUMNS

    options = []
    for kind, label in IMPORT_KINDS.items():
        if kind in COLUMNS:
            required, optional = COLUMNS[kind]
            columns = ", ".join(required) + (f" (optional: {', '.join(optional)})" if optional else "")
            label = f"{label}: {columns}"
        options.append(SelectChoice(kind, label))
    return options


class ImportForm(AppForm):
    kind = RadioField(
        "What does the file hold?",
        choices=_kind_choices(),
        default="income",
        widget=GovRadioInput(),
        validators=[InputRequired("Select what the file holds")],
    )
    profile_id = _select(
        "Import profile (for a ledger extract)",
        description="Which saved profile says how this ledger's extract is read",
    )
    file = FileField(
        "File",
        widget=GovFileInput(),
        description="CSV (UTF-8, UTF-16 or Excel's Windows encoding) or XLSX, as it comes: title rows above"
        " the header and totals rows below it are fine",
        validators=[FileRequired("Select a CSV or XLSX file")],
    )
    sheet = StringField(
        "Sheet name (optional)",
        widget=GovTextInput(),
        description="For a workbook, the sheet to read. Leave empty for the first sheet.",
        validators=[Length(max=100)],
    )
    skip_locked = BooleanField(
        "Leave out lines in locked quarters",
        widget=GovCheckboxInput(),
        description="Income and ledger files: new lines dated in a quarter already locked (late postings)"
        " are left out and reported with their total, and the rest is imported. Without this they refuse"
        " the file. Lines already recorded are skipped as duplicates wherever they are dated.",
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        from incometrack.services import profiles

        self.profile_id.choices = choices(profiles.profiles(session), "Choose a profile")

    def validate_profile_id(self, field) -> None:
        if self.kind.data == "ledger" and field.data is None:
            raise ValidationError("Choose the import profile for this ledger extract")


class ProfileSampleForm(AppForm):
    file = FileField(
        "An extract from the ledger",
        widget=GovFileInput(),
        description="CSV or XLSX as the ledger writes it: its header row is found and its columns offered",
        validators=[FileRequired("Select an extract from the ledger")],
    )
    sheet = StringField(
        "Sheet name (optional)",
        widget=GovTextInput(),
        description="For a workbook, the sheet to read. Leave empty for the first sheet.",
        validators=[Length(max=100)],
    )
    submit = SubmitField("Read its columns", widget=GovSubmitInput())


def _column(label: str, description: str | None = None, required: str | None = None) -> SelectField:
    validators = [InputRequired(required)] if required else []
    return SelectField(
        label, widget=GovSelect(), description=description, validate_choice=False, validators=validators
    )


class ProfileForm(AppForm):
    name = StringField(
        "Profile name",
        widget=GovTextInput(),
        description="For example, Oracle monthly income",
        validators=[
            InputRequired("Enter a name for the profile"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    #: the columns offered, as the sample file's header wrote them, one a line
    columns = HiddenField()
    # The messages are the import profile service's own, so each rule reads the same everywhere.
    date_column = _column("Date column", required="Choose the date column")
    amount_column = _column("Amount column", required="Choose the amount column")
    code_1 = _column(
        "Ledger code column", "Usually the cost centre", required="Choose the ledger code column"
    )
    code_2 = _column(
        "Second ledger code column (optional)", "Usually the account; joined to the first with -"
    )
    code_3 = _column("Third ledger code column (optional)")
    reference_column = _column("Reference column (optional)")
    description_column = _column("Description column (optional)")
    site_column = _column("Site column (optional)", "A column naming the site, as sites are named here")
    income_negative = RadioField(
        "How does this ledger print income?",
        choices=[
            SelectChoice("yes", "As negative figures (a credit): turn them positive"),
            SelectChoice("no", "As positive figures"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired("Select how this ledger prints income")],
    )
    unmapped = EnumSelectField(
        "What should happen to lines whose code belongs to no stream?",
        UnmappedLines,
        default=UnmappedLines.SKIP,
        widget=GovRadioInput(),
        message="Select what happens to lines with an unknown code",
        labels={
            UnmappedLines.SKIP: "Leave them out and report their count and total",
            UnmappedLines.REFUSE: "Refuse the whole file",
        },
    )
    version = HiddenField(filters=[optional_version])
    submit = SubmitField("Save profile", widget=GovSubmitInput())

    def offer(self, names: list[str]) -> None:
        """Offer ``names`` (the sample's header) in every column list."""
        self.columns.data = "\n".join(names)
        options = [SelectChoice(name, name) for name in names]
        for field_ in (self.date_column, self.amount_column, self.code_1):
            field_.choices = [SelectChoice("", "Choose a column"), *options]
        for field_ in (
            self.code_2,
            self.code_3,
            self.reference_column,
            self.description_column,
            self.site_column,
        ):
            field_.choices = [SelectChoice("", "None"), *options]

    def offered(self) -> list[str]:
        return [line for line in (self.columns.data or "").split("\n") if line.strip()]


class CodeMappingForm(Form):
    """One unmapped ledger code of a preview and the stream it belongs to (or none: left out)."""

    code = HiddenField()
    stream_id = IdSelectField("Stream")


class MapCodesForm(AppForm):
    """The preview's unmapped codes, each with a choice of stream: saving adds the codes to the
    streams and checks the same file again."""

    token = HiddenField()
    codes = FieldList(FormField(CodeMappingForm))
    submit = SubmitField("Add the codes and check the file again", widget=GovSubmitInput())

    def fill_choices(self, session: Session) -> None:
        streams = choices(
            session.scalars(
                select(IncomeStream)
                .where(IncomeStream.status != StreamStatus.CEASED)
                .order_by(IncomeStream.code)
            ),
            "Leave out",
        )
        for entry in self.codes:
            entry.stream_id.choices = streams
            entry.stream_id.label.text = f"Stream for {entry.code.data}"

    @classmethod
    def for_result(cls, result, token: str, session: Session) -> MapCodesForm | None:
        """The form for a preview's unmapped codes, largest total first; None when there are none."""
        if not result.unmapped or not token:
            return None
        form = cls(formdata=None, token=token)
        for code, _tally in sorted(result.unmapped.items(), key=lambda item: (-item[1].total, item[0])):
            form.codes.append_entry({"code": code, "stream_id": None})
        form.fill_choices(session)
        return form


class ConfirmImportForm(AppForm):
    token = HiddenField()
    submit = SubmitField("Import", widget=GovSubmitInput())
