"""Month end from real published ledger extracts (issue 27), through the screens: Leeds City
Council's June 2020 spending (Windows-1252, codes such as ``Libraries  Arts & Heritage`` with
``227``) and the Greater London Authority's payments for 2012-13 period 10 (six title rows above
the header, amounts in brackets, a totals row). Both are kept byte for byte in ``tests/data`` (Open
Government Licence v3.0, see ``tests/data/PROVENANCE.tsv``).

The expected counts and totals were worked out from the files with Python's csv module, apart from
IncomeTrack: Leeds holds 20 lines under ten "Libraries Arts & Heritage" codes totalling £19,272.04;
the GLA's 860 lines total £66,938,627.74 (as its totals row says), 79 of them £17,679,375.78 under
"Grants to External Organisations" 544075.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from incometrack.models import IncomeEntry, Role
from incometrack.periods import FinancialYear
from incometrack.services import AS_READ, income_totals, locks, profiles
from tests.factories import make_stream
from tests.web.test_import_pages import token_of, upload

DATA = Path(__file__).parent / "data"
LEEDS = (DATA / "leeds-2020-06-part.csv").read_bytes()
GLA = (DATA / "gla-2012-13-P10-250.csv").read_bytes()


def mapping_of(html: str, wanted) -> dict[str, str]:
    """The preview's mapping form as the browser would post it, each code whose name ``wanted``
    accepts given ``wanted``'s stream id (others left out)."""
    form = {"token": re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html).group(1)}
    for number, code in re.findall(r'name="codes-(\d+)-code" type="hidden" value="([^"]*)"', html):
        code = code.replace("&amp;", "&").replace("&#39;", "'")
        form[f"codes-{number}-code"] = code
        form[f"codes-{number}-stream_id"] = wanted(code) or ""
    return form


def saved_profile(session, name, date, amount, codes, reference, description):
    return profiles.save_profile(
        session,
        profiles.ProfileInput(name, date, amount, codes, reference, description),
        actor=None,
        expected_version=AS_READ,
    )


def entries_total(session) -> tuple[int, int]:
    session.reread()
    return tuple(session.execute(select(func.count(), func.coalesce(func.sum(IncomeEntry.amount), 0))).one())


def test_the_leeds_extract_with_its_real_codes_mapped_on_the_preview_then_again_year_to_date(
    login_as, session, make_user
):
    arts = make_stream(session, "LIB-ARTS", name="Libraries, arts and heritage")
    profile = saved_profile(
        session, "Leeds spending", "Payment Date", "Amount", ("Service Division Label", "Detailed Expenditure Code"),
        "Transaction Number", "Beneficiary Name",
    )  # fmt: skip
    session.commit()
    client = login_as(Role.FINANCE).client

    preview = upload(client, LEEDS, name="leeds-2020-06-part.csv", kind="ledger", profile_id=str(profile.id))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:500]
    assert "leeds-2020-06-part.csv: 1559 rows read." in html  # and one empty row
    assert (
        "Read with the profile Leeds spending: date from “Payment Date”; amount from “Amount”; ledger code from"
        " “Service Division Label” + “Detailed Expenditure Code”; reference from “Transaction Number”;"
        " description from “Beneficiary Name”."
    ) in html
    assert "<strong>0</strong> rows will be imported" in html
    assert "There is nothing to import: no line's code belongs to a stream yet" in html
    assert 'id="confirm-import"' not in html
    assert "Stream for LIBRARIES ARTS &amp; HERITAGE-205" in html

    libraries = "LIBRARIES ARTS & HERITAGE-"
    form = mapping_of(html, lambda code: str(arts.id) if code.startswith(libraries) else None)
    assert sum(1 for key, value in form.items() if key.endswith("stream_id") and value) == 10
    mapped = client.post("/income/import/map", data=form)
    again = mapped.get_data(as_text=True)
    assert mapped.status_code == 200, again[:500]
    assert "10 ledger codes added to streams" in again
    assert "<strong>20</strong> rows will be imported" in again
    assert "Lines are dated from 30/04/2020, before the open year" in again  # long closed

    assert client.post("/income/import/confirm", data={"token": token_of(again)}).status_code == 302
    assert entries_total(session) == (20, 19_272_04)

    # Q1 2020-21 is submitted and locked; the same extract again adds nothing
    locks.lock(session, FinancialYear(2020).quarter(1), actor=make_user(Role.FINANCE))
    session.commit()
    rerun = upload(client, LEEDS, name="leeds-2020-06-part.csv", kind="ledger", profile_id=str(profile.id))
    text = rerun.get_data(as_text=True)
    assert rerun.status_code == 200, text[:500]
    assert "<strong>0</strong> rows will be imported and <strong>20</strong> duplicates skipped" in text
    assert entries_total(session) == (20, 19_272_04)
    assert income_totals.differences(session) == []  # the totals the return reads moved with them


def test_the_gla_extract_below_its_title_rows_reconciles_with_its_totals_row(login_as, session):
    grants = make_stream(session, "GLA-GRANTS", name="Grants to external organisations")
    profile = saved_profile(
        session, "GLA payments", "Clearing Date", "Amount", ("Expenditure Account Code Description", "Cost Element"),
        "Document No", "Vendor Name",
    )  # fmt: skip
    session.commit()
    client = login_as(Role.FINANCE).client
    html = upload(client, GLA, name="gla.csv", kind="ledger", profile_id=str(profile.id)).get_data(
        as_text=True
    )
    form = mapping_of(
        html, lambda code: str(grants.id) if code == "GRANTS TO EXTERNAL ORGANISATIONS-544075" else None
    )
    again = client.post("/income/import/map", data=form).get_data(as_text=True)
    assert "<strong>79</strong> rows will be imported" in again
    assert "(they agree with the lines)" in again  # the totals row equals every line of the file
    reconciliation = again[again.index('id="reconciliation"') :]
    assert "£66,938,627.74" in reconciliation
    assert client.post("/income/import/confirm", data={"token": token_of(again)}).status_code == 302
    assert entries_total(session) == (79, 1_767_937_578)
    assert income_totals.differences(session) == []  # the totals the return reads moved with them


def test_profiles_made_from_the_real_extracts_propose_only_what_their_values_bear_out(login_as):
    client = login_as(Role.FINANCE).client

    def offered(data: bytes, name: str) -> str:
        response = client.post(
            "/income/import/profiles/new",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def chosen(html: str, field: str) -> str | None:
        select = html[html.index(f'name="{field}"') :]
        select = select[: select.index("</select>")]
        found = re.search(r'<option value="([^"]*)" selected>', select)
        return found.group(1) if found and found.group(1) else None

    leeds = offered(LEEDS, "leeds.csv")
    # Payment Date over Effective Date (the period end), Amount not the all-zero VAT column, the
    # expenditure code and not the Organisation Code, whose values are web addresses
    assert (chosen(leeds, "date_column"), chosen(leeds, "amount_column"), chosen(leeds, "code_1")) == (
        "Payment Date", "Amount", "Detailed Expenditure Code",
    )  # fmt: skip
    assert chosen(leeds, "reference_column") == "Transaction Number"
    assert "Http://opendatacommunities.org/id/metropolitan-district-council/leeds" in leeds  # its samples
    assert 'name="income_negative" type="radio" value="yes" checked' not in leeds  # the sign is asked
    assert 'value="no" checked' not in leeds

    gla = offered(GLA, "gla.csv")
    assert (chosen(gla, "date_column"), chosen(gla, "amount_column")) == ("Clearing Date", "Amount")
    assert (chosen(gla, "code_1"), chosen(gla, "code_2")) == (
        "Expenditure Account Code Description",
        "Cost Element",
    )

    refused = client.post(
        "/income/import/profiles/save",
        data={"name": "Leeds", "columns": "Payment Date\nAmount\nCode", "date_column": "Payment Date",
              "amount_column": "Amount", "code_1": "Code", "unmapped": "skip"},
    )  # fmt: skip
    assert refused.status_code == 400 and "Select how this ledger prints income" in refused.get_data(
        as_text=True
    )
