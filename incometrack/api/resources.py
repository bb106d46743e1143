"""The API's resources: each a GET of one list (JSON, or CSV at the same address with ``.csv``),
paged by a keyset cursor, filtered by query parameters, visible to a token only within its scopes
and its owner's role. The marshmallow schemas here serialise the responses and describe them in
the OpenAPI document, so the two cannot disagree."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, wraps

from flask import Response, g, request, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, select

from incometrack import periods
from incometrack.api.errors import ApiProblem
from incometrack.api.spec import ApiBlueprint as Blueprint
from incometrack.exports.safe_text import spreadsheet_text
from incometrack.extensions import db
from incometrack.models import (
    AuditEvent,
    BidStatusChange,
    Budget,
    Forecast,
    Funder,
    GrantBid,
    GrantPayment,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    Milestone,
    Project,
    Service,
    Site,
    User,
)
from incometrack.money import format_plain
from incometrack.services import api_tokens

MAX_PAGE = 5000
DEFAULT_PAGE = 1000


# Who is asking --------------------------------------------------------------------------------


def _presented() -> str | None:
    """The token the request carries: ``Authorization: Bearer``, or Basic with user ``api``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return password if user == "api" else ""
    from flask import current_app

    if current_app.config.get("API_ALLOW_QUERY_KEY") and (key := request.args.get("api_key")):
        return key
    return None


def _unauthorised(detail: str) -> ApiProblem:
    # Bearer first; Basic beside it, so a client holding a user name and password (Excel, Power
    # Query's Basic credential, curl) answers the challenge with user api and the token.
    return ApiProblem(
        401,
        detail,
        headers=[
            ("WWW-Authenticate", 'Bearer realm="IncomeTrack"'),
            ("WWW-Authenticate", 'Basic realm="IncomeTrack API", charset="UTF-8"'),
        ],
    )


def authenticate() -> None:
    """Admit the request's token (401 without one that is live) and count it (429 past the limit)."""
    from incometrack.database import start_writing

    presented = _presented()
    if not presented:
        raise _unauthorised("Send a token: Authorization: Bearer itk_…, or HTTP Basic with user api")
    try:
        token = api_tokens.authenticate(db.session, presented)
    except api_tokens.BadToken as reason:
        raise _unauthorised(f"The token is not valid ({reason})") from None
    start_writing(db.session)
    count, wait = api_tokens.count_request(db.session, token)
    db.session.commit()
    from flask import current_app

    limit = current_app.config["API_REQUESTS_PER_MINUTE"]
    if count > limit:
        raise ApiProblem(
            429,
            f"More than {limit} requests a minute with this token: wait {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    g.api_token = token
    g.api_user = token.user


def requires(scope: str) -> Callable:
    """The view answers only a token holding ``scope`` whose owner's role may read it."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            authenticate()
            token = g.api_token
            if scope not in token.scopes or scope not in api_tokens.scopes_for(token.user.role):
                raise ApiProblem(
                    403, f"This token does not hold the scope {scope}", error="insufficient_scope"
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


# Paging ---------------------------------------------------------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _, number = text.partition(":")
    if kind != "id" or not number.isdigit():
        raise ApiProblem(
            400, "cursor: not a cursor this API gave (use the next address as it is)", parameter="cursor"
        )
    return int(number)


class PageArgs(Schema):
    page_size = fields.Integer(
        load_default=DEFAULT_PAGE,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": f"Rows a page, 1 to {MAX_PAGE:,}"},
    )
    cursor = fields.String(
        load_default=None, metadata={"description": "Where the previous page ended: follow next"}
    )


@dataclass(frozen=True)
class Page:
    data: list
    next: str | None
    as_of: datetime


def page_of(statement: Select, key, args: dict, shape: Callable[[tuple], dict]) -> Page:
    """Rows after the cursor in ``key`` order, one more than the page asked for to know whether
    another page follows (a handful of statements a page, whatever the table's size)."""
    size = args["page_size"]
    if args.get("cursor"):
        statement = statement.where(key > decode_cursor(args["cursor"]))
    rows = db.session.execute(statement.order_by(key).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    following = None
    if more:
        query = {k: v for k, v in request.args.items() if k not in ("cursor", "api_key")}
        following = url_for(
            request.endpoint, _external=True, **request.view_args, **query, cursor=encode_cursor(rows[-1][0])
        )
    return Page([shape(row) for row in rows], following, datetime.now(UTC))


@cache
def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The page of ``item`` rows, made once (two lists of one row type share one schema)."""
    return Schema.from_dict(
        {
            "data": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                allow_none=True, required=True, metadata={"description": "The next page's address, or null"}
            ),
            "as_of": fields.DateTime(required=True, metadata={"description": "When the page was read"}),
        },
        name=name,
    )


def money(pence: int | None) -> dict:
    """``{"amount": "1234.50", "amount_pence": 123450}`` (``-12.00`` for a refund; nulls for none)."""
    return {"amount": None if pence is None else format_plain(pence), "amount_pence": pence}


@cache
def year_label(start: int) -> str:
    return periods.FinancialYear(start).label


def _converter(field: fields.Field) -> Callable[[object], object] | None:
    """How one field of a schema writes a value, read off the field's type: a date or time as ISO
    8601, a list or nested schema through its own fields; None where the value is written as it
    is (text, numbers, booleans)."""
    if isinstance(field, fields.Date | fields.DateTime):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, fields.List):
        inner = _converter(field.inner)
        return None if inner is None else (lambda v: None if v is None else [inner(x) for x in v])
    if isinstance(field, fields.Nested):
        nested = serialiser(type(field.schema))
        return lambda v: None if v is None else nested(v)
    return None


_SERIALISERS: dict[type[Schema], Callable[[dict], dict]] = {}


def serialiser(schema: type[Schema]) -> Callable[[dict], dict]:
    """A writer of ``schema``'s rows made from its own fields, once a schema: the schema stays the
    one description of a response (the OpenAPI document is generated from it, and a contract test
    checks every response against that), without marshmallow's per-value work on every row of a
    thousand-row page. A row (a fresh dict of the schema's fields) is converted in place."""
    if schema not in _SERIALISERS:
        names = tuple(schema().fields)
        plan = tuple(
            (name, convert) for name, field in schema().fields.items() if (convert := _converter(field))
        )

        def write(row: dict) -> dict:
            if row.keys() != set(names):
                row = {name: row.get(name) for name in names}
            for name, convert in plan:
                row[name] = convert(row[name])
            return row

        _SERIALISERS[schema] = write
    return _SERIALISERS[schema]


def respond(page: Page, schema: type[Schema], csv_columns: tuple[str, ...] | None, as_csv: bool):
    if not as_csv:
        body = serialiser(schema)({"data": page.data, "next": page.next, "as_of": page.as_of})
        return Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_columns)
    for row in page.data:
        writer.writerow(
            [
                spreadsheet_text(v) if isinstance(v, str) else ("" if v is None else v)
                for v in (row[c] for c in csv_columns)
            ]
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    if page.next:
        response.headers["Link"] = (
            f'<{page.next.replace("?", ".csv?", 1) if ".csv" not in page.next else page.next}>; rel="next"'
        )
    return response


# Filters --------------------------------------------------------------------------------------


def _year(text: str) -> periods.FinancialYear:
    try:
        return periods.FinancialYear(int(text)) if text.isdigit() else periods.FinancialYear.parse(text)
    except (periods.PeriodError, ValueError):
        raise ValidationError("Give a financial year like 2026-27") from None


class IncomeArgs(PageArgs):
    financial_year = fields.String(load_default=None, metadata={"description": "2026-27 (or 2026)"})
    quarter = fields.Integer(load_default=None, validate=validate.Range(1, 4))
    period = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 12),
        metadata={"description": "P1 (April) to P12 (March)"},
    )
    from_ = fields.Date(
        data_key="from", load_default=None, metadata={"description": "Received on or after (ISO date)"}
    )
    to = fields.Date(load_default=None, metadata={"description": "Received on or before (ISO date)"})
    service = fields.String(load_default=None, metadata={"description": "A service's name"})
    stream = fields.String(load_default=None, metadata={"description": "A stream's code"})
    updated_since = fields.DateTime(
        load_default=None, metadata={"description": "Entered at or after (ISO date-time)"}
    )

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("financial_year"):
            _year(data["financial_year"])


class Entry(Schema):
    id = fields.Integer(required=True)
    date_received = fields.Date(required=True)
    financial_year = fields.String(required=True)
    quarter = fields.Integer(required=True)
    period = fields.Integer(required=True)
    stream_code = fields.String(required=True)
    stream = fields.String(required=True)
    service = fields.String(required=True)
    category = fields.String(required=True)
    site = fields.String(allow_none=True, required=True)
    reference = fields.String(required=True)
    description = fields.String(required=True)
    amount = fields.String(required=True, metadata={"description": "Pounds, two decimals, as text"})
    amount_pence = fields.Integer(required=True)
    entered_at = fields.DateTime(required=True)


EntryPage = page_schema(Entry, "IncomeEntryPage")
ENTRY_CSV = tuple(Entry._declared_fields)


income = Blueprint("api_income", __name__, url_prefix="/api/v1", description="Income")


def _entries(args: dict) -> Select:
    statement = (
        select(
            IncomeEntry.id,
            IncomeEntry.date_received,
            IncomeEntry.financial_year,
            IncomeEntry.quarter,
            IncomeEntry.period,
            IncomeStream.code,
            IncomeStream.name,
            Service.name,
            IncomeCategory.name,
            Site.name,
            IncomeEntry.reference,
            IncomeEntry.description,
            IncomeEntry.amount,
            IncomeEntry.entered_at,
        )
        .join(IncomeStream, IncomeStream.id == IncomeEntry.stream_id)
        .join(Service, Service.id == IncomeStream.service_id)
        .join(IncomeCategory, IncomeCategory.id == IncomeStream.category_id)
        .outerjoin(Site, Site.id == IncomeEntry.site_id)
    )
    if args.get("financial_year"):
        statement = statement.where(IncomeEntry.financial_year == _year(args["financial_year"]).start)
    for name in ("quarter", "period"):
        if args.get(name):
            statement = statement.where(getattr(IncomeEntry, name) == args[name])
    if args.get("from_"):
        statement = statement.where(IncomeEntry.date_received >= args["from_"])
    if args.get("to"):
        statement = statement.where(IncomeEntry.date_received <= args["to"])
    if args.get("service"):
        statement = statement.where(Service.name == args["service"])
    if args.get("stream"):
        statement = statement.where(IncomeStream.code == args["stream"])
    if args.get("updated_since"):
        statement = statement.where(IncomeEntry.entered_at >= args["updated_since"])
    return statement


def _entry(row) -> dict:
    (
        id_,
        received,
        year,
        quarter,
        period,
        code,
        name,
        service,
        category,
        site,
        reference,
        description,
        amount,
        entered_at,
    ) = row
    return {
        "id": id_,
        "date_received": received,
        "financial_year": year_label(year),
        "quarter": quarter,
        "period": period,
        "stream_code": code,
        "stream": name,
        "service": service,
        "category": category,
        "site": site,
        "reference": reference,
        "description": description,
        **money(amount),
        "entered_at": entered_at,
    }


@income.route("/income-entries")
@income.route("/income-entries.csv", endpoint="IncomeEntriesCsv")
class IncomeEntries(MethodView):
    @income.arguments(IncomeArgs, location="query")
    @income.response(200, EntryPage)
    @requires("income:read")
    def get(self, args):
        """Income entries, the oldest recorded first; CSV at the same address with .csv"""
        page = page_of(_entries(args), IncomeEntry.id, args, _entry)
        return respond(page, EntryPage, ENTRY_CSV, request.path.endswith(".csv"))


# Reference data ------------------------------------------------------------------------------


class Named(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)


class SiteRow(Named):
    kind = fields.String(required=True)
    service = fields.String(required=True)
    postcode = fields.String(required=True)


reference = Blueprint("api_reference", __name__, url_prefix="/api/v1/reference", description="Reference data")


# Funders --------------------------------------------------------------------------------------


class FunderRow(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)


grants = Blueprint("api_grants", __name__, url_prefix="/api/v1", description="Grants")


# Further lists, each declared once: its address, scope, row schema, statement and row shape -----


def listing(
    blueprint: Blueprint,
    path: str,
    *,
    scope: str,
    item: type[Schema],
    key,
    statement,
    shape,
    doc: str,
    args: type[Schema] = PageArgs,
    name: str | None = None,
) -> None:
    """Register ``path`` (and ``path.csv``) on ``blueprint``: a page of ``statement``'s rows in
    ``key`` order, each made a dict by ``shape``, readable with ``scope``. ``name`` names the view
    where two lists share a row type (by default the row type's name)."""
    name = name or item.__name__
    page_type = page_schema(item, f"{item.__name__}Page")
    columns = tuple(item._declared_fields)

    def get(self, query):
        page = page_of(statement(query), key, query, shape)
        return respond(page, page_type, columns, request.path.endswith(".csv"))

    get.__doc__ = doc
    view = type(
        f"{name}List",
        (MethodView,),
        {
            "get": blueprint.arguments(args, location="query")(
                blueprint.response(200, page_type)(requires(scope)(get))
            )
        },
    )
    blueprint.route(path)(view)
    blueprint.route(f"{path}.csv", endpoint=f"{name}Csv")(view)


def _named(model):
    return lambda _q: select(model.id, model.name, model.active)


def _named_row(r) -> dict:
    return {"id": r[0], "name": r[1], "active": r[2]}


for _path, _model, _doc, _name in (
    ("/services", Service, "The services (Libraries, Registration, Archives)", "Services"),
    ("/categories", IncomeCategory, "The income categories", "Categories"),
):
    listing(reference, _path, scope="income:read", item=Named, key=_model.id, statement=_named(_model),
            shape=_named_row, doc=_doc, name=_name)  # fmt: skip
listing(
    reference,
    "/sites",
    scope="income:read",
    item=SiteRow,
    key=Site.id,
    statement=lambda _q: select(Site.id, Site.name, Site.active, Site.kind, Service.name, Site.postcode).join(
        Service
    ),
    shape=lambda r: {
        "id": r[0],
        "name": r[1],
        "active": r[2],
        "kind": r[3].value,
        "service": r[4],
        "postcode": r[5],
    },
    doc="The sites, with their service and postcode",
)
listing(
    grants,
    "/funders",
    scope="grants:read",
    item=FunderRow,
    key=Funder.id,
    statement=lambda _q: select(Funder.id, Funder.name, Funder.type),
    shape=lambda r: {"id": r[0], "name": r[1], "type": r[2].value},
    doc="The funders",
)


class StreamRow(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    service = fields.String(required=True)
    category = fields.String(required=True)
    status = fields.String(required=True)


listing(
    income,
    "/streams",
    scope="income:read",
    item=StreamRow,
    key=IncomeStream.id,
    statement=lambda q: (
        select(
            IncomeStream.id,
            IncomeStream.code,
            IncomeStream.name,
            Service.name,
            IncomeCategory.name,
            IncomeStream.status,
        )
        .join(Service, Service.id == IncomeStream.service_id)
        .join(IncomeCategory, IncomeCategory.id == IncomeStream.category_id)
    ),
    shape=lambda r: {
        "id": r[0],
        "code": r[1],
        "name": r[2],
        "service": r[3],
        "category": r[4],
        "status": r[5].value,
    },
    doc="Income streams, with their service, category and status",
)


class PaymentRow(Schema):
    id = fields.Integer(required=True)
    bid_id = fields.Integer(required=True)
    bid = fields.String(required=True)
    expected_on = fields.Date(required=True)
    expected_amount = fields.String(required=True)
    expected_amount_pence = fields.Integer(required=True)
    received_on = fields.Date(allow_none=True, required=True)
    amount = fields.String(allow_none=True, required=True, metadata={"description": "Received, pounds"})
    amount_pence = fields.Integer(allow_none=True, required=True)


listing(
    grants,
    "/grant-payments",
    scope="grants:read",
    item=PaymentRow,
    key=GrantPayment.id,
    statement=lambda q: select(
        GrantPayment.id,
        GrantBid.id,
        GrantBid.title,
        GrantPayment.expected_on,
        GrantPayment.amount_expected,
        GrantPayment.received_on,
        GrantPayment.amount_received,
    ).join(GrantBid, GrantBid.id == GrantPayment.bid_id),
    shape=lambda r: {
        "id": r[0],
        "bid_id": r[1],
        "bid": r[2],
        "expected_on": r[3],
        "expected_amount": money(r[4])["amount"],
        "expected_amount_pence": r[4],
        "received_on": r[5],
        **money(r[6]),
    },
    doc="Grant payments, expected and received",
)


class ProjectRow(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    service = fields.String(required=True)
    lead = fields.String(required=True)
    bid_id = fields.Integer(allow_none=True, required=True)


projects = Blueprint("api_projects", __name__, url_prefix="/api/v1", description="Projects")
listing(
    projects,
    "/projects",
    scope="projects:read",
    item=ProjectRow,
    key=Project.id,
    statement=lambda q: (
        select(Project.id, Project.name, Service.name, User.name, Project.bid_id)
        .join(Service, Service.id == Project.service_id)
        .join(User, User.id == Project.lead_id)
    ),
    shape=lambda r: {"id": r[0], "name": r[1], "service": r[2], "lead": r[3], "bid_id": r[4]},
    doc="Projects, with their service, lead and the grant that funds them",
)


class MilestoneRow(Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    project = fields.String(required=True)
    title = fields.String(required=True)
    baseline_due = fields.Date(required=True)
    forecast_due = fields.Date(required=True)
    completed_on = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True)


listing(
    projects,
    "/milestones",
    scope="projects:read",
    item=MilestoneRow,
    key=Milestone.id,
    statement=lambda q: select(
        Milestone.id,
        Project.id,
        Project.name,
        Milestone.title,
        Milestone.baseline_due,
        Milestone.forecast_due,
        Milestone.completed_on,
        Milestone.status,
    ).join(Project, Project.id == Milestone.project_id),
    shape=lambda r: {
        "id": r[0],
        "project_id": r[1],
        "project": r[2],
        "title": r[3],
        "baseline_due": r[4],
        "forecast_due": r[5],
        "completed_on": r[6],
        "status": r[7].value,
    },
    doc="Milestones: baseline, forecast, completion and status",
)


class AuditRow(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    user = fields.String(allow_none=True, required=True)
    action = fields.String(required=True)
    entity = fields.String(required=True)
    entity_id = fields.Integer(allow_none=True, required=True)
    summary = fields.String(required=True)


audit = Blueprint("api_audit", __name__, url_prefix="/api/v1", description="Audit log")
listing(
    audit,
    "/audit",
    scope="audit:read",
    item=AuditRow,
    key=AuditEvent.id,
    statement=lambda q: select(
        AuditEvent.id,
        AuditEvent.at,
        User.email,
        AuditEvent.action,
        AuditEvent.entity,
        AuditEvent.entity_id,
        AuditEvent.summary,
    ).outerjoin(User, User.id == AuditEvent.user_id),
    shape=lambda r: {
        "id": r[0],
        "at": r[1],
        "user": r[2],
        "action": r[3],
        "entity": r[4],
        "entity_id": r[5],
        "summary": r[6],
    },
    doc="The audit log: who changed what, when",
)

# Budgets: one row a stream, year and month period ----------------------------------------------


class BudgetRow(Schema):
    id = fields.String(required=True, metadata={"description": "The budget and its period, e.g. 12-P07"})
    stream_code = fields.String(required=True)
    financial_year = fields.String(required=True)
    period = fields.String(required=True, metadata={"description": "P1 (April) to P12 (March)"})
    amount = fields.String(required=True)
    amount_pence = fields.Integer(required=True)


class BudgetArgs(PageArgs):
    financial_year = fields.String(load_default=None, metadata={"description": "2026-27 (or 2026)"})
    stream = fields.String(load_default=None, metadata={"description": "A stream's code"})

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("financial_year"):
            _year(data["financial_year"])


def _budgets(query: dict) -> Select:
    """Each budget twelve times, once a period (a row's key: the budget's id times 12 plus its
    period less one, so the keyset pages through periods in order)."""
    from sqlalchemy import case, literal, union_all

    numbers = union_all(*(select(literal(n).label("p")) for n in range(1, 13))).subquery()
    amount = case(*((numbers.c.p == n, getattr(Budget, f"p{n}")) for n in range(1, 13)))
    statement = (
        select(Budget.id * 12 + numbers.c.p - 1, IncomeStream.code, Budget.year, numbers.c.p, amount)
        .join(IncomeStream, IncomeStream.id == Budget.stream_id)
        .join(numbers, literal(True))
    )
    if query.get("financial_year"):
        statement = statement.where(Budget.year == _year(query["financial_year"]).start)
    if query.get("stream"):
        statement = statement.where(IncomeStream.code == query["stream"])
    return statement


def _budget(r) -> dict:
    key, code, year, period, amount = r
    return {
        "id": f"{key // 12}-P{period:02d}",
        "stream_code": code,
        "financial_year": year_label(year),
        "period": f"P{period}",
        **money(amount),
    }


class ForecastRow(Schema):
    id = fields.Integer(required=True)
    stream_code = fields.String(required=True)
    financial_year = fields.String(required=True)
    quarter = fields.Integer(required=True)
    outturn = fields.String(
        allow_none=True, required=True, metadata={"description": "Forecast outturn, pounds"}
    )
    outturn_pence = fields.Integer(allow_none=True, required=True)
    commentary = fields.String(required=True)
    entered_at = fields.DateTime(required=True)


budgets = Blueprint("api_budgets", __name__, url_prefix="/api/v1", description="Budgets and forecasts")


def _register_budgets() -> None:
    page_type = page_schema(BudgetRow, "BudgetRowPage")
    columns = tuple(BudgetRow._declared_fields)

    @budgets.route("/budgets")
    @budgets.route("/budgets.csv", endpoint="BudgetsCsv")
    class Budgets(MethodView):
        @budgets.arguments(BudgetArgs, location="query")
        @budgets.response(200, page_type)
        @requires("budgets:read")
        def get(self, query):
            """Budgets: one row a stream, financial year and month period (P1-P12)"""
            statement = _budgets(query)
            key = statement.selected_columns[0]
            page = page_of(statement, key, query, _budget)
            return respond(page, page_type, columns, request.path.endswith(".csv"))


_register_budgets()
listing(
    budgets,
    "/forecasts",
    scope="budgets:read",
    item=ForecastRow,
    key=Forecast.id,
    statement=lambda q: select(
        Forecast.id,
        IncomeStream.code,
        Forecast.year,
        Forecast.quarter,
        Forecast.outturn,
        Forecast.commentary,
        Forecast.entered_at,
    ).join(IncomeStream, IncomeStream.id == Forecast.stream_id),
    shape=lambda r: {
        "id": r[0],
        "stream_code": r[1],
        "financial_year": year_label(r[2]),
        "quarter": r[3],
        "outturn": money(r[4])["amount"],
        "outturn_pence": r[4],
        "commentary": r[5],
        "entered_at": r[6],
    },
    doc="Forecast outturns as entered each quarter, with their commentary",
)


# Bids with their status history ----------------------------------------------------------------


class StatusChange(Schema):
    status = fields.String(required=True)
    changed_on = fields.Date(required=True)


class BidRow(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    funder = fields.String(required=True)
    status = fields.String(required=True)
    amount_requested = fields.String(required=True)
    amount_requested_pence = fields.Integer(required=True)
    amount = fields.String(required=True, metadata={"description": "Awarded (resource and capital), pounds"})
    amount_pence = fields.Integer(required=True)
    history = fields.List(fields.Nested(StatusChange), required=True)


def _bids_page(query: dict) -> Page:
    """A page of bids and, in one more query, the status history of the bids on it."""
    statement = select(
        GrantBid.id,
        GrantBid.title,
        Funder.name,
        GrantBid.status,
        GrantBid.amount_requested,
        GrantBid.awarded_resource,
        GrantBid.awarded_capital,
    ).join(Funder)
    page = page_of(
        statement,
        GrantBid.id,
        query,
        lambda r: {
            "id": r[0],
            "title": r[1],
            "funder": r[2],
            "status": r[3].value,
            "amount_requested": money(r[4])["amount"],
            "amount_requested_pence": r[4],
            **money((r[5] or 0) + (r[6] or 0)),
            "history": [],
        },
    )
    by_id = {row["id"]: row for row in page.data}
    if by_id:
        for bid_id, status, day in db.session.execute(
            select(BidStatusChange.bid_id, BidStatusChange.to_status, BidStatusChange.changed_on)
            .where(BidStatusChange.bid_id.in_(by_id))
            .order_by(BidStatusChange.bid_id, BidStatusChange.id)
        ):
            by_id[bid_id]["history"].append({"status": status.value, "changed_on": day})
    return page


BidPage = page_schema(BidRow, "BidPage")


@grants.route("/bids")
@grants.route("/bids.csv", endpoint="BidsCsv")
class Bids(MethodView):
    @grants.arguments(PageArgs, location="query")
    @grants.response(200, BidPage)
    @requires("grants:read")
    def get(self, query):
        """Grant bids with their status history (in CSV, the history as status:date pairs)"""
        page = _bids_page(query)
        if request.path.endswith(".csv"):
            for row in page.data:
                row["history"] = "; ".join(
                    f"{h['status']}:{h['changed_on']:%Y-%m-%d}" for h in row["history"]
                )
        return respond(page, BidPage, tuple(BidRow._declared_fields), request.path.endswith(".csv"))


# The return and the monitoring pack ------------------------------------------------------------


class ReturnFigures(Schema):
    as_at = fields.Date(required=True)
    submitted = fields.Boolean(
        required=True, metadata={"description": "The submitted snapshot, not live figures"}
    )
    figures = fields.Dict(required=True, metadata={"description": "Every section of the return, as computed"})


returns = Blueprint("api_returns", __name__, url_prefix="/api/v1", description="Returns and monitoring")


def _figures(report) -> dict:
    import json

    from incometrack.reports.returns import _encode

    figures = _encode(report)
    return {
        "as_at": report.meta.period_end,
        "submitted": report.submitted,
        "figures": json.loads(json.dumps(figures)),
    }


@returns.route("/returns/<year>/q<int:quarter>")
class Return(MethodView):
    @returns.response(200, ReturnFigures)
    @requires("returns:read")
    def get(self, year, quarter):
        """The quarterly return's figures: the submitted snapshot, or computed as at the quarter's end"""
        from flask import current_app

        from incometrack.reports.returns import return_for

        try:
            period = periods.Quarter.parse(year, str(quarter))
        except periods.PeriodError as error:
            raise ApiProblem(400, f"quarter: {error}", parameter="quarter") from None
        meta = {
            "council": current_app.config["COUNCIL_NAME"],
            "service_name": current_app.config["SERVICE_NAME"],
        }
        return _figures(return_for(db.session, period, **meta))


@returns.route("/monitoring/<year>/p<period>")
class Monitoring(MethodView):
    @returns.response(200, ReturnFigures)
    @requires("returns:read")
    def get(self, year, period):
        """Budget monitoring's figures as at a month period's end"""
        from flask import current_app

        from incometrack.reports.returns import build_monitoring

        try:
            month = periods.MonthPeriod.parse(year, period)
        except periods.PeriodError as error:
            raise ApiProblem(400, f"period: {error}", parameter="period") from None
        meta = {
            "council": current_app.config["COUNCIL_NAME"],
            "service_name": current_app.config["SERVICE_NAME"],
        }
        return _figures(build_monitoring(db.session, month, **meta))


BLUEPRINTS = (income, reference, budgets, grants, projects, returns, audit)
