"""A person signs in through Chromium and sees the dashboard and only their role's menu."""

import pytest
from playwright.sync_api import expect

from incometrack.models import Role

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        (
            Role.ADMIN,
            [
                "Dashboard",
                "Income",
                "Grants",
                "Projects",
                "Returns",
                "Monitoring",
                "Audit log",
                "Users",
                "Reference data",
            ],
        ),
        (Role.FINANCE, ["Dashboard", "Income", "Grants", "Projects", "Returns", "Monitoring", "Audit log"]),
        (Role.LEAD, ["Dashboard", "Grants", "Projects"]),
        (Role.VIEWER, ["Dashboard", "Income", "Grants", "Projects", "Returns", "Monitoring"]),
    ],
)
def test_each_role_signs_in_and_sees_its_menu(page, make_user, sign_in, assert_accessible, role, menu):
    user = make_user(role)
    sign_in(page, user)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {user.name}")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Menu")
    assert navigation.get_by_role("link").all_inner_texts() == menu
    assert_accessible(page)


def test_wrong_password_shows_the_error_summary_and_moves_focus_to_it(page, make_user, assert_accessible):
    user = make_user(Role.FINANCE)
    page.goto("/login")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "Enter a correct email address and password" in summary.inner_text()
    # GOV.UK Frontend's JavaScript (allowed by the CSP) moves focus to the summary.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert page.title().startswith("Error:")
    assert_accessible(page)


def test_admin_creates_a_user_through_the_form(page, make_user, sign_in, assert_accessible):
    sign_in(page, make_user(Role.ADMIN))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Users").click()
    assert_accessible(page)
    page.get_by_role("link", name="Create a user").click()
    assert_accessible(page)
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Robin Reader")
    page.get_by_label("Email address").fill("robin@council.example")
    page.get_by_label("Viewer (committee)").check()
    page.get_by_label("Initial password").fill("a long enough password")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("Robin Reader can now sign in")).to_be_visible()
    page.get_by_role("link", name="Robin Reader").click()
    assert_accessible(page)


def test_reference_data_pages_pass_axe(page, make_user, sign_in, assert_accessible):
    sign_in(page, make_user(Role.ADMIN))
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reference data").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a site").click()
    page.get_by_role("button", name="Save site").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Gravesend Library")
    page.get_by_label("Service", exact=True).select_option(label="Libraries")
    page.get_by_role("button", name="Save site").click()
    expect(page.get_by_text("Gravesend Library saved.")).to_be_visible()
    page.get_by_role("link", name="Room and venue hire").click()
    assert_accessible(page)
