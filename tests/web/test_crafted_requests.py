"""Crafted and unbounded requests get a 4xx with a message, never a 500 (issue 13, item 12).

Every GET route is requested as an administrator with query parameters an attacker (or a mangled
bookmark) might send, and with ids beyond what a database integer holds.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from incometrack.models import Role
from tests.test_access import routes, url_for_rule, world  # noqa: F401 - world is a fixture

#: Query strings that once gave 500s somewhere, sent to every page.
CRAFTED_QUERIES = [
    "endpoint=x",
    "status=bogus",
    "type=bogus",
    "kind=bogus",
    "funder_type=bogus",
    "service=bogus",
    "site=99999999999999999999",
    "stream=9223372036854775808",
    "entity_id=%C2%B2",
    "user_id=%C2%B2",
    "page=-3",
    "page=99999999999999999999999",
    "per_page=-1",
    "per_page=1000000",
    "date_from=01/01/0001",
    "date_to=31/12/9999",
    "year=9999-00",
    "year=2026-27&quarter=9",
    "sort=bogus",
    "mine=%00",
    "q=%00",
]


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN).client


def get_routes(app):
    return sorted(key for key in routes(app) if key[1] == "GET")


def test_crafted_query_strings_never_give_a_server_error(app, world, admin):  # noqa: F811
    failures = []
    for endpoint, _method in get_routes(app):
        url = url_for_rule(routes(app)[(endpoint, "GET")], world)
        for query in CRAFTED_QUERIES:
            response = admin.get(f"{url}?{query}")
            if response.status_code >= 500:
                failures.append(f"GET {url}?{query}: {response.status_code}")
    assert failures == [], "\n".join(failures)


def test_ids_beyond_a_database_integer_are_not_found(app, world, admin):  # noqa: F811
    failures = []
    for key in sorted(routes(app)):
        rule = routes(app)[key]
        ids = [name for name in rule.arguments if name.endswith("_id")]
        if not ids:
            continue
        for huge in (2**63, 2**64 + 1, 10**30):
            values = dict(world, **{name: huge for name in ids}, awarded_bid_id=huge)
            url = url_for_rule(rule, values)
            response = admin.get(url) if key[1] == "GET" else admin.post(url, data={})
            if response.status_code != 404:
                failures.append(f"{key[1]} {url}: {response.status_code}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(("per_page", "shown"), [("-1", 50), ("0", 50), ("20", 20), ("1000000", 200)])
def test_the_entry_list_never_serves_more_than_its_largest_page(session, login_as, per_page, shown):
    from incometrack.services import imports
    from tests.factories import make_stream

    finance = login_as(Role.FINANCE)
    make_stream(session, "LIB-A")
    lines = "".join(f"{1 + n % 28:02d}/05/2026,LIB-A,{n + 1},R{n}\n" for n in range(230))
    result = imports.import_income(
        session, f"date,stream_code,amount,reference\n{lines}".encode(), "many.csv", actor=finance.user
    )
    assert result.imported == 230
    session.commit()
    response = finance.client.get(f"/income/entries?year=2026-27&per_page={per_page}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("/edit?back=") == shown


@pytest.mark.parametrize(
    "url",
    [
        "/income/entries?per_page=abc",
        "/income/entries?page=2x",
        "/income/streams?service=abc",
        "/income/streams?category=99999999999999999999",
        "/projects/milestones?service=99999999999999999999",
        "/projects/milestones?service=abc",
        "/income/import?profile=-1",
        "/admin/audit?entity_id=999999999999",
        "/grants/bids?funder=1x",
        "/admin/audit?page=%00",
        "/calendar/%00.ics",
        "/income/streams?text=a%00b",
    ],
)
def test_a_parameter_that_is_no_number_of_the_right_kind_is_refused_not_dropped(login_as, url):
    response = login_as(Role.ADMIN).client.get(url)
    assert response.status_code == 400, url


def test_a_huge_id_as_a_bid_lead_is_refused_not_saved_as_no_lead(login_as, session):
    from incometrack.models import GrantBid
    from tests.factories import make_funder, service_id

    finance = login_as(Role.FINANCE)
    funder = make_funder(session)
    posted = {"title": "Makerspaces", "funder_id": funder.id, "service_id": service_id(session),
              "lead_id": "99999999999999999999", "amount_requested": "1,000", "probability": "50", "version": "0"}  # fmt: skip
    response = finance.client.post("/grants/bids/new", data=posted)
    assert response.status_code == 400
    assert "Choose lead officer from the list" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 0


def test_a_budget_grid_row_for_no_possible_stream_is_refused(login_as):
    finance = login_as(Role.FINANCE)
    response = finance.client.post(
        "/income/budgets/2026-27", data={"rows-0-stream_id": "99999999999999999999", "rows-0-annual": "100"}
    )
    assert 400 <= response.status_code < 500
