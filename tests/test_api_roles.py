"""Issue 31: a token reads exactly what its owner's screens show. For each role, a token holding
every scope the role may give walks each endpoint through ``next`` (two rows a page) and gets the
rows of the matching screen's own download, row for row; where the screen refuses the person, the
API refuses the token (403, ``insufficient_scope``), and where it refuses the token, so does the
screen."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

import pytest

from incometrack import periods
from incometrack.models import Role
from incometrack.services import api_tokens
from tests.factories import (
    make_bid,
    make_budget,
    make_entry,
    make_funder,
    make_milestone,
    make_project,
    make_stream,
)

#: Every endpoint, the scope it needs, and the screen a person reads the same rows on.
ENDPOINTS = {
    "income-entries": ("income:read", "/income/entries"),
    "streams": ("income:read", "/income/streams"),
    "reference/services": ("income:read", "/income/entries"),
    "reference/sites": ("income:read", "/income/entries"),
    "reference/categories": ("income:read", "/income/entries"),
    "budgets": ("budgets:read", "/income/budgets/{year}"),
    "forecasts": ("budgets:read", "/income/streams"),
    "bids": ("grants:read", "/grants/bids"),
    "funders": ("grants:read", "/grants/funders"),
    "grant-payments": ("grants:read", "/grants/bids"),
    "projects": ("projects:read", "/projects/"),
    "milestones": ("projects:read", "/projects/"),
    "audit": ("audit:read", "/admin/audit"),
    "returns/{year}/q2": ("returns:read", "/returns/"),
    "monitoring/{year}/p03": ("returns:read", "/monitoring/"),
}


@pytest.fixture
def year():
    return periods.fy_for(date.today())


@pytest.fixture
def service_data(session, make_user, year):
    """A year of a service's work, with a lead who leads some of it and a finance officer the rest."""
    finance = make_user(Role.FINANCE, name="Farah Finance")
    lead = make_user(Role.LEAD, name="Lee Lead")
    room = make_stream(session, "LIB-A", name="Room hire")
    ceremonies = make_stream(
        session, "REG-B", name="Ceremonies", service="Registration", category="Ceremonies and certificates"
    )
    make_budget(session, room, 12_000_00, year=year.start)
    make_budget(session, ceremonies, 24_000_00, (4_000_00, 8_000_00, 8_000_00, 4_000_00), year=year.start)
    start = year.first_day
    make_entry(session, room, start - timedelta(days=1), 9_99, reference="LAST-YEAR")
    make_entry(session, room, start, 100_00, reference="R1")
    make_entry(session, room, start + timedelta(days=40), 250_50, reference="R2")
    make_entry(session, ceremonies, start + timedelta(days=70), 1_000_00, reference="C1")
    make_entry(session, ceremonies, start + timedelta(days=71), -25_00, reference="C-REFUND")
    arts = make_funder(session, "Arts Council England")
    heritage = make_funder(session, "Heritage Fund")
    make_bid(session, lead, funder=arts, title="Lead's bid", lead=lead)
    make_bid(session, finance, funder=heritage, title="Finance's bid")
    makerspaces = make_project(session, lead, lead=lead, name="Makerspaces")
    digitisation = make_project(session, finance, name="Archive digitisation")
    make_milestone(session, makerspaces, lead, title="Kit bought")
    make_milestone(session, makerspaces, lead, title="Launch")
    make_milestone(session, digitisation, finance, title="Scanner")
    session.commit()


def walk(client, path: str, token: str) -> list[dict]:
    """Every row of an endpoint, two a page, following ``next`` to its end."""
    rows, url = [], f"/api/v1/{path}{'&' if '?' in path else '?'}page_size=2"
    while url:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        body = response.get_json()
        rows += body["data"]
        url = body["next"] and body["next"].removeprefix("http://localhost")
    return rows


def screen_rows(client, url: str) -> list[dict]:
    """The rows of a screen, as its CSV download gives them."""
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def pounds(pence: int) -> str:
    """Pence as the downloads write pounds, worked by hand here (a test does not borrow money.py)."""
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.FINANCE, Role.VIEWER, Role.LEAD], ids=lambda r: r.value)
def test_a_token_reads_what_its_owners_screens_show(role, login_as, session, service_data, year):
    person = login_as(role)
    token = api_tokens.create_token(
        session, person.user, name="Power BI", scopes=api_tokens.scopes_for(role), days=30, actor=person.user
    )
    session.commit()
    token, screens = token.plaintext, person.client
    held = set(api_tokens.scopes_for(role))
    readable = set()
    for name, (scope, screen) in ENDPOINTS.items():
        path = f"/api/v1/{name.format(year=year.label)}"
        api = screens.get(path, headers={"Authorization": f"Bearer {token}"})
        page = screens.get(screen.format(year=year.label))
        if scope in held:
            assert (api.status_code, page.status_code) == (200, 200), name
            readable.add(name)
        else:
            assert (api.status_code, page.status_code) == (403, 403), name
            assert api.get_json()["error"] == "insufficient_scope"
    assert (
        readable
        == {
            Role.ADMIN: set(ENDPOINTS),
            Role.FINANCE: set(ENDPOINTS),
            Role.VIEWER: set(ENDPOINTS) - {"audit"},
            Role.LEAD: {"bids", "funders", "grant-payments", "projects", "milestones"},
        }[role]
    )

    if "income-entries" in readable:
        entries = walk(screens, f"income-entries?financial_year={year.label}", token)
        shown = screen_rows(screens, f"/income/entries?format=csv&year={year.label}")
        assert sorted((e["reference"], e["amount"]) for e in entries) == sorted(
            (r["Reference"], r["Amount"]) for r in shown
        )
        assert sorted(e["amount_pence"] for e in entries) == [-25_00, 100_00, 250_50, 1_000_00]
        streams = walk(screens, "streams", token)
        assert sorted(s["code"] for s in streams) == sorted(
            r["Code"] for r in screen_rows(screens, "/income/streams?format=csv")
        )
    if "budgets" in readable:
        budgets = walk(screens, f"budgets?financial_year={year.label}", token)
        shown = screen_rows(screens, f"/income/budgets/{year.label}?format=csv")
        on_screen = {
            (r["Stream code"], f"P{n}"): r[f"P{n} {periods.PERIOD_NAMES[n - 1]}"]
            for r in shown
            for n in range(1, 13)
            if r["Annual budget"]
        }
        assert {(b["stream_code"], b["period"]): b["amount"] for b in budgets} == on_screen
        assert len(budgets) == 24
        assert sum(b["amount_pence"] for b in budgets if b["stream_code"] == "REG-B") == 24_000_00
        # Q1 of REG-B is £4,000 over April to June: by hand, £1,333.34 + £1,333.33 + £1,333.33
        assert sum(b["amount_pence"] for b in budgets if b["stream_code"] == "REG-B" and b["period"] in ("P1", "P2", "P3")) == 4_000_00  # fmt: skip
    if "bids" in readable:
        bids = walk(screens, "bids", token)
        shown = screen_rows(screens, "/grants/bids?format=csv")
        assert sorted((b["title"], b["funder"], b["status"]) for b in bids) == sorted(
            (r["Title"], r["Funder"], r["Status"]) for r in shown
        )
        assert sorted(b["title"] for b in bids) == ["Finance's bid", "Lead's bid"]
        funders = walk(screens, "funders", token)
        assert sorted(f["name"] for f in funders) == sorted(
            r["Funder"] for r in screen_rows(screens, "/grants/funders?format=csv")
        )
    if "projects" in readable:
        projects = walk(screens, "projects", token)
        shown = screen_rows(screens, "/projects/?format=csv")
        assert sorted(p["name"] for p in projects) == sorted(r["Project"] for r in shown)
        milestones = walk(screens, "milestones", token)
        assert Counter(m["project"] for m in milestones) == {
            r["Project"]: int(r["Milestones"]) for r in shown
        }
        assert Counter(m["project"] for m in milestones) == {"Makerspaces": 2, "Archive digitisation": 1}
    if "audit" in readable:
        events = walk(screens, "audit", token)
        shown = screen_rows(screens, "/admin/audit?format=csv&sign_ins=y")
        assert sorted(e["id"] for e in events) == sorted(int(r["Event"]) for r in shown)
        assert any(e["entity"] == "api_tokens" and e["action"] == "create" for e in events)
