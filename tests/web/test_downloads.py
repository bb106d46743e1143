"""Every list downloads as CSV and XLSX with its current filters, formula-safe (issue 17). Each
download is read back: the CSV with the csv module, the workbook with openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from incometrack.models import Role
from incometrack.services import imports
from tests.factories import (
    make_bid,
    make_budget,
    make_entry,
    make_funder,
    make_milestone,
    make_project,
    make_stream,
)

INJECTED = '=HYPERLINK("http://evil.example","click")'


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def data(session, make_user):
    finance = make_user(Role.FINANCE, name="Fran Finance")
    cafe = make_stream(session, "LIB-CAFE", name=INJECTED)
    printing = make_stream(session, "LIB-PRINT", name="Printing")
    make_budget(session, cafe, 1200_00)
    make_entry(session, cafe, date(2026, 5, 4), 12_50, reference="=1+2", actor=finance)
    make_entry(session, printing, date(2026, 5, 5), 3_00, reference="P1", actor=finance)
    result = imports.import_income(
        session, b"date,stream_code,amount,reference\n06/05/2026,LIB-PRINT,4.00,P2\n", "may.csv",
        actor=finance, today=date(2026, 11, 30),
    )  # fmt: skip
    session.commit()
    funder = make_funder(session, "Arts Council England", actor=finance)
    make_bid(session, finance, funder=funder, title=INJECTED)
    project = make_project(session, finance, name="Makerspaces")
    make_milestone(session, project, finance, title="Kit bought")
    return {"finance": finance, "cafe": cafe, "printing": printing, "batch": result.batch_id}


def test_entries_download_with_their_filters(login_as, data):
    client = login_as(Role.VIEWER).client
    rows = read_csv(client.get(f"/income/entries?year=2026-27&stream={data['printing'].id}&format=csv"))
    assert rows[0] == ["Date received", "Stream code", "Stream", "Service", "Site", "Reference", "Description",
                       "Amount", "Import batch", "Entered by"]  # fmt: skip
    assert [r[0:2] + r[5:6] + r[7:9] for r in rows[1:]] == [
        ["2026-05-06", "LIB-PRINT", "P2", "4.00", str(data["batch"])],
        ["2026-05-05", "LIB-PRINT", "P1", "3.00", ""],
    ]
    every = read_csv(client.get("/income/entries?year=2026-27&format=csv"))
    assert [every[3][0], every[3][1], every[3][2][1:]] == ["2026-05-04", "LIB-CAFE", INJECTED]
    assert every[3][2] == "'" + INJECTED and every[3][5] == "'=1+2"  # formulas defused
    sheet = read_xlsx(client.get(f"/income/entries?year=2026-27&stream={data['printing'].id}&format=xlsx"))
    assert sheet[0] == ("Income entries",) + (None,) * 9
    assert sheet[1][0].startswith("Financial year: 2026-27; Stream: LIB-PRINT")
    assert sheet[3][0].date() == date(2026, 5, 6) and sheet[3][7] == Decimal("4") and sheet[3][5] == "P2"


def test_streams_download_with_their_figures(login_as, data):
    rows = read_csv(login_as(Role.VIEWER).client.get("/income/streams?format=csv"))
    assert rows[0][:7] == ["Code", "Name", "Service", "Category", "Site", "Status", "Ledger codes"]
    cafe = next(r for r in rows if r[0] == "LIB-CAFE")
    assert cafe[1] == "'" + INJECTED and cafe[7] == "1200.00"
    sheet = read_xlsx(login_as(Role.VIEWER).client.get("/income/streams?text=print&format=xlsx"))
    assert [r[0] for r in sheet[3:]] == ["LIB-PRINT"]


def test_budgets_download(login_as, data):
    rows = read_csv(login_as(Role.FINANCE).client.get("/income/budgets/2026-27?format=csv"))
    assert rows[0][:5] == ["Stream code", "Stream", "Service", "Annual budget", "Q1"]
    assert rows[0][-1] == "P12 Mar"
    assert rows[1][:8] == [
        "LIB-CAFE",
        "'" + INJECTED,
        "Libraries",
        "1200.00",
        "300.00",
        "300.00",
        "300.00",
        "300.00",
    ]
    assert rows[2][3:] == [""] * 17  # no budget for Printing


def test_grants_and_projects_download(login_as, data):
    client = login_as(Role.VIEWER).client
    bids = read_csv(client.get("/grants/bids?format=csv"))
    assert bids[0][:3] == ["Title", "Funder", "Programme"] and bids[1][0] == "'" + INJECTED
    assert bids[1][6] == "10000.00"
    assert read_csv(client.get("/grants/bids?status=awarded&format=csv"))[1:] == []
    funders = read_xlsx(client.get("/grants/funders?format=xlsx"))
    assert funders[1][:2] == ("Funder", "Type") and funders[2][0] == "Arts Council England"  # no filters line
    projects = read_csv(client.get("/projects/?format=csv"))
    assert projects[1][:3] == ["Makerspaces", "Libraries", "Fran Finance"]
    milestones = read_xlsx(login_as(Role.FINANCE).client.get("/projects/milestones?format=xlsx"))
    assert milestones[3][:2] == ("Makerspaces", "Kit bought")
    assert milestones[3][3].date() == date(2026, 12, 1)


def test_imports_and_audit_download(login_as, data):
    client = login_as(Role.ADMIN).client
    batches = read_csv(client.get("/income/imports?format=csv"))
    assert batches[1][0] == str(data["batch"]) and batches[1][3:7] == ["income", "may.csv", "1", "0"]
    audit = read_csv(client.get("/admin/audit?entity=import_batches&format=csv"))
    assert audit[0] == ["Event", "At (UTC)", "Who", "Action", "Record type", "Record", "Summary", "Changes"]
    assert [r[3] for r in audit[1:]] == ["import"]
    assert audit[1][2] == "Fran Finance" and "rows_imported: None → 1" in audit[1][7]


def test_an_unknown_format_is_404_and_the_page_links_its_downloads(login_as, data):
    client = login_as(Role.VIEWER).client
    assert client.get("/income/entries?format=pdf").status_code == 404
    page = client.get("/income/entries?year=2026-27&stream=2&page=2").get_data(as_text=True)
    assert 'href="/income/entries?year=2026-27&amp;stream=2&amp;format=csv"' in page


def test_my_milestones_download(login_as, session, data):
    lead = login_as(Role.LEAD, name="Lee Lead")
    project = make_project(session, lead.user, name="Reading trails")
    make_milestone(session, project, lead.user, title="Trail printed", owner=lead.user)
    rows = read_csv(lead.client.get("/projects/milestones/mine?format=csv"))
    assert [r[:2] for r in rows[1:]] == [["Reading trails", "Trail printed"]]  # theirs, not Makerspaces


def test_a_long_list_streams_in_chunks(login_as, session, data):
    """More rows than a CSV chunk and a database fetch: the server-side cursor (PostgreSQL) lives
    as long as the response is streamed."""
    lines = "".join(f"07/05/2026,LIB-PRINT,1.00,BULK-{n}\n" for n in range(4500))
    imports.import_income(session, ("date,stream_code,amount,reference\n" + lines).encode(), "bulk.csv",
                          actor=None, today=date(2026, 11, 30))  # fmt: skip
    session.commit()
    rows = read_csv(login_as(Role.VIEWER).client.get("/income/entries?year=2026-27&format=csv"))
    assert len(rows) == 1 + 4500 + 3  # the header, the bulk lines and the three before
    assert sum(1 for r in rows if r[5].startswith("BULK-")) == 4500
