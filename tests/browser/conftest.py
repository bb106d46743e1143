"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium. Without a
browser the tests skip, except where IT_REQUIRE_BROWSER is set (CI), where that is a failure.
Every page a test visits is checked by axe-core for WCAG 2.2 AA violations.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("IT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core on the page as it stands and fail with the violations it finds."""

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert results.violations_count == 0, results.generate_report()

    return check


@pytest.fixture
def sign_in(assert_accessible):
    """Sign in through the login form as a person would, checking the login page on the way."""
    from tests.conftest import PASSWORD

    def _sign_in(page, user) -> None:
        page.goto("/login")
        assert_accessible(page)
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")

    return _sign_in
