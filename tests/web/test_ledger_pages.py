"""Import profiles made on screen from an extract's own header, a ledger extract previewed so it
reconciles with the ledger, and the templates of each import kind (issue 17)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from incometrack.models import ImportProfile, IncomeEntry, IncomeStream, Role, UnmappedLines
from tests.contracts import IMPORT_TEMPLATES
from tests.factories import make_entry, make_stream
from tests.test_ledger_import import extract, ledger  # noqa: F401 - the fixture
from tests.web.test_import_pages import token_of, upload


def test_a_profile_is_made_from_the_columns_of_an_uploaded_extract(login_as, session):
    client = login_as(Role.FINANCE).client
    read = client.post(
        "/income/import/profiles/new",
        data={"file": (io.BytesIO(extract(encoding="cp1252")), "november.csv")},
        content_type="multipart/form-data",
    )
    html = read.get_data(as_text=True)
    assert read.status_code == 200
    # The header found below the title rows, its columns offered and the likely ones chosen.
    assert '<option value="Trans Date" selected>Trans Date</option>' in html
    assert '<option value="Cost Centre" selected>Cost Centre</option>' in html
    assert '<option value="Narrative" selected>Narrative</option>' in html
    columns = "\n".join(["Trans Date", "Cost Centre", "Account", "Amount", "Our Ref", "Narrative"])
    saved = client.post(
        "/income/import/profiles/save",
        data={"name": "Oracle monthly", "columns": columns, "date_column": "Trans Date", "amount_column": "Amount",
              "code_1": "Cost Centre", "code_2": "Account", "reference_column": "Our Ref",
              "description_column": "Narrative", "income_negative": "yes", "unmapped": "refuse"},
    )  # fmt: skip
    assert saved.status_code == 302, saved.get_data(as_text=True)
    session.reread()
    profile = session.scalar(select(ImportProfile))
    assert (profile.name, profile.codes, profile.income_negative, profile.unmapped) == (
        "Oracle monthly", ["Cost Centre", "Account"], True, UnmappedLines.REFUSE,
    )  # fmt: skip
    listed = client.get("/income/import/profiles").get_data(as_text=True)
    assert "Oracle monthly" in listed and "Cost Centre - Account" in listed


def test_every_missing_choice_is_shown_at_once(login_as):
    client = login_as(Role.FINANCE).client
    response = client.post(
        "/income/import/profiles/save",
        data={"name": "", "columns": "Date\nAmount", "income_negative": "no", "unmapped": "skip"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Enter a name for the profile", "Choose the date column", "Choose the amount column",
                    "Choose the ledger code column"):  # fmt: skip
        assert message in html


def test_a_ledger_extract_previews_reconciled_then_imports(login_as, session, ledger):  # noqa: F811
    client = login_as(Role.FINANCE).client
    refused = upload(client, extract(), kind="ledger")
    assert refused.status_code == 400
    assert "Choose the import profile for this ledger extract" in refused.get_data(as_text=True)
    preview = upload(client, extract(encoding="utf-16"), kind="ledger", profile_id=str(ledger.id))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "LIB-ROOM Room hire" in html and "£1,713.10" in html and "£980.00" in html
    assert "ARC07-9100" in html and "£12.00" in html
    assert "All income lines in the file" in html and "£2,705.10" in html
    assert "(they agree with the lines)" in html
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    confirmed = client.post("/income/import/confirm", data={"token": token_of(html)})
    assert confirmed.status_code == 302
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 6


def test_a_confirm_after_the_profile_changed_is_refused(login_as, session, ledger):  # noqa: F811
    """Previewed as income; another officer then switches the profile's sign: confirming would
    import the lines negated, so it is refused and nothing is written."""
    client = login_as(Role.FINANCE).client
    preview = upload(client, extract(), kind="ledger", profile_id=str(ledger.id))
    assert preview.status_code == 200
    ledger.income_negative = not ledger.income_negative
    session.commit()
    refused = client.post("/income/import/confirm", data={"token": token_of(preview.get_data(as_text=True))})
    assert refused.status_code == 409
    assert "changed after this preview; preview the file again" in refused.get_data(as_text=True)
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0


@pytest.mark.parametrize("kind", sorted(IMPORT_TEMPLATES))
def test_each_kind_has_a_template_of_its_columns(login_as, kind):
    client = login_as(Role.FINANCE).client
    response = client.get(f"/income/import/templates/{kind}.csv")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"] == f'attachment; filename="incometrack-{kind}-template.csv"'
    )
    assert response.get_data().decode("utf-8-sig").splitlines() == list(IMPORT_TEMPLATES[kind])


def test_the_income_template_imports_as_it_is(login_as, session):
    make_stream(session, "LIB-ROOM")
    client = login_as(Role.FINANCE).client
    template = client.get("/income/import/templates/income.csv").get_data()
    preview = upload(client, template)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert "<strong>1</strong> rows will be imported" in preview.get_data(as_text=True)


def test_an_unknown_template_is_404(login_as):
    assert login_as(Role.FINANCE).client.get("/income/import/templates/ledger.csv").status_code == 404


def test_ledger_codes_are_kept_on_the_stream_form(login_as, session):
    stream = make_stream(session, "LIB-ROOM")
    client = login_as(Role.FINANCE).client
    form = client.get(f"/income/streams/{stream.id}/edit").get_data(as_text=True)
    assert 'name="ledger_codes"' in form
    data = {"code": "LIB-ROOM", "name": "Room hire", "service_id": stream.service_id,
            "category_id": stream.category_id, "status": "active", "version": stream.version,
            "ledger_codes": "lib01-9100\nLIB01-9101"}  # fmt: skip
    assert client.post(f"/income/streams/{stream.id}/edit", data=data).status_code == 302
    page = client.get(f"/income/streams/{stream.id}").get_data(as_text=True)
    assert "LIB01-9100; LIB01-9101" in page
    other = make_stream(session, "LIB-PRINT")
    data.update(code="LIB-PRINT", version=other.version, ledger_codes="LIB01-9101")
    clash = client.post(f"/income/streams/{other.id}/edit", data=data)
    assert clash.status_code == 400
    assert "Ledger code LIB01-9101 already belongs to stream LIB-ROOM" in clash.get_data(as_text=True)


def test_unmapped_codes_are_mapped_on_the_preview_and_the_file_checked_again(login_as, session, ledger):  # noqa: F811
    archives = make_stream(session, "ARC-COPY", name="Archive copying")
    session.commit()
    client = login_as(Role.FINANCE).client
    preview = upload(client, extract(), kind="ledger", profile_id=str(ledger.id))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<strong>6</strong> rows will be imported" in html
    assert '<label class="govuk-label" for="codes-0-stream_id">' in html and "Stream for ARC07-9100" in html
    token = token_of(html)
    mapped = client.post(
        "/income/import/map",
        data={"token": token, "codes-0-code": "ARC07-9100", "codes-0-stream_id": str(archives.id)},
    )
    again = mapped.get_data(as_text=True)
    assert mapped.status_code == 200, again[:500]
    assert "1 ledger code added to streams; the file is checked again." in again
    assert "<strong>7</strong> rows will be imported" in again and "Map these codes to streams" not in again
    session.reread()
    assert sorted(c.code for c in session.get(type(archives), archives.id).ledger_codes) == ["ARC07-9100"]
    assert client.post("/income/import/confirm", data={"token": token_of(again)}).status_code == 302
    session.reread()
    assert session.scalar(select(IncomeEntry.amount).where(IncomeEntry.reference == "ARC-1")) == 12_00


def test_a_code_mapped_to_nothing_stays_left_out_and_a_bad_choice_is_refused(login_as, session, ledger):  # noqa: F811
    client = login_as(Role.FINANCE).client
    token = token_of(
        upload(client, extract(), kind="ledger", profile_id=str(ledger.id)).get_data(as_text=True)
    )
    left = client.post(
        "/income/import/map", data={"token": token, "codes-0-code": "ARC07-9100", "codes-0-stream_id": ""}
    )
    assert left.status_code == 200 and "<strong>6</strong> rows will be imported" in left.get_data(
        as_text=True
    )
    bad = client.post(
        "/income/import/map", data={"token": token, "codes-0-code": "ARC07-9100", "codes-0-stream_id": "abc"}
    )
    assert bad.status_code == 400 and "Choose stream for arc07-9100 from the list" in bad.get_data(
        as_text=True
    )
    missing = client.post(
        "/income/import/map",
        data={"token": token, "codes-0-code": "ARC07-9100", "codes-0-stream_id": "99999"},
    )
    assert missing.status_code == 400 and "Choose a stream from the list" in missing.get_data(as_text=True)
    gone = client.post(
        "/income/import/map", data={"token": "nope", "codes-0-code": "X", "codes-0-stream_id": ""}
    )
    assert gone.status_code == 303


def test_a_ledger_batch_keeps_what_it_did_lists_its_own_entries_and_can_be_undone(
    login_as,
    session,
    ledger,  # noqa: F811
):
    room = session.scalar(select(IncomeStream).where(IncomeStream.code == "LIB-ROOM"))
    make_entry(session, room, date(2026, 11, 2), 99_00, reference="TYPED")
    session.commit()
    client = login_as(Role.FINANCE).client
    token = token_of(
        upload(client, extract(), kind="ledger", profile_id=str(ledger.id)).get_data(as_text=True)
    )
    confirmed = client.post("/income/import/confirm", data={"token": token})
    assert confirmed.status_code == 302
    batch_url = confirmed.headers["Location"]
    batch_id = int(batch_url.rsplit("/", 1)[1])
    page = client.get(batch_url).get_data(as_text=True)
    assert "<li>imported 6, skipped 0 duplicates, skipped 1 unmapped lines (£12.00)</li>" in page
    assert "<li>unmapped ARC07-9100: 1 line (£12.00)</li>" in page
    assert f'href="/income/entries?year=&amp;batch={batch_id}"' in page
    listed = client.get(f"/income/entries?year=&batch={batch_id}").get_data(as_text=True)
    assert "Showing only the entries added by import" in listed
    assert "INV-1" in listed and "TYPED" not in listed
    assert f"batch={batch_id}" in client.get(f"/income/entries?year=&batch={batch_id}&format=csv").request.url
    rows = (
        client.get(f"/income/entries?year=&batch={batch_id}&format=csv").get_data(as_text=True).splitlines()
    )
    assert len(rows) == 1 + 6
    assert client.get("/income/entries?batch=abc").status_code == 400
    assert client.get("/income/entries?batch=99999").status_code == 404
    assert client.post(f"/income/imports/{batch_id}/undo", data={"version": "1"}).status_code in (302, 303)
    session.reread()
    assert session.scalars(select(IncomeEntry.reference)).all() == ["TYPED"]


def test_the_preview_reconciles_first_with_the_import_button_beside_it(login_as, session, ledger):  # noqa: F811
    client = login_as(Role.FINANCE).client
    html = upload(client, extract(), kind="ledger", profile_id=str(ledger.id)).get_data(as_text=True)
    reconciliation, button = html.index('id="reconciliation"'), html.index('id="confirm-import"')
    assert reconciliation < button < html.index("To be imported, by stream") < html.index("The first lines")
    assert (
        "<li>Unmapped ARC07-9100" not in html and html.count("ARC07-9100: 1 line") == 0
    )  # once, in its table
    first_lines = html[html.index("The first lines") :]
    assert "LIB-ROOM Room hire" in first_lines  # each line's stream


def test_nothing_to_import_has_no_button_but_a_reason(login_as, session, ledger):  # noqa: F811
    client = login_as(Role.FINANCE).client
    first = upload(client, extract(), kind="ledger", profile_id=str(ledger.id))
    assert (
        client.post(
            "/income/import/confirm", data={"token": token_of(first.get_data(as_text=True))}
        ).status_code
        == 302
    )
    again = upload(client, extract(), kind="ledger", profile_id=str(ledger.id)).get_data(as_text=True)
    assert 'id="confirm-import"' not in again
    assert (
        "There is nothing to import: every line is already recorded or has a code that belongs to no stream"
        in again
    )


def test_lines_dated_long_before_the_month_being_closed_are_warned_of():
    from incometrack.services.imports import ImportResult

    result = ImportResult("ledger", "leeds.csv", "", first_date=date(2020, 5, 1), last_date=date(2020, 6, 30))
    assert result.dating_warnings(date(2026, 12, 7)) == [
        "Lines are dated from 01/05/2020, before the open year 2026-27 began on 01/04/2026.",
        "The newest line is dated 30/06/2020, more than a month before the month being closed"
        " (November 2026, 2026-27 P8). Is this the right extract?",
    ]
    this_month = ImportResult(
        "ledger", "nov.csv", "", first_date=date(2026, 4, 1), last_date=date(2026, 11, 30)
    )
    assert this_month.dating_warnings(date(2026, 12, 7)) == []
    october = ImportResult(
        "ledger", "oct.csv", "", first_date=date(2026, 10, 1), last_date=date(2026, 10, 31)
    )
    assert october.dating_warnings(date(2026, 12, 7)) == []  # a month before November: no warning
    september = ImportResult(
        "ledger", "sep.csv", "", first_date=date(2026, 9, 1), last_date=date(2026, 9, 30)
    )
    assert len(september.dating_warnings(date(2026, 12, 7))) == 1
