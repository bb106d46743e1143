"""Issue 31: the API as its clients use it, over real HTTP. An Excel-style client (plain HTTP that
answers a 401's Basic challenge with user ``api`` and the token, as Excel and Power Query's Basic
credential do) and a Bearer client both read the Q2 return, and its totals are the workbook's.
Through gunicorn, four workers share one limit of requests a minute on each database."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import requests
from openpyxl import load_workbook

from incometrack.models import Role
from incometrack.reports.returns import build_return
from incometrack.services import api_tokens
from incometrack.services import returns as return_service
from tests.contracts import STREAM_COLUMNS
from tests.test_concurrency import start_gunicorn
from tests.test_returns import META, Q2, known  # noqa: F401  (the return worked out by hand)


def excel_style_get(url: str, token: str) -> dict:
    """GET as Excel does with a Basic credential: ask, meet the 401, answer its Basic challenge."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, "api", token)
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
    with opener.open(url, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def pounds(cell) -> Decimal:
    return Decimal(str(cell.value)).quantize(Decimal("0.01"))


def in_pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


@pytest.fixture
def workbook_streams(session, known, tmp_path):  # noqa: F811
    """The Q2 workbook's stream lines, each a dict of column title to value, by stream code."""
    report = build_return(session, Q2, **META)
    [file] = return_service.export(session, report, ("xlsx",), tmp_path, actor=known)
    session.commit()
    sheet = load_workbook(file.path)["Income by stream"]
    rows = {}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value and row[0].value != "Total":
            rows[row[0].value] = dict(zip(STREAM_COLUMNS, row, strict=False))
    return rows


def test_an_excel_style_client_and_a_bearer_client_read_the_q2_return_the_workbook_shows(
    session,
    known,  # noqa: F811
    workbook_streams,
    live_server,
):
    token = api_tokens.create_token(
        session, known, name="Excel", scopes=["returns:read", "income:read"], days=7, actor=known
    ).plaintext
    session.commit()
    url = f"{live_server}/api/v1/returns/2026-27/q2"
    # The first request carries no credential, as Excel's does: the 401 offers both schemes.
    challenge = requests.get(url, timeout=30)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'Basic realm="IncomeTrack API"' in challenge.headers["WWW-Authenticate"]
    excel = excel_style_get(url, token)
    bearer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert bearer.status_code == 200
    read = bearer.json()
    for answer in (read, excel):  # a draft is produced when asked for: only that time differs
        del answer["figures"]["meta"]["produced_at"]
    assert read == excel
    figures = excel["figures"]
    assert excel["as_at"] == "2026-09-30" and excel["submitted"] is False

    # every stream line is the workbook's, figure for figure
    columns = {"annual_budget": "Annual budget", "actual_to_date": "Actual to date",
               "forecast_outturn": "Forecast outturn", "profiled_to_date": "Profiled budget to date"}  # fmt: skip
    lines = {line["code"]: line["figures"] for line in figures["streams"]}
    assert set(lines) == set(workbook_streams) == {"LIB-A", "REG-B", "LIB-C"}
    for code, row in workbook_streams.items():
        for field, title in columns.items():
            assert in_pounds(lines[code][field]) == pounds(row[title]), (code, field)
    # the totals, as the workbook's Total row sums its lines, and as worked out by hand
    for field, title in columns.items():
        in_workbook = sum(pounds(row[title]) for row in workbook_streams.values())
        assert in_pounds(figures["overall"][field]) == in_workbook, field
    assert figures["overall"]["annual_budget"] == 300_000_00
    assert figures["overall"]["actual_to_date"] == 149_500_00
    assert figures["overall"]["forecast_outturn"] == 296_500_00

    # the entries behind it, as CSV through the Excel-style client's credential: £149,500.00
    rows, following = (
        [],
        f"{live_server}/api/v1/income-entries?financial_year=2026-27&to=2026-09-30&page_size=4",
    )
    while following:
        page = excel_style_get(following, token)
        rows += page["data"]
        following = page["next"]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("149500.00") and len(rows) == 6


@pytest.mark.full_reset
def test_four_gunicorn_workers_share_one_limit_a_minute(
    database_url, tmp_path, reference_rows, session, make_user
):
    """130 requests at once, spread over four workers: exactly 120 answered, 10 told to wait."""
    owner = make_user(Role.FINANCE)
    token = api_tokens.create_token(session, owner, name="Busy", scopes=["income:read"], days=1, actor=owner)
    session.commit()
    with start_gunicorn(database_url, tmp_path / "server") as (base, _log):
        headers = {"Authorization": f"Bearer {token.plaintext}"}

        def ask(_n: int) -> requests.Response:
            return requests.get(f"{base}/api/v1/reference/services", headers=headers, timeout=60)

        # The minute could turn during the burst; start at the top of a fresh one if it is late.
        import time

        if time.time() % 60 > 50:
            time.sleep(61 - time.time() % 60)
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, range(130)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 120 + [429] * 10
    waits = [int(a.headers["Retry-After"]) for a in answers if a.status_code == 429]
    assert all(1 <= wait <= 60 for wait in waits)
