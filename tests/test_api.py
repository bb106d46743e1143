"""Issue 31 (first part): the read-only API's tokens, authentication, scopes, paging, CSV, errors,
rate limit and OpenAPI 3.1 document, each response checked against the document."""

from __future__ import annotations

import base64
import csv
import io
from datetime import date, timedelta

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from sqlalchemy import select

from incometrack.models import ApiToken, AuditEvent, Role
from incometrack.models.base import utcnow
from incometrack.services import ValidationErrors, api_tokens
from tests.factories import add_entries, make_entry, make_stream


@pytest.fixture
def token_for(session, make_user):
    def make(role=Role.FINANCE, scopes=("income:read",), days=30, user=None):
        owner = user or make_user(role)
        made = api_tokens.create_token(
            session, owner, name="Power BI", scopes=list(scopes), days=days, actor=owner
        )
        session.commit()
        return made.plaintext

    return make


def get(client, url, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(url, headers=headers)


@pytest.fixture
def spec(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate_spec(document)
    return document


def conforms(spec, path: str, response) -> None:
    """The response's JSON is what the OpenAPI document says this path returns."""
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    OAS31Validator({**schema, "components": spec["components"]}).validate(response.get_json())


def conforms_as_problem(spec, path: str, response) -> None:
    """An error is what the document says this path answers with that status (or by default):
    problem JSON of the Problem schema."""
    responses = spec["paths"][path]["get"]["responses"]
    documented = responses.get(str(response.status_code), responses["default"])
    if "$ref" in documented:
        documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    schema = documented["content"][response.mimetype]["schema"]
    OAS31Validator({**schema, "components": spec["components"]}).validate(response.get_json())


def test_the_openapi_document_is_valid_3_1(spec):
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/income-entries" in spec["paths"] and "/api/v1/funders" in spec["paths"]


def test_income_entries_page_through_next_with_money_as_text_and_pence(client, session, token_for, spec):
    stream = make_stream(session, "LIB-A")
    for day in range(1, 6):
        make_entry(session, stream, date(2026, 5, day), 1000 + day)
    token = token_for()
    first = get(client, "/api/v1/income-entries?page_size=2", token)
    assert first.status_code == 200
    conforms(spec, "/api/v1/income-entries", first)
    body = first.get_json()
    assert [e["amount"] for e in body["data"]] == ["10.01", "10.02"]
    assert [e["amount_pence"] for e in body["data"]] == [1001, 1002]
    assert body["data"][0]["date_received"] == "2026-05-01" and body["data"][0]["financial_year"] == "2026-27"
    seen = body["data"]
    following = body["next"]
    assert following.startswith("http://localhost/api/v1/income-entries?")
    make_entry(session, stream, date(2026, 4, 1), 99)  # an insert meanwhile lands at the end
    while following:
        page = get(client, following.removeprefix("http://localhost"), token).get_json()
        seen += page["data"]
        following = page["next"]
    assert [e["amount_pence"] for e in seen] == [1001, 1002, 1003, 1004, 1005, 99]


def test_filters_and_a_bad_filter_named(client, session, token_for):
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 100)
    make_entry(session, stream, date(2026, 8, 1), 200)
    token = token_for()
    q2 = get(client, "/api/v1/income-entries?financial_year=2026-27&quarter=2", token).get_json()
    assert [e["amount_pence"] for e in q2["data"]] == [200]
    ranged = get(client, "/api/v1/income-entries?from=2026-04-01&to=2026-06-30", token).get_json()
    assert [e["amount_pence"] for e in ranged["data"]] == [100]
    bad = get(client, "/api/v1/income-entries?quarter=5", token)
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert "quarter" in bad.get_json()["detail"] and bad.get_json()["parameters"] == ["quarter"]
    size = get(client, "/api/v1/income-entries?page_size=5001", token)
    assert size.status_code == 400 and "page_size" in size.get_json()["detail"]
    cursor = get(client, "/api/v1/income-entries?cursor=rubbish", token)
    assert cursor.status_code == 400 and cursor.get_json()["parameter"] == "cursor"


def test_csv_at_the_same_address_is_safe_from_formulas(client, session, token_for):
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 100, description="=HYPERLINK(1)")
    response = get(client, "/api/v1/income-entries.csv", token_for())
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["amount"] == "1.00" and rows[0]["amount_pence"] == "100"
    assert rows[0]["description"].startswith("'=")


def test_basic_with_user_api_works_and_other_users_do_not(client, token_for):
    token = token_for()
    good = base64.b64encode(f"api:{token}".encode()).decode()
    assert get(client, "/api/v1/reference/services", Authorization=f"Basic {good}").status_code == 200
    bad = base64.b64encode(f"me:{token}".encode()).decode()
    assert get(client, "/api/v1/reference/services", Authorization=f"Basic {bad}").status_code == 401


@pytest.mark.parametrize("case", ["missing", "malformed", "wrong", "expired", "revoked", "disabled"])
def test_a_token_that_does_not_admit_is_401_with_www_authenticate(case, client, session, token_for):
    token = token_for()
    number = int(token.split("_")[1])
    presented = {"missing": None, "malformed": "not-a-token", "wrong": token[:-3] + "xyz"}.get(case, token)
    record = session.get(ApiToken, number)
    if case == "expired":
        record.expires_at = utcnow() - timedelta(seconds=1)
    if case == "revoked":
        api_tokens.revoke(session, record, actor=None)
    if case == "disabled":
        record.user.active = False
    session.commit()
    response = get(client, "/api/v1/reference/services", presented)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_scopes_follow_the_screens_policy(client, session, token_for, make_user):
    with pytest.raises(ValidationErrors, match="cannot give a token income:read"):
        lead = make_user(Role.LEAD)
        api_tokens.create_token(session, lead, name="x", scopes=["income:read"], days=1, actor=lead)
    token = token_for(Role.LEAD, scopes=("grants:read",))
    assert get(client, "/api/v1/funders", token).status_code == 200
    refused = get(client, "/api/v1/income-entries", token)
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"
    # a finance officer demoted to lead: the token's income:read is no longer theirs
    token = token_for(Role.FINANCE)
    number = int(token.split("_")[1])
    session.get(ApiToken, number).user.role = Role.LEAD
    session.commit()
    assert get(client, "/api/v1/income-entries", token).status_code == 403


def test_only_get_and_head(client, token_for):
    token = token_for()
    assert (
        client.head("/api/v1/reference/services", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    response = client.post("/api/v1/reference/services", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert get(client, "/api/v1/nothing-here", token).status_code == 404


@pytest.fixture
def one_minute(monkeypatch):
    """The clock stands still in the middle of a minute: a burst never straddles two."""
    from datetime import UTC, datetime

    monkeypatch.setattr(api_tokens, "utcnow", lambda: datetime(2026, 12, 8, 10, 30, 30, tzinfo=UTC))


def test_past_120_requests_a_minute_is_429_with_retry_after(client, token_for, one_minute):
    token = token_for()
    statuses = [get(client, "/api/v1/reference/services", token).status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120 and statuses[120] == 429
    last = get(client, "/api/v1/reference/services", token)
    assert last.status_code == 429 and last.headers["Retry-After"] == "30"


def test_tokens_are_made_shown_once_listed_and_revoked_on_the_screen(login_as, session):
    finance = login_as(Role.FINANCE)
    made = finance.client.post(
        "/account/api-tokens", data={"name": "Power BI", "scopes": ["income:read"], "days": "30"}
    )
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "itk_" in page
    plaintext = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    token = session.scalar(select(ApiToken))
    assert token.secret_hash not in page and plaintext.split("_", 2)[2] not in finance.client.get(
        "/account/api-tokens"
    ).get_data(as_text=True)
    assert (
        finance.client.get(
            "/api/v1/income-entries", headers={"Authorization": f"Bearer {plaintext}"}
        ).status_code
        == 200
    )
    assert finance.client.post(f"/account/api-tokens/{token.id}/revoke").status_code == 302
    assert (
        finance.client.get(
            "/api/v1/income-entries", headers={"Authorization": f"Bearer {plaintext}"}
        ).status_code
        == 401
    )
    session.reread()
    assert [
        e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.entity == "api_tokens"))
    ] == [
        "create",
        "revoke",
    ]


def test_the_cli_prints_the_token(runner, session, make_user):
    user = make_user(Role.FINANCE)
    result = runner.invoke(args=["api-token", "create", user.email, "--name", "Excel", "--scope", "income:read",
                                 "--scope", "budgets:read", "--days", "10"])  # fmt: skip
    assert result.exit_code == 0 and result.output.startswith("itk_")
    too_long = runner.invoke(args=["api-token", "create", user.email, "--name", "X", "--scope", "income:read",
                                   "--days", "366"])  # fmt: skip
    assert too_long.exit_code == 1 and "1 to 365 days" in too_long.output


def test_a_key_in_the_address_only_where_allowed_and_never_in_next(app, client, session, token_for):
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 100)
    make_entry(session, stream, date(2026, 5, 2), 200)
    token = token_for()
    assert client.get(f"/api/v1/income-entries?api_key={token}").status_code == 401
    app.config["API_ALLOW_QUERY_KEY"] = True
    page = client.get(f"/api/v1/income-entries?page_size=1&api_key={token}")
    assert page.status_code == 200 and "api_key" not in page.get_json()["next"]


def test_a_key_in_the_address_is_never_logged(app, live_server, token_for, caplog):
    """The server's request lines (the development server's, gunicorn's access log) print the
    address with the key replaced."""
    import logging

    import requests

    token = token_for()
    app.config["API_ALLOW_QUERY_KEY"] = True
    caplog.set_level("DEBUG")
    for query, status in ((f"api_key={token}", 200), (f"quarter=9&api_key={token}", 400),
                          (f"api_key={token}x", 401)):  # fmt: skip
        answer = requests.get(f"{live_server}/api/v1/income-entries?{query}", timeout=30)
        assert answer.status_code == status
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) == 3 and all("api_key=[redacted]" in line for line in lines)
    server_side = [
        r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")
    ]  # the client's own
    assert not [line for line in server_side if token.split("_", 2)[2] in line]
    # gunicorn's access log formats its line from a mapping of the request's parts
    access = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(r)s %(s)s",
                               ({"r": f"GET /api/v1/streams?api_key={token} HTTP/1.1", "s": "200"},), None)  # fmt: skip
    logging.getLogger("gunicorn.access").filters[0].filter(access)
    assert access.getMessage() == "GET /api/v1/streams?api_key=[redacted] HTTP/1.1 200"


def test_an_administrator_lists_and_revokes_anyones_token(login_as, session, token_for):
    token = token_for()
    admin = login_as(Role.ADMIN).client
    page = admin.get("/admin/api-tokens").get_data(as_text=True)
    record = session.scalar(select(ApiToken))
    assert record.user.email in page and "income:read" in page
    assert admin.post(f"/account/api-tokens/{record.id}/revoke").status_code == 302
    other = login_as(Role.FINANCE).client
    assert other.post(f"/account/api-tokens/{record.id}/revoke").status_code == 404
    session.reread()
    assert record.revoked_at is not None
    assert token


def test_every_endpoint_answers_as_the_openapi_document_says(client, session, token_for, spec, make_user):
    """The contract test: each list, with rows of every kind, validated against the document."""
    from tests.factories import make_bid, make_milestone, make_project, move

    finance = make_user(Role.FINANCE)
    stream = make_stream(session, "LIB-A")
    make_entry(session, stream, date(2026, 5, 1), 100)
    from tests.factories import make_budget

    make_budget(session, stream, 120_000_00)
    from incometrack import periods
    from incometrack.services import AS_READ, income

    income.save_forecast(session, stream, periods.FinancialYear(2026).quarter(1), 110_000_00, "Lower footfall",
                         actor=finance, expected_version=AS_READ)  # fmt: skip
    bid = move(session, make_bid(session, finance), finance, "drafting", "submitted", "awarded",
               awarded_resource=1_000_00)  # fmt: skip
    from incometrack.services import grants

    grants.add_payment(session, bid, expected_on=date(2026, 8, 1), amount_expected=500_00, actor=finance)
    project = make_project(session, finance, bid_id=bid.id)
    make_milestone(session, project, finance)
    from incometrack.models import Service, SiteKind
    from incometrack.services import reference

    admin = make_user(Role.ADMIN)
    libraries = session.scalar(select(Service.id).where(Service.name == "Libraries"))
    reference.create_site(session, name="Folkestone Library", kind=SiteKind.BRANCH_LIBRARY, service_id=libraries,
                          active=True, postcode="ct20 1hd", actor=admin)  # fmt: skip
    session.commit()
    token = token_for(Role.FINANCE, scopes=api_tokens.scopes_for(Role.FINANCE), user=finance)
    paths = [p for p in spec["paths"] if not p.endswith(".csv")]
    assert set(paths) == {
        "/api/v1/income-entries", "/api/v1/streams", "/api/v1/reference/services", "/api/v1/reference/sites",
        "/api/v1/reference/categories", "/api/v1/funders", "/api/v1/grant-payments", "/api/v1/projects",
        "/api/v1/milestones", "/api/v1/audit", "/api/v1/budgets", "/api/v1/forecasts", "/api/v1/bids",
        "/api/v1/returns/{year}/q{quarter}", "/api/v1/monitoring/{year}/p{period}",
    }  # fmt: skip
    for template, path in (("/api/v1/returns/{year}/q{quarter}", "/api/v1/returns/2026-27/q1"),
                           ("/api/v1/monitoring/{year}/p{period}", "/api/v1/monitoring/2026-27/p2")):  # fmt: skip
        response = get(client, path, token)
        assert response.status_code == 200, path
        conforms(spec, template, response)
        paths.remove(template)
    figures = get(client, "/api/v1/returns/2026-27/q1", token).get_json()
    assert figures["as_at"] == "2026-06-30" and figures["submitted"] is False
    assert figures["figures"]["streams"][0]["code"] == "LIB-A"
    assert get(client, "/api/v1/returns/2026-27/q5", token).status_code in (400, 404)
    budgets = get(client, "/api/v1/budgets?financial_year=2026-27", token).get_json()["data"]
    assert [b["period"] for b in budgets] == [f"P{n}" for n in range(1, 13)]
    assert sum(b["amount_pence"] for b in budgets) == 120_000_00
    bids = get(client, "/api/v1/bids", token).get_json()["data"]
    assert [h["status"] for h in bids[0]["history"]] == ["idea", "drafting", "submitted", "awarded"]
    for path in paths:
        response = get(client, path, token)
        assert response.status_code == 200, path
        assert response.get_json()["data"], path
        conforms(spec, path, response)
        as_csv = get(client, f"{path}.csv", token)
        assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv", path
    site = get(client, "/api/v1/reference/sites", token).get_json()["data"][0]
    assert (site["name"], site["postcode"], site["service"]) == (
        "Folkestone Library",
        "CT20 1HD",
        "Libraries",
    )
    payment = get(client, "/api/v1/grant-payments", token).get_json()["data"][0]
    assert (payment["expected_amount"], payment["expected_amount_pence"], payment["amount"]) == (
        "500.00",
        50000,
        None,
    )


def test_the_queries_a_page_makes_do_not_grow_with_its_rows(app, client, session, token_for, make_user):
    from sqlalchemy import event

    from incometrack.extensions import db
    from tests.factories import make_bid

    finance = make_user(Role.FINANCE)
    first = make_bid(session, finance, title="Bid 0")
    for n in range(1, 30):
        make_bid(session, finance, title=f"Bid {n}", funder=first.funder)
    token = token_for(Role.FINANCE, scopes=("grants:read",), user=finance)
    assert get(client, "/api/v1/bids", token).status_code == 200  # the minute's count begun
    with app.app_context():
        engine = db.engine
    counts = []
    for size in (2, 30):
        seen: list[str] = []

        def listener(_connection, _cursor, statement, *_args, seen=seen):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert len(get(client, f"/api/v1/bids?page_size={size}", token).get_json()["data"]) == size
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_each_error_has_its_status_and_problem_type(client, token_for, make_user, session, one_minute, spec):
    """What a client branches on: the status, and the problem type (RFC 9457) with it."""
    token = token_for()
    lead_token = token_for(Role.LEAD, scopes=("grants:read",))
    cases = {
        "401 no token": (client.get("/api/v1/funders"), 401, "invalid-token"),
        "403 scope": (get(client, "/api/v1/income-entries", lead_token), 403, "insufficient-scope"),
        "400 filter": (get(client, "/api/v1/income-entries?from=31/02/2026", token), 400, "invalid-request"),
        "400 cursor": (get(client, "/api/v1/streams?cursor=xyz", token), 400, "invalid-request"),
        "404": (get(client, "/api/v1/incomes", token), 404, "not-found"),
        "405": (client.delete("/api/v1/streams", headers={"Authorization": f"Bearer {token}"}), 405,
                "method-not-allowed"),
    }  # fmt: skip
    for name, (response, status, kind) in cases.items():
        assert response.status_code == status, name
        assert response.mimetype == "application/problem+json", name
        body = response.get_json()
        assert (body["status"], body["type"]) == (status, f"urn:incometrack:api:problem:{kind}"), name
        assert body["title"] and body["detail"], name
        if name != "404":  # no such path in the document
            conforms_as_problem(spec, response.request.path, response)
    assert spec["paths"]["/api/v1/income-entries"]["get"]["responses"].keys() == {"200", "400", "default"}
    challenges = cases["401 no token"][0].headers.getlist("WWW-Authenticate")
    assert challenges == ['Bearer realm="IncomeTrack"', 'Basic realm="IncomeTrack API", charset="UTF-8"']
    for _ in range(121):
        limited = get(client, "/api/v1/funders", lead_token)
    assert (
        limited.status_code == 429
        and limited.get_json()["type"] == "urn:incometrack:api:problem:too-many-requests"
    )


def test_memory_stays_flat_however_many_pages_a_walk_follows(app, client, session, token_for):
    """A walk holds one page at a time: after 60 pages the app keeps no more than after 15, and
    no page costs more at its peak. (Measured on what the app allocates: the test's own client
    and pytest's capture keep a little of every request.)"""
    import gc
    import tracemalloc

    add_entries(session, make_stream(session, "LIB-A"), 300, description="x" * 200)
    token = token_for()
    app.config["API_REQUESTS_PER_MINUTE"] = 1_000
    in_the_app = [tracemalloc.Filter(True, "*/incometrack/*", all_frames=True)]

    def walk(pages: int) -> tuple[int, int]:
        """(the largest page's peak, what the app still holds after the walk), in bytes"""
        url, seen, largest = "/api/v1/income-entries?page_size=5", 0, 0
        while url and seen < pages:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            body = get(client, url, token).get_json()
            largest = max(largest, tracemalloc.get_traced_memory()[1] - before)
            url, seen = body["next"] and body["next"].removeprefix("http://localhost"), seen + 1
        assert seen == pages
        gc.collect()
        held = sum(t.size for t in tracemalloc.take_snapshot().filter_traces(in_the_app).traces)
        return largest, held

    tracemalloc.start(10)
    try:
        walk(20)  # bounded caches (compiled statements, parsed addresses) filled before measuring
        short, long = walk(15), walk(60)
    finally:
        tracemalloc.stop()
    assert long[0] <= short[0] + 16 * 1024, (short, long)  # a page costs about 65 KiB at its peak
    # 45 more pages held would be over 100 KiB; a pool's table growing once is about 18 KiB
    assert long[1] <= short[1] + 32 * 1024, (short, long)
