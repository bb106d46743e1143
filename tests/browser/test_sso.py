"""Issue 30 in Chromium: a person signs in through the provider's own login page (node
oidc-provider on loopback), lands with the role the directory gives, and signs out through the
provider back to the sign-in page. axe-core checks IncomeTrack's pages and the provider's."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from incometrack.models import Role, User
from tests import oidc_provider
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not oidc_provider.available(), reason="node_modules/oidc-provider is needed"),
]
TENANT = "c0ffee00-0000-4000-8000-000000000001"


@pytest.fixture
def served(app_config, tmp_path):
    """The provider and the app, each knowing the other's address: the app on a port chosen first."""
    port = oidc_provider.free_port()
    base = f"http://127.0.0.1:{port}"
    provider = oidc_provider.start(
        tmp_path, redirect_uri=f"{base}/auth/oidc/callback", post_logout_uri=f"{base}/login"
    )
    app_config.update(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_ALLOWED_TENANTS=(TENANT,),
    )
    yield provider, port, base
    provider.stop()


def test_a_person_signs_in_and_out_through_the_provider(
    served, app, browser, session, make_user, assert_accessible
):
    provider, port, base = served
    pat = make_user(Role.VIEWER, email="pat@kent.example")
    provider.accounts(
        {
            "pat": {
                "tid": TENANT,
                "oid": "oid-1",
                "email": "pat@kent.example",
                "name": "Pat",
                "roles": ["IncomeTrack.Lead"],
            }
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context(base_url=base, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        assert_accessible(page)
        page.get_by_role("button", name="Sign in with Microsoft").click()
        page.wait_for_url(f"{provider.issuer}/interaction/**")
        assert_accessible(page)  # the provider's own login page
        page.get_by_label("Account").fill("pat")
        page.get_by_label("Password").fill("any")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        assert_accessible(page)
        session.reread()
        assert session.scalar(select(User.role).where(User.id == pat.id)) is Role.LEAD
        menu = page.get_by_role("navigation", name="Menu").inner_text()
        assert "Projects" in menu and "Income" not in menu  # a lead's menu
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{provider.issuer}/session/end**")
        assert_accessible(page)
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{base}/login**")
        assert page.get_by_role("button", name="Sign in with Microsoft").is_visible()
    finally:
        context.close()
        server.shutdown()
        server.server_close()
