"""Issue 30: sign-in with the council's Microsoft 365 account, tested against a real OpenID provider
on loopback (node oidc-provider, OpenID Certified), not a mock of Authlib."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from incometrack.config import ConfigError, check_oidc
from incometrack.models import AuditEvent, Role, User
from tests import oidc_provider
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, sign_in_at_provider

pytestmark = pytest.mark.skipif(
    not oidc_provider.available(), reason="node and node_modules/oidc-provider are needed (make assets)"
)

TENANT = "c0ffee00-0000-4000-8000-000000000001"
OTHER_TENANT = "0ther000-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = oidc_provider.start(tmp_path_factory.mktemp("oidc"))
    yield running
    running.stop()


@pytest.fixture
def sso_config(app_config, provider):
    app_config.update(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_ALLOWED_TENANTS=(TENANT,),
        OIDC_TIMEOUT_SECONDS=10,
    )
    return app_config


def person(oid="oid-1", *, email="pat@kent.example", roles=("IncomeTrack.Finance",), tid=TENANT, **more):
    return {"tid": tid, "oid": oid, "email": email, "name": "Pat Officer", "roles": list(roles), **more}


def sign_in(client, login: str, *, tamper=None):
    """The whole round trip: IncomeTrack sends the person to the provider, who signs in there and
    comes back with a code. ``tamper(session)`` may change what IncomeTrack kept meanwhile."""
    start = client.get("/auth/oidc/login")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = sign_in_at_provider(start.headers["Location"], login)
    if tamper is not None:
        with client.session_transaction() as kept:
            tamper(kept)
    path = back.removeprefix("http://localhost")
    return client.get(path), back


def refusals(session) -> list[str]:
    session.reread()
    return [
        e.summary for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "sign-in refused"))
    ]


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        (["IncomeTrack.Finance"], Role.FINANCE),
        (["IncomeTrack.Lead"], Role.LEAD),
        (["IncomeTrack.Viewer"], Role.VIEWER),
        (
            ["IncomeTrack.Viewer", "IncomeTrack.Lead", "IncomeTrack.Finance"],
            Role.FINANCE,
        ),  # the most privileged
    ],
)
def test_each_role_is_mapped_and_a_precreated_account_is_linked(
    sso_config, app, provider, session, make_user, roles, role
):
    user = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=roles)})
    client = app.test_client()
    response, _ = sign_in(client, "pat")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    session.reread()
    assert user.role is role and user.oidc_subject == f"{TENANT}:oid-1"
    assert client.get("/").status_code == 200


def test_the_sign_in_asks_for_pkce_state_nonce_and_account_selection(sso_config, app, provider):
    start = app.test_client().get("/auth/oidc/login")
    query = parse_qs(urlparse(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(f"{provider.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["prompt"] == ["select_account"] and query["response_type"] == ["code"]
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["redirect_uri"] == ["http://localhost/auth/oidc/callback"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def _state(kept) -> dict:
    key = next(k for k in kept if k.startswith("_state_microsoft_"))
    return kept[key]["data"]


def test_no_mapped_role_is_refused(sso_config, app, provider, session, make_user):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=["Some.Other.App"])})
    response, _ = sign_in(app.test_client(), "pat")
    assert response.status_code == 403
    assert "You have no IncomeTrack role in the directory" in response.get_data(as_text=True)
    assert refusals(session) == ["single sign-on: no mapped role"]


def test_a_wrong_tenant_is_refused(sso_config, app, provider, session, make_user):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(tid=OTHER_TENANT)})
    response, _ = sign_in(app.test_client(), "pat")
    assert response.status_code == 403 and "accounts cannot sign in to IncomeTrack" in response.get_data(
        as_text=True
    )
    assert refusals(session) == [f"single sign-on: tenant {OTHER_TENANT}"]


def test_a_tampered_pkce_verifier_is_refused_by_the_provider(sso_config, app, provider, session, make_user):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person()})

    def tamper(kept):
        key = next(k for k in kept if k.startswith("_state_microsoft_"))
        entry = kept[key]
        entry["data"]["code_verifier"] = "x" * 50
        kept[key] = entry

    client = app.test_client()
    response, _ = sign_in(client, "pat", tamper=tamper)
    assert response.status_code == 502 and "quote reference" in response.get_data(as_text=True)
    assert refusals(session)[0].startswith("single sign-on: token endpoint: OAuthError: invalid_grant")
    assert client.get("/").status_code == 302  # not signed in


def test_a_wrong_nonce_is_refused(sso_config, app, provider, session, make_user):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person()})

    def tamper(kept):
        key = next(k for k in kept if k.startswith("_state_microsoft_"))
        entry = kept[key]
        entry["data"]["nonce"] = "not-the-nonce-sent"
        kept[key] = entry

    response, _ = sign_in(app.test_client(), "pat", tamper=tamper)
    assert response.status_code == 401 and "could not be verified" in response.get_data(as_text=True)
    assert refusals(session)[0].startswith("single sign-on: invalid ID token")


def test_a_replayed_state_is_refused(sso_config, app, provider, session, make_user):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person()})
    client = app.test_client()
    response, back = sign_in(client, "pat")
    assert response.status_code == 302
    client.post("/logout")
    again = client.get(back.removeprefix("http://localhost"))
    assert again.status_code == 400 and "Your sign-in expired, please try again" in again.get_data(
        as_text=True
    )
    assert refusals(session) == ["single sign-on: state missing, expired or replayed"]


def test_the_provider_refusing_is_a_403(sso_config, app, session):
    response = app.test_client().get("/auth/oidc/callback?error=access_denied&state=x")
    assert response.status_code == 403 and "refused or cancelled" in response.get_data(as_text=True)
    assert refusals(session) == ["single sign-on: provider: access_denied"]


def test_a_changed_email_still_signs_in_the_same_person_never_matched_by_email(
    sso_config, app, provider, session, make_user
):
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person()})
    assert sign_in(app.test_client(), "pat")[0].status_code == 302
    # Pat's address changes in the directory; someone else is given Pat's old one.
    provider.accounts({"pat": person(email="pat.officer@kent.example"), "sam": person("oid-2")})
    assert sign_in(app.test_client(), "pat")[0].status_code == 302
    session.reread()
    logins = session.scalars(select(AuditEvent.user_id).where(AuditEvent.action == "login")).all()
    assert logins == [pat.id, pat.id]
    # Sam's token carries Pat's old email but another identity: never Pat's account.
    response, _ = sign_in(app.test_client(), "sam")
    assert (
        response.status_code == 403
        and "No IncomeTrack account: ask an administrator" in response.get_data(as_text=True)
    )


def test_no_account_is_refused_with_precreated_and_made_with_jit(sso_config, app, provider, session):
    provider.accounts({"new": person("oid-9", email="new.starter@kent.example", roles=["IncomeTrack.Lead"])})
    response, _ = sign_in(app.test_client(), "new")
    assert (
        response.status_code == 403
        and "No IncomeTrack account: ask an administrator" in response.get_data(as_text=True)
    )
    assert session.scalar(select(User).where(User.email == "new.starter@kent.example")) is None


@pytest.fixture
def jit_config(sso_config):
    sso_config["OIDC_PROVISIONING"] = "jit"
    return sso_config


def test_jit_creates_the_account_with_the_mapped_role(jit_config, app, provider, session):
    provider.accounts({"new": person("oid-9", email="new.starter@kent.example", roles=["IncomeTrack.Lead"])})
    assert sign_in(app.test_client(), "new")[0].status_code == 302
    session.reread()
    user = session.scalar(select(User).where(User.email == "new.starter@kent.example"))
    assert (user.role, user.oidc_subject, user.name) == (Role.LEAD, f"{TENANT}:oid-9", "Pat Officer")


def test_a_downgrade_takes_effect_at_the_next_sign_in(sso_config, app, provider, session, make_user):
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=["IncomeTrack.Finance"])})
    first = app.test_client()
    assert sign_in(first, "pat")[0].status_code == 302
    assert first.get("/income/entries").status_code == 200
    provider.accounts({"pat": person(roles=["IncomeTrack.Viewer"])})
    assert sign_in(app.test_client(), "pat")[0].status_code == 302
    session.reread()
    assert pat.role is Role.VIEWER
    changes = session.scalars(
        select(AuditEvent.changes).where(AuditEvent.action == "update", AuditEvent.entity == "users")
    ).all()
    assert {"role": ["viewer", "finance"]} in changes and {"role": ["finance", "viewer"]} in changes


def test_admin_comes_from_the_directory_only_where_allowed(sso_config, app, provider, session, make_user):
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=["IncomeTrack.Admin", "IncomeTrack.Lead"])})
    assert sign_in(app.test_client(), "pat")[0].status_code == 302
    session.reread()
    assert pat.role is Role.LEAD  # admin by SSO only with OIDC_ALLOW_ADMIN


def test_admin_by_sso_where_allowed(sso_config, app_config, provider, session, make_user):
    sso_config["OIDC_ALLOW_ADMIN"] = True
    from incometrack import create_app

    app = create_app(sso_config)
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=["IncomeTrack.Admin", "IncomeTrack.Lead"])})
    assert sign_in(app.test_client(), "pat")[0].status_code == 302
    session.reread()
    assert pat.role is Role.ADMIN


def test_a_groups_overage_is_refused_telling_the_admin_to_use_app_roles(
    sso_config, app, provider, session, make_user
):
    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person(roles=[], _claim_names={"groups": "src1"})})
    response, _ = sign_in(app.test_client(), "pat")
    assert response.status_code == 403 and "app roles, not groups" in response.get_data(as_text=True)


def test_a_disabled_account_is_refused(sso_config, app, provider, session, make_user):
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    pat.active = False
    session.commit()
    provider.accounts({"pat": person()})
    response, _ = sign_in(app.test_client(), "pat")
    assert response.status_code == 403


def test_sign_out_reaches_the_provider_and_comes_back_to_login(sso_config, app, provider, session, make_user):
    import requests

    make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts({"pat": person()})
    client = app.test_client()
    assert sign_in(client, "pat")[0].status_code == 302
    out = client.post("/logout")
    location = out.headers["Location"]
    assert out.status_code == 302 and location.startswith(f"{provider.issuer}/session/end?")
    query = parse_qs(urlparse(location).query)
    assert (
        query["post_logout_redirect_uri"] == ["http://localhost/login"]
        and query["id_token_hint"][0].count(".") == 2
    )
    assert client.get("/").status_code == 302  # signed out of IncomeTrack already
    browser = requests.Session()
    page = browser.get(location, timeout=10)
    action, fields = oidc_provider._form(page.text, location)
    fields["logout"] = "yes"
    back = browser.post(action, data=fields, allow_redirects=False, timeout=10)
    assert back.headers["Location"].startswith("http://localhost/login")


@pytest.fixture
def break_glass_config(sso_config):
    sso_config["PASSWORD_LOGIN"] = "break_glass_only"
    return sso_config


def test_break_glass_only_keeps_passwords_for_break_glass_accounts(
    break_glass_config, app, session, make_user
):
    from tests.conftest import PASSWORD

    officer = make_user(Role.FINANCE)
    spare = make_user(Role.ADMIN)
    spare.break_glass = True
    session.commit()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert page.index("Sign in with Microsoft") < page.index("Break-glass accounts")
    refused = client.post("/login", data={"email": officer.email, "password": PASSWORD})
    assert refused.status_code == 400 and "break-glass accounts" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert client.post("/login", data={"email": spare.email, "password": PASSWORD}).status_code == 302
    session.reread()
    events = session.scalars(select(AuditEvent.summary).where(AuditEvent.action == "break-glass login")).all()
    assert events == [spare.email]
    assert spare.email in client.get("/admin/users").get_data(as_text=True).split('id="break-glass"', 1)[1]


def test_without_the_setting_every_password_still_works(sso_config, app, session, make_user):
    from tests.conftest import PASSWORD

    officer = make_user(Role.FINANCE)
    client = app.test_client()
    assert client.post("/login", data={"email": officer.email, "password": PASSWORD}).status_code == 302


def test_create_user_break_glass(runner, session):
    result = runner.invoke(
        args=[
            "create-user",
            "spare@kent.example",
            "--name",
            "Spare Admin",
            "--role",
            "admin",
            "--break-glass",
        ],
        input="correct horse battery staple 42\n",
    )
    assert result.exit_code == 0 and "break-glass" in result.output, result.output
    session.reread()
    assert session.scalar(select(User.break_glass).where(User.email == "spare@kent.example")) is True
    refused = runner.invoke(
        args=["create-user", "x@kent.example", "--name", "X", "--role", "finance", "--break-glass"],
        input="correct horse battery staple 42\n",
    )
    assert refused.exit_code == 2 and "only an administrator" in refused.output


def test_a_provider_that_is_down_is_a_502_with_a_reference(sso_config, app, session, make_user, tmp_path):
    down = oidc_provider.start(tmp_path)
    sso_config["OIDC_ISSUER"] = down.issuer
    from incometrack import create_app

    own = create_app(sso_config)
    make_user(Role.VIEWER, email="pat@kent.example")
    down.accounts({"pat": person()})
    client = own.test_client()
    start = client.get("/auth/oidc/login")
    back = sign_in_at_provider(start.headers["Location"], "pat")
    down.stop()  # the token endpoint is gone by the time the person comes back
    response = client.get(back.removeprefix("http://localhost"))
    assert response.status_code == 502 and "quote reference" in response.get_data(as_text=True)
    # and a sign-in that cannot start: the provider's discovery does not answer
    stopped = create_app(sso_config).test_client().get("/auth/oidc/login")
    assert stopped.status_code == 502 and "quote reference" in stopped.get_data(as_text=True)


def test_the_token_endpoint_waits_ten_seconds_at_most(sso_config, app):
    with app.app_context():
        from incometrack.auth import oidc

        assert oidc.client().client_kwargs["default_timeout"] == 10


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0"}, "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"),
        ({"OIDC_CLIENT_ID": "x"}, "need OIDC_ISSUER"),
        ({"PASSWORD_LOGIN": "break_glass_only"}, "needs single sign-on"),
        ({"OIDC_PROVISIONING": "auto"}, "OIDC_PROVISIONING must be one of"),
        (
            {"OIDC_ISSUER": "http://login.example/t/v2.0", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y",
             "INCOMETRACK_ENV": "production"},
            "https://",
        ),
    ],
)  # fmt: skip
def test_a_partial_or_plain_http_configuration_is_refused(settings, message):
    base = {"OIDC_PROVISIONING": "precreated", "PASSWORD_LOGIN": "all", "INCOMETRACK_ENV": "development"}
    with pytest.raises(ConfigError, match=message):
        check_oidc({**base, **settings})


def test_without_an_issuer_nothing_changes(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Microsoft" not in page
    assert client.get("/auth/oidc/login").status_code == 404
