"""Signing in and out, and that every page but the login page needs a session."""

from datetime import timedelta

import pytest
from flask import url_for

from incometrack.models import AuditEvent, Role
from incometrack.services import AS_READ, users
from tests.conftest import PASSWORD


def test_pages_redirect_to_login_when_signed_out(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/users"


def test_login_page_has_email_and_password_fields_with_labels(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label class="govuk-label" for="email">' in html
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'for="password"' in html


def test_login_with_right_password_goes_to_the_dashboard(client, make_user, session):
    user = make_user(Role.VIEWER)
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Dashboard" in page.get_data(as_text=True)
    assert session.query(AuditEvent).filter_by(action="login", user_id=user.id).count() == 1


def test_login_follows_a_local_next_but_not_another_site(client, make_user):
    user = make_user()
    response = client.post("/login?next=/admin/users", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/users"
    client.post("/logout")
    user = make_user()
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/logout")


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("", PASSWORD, "Enter your email address"),
        ("x@council.example", "", "Enter your password"),
        ("nobody@council.example", PASSWORD, "Enter a correct email address and password"),
        (None, "wrong password here", "Enter a correct email address and password"),
    ],
)
def test_failed_login_explains_beside_the_field(client, make_user, email, password, message):
    user = make_user()
    response = client.post(
        "/login", data={"email": email if email is not None else user.email, "password": password}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html
    assert html.count(message) == 2  # in the error summary and beside the field
    assert "<title>Error:" in html


def test_disabled_user_cannot_sign_in(client, make_user, session):
    user = make_user()
    users.set_active(session, user, False, actor=None, expected_version=AS_READ)
    session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_logout_ends_the_session_and_old_cookies_stop_working(app, login_as):
    signed_in = login_as(Role.FINANCE)
    stolen_cookie = signed_in.client.get_cookie("incometrack_session").value
    assert signed_in.client.post("/logout").status_code == 302
    assert signed_in.client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("incometrack_session", stolen_cookie)
    assert replay.get("/").status_code == 302


def test_logout_needs_post(login_as):
    signed_in = login_as(Role.VIEWER)
    assert signed_in.client.get("/logout").status_code == 405
    assert signed_in.client.get("/").status_code == 200


def test_disabling_a_user_ends_their_session(login_as, session):
    signed_in = login_as(Role.FINANCE)
    assert signed_in.client.get("/").status_code == 200
    users.set_active(session, signed_in.user, False, actor=None, expected_version=AS_READ)
    session.commit()
    assert signed_in.client.get("/").status_code == 302


def test_idle_session_expires(app, login_as):
    signed_in = login_as(Role.VIEWER)
    with signed_in.client.session_transaction() as cookie_session:
        cookie_session["seen_at"] -= app.config["SESSION_IDLE_TIMEOUT"].total_seconds() + 1
    assert signed_in.client.get("/").status_code == 302


def test_absolute_session_lifetime_expires_even_when_active(app, login_as):
    signed_in = login_as(Role.VIEWER)
    with signed_in.client.session_transaction() as cookie_session:
        cookie_session["auth_at"] -= (
            app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(seconds=1)
        ).total_seconds()
    assert signed_in.client.get("/").status_code == 302


def test_session_is_renewed_at_login(client, make_user):
    with client.session_transaction() as cookie_session:
        cookie_session["planted"] = "by an attacker"
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as cookie_session:
        assert "planted" not in cookie_session


def test_health_check_is_public(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_signed_in_user_visiting_login_goes_home(login_as):
    signed_in = login_as(Role.LEAD)
    response = signed_in.client.get("/login")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (Role.ADMIN, ["Dashboard", "Users"], []),
        (Role.FINANCE, ["Dashboard"], ["Users"]),
        (Role.LEAD, ["Dashboard"], ["Users"]),
        (Role.VIEWER, ["Dashboard"], ["Users"]),
    ],
)
def test_menu_shows_each_role_only_its_sections(app, login_as, role, visible, hidden):
    html = login_as(role).client.get("/").get_data(as_text=True)
    nav = html.split('class="govuk-service-navigation__list"', 1)[1].split("</ul>", 1)[0]
    for label in visible:
        assert f">{label}<" in nav.replace("\n", "").replace("  ", "")
    for label in hidden:
        assert label not in nav
    with app.test_request_context():
        assert url_for("admin.users_list") == "/admin/users"
