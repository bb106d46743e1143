"""Every route, every role: who may reach what (issue: Security and reliability).

The table below is the access policy. A test fails if a route exists that the table does not
classify, so a new view cannot ship without a decision about who may use it.
"""

from datetime import date

import pytest
from sqlalchemy import func, select

from incometrack.models import Base, Role
from incometrack.services import AS_READ, grants, imports, income, locks
from tests.conftest import PASSWORD
from tests.factories import make_bid, make_budget, make_entry, make_milestone, make_project, make_stream, move

A, F, L, V = Role.ADMIN, Role.FINANCE, Role.LEAD, Role.VIEWER
EVERYONE = {A, F, L, V}
READERS = {A, F, V}
WRITERS = {A, F}
ADMIN = {A}
#: Leads may open these creation forms (for work they lead) but not another lead's records.
LEAD_CREATES = {A, F, L}

POLICY = {
    ("main.home", "GET"): EVERYONE,
    ("income.import_map", "POST"): WRITERS,
    # one's own jobs: anyone else's is a 404 (tests/test_jobs.py)
    ("jobs.index", "GET"): EVERYONE,
    ("jobs.progress", "GET"): EVERYONE,
    ("jobs.progress_json", "GET"): EVERYONE,
    ("jobs.download", "GET"): EVERYONE,
    ("auth.logout", "POST"): EVERYONE,
    ("admin.users_list", "GET"): ADMIN,
    ("admin.user_new", "GET"): ADMIN,
    ("admin.user_new", "POST"): ADMIN,
    ("admin.user_detail", "GET"): ADMIN,
    ("admin.user_role", "POST"): ADMIN,
    ("admin.user_password", "POST"): ADMIN,
    ("admin.user_active", "GET"): ADMIN,
    ("admin.user_active", "POST"): ADMIN,
    ("admin.audit", "GET"): WRITERS,
    ("admin.reference", "GET"): ADMIN,
    ("admin.service_form", "GET"): ADMIN,
    ("admin.service_form", "POST"): ADMIN,
    ("admin.site_form", "GET"): ADMIN,
    ("admin.site_form", "POST"): ADMIN,
    ("admin.category_form", "GET"): ADMIN,
    ("admin.category_form", "POST"): ADMIN,
    ("income.index", "GET"): READERS,
    ("income.streams", "GET"): READERS,
    ("income.stream_new", "GET"): WRITERS,
    ("income.stream_new", "POST"): WRITERS,
    ("income.stream_detail", "GET"): READERS,
    ("income.stream_edit", "GET"): WRITERS,
    ("income.stream_edit", "POST"): WRITERS,
    ("income.stream_cease", "GET"): WRITERS,
    ("income.stream_cease", "POST"): WRITERS,
    ("income.budget_edit", "GET"): WRITERS,
    ("income.budget_edit", "POST"): WRITERS,
    ("income.budgets_current", "GET"): READERS,
    ("income.budget_grid", "GET"): READERS,
    ("income.budget_grid", "POST"): WRITERS,
    ("income.entries", "GET"): READERS,
    ("income.entry_new", "GET"): WRITERS,
    ("income.entry_new", "POST"): WRITERS,
    ("income.entry_edit", "GET"): WRITERS,
    ("income.entry_edit", "POST"): WRITERS,
    ("income.entry_delete", "GET"): WRITERS,
    ("income.entry_delete", "POST"): WRITERS,
    ("income.forecast_edit", "GET"): WRITERS,
    ("income.forecast_edit", "POST"): WRITERS,
    ("income.locks", "GET"): READERS,
    ("income.locks", "POST"): WRITERS,
    ("income.lock_reopen", "GET"): ADMIN,
    ("income.lock_reopen", "POST"): ADMIN,
    ("income.import_upload", "GET"): WRITERS,
    ("income.import_upload", "POST"): WRITERS,
    ("income.import_confirm", "POST"): WRITERS,
    ("income.import_template", "GET"): WRITERS,
    ("income.entries_batch", "GET"): WRITERS,
    ("income.entries_batch", "POST"): WRITERS,
    ("income.import_profiles", "GET"): WRITERS,
    ("income.import_profile_new", "GET"): WRITERS,
    ("income.import_profile_new", "POST"): WRITERS,
    ("income.import_profile_edit", "GET"): WRITERS,
    ("income.import_profile_edit", "POST"): WRITERS,
    ("income.import_batches", "GET"): READERS,
    ("income.import_batch", "GET"): READERS,
    ("income.import_undo", "GET"): WRITERS,
    ("income.import_undo", "POST"): WRITERS,
    ("grants.bids", "GET"): EVERYONE,
    ("grants.pipeline", "GET"): EVERYONE,
    ("grants.due", "GET"): EVERYONE,
    ("grants.bid_new", "GET"): LEAD_CREATES,
    ("grants.bid_new", "POST"): LEAD_CREATES,
    ("grants.bid_detail", "GET"): EVERYONE,
    ("grants.bid_edit", "GET"): WRITERS,  # the bid is led by another lead
    ("grants.bid_edit", "POST"): WRITERS,
    ("grants.bid_move", "GET"): WRITERS,
    ("grants.bid_move", "POST"): WRITERS,
    ("grants.payment_add", "POST"): WRITERS,
    ("grants.payment_receive", "GET"): WRITERS,
    ("grants.payment_receive", "POST"): WRITERS,
    ("grants.spend_add", "POST"): WRITERS,
    ("grants.report_add", "POST"): WRITERS,
    ("grants.report_submitted", "GET"): WRITERS,
    ("grants.report_submitted", "POST"): WRITERS,
    ("grants.funders", "GET"): EVERYONE,
    ("grants.funder_detail", "GET"): EVERYONE,
    ("grants.funder_form", "GET"): WRITERS,
    ("grants.funder_form", "POST"): WRITERS,
    ("grants.programme_form", "GET"): WRITERS,
    ("grants.programme_form", "POST"): WRITERS,
    ("projects.index", "GET"): EVERYONE,
    ("projects.project_new", "GET"): LEAD_CREATES,
    ("projects.project_new", "POST"): LEAD_CREATES,
    ("projects.detail", "GET"): EVERYONE,
    ("projects.project_edit", "GET"): WRITERS,  # the project is led by another lead
    ("projects.project_edit", "POST"): WRITERS,
    ("projects.milestone_add", "POST"): WRITERS,
    ("projects.milestone_detail", "GET"): EVERYONE,
    ("projects.milestone_update", "GET"): WRITERS,
    ("projects.milestone_update", "POST"): WRITERS,
    ("projects.milestone_rebaseline", "GET"): ADMIN,
    ("projects.milestone_rebaseline", "POST"): ADMIN,
    ("projects.milestone_edit", "GET"): WRITERS,
    ("projects.milestone_edit", "POST"): WRITERS,
    ("projects.my_milestones", "GET"): EVERYONE,
    ("projects.all_milestones", "GET"): READERS,
    ("impact.measures", "GET"): ADMIN,
    ("impact.measure_form", "GET"): ADMIN,
    ("impact.measure_form", "POST"): ADMIN,
    ("impact.project_impact", "GET"): EVERYONE,
    # the project is led by another lead
    ("impact.target_form", "GET"): WRITERS,
    ("impact.target_form", "POST"): WRITERS,
    ("impact.result_form", "GET"): WRITERS,
    ("impact.result_form", "POST"): WRITERS,
    ("impact.evidence_new", "GET"): WRITERS,
    ("impact.evidence_new", "POST"): WRITERS,
    ("impact.evidence_detail", "GET"): EVERYONE,
    ("impact.evidence_file", "GET"): EVERYONE,
    ("impact.evidence_approve", "POST"): WRITERS,
    ("impact.evidence_consent", "POST"): WRITERS,
    ("impact.evidence_withdraw", "POST"): WRITERS,
    ("impact.activity_report", "POST"): EVERYONE,
    ("returns.index", "GET"): READERS,
    ("returns.preview", "GET"): READERS,
    ("returns.download", "POST"): READERS,
    ("monitoring.index", "GET"): READERS,
    ("monitoring.pack", "GET"): READERS,
    ("monitoring.download", "POST"): READERS,
    ("returns.submit", "GET"): WRITERS,
    ("returns.submit", "POST"): WRITERS,
    ("returns.commentary", "GET"): WRITERS,
    ("returns.commentary", "POST"): WRITERS,
    ("account.index", "GET"): EVERYONE,
    ("account.index", "POST"): EVERYONE,
    ("account.new_calendar_link", "POST"): EVERYONE,
    ("account.api_tokens_page", "GET"): EVERYONE,
    ("account.api_tokens_page", "POST"): EVERYONE,
    # one's own tokens: anyone else's is a 404 but for an administrator
    ("account.api_token_revoke", "POST"): EVERYONE,
    ("account.api_tokens_admin", "GET"): ADMIN,
}
#: the calendar feed is opened by Outlook and Google with the secret in its address
PUBLIC = {"static", "auth.login", "auth.oidc_login", "auth.oidc_callback", "main.healthz", "account.calendar"}
#: run last: these end the session or change what later requests may do
LAST = [("returns.submit", "POST"), ("admin.user_active", "POST"), ("auth.logout", "POST")]


@pytest.fixture
def world(session, make_user):
    """One of every record, owned by people other than the lead under test."""
    finance, other_lead = make_user(Role.FINANCE), make_user(Role.LEAD)
    target = make_user(Role.VIEWER)
    stream = make_stream(session, "LIB-A")
    make_budget(session, stream, 100_000_00)
    entry = make_entry(session, stream, date(2026, 7, 1), 10_00)
    batch = imports.import_income(
        session, b"date,stream_code,amount,reference\n02/07/2026,LIB-A,5,X1\n", "x.csv", actor=finance
    )
    lock = locks.lock(
        session,
        __import__("incometrack.periods", fromlist=["x"]).FinancialYear(2025).quarter(1),
        actor=finance,
    )
    bid = move(
        session,
        make_bid(session, finance, lead=other_lead),
        finance,
        "drafting",
        "submitted",
        "awarded",
        awarded_resource=1_000_00,
    )
    drafting = move(
        session,
        make_bid(session, finance, lead=other_lead, title="Drafting", funder=bid.funder),
        finance,
        "drafting",
    )
    payment = grants.add_payment(
        session, bid, expected_on=date(2026, 8, 1), amount_expected=1_00, actor=finance
    )
    report = grants.add_report(session, bid, title="Report", due_on=date(2027, 1, 1), actor=finance)
    programme = grants.create_programme(session, bid.funder, grants.ProgrammeInput("Fund"), actor=finance)
    project = make_project(session, finance, lead=other_lead)
    milestone = make_milestone(session, project, finance)
    income.save_forecast(
        session,
        stream,
        __import__("incometrack.periods", fromlist=["x"]).FinancialYear(2026).quarter(2),
        100_000_00,
        "",
        actor=finance,
        expected_version=AS_READ,
    )
    from incometrack.services import profiles

    profile = profiles.save_profile(
        session,
        profiles.ProfileInput("Ledger", "Date", "Amount", ("Code",)),
        actor=finance,
        expected_version=AS_READ,
    )
    from decimal import Decimal

    from incometrack.models import EvidenceKind, MeasureKind, MeasureUnit, Outcome
    from incometrack.services import impact

    measure = impact.create_measure(
        session,
        impact.MeasureInput(
            "Attendances", MeasureUnit.ATTENDANCES, MeasureKind.OUTPUT, session.scalar(select(Outcome.id))
        ),
        actor=None,
    )
    target = impact.set_target(
        session,
        project,
        impact.TargetInput(measure.id, Decimal(0), Decimal(100), date(2027, 3, 31)),
        actor=None,
        expected_version=AS_READ,
    )
    evidence = impact.add_evidence(
        session,
        project,
        impact.EvidenceInput(EvidenceKind.QUOTE, "Quote", date(2026, 8, 1), body="Words", attribution="User"),
        actor=None,
    )
    from incometrack.services import api_tokens

    token = api_tokens.create_token(
        session, finance, name="BI", scopes=["income:read"], days=1, actor=finance
    )
    session.commit()
    return {
        "token_id": token.token.id,
        "measure_id": measure.id,
        "target_id": target.id,
        "evidence_id": evidence.id,
        "profile_id": profile.id,
        "kind": "income",
        "stream_id": stream.id,
        "entry_id": entry.id,
        "batch_id": batch.batch_id,
        "lock_id": lock.id,
        "bid_id": drafting.id,
        "payment_id": payment.id,
        "report_id": report.id,
        "funder_id": bid.funder_id,
        "programme_id": programme.id,
        "project_id": project.id,
        "milestone_id": milestone.id,
        "user_id": target.id,
        "year_label": "2026-27",
        "quarter": "2",
        "period": "6",
        "fmt": "pdf",
        "to": "submitted",
        "action": "disable",
        "awarded_bid_id": bid.id,
        "record_id": 1,
        "job_id": "0" * 32,
    }


def routes(app):
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        if rule.rule.startswith("/api/"):  # a token, never a session: tests/test_api.py
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            found.setdefault((rule.endpoint, method), rule)
    return found


def url_for_rule(rule, values):
    args = {}
    for name in rule.arguments:
        if name == "bid_id" and rule.endpoint in (
            "grants.payment_add",
            "grants.spend_add",
            "grants.report_add",
            "impact.activity_report",
        ):
            args[name] = values["awarded_bid_id"]
        elif name == "quarter" and rule.endpoint == "income.forecast_edit":
            args[name] = 2
        else:
            args[name] = values[name]
    return rule.build(args, append_unknown=False)[1]


def test_the_policy_covers_every_route(app):
    assert set(routes(app)) == set(POLICY), "classify every new route in POLICY"


@pytest.mark.parametrize("role", [A, F, L, V], ids=lambda r: r.value)
def test_each_role_reaches_exactly_what_the_policy_allows(app, world, login_as, role):
    client = login_as(role).client
    order = [key for key in sorted(routes(app)) if key not in LAST] + LAST
    unexpected = []
    for endpoint, method in order:
        rule = routes(app)[(endpoint, method)]
        url = url_for_rule(rule, world)
        response = client.get(url) if method == "GET" else client.post(url, data={})
        allowed = role in POLICY[(endpoint, method)]
        if allowed and (response.status_code == 403 or response.status_code >= 500):
            unexpected.append(f"{method} {url}: {response.status_code}, expected access")
        if not allowed and response.status_code != 403:
            unexpected.append(f"{method} {url}: {response.status_code}, expected 403")
    assert unexpected == []


def test_anonymous_requests_go_to_the_login_page(app, world, client):
    for (_endpoint, method), rule in routes(app).items():
        url = url_for_rule(rule, world)
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)


def test_a_lead_reaching_another_leads_project_gets_403(app, world, login_as):
    lead = login_as(L).client
    assert lead.get(f"/projects/{world['project_id']}/edit").status_code == 403
    assert lead.get(f"/projects/milestones/{world['milestone_id']}/update").status_code == 403
    assert lead.get(f"/grants/bids/{world['bid_id']}/edit").status_code == 403


def database_state(session):
    """Row counts and version sums of every table: any write changes one of them."""
    session.reread()
    state = {}
    for table in Base.metadata.sorted_tables:
        state[table.name] = session.scalar(select(func.count()).select_from(table))
        if "version" in table.c:
            state[table.name + ".version"] = session.scalar(
                select(func.coalesce(func.sum(table.c.version), 0))
            )
    return state


def test_no_get_changes_anything(app, world, login_as, session):
    admin = login_as(A).client
    before = database_state(session)
    for (_endpoint, method), rule in routes(app).items():
        if method == "GET":
            admin.get(url_for_rule(rule, world))
    assert database_state(session) == before


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(
    csrf_on, app, world, make_user, session
):
    admin = make_user(A)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert (
        client.post(
            "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    before = database_state(session)
    for (_endpoint, method), rule in routes(app).items():
        if method != "POST":
            continue
        url = url_for_rule(rule, world)
        response = client.post(url, data={"reason": "x", "name": "x", "amount": "1"})
        assert response.status_code == 400, (url, response.status_code)
    assert database_state(session) == before
