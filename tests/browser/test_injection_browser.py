"""The hostile strings in a real browser: no script runs, no dialog opens, nothing is fetched."""

import pytest

from tests.test_injection import hostile  # noqa: F401 - the fixture that enters the payloads

pytestmark = pytest.mark.browser


def test_no_payload_runs_or_fetches_in_chromium(page, hostile, sign_in, live_server):  # noqa: F811
    dialogs, outside = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(live_server) or request.url.startswith("data:")
            else outside.append(request.url)
        ),
    )
    sign_in(page, hostile.user)
    for path in (
        "/income/entries?year=2026-27&per_page=200",
        "/returns/2026-27/2",
        "/income/streams",
        "/admin/audit",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof window.__pwned") == "undefined", path
    assert dialogs == []
    assert outside == []
    assert page.get_by_text("<script>alert(1)</script>").first.is_visible()
