"""The upload screen: preview, confirm, problems per row, limits, the batch list and undo."""

import io
from datetime import date

from sqlalchemy import func, select

from incometrack.models import ImportBatch, IncomeEntry, Role
from tests.factories import make_stream

GOOD = b"date,stream_code,amount,reference\n01/05/2026,LIB-PRINT,10.00,R1\n02/05/2026,LIB-PRINT,\xa35.00,R2\n"


def upload(client, data, name="ledger.csv", kind="income", **extra):
    return client.post(
        "/income/import",
        data={"kind": kind, "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def token_of(html: str) -> str:
    return html.split('name="token" value="', 1)[1].split('"', 1)[0]


def test_preview_then_confirm_imports_once(login_as, session):
    make_stream(session, "LIB-PRINT")
    client = login_as(Role.FINANCE).client
    preview = upload(client, GOOD)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<strong>2</strong> rows will be imported" in html and "£5.00" in html
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    token = token_of(html)
    confirmed = client.post("/income/import/confirm", data={"token": token})
    assert confirmed.status_code == 302
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 2
    batch = session.scalar(select(ImportBatch))
    assert confirmed.headers["Location"].endswith(f"/income/imports/{batch.id}")
    again = client.post("/income/import/confirm", data={"token": token})
    assert again.status_code == 303  # the staged file is gone: it cannot be imported twice
    page = client.get(f"/income/imports/{batch.id}").get_data(as_text=True)
    assert "2 of its entries are still recorded" in page and batch.checksum in page


def test_a_token_belongs_to_the_user_who_uploaded(login_as, session):
    make_stream(session, "LIB-PRINT")
    token = token_of(upload(login_as(Role.FINANCE).client, GOOD).get_data(as_text=True))
    other = login_as(Role.FINANCE).client
    assert other.post("/income/import/confirm", data={"token": token}).status_code == 303
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0


def test_problems_are_listed_per_row_and_nothing_can_be_confirmed(login_as, session):
    make_stream(session, "LIB-PRINT")
    response = upload(login_as(Role.FINANCE).client, GOOD + b"32/05/2026,LIB-PRINT,abc,R3\n")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing has been imported: 2 problems found" in html
    assert "Date must be a real date" in html and "Amount must be in pounds and pence" in html
    assert 'name="token"' not in html


def test_a_renamed_binary_is_refused_beside_the_file_field(login_as):
    response = upload(login_as(Role.FINANCE).client, b"\x7fELF\x02\x01\x01\x00" * 10, name="ledger.csv")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#file"' in html and "binary data" in html


def test_no_file_chosen(login_as):
    response = login_as(Role.FINANCE).client.post("/income/import", data={"kind": "income"})
    assert response.status_code == 400
    assert "Select a CSV or XLSX file" in response.get_data(as_text=True)


def test_uploads_over_the_limit_get_413(app_config, app, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = upload(login_as(Role.FINANCE).client, b"x" * 5000)
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_viewers_cannot_import_or_undo(login_as, session):
    viewer = login_as(Role.VIEWER).client
    assert viewer.get("/income/import").status_code == 403
    assert upload(viewer, GOOD).status_code == 403
    assert viewer.get("/income/imports").status_code == 200


def test_undo_through_the_page(login_as, session):
    make_stream(session, "LIB-PRINT")
    client = login_as(Role.FINANCE).client
    client.post(
        "/income/import/confirm", data={"token": token_of(upload(client, GOOD).get_data(as_text=True))}
    )
    batch_id = session.scalar(select(ImportBatch.id))
    assert client.post(f"/income/imports/{batch_id}/undo").status_code == 302
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    assert "Undone" in client.get("/income/imports").get_data(as_text=True)


def test_streams_and_budgets_upload_through_the_same_screen(login_as, session):
    client = login_as(Role.FINANCE).client
    streams = b"code,name,service,category\nLIB-X,X,Libraries,Room and venue hire\n"
    token = token_of(upload(client, streams, kind="streams").get_data(as_text=True))
    assert client.post("/income/import/confirm", data={"token": token}).status_code == 302
    budgets = b"year,stream_code,annual_budget\n2026-27,LIB-X,400\n"
    token = token_of(upload(client, budgets, kind="budgets").get_data(as_text=True))
    assert client.post("/income/import/confirm", data={"token": token}).status_code == 302
    assert "LIB-X" in client.get("/income/budgets/2026-27").get_data(as_text=True)
    _ = date
