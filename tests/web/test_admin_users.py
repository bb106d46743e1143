"""Administrators manage accounts; nobody else can."""

import pytest
from sqlalchemy import select

from incometrack.models import AuditEvent, Role, User
from tests.conftest import PASSWORD


@pytest.mark.parametrize("role", [Role.FINANCE, Role.LEAD, Role.VIEWER])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/users"),
        ("get", "/admin/users/new"),
        ("post", "/admin/users/new"),
        ("get", "/admin/users/1"),
        ("post", "/admin/users/1/disable"),
        ("post", "/admin/users/1/password"),
        ("post", "/admin/users/1/role"),
    ],
)
def test_only_admins_reach_user_administration(login_as, role, method, path):
    client = login_as(role).client
    assert getattr(client, method)(path).status_code == 403


def test_admin_creates_a_user_who_can_then_sign_in(app, login_as, session):
    admin = login_as(Role.ADMIN)
    response = admin.client.post(
        "/admin/users/new",
        data={
            "name": "Sam Smith",
            "email": "Sam.Smith@Council.example",
            "role": "lead",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    created = session.scalar(select(User).where(User.email == "sam.smith@council.example"))
    assert created.role is Role.LEAD
    assert created.password_hash != PASSWORD
    assert created.password_hash.startswith("$argon2")
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "users", AuditEvent.entity_id == created.id)
    )
    assert event.user_id == admin.user.id
    assert (
        app.test_client()
        .post("/login", data={"email": "sam.smith@council.example", "password": PASSWORD})
        .status_code
        == 302
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "", "email": "a@b.example", "role": "lead", "password": PASSWORD},
            "name",
            "Enter the person",
        ),
        (
            {"name": "A", "email": "not-an-email", "role": "lead", "password": PASSWORD},
            "email",
            "Enter an email address like",
        ),
        (
            {
                "name": "A",
                "email": "crlf@council.example\r\nBcc: all@elsewhere.example",
                "role": "lead",
                "password": PASSWORD,
            },
            "email",
            "one address, with no spaces or line breaks",
        ),
        (
            {
                "name": "A",
                "email": "a@council.example, b@council.example",
                "role": "lead",
                "password": PASSWORD,
            },
            "email",
            "one address, with no spaces or line breaks",
        ),
        ({"name": "A", "email": "a@b.example", "role": "", "password": PASSWORD}, "role", "Select a role"),
        (
            {"name": "A", "email": "a@b.example", "role": "lead", "password": "short"},
            "password",
            "at least 12 characters",
        ),
    ],
)
def test_bad_new_user_input_is_explained_beside_the_field(login_as, session, data, field, message):
    response = login_as(Role.ADMIN).client.post("/admin/users/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'href="#{field}"' in html
    assert message in html
    assert session.scalar(select(User).where(User.email == "a@b.example")) is None


def test_duplicate_email_is_refused(login_as, make_user):
    existing = make_user(Role.VIEWER)
    response = login_as(Role.ADMIN).client.post(
        "/admin/users/new",
        data={"name": "Dup", "email": existing.email, "role": "viewer", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_admin_disables_and_re_enables_a_user(app, login_as, make_user, session):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.FINANCE)
    assert admin.client.post(f"/admin/users/{target.id}/disable", data={"version": "1"}).status_code == 302
    session.reread()
    session.refresh(target)
    assert target.active is False
    assert (
        app.test_client().post("/login", data={"email": target.email, "password": PASSWORD}).status_code
        == 400
    )
    # The page drawn before the account was disabled is stale now: refused, nothing changed.
    assert admin.client.post(f"/admin/users/{target.id}/enable", data={"version": "1"}).status_code == 409
    assert admin.client.post(f"/admin/users/{target.id}/enable", data={}).status_code == 400
    assert admin.client.post(f"/admin/users/{target.id}/enable", data={"version": "2"}).status_code == 302
    session.reread()
    session.refresh(target)
    assert target.active is True


def test_admin_cannot_disable_themselves(login_as, session):
    admin = login_as(Role.ADMIN)
    response = admin.client.post(
        f"/admin/users/{admin.user.id}/disable", data={"version": "1"}, follow_redirects=True
    )
    assert "cannot disable your own account" in response.get_data(as_text=True)
    session.reread()
    session.refresh(admin.user)
    assert admin.user.active


def test_password_reset_signs_the_user_out_everywhere(login_as, session):
    admin = login_as(Role.ADMIN)
    victim = login_as(Role.FINANCE)
    new_password = "a brand new long password"
    response = admin.client.post(f"/admin/users/{victim.user.id}/password", data={"password": new_password})
    assert response.status_code == 302
    assert victim.client.get("/").status_code == 302
    assert (
        victim.client.post("/login", data={"email": victim.user.email, "password": new_password}).status_code
        == 302
    )


def test_short_reset_password_is_refused_beside_the_field(login_as):
    admin = login_as(Role.ADMIN)
    victim = login_as(Role.FINANCE)
    response = admin.client.post(f"/admin/users/{victim.user.id}/password", data={"password": "tooshort"})
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert victim.client.get("/").status_code == 200


def test_role_change_is_audited_and_admin_keeps_own_role(login_as, make_user, session):
    admin = login_as(Role.ADMIN)
    target = make_user(Role.VIEWER)
    page = admin.client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert '<input type="hidden" name="version" value="1">' in page
    assert admin.client.post(f"/admin/users/{target.id}/role", data={"role": "finance"}).status_code == 400
    changed = admin.client.post(f"/admin/users/{target.id}/role", data={"role": "finance", "version": "1"})
    assert changed.status_code == 302
    # Another admin's page, drawn before that change, is stale: refused rather than overwriting it.
    stale = admin.client.post(f"/admin/users/{target.id}/role", data={"role": "lead", "version": "1"})
    assert stale.status_code == 409
    session.reread()
    session.refresh(target)
    assert target.role is Role.FINANCE
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == target.id, AuditEvent.action == "update")
    )
    assert [e.changes for e in events] == [{"role": ["viewer", "finance"]}]
    response = admin.client.post(
        f"/admin/users/{admin.user.id}/role", data={"role": "viewer", "version": "1"}
    )
    assert response.status_code == 400
    assert "cannot remove your own administrator role" in response.get_data(as_text=True)


def test_unknown_user_is_404(login_as):
    assert login_as(Role.ADMIN).client.get("/admin/users/999999").status_code == 404
