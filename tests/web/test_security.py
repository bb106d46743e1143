"""Headers, cookies, CSRF and the production profile."""

import logging

import pytest

from incometrack import create_app
from incometrack.config import ConfigError
from incometrack.models import Role
from tests.conftest import PASSWORD, make_config


def test_every_page_sends_security_headers(login_as):
    response = login_as(Role.FINANCE).client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # development serves plain HTTP


def test_the_only_inline_script_carries_the_nonce(login_as):
    response = login_as(Role.FINANCE).client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    html = response.get_data(as_text=True)
    assert html.count("<script") == 2
    assert f'<script nonce="{nonce}">' in html
    assert '<script type="module" src="/static/js/init.mjs">' in html


def test_nonce_changes_per_request(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_session_cookie_is_httponly_and_lax(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.fixture
def csrf_app(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_posts_without_a_csrf_token_are_refused(csrf_app, app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_posts_with_the_csrf_token_are_accepted(csrf_app, app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "key",
    [
        None,
        "dev",
        "changeme",
        "short-key",
        "dev-only-not-secret",
        "a" * 32,  # issue 13, item 14: long enough, but no entropy
        "ab" * 32,
        "0123456789" * 4,
        # issue 32: long, varied characters, yet words, alphabet and digit runs and repeats
        "Password123!Password123!Password123!Pass",
        "abcdefghijklmnopqrstuvwxyz012345",
        "correct-horse-battery-staple-incometrack",
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(database_url, tmp_path, monkeypatch, key):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = make_config(database_url, tmp_path, INCOMETRACK_ENV="production")
    if key is None:
        config.pop("SECRET_KEY")
    else:
        config["SECRET_KEY"] = key
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(config)


#: What ``secrets.token_hex(32)`` printed once: the README's way of making a key.
STRONG_KEY = "9f4c2a7be1d05836c4f7a9e20b13d58e6a7c9f0b2d4e6a8c1f3b5d7e9a0c2e4f"


@pytest.mark.parametrize("key", [STRONG_KEY, "kP3_vQ9-xW2zR7tY1uI8oA5sD4fG6hJ0lZ"])
def test_production_starts_with_a_random_key(database_url, tmp_path, key):
    app = create_app(make_config(database_url, tmp_path, INCOMETRACK_ENV="production", SECRET_KEY=key))
    assert app.config["PRODUCTION"] is True


@pytest.mark.parametrize("name", ["Production", "PRODUCTION", "prod", "staging", "development ", ""])
def test_an_unknown_environment_name_is_refused_at_start(database_url, tmp_path, name):
    with pytest.raises(ConfigError, match="INCOMETRACK_ENV must be one of development, production"):
        create_app(make_config(database_url, tmp_path, INCOMETRACK_ENV=name, SECRET_KEY=STRONG_KEY))


def test_an_empty_environment_variable_is_refused_not_taken_as_development():
    from incometrack.config import check_environment, from_environment

    with pytest.raises(ConfigError, match="not ''"):
        check_environment(from_environment({"INCOMETRACK_ENV": ""}))


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123_XYZ.7", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("<script>alert(1)</script>", False),
        ("id with spaces", False),
        ("", False),
    ],
)
def test_only_a_plain_client_request_id_is_kept(client, sent, kept):
    response = client.get("/healthz", headers={"X-Request-Id": sent})
    assert (response.headers["X-Request-Id"] == sent) is kept
    assert 1 <= len(response.headers["X-Request-Id"]) <= 64


def test_production_serves_a_generic_500_and_logs_it_with_a_request_id(
    database_url, tmp_path, caplog, reference_rows
):
    config = make_config(
        database_url, tmp_path, INCOMETRACK_ENV="production", TESTING=False, SECRET_KEY=STRONG_KEY
    )
    app = create_app(config)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    app.view_functions["boom"] = boom
    from incometrack.auth import access

    access.PUBLIC_ENDPOINTS = access.PUBLIC_ENDPOINTS | {"boom"}
    try:
        with caplog.at_level(logging.ERROR, logger="incometrack"):
            response = app.test_client().get("/boom")
    finally:
        access.PUBLIC_ENDPOINTS = access.PUBLIC_ENDPOINTS - {"boom"}
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "hunter2" not in html and "Traceback" not in html and "RuntimeError" not in html
    request_id = response.headers["X-Request-Id"]
    assert request_id in html
    assert any(request_id in record.getMessage() for record in caplog.records)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_unknown_pages_say_not_found_without_internals(login_as):
    response = login_as(Role.VIEWER).client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
