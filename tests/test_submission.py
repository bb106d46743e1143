"""Checking and submitting a return (DOMAIN.md): once, after the quarter's end, with commentary
on every Amber or Red stream or a reason printed on the return; DRAFT on every file until then;
commentary open until the submission, even in a locked quarter. By the web and by the CLI."""

import io
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from incometrack.models import Forecast, PeriodLock, ReturnSnapshot, Role
from incometrack.periods import FinancialYear
from incometrack.reports.returns import build_return, return_for
from incometrack.services import AS_READ, ServiceError, ValidationErrors, income, locks
from incometrack.services import returns as return_service
from tests.conftest import needs
from tests.factories import make_budget, make_entry, make_stream

Y = FinancialYear(2025)
Q1, Q2 = Y.quarter(1), Y.quarter(2)
META = {"council": "Kent County Council", "service_name": "Libraries, Registration and Archives"}
LATER = date(2026, 11, 30)


@pytest.fixture
def short(session):
    """LIB-ROOM forecast well short of budget (Red) with no commentary; LIB-OK on budget."""
    red = make_stream(session, "LIB-ROOM", name="Room hire")
    ok = make_stream(session, "LIB-OK", name="Printing", category="Printing and photocopying")
    make_budget(session, red, 400_000_00, year=2025)
    make_budget(session, ok, 4_000_00, year=2025)
    make_entry(session, red, date(2025, 5, 1), 10_000_00)
    make_entry(session, ok, date(2025, 5, 1), 2_000_00)
    income.save_forecast(session, red, Q1, 200_000_00, "Placeholder", actor=None, expected_version=AS_READ)
    session.commit()
    forecast = session.scalar(select(Forecast))
    forecast.commentary = ""  # as though entered before commentary was required
    session.commit()
    return red


def snapshots(session) -> int:
    return session.scalar(select(func.count()).select_from(ReturnSnapshot))


# The service ------------------------------------------------------------------------------------


def test_missing_commentary_needs_a_reason(session, short, make_user):
    finance = make_user(Role.FINANCE)
    with pytest.raises(ValidationErrors) as refused:
        return_service.submit(session, Q1, actor=finance, today=LATER, **META)
    assert refused.value.errors == {
        "reason": "1 Amber or Red stream has no commentary (LIB-ROOM): "
        "add it, or give the reason for submitting without it"
    }
    session.rollback()
    assert snapshots(session) == 0 and not locks.is_locked(session, Q1)


def test_the_reason_is_kept_with_the_snapshot(session, short, make_user):
    finance = make_user(Role.FINANCE)
    return_service.submit(session, Q1, actor=finance, reason="Agreed with the chair", today=LATER, **META)
    session.commit()
    note = return_for(session, Q1, **META).submission_note
    assert (note.reason, note.streams) == ("Agreed with the chair", ("LIB-ROOM",))


def test_with_commentary_no_reason_is_needed(session, short, make_user):
    finance = make_user(Role.FINANCE)
    income.save_commentary(session, short, Q1, "Closure for repairs", actor=finance, expected_version=AS_READ)
    return_service.submit(session, Q1, actor=finance, today=LATER, **META)
    session.commit()
    assert return_for(session, Q1, **META).submission_note is None


def test_refused_before_the_quarter_ends_and_a_second_time(session, short, make_user):
    finance = make_user(Role.FINANCE)
    with pytest.raises(ServiceError, match="can be submitted from 1 Jul 2025, once the quarter has ended"):
        return_service.submit(session, Q1, actor=finance, reason="x", today=date(2025, 6, 30), **META)
    session.rollback()
    return_service.submit(session, Q1, actor=finance, reason="x", today=LATER, **META)
    session.commit()
    with pytest.raises(ServiceError, match=r"was submitted on .*; it cannot be submitted again"):
        return_service.submit(session, Q1, actor=finance, reason="x", today=LATER, **META)
    session.rollback()
    assert snapshots(session) == 1


def test_commentary_stays_open_in_a_locked_quarter_until_submission(session, short, make_user):
    finance = make_user(Role.FINANCE)
    locks.lock(session, Q1, actor=finance)
    session.commit()
    income.save_commentary(session, short, Q1, "Closure for repairs", actor=finance, expected_version=AS_READ)
    session.commit()
    assert not build_return(session, Q1, **META).streams_needing_commentary
    assert return_service.quarters_to_lock(session, Q2) == [Q2]


def test_commentary_on_a_default_forecast_records_the_forecast_that_stands(session, make_user):
    finance = make_user(Role.FINANCE)
    stream = make_stream(session, "LIB-ROOM")
    make_budget(session, stream, 400_000_00, year=2025)
    make_entry(session, stream, date(2025, 5, 1), 10_000_00)
    before = build_return(session, Q1, **META).streams[0]
    assert before.forecast_is_default and before.figures.forecast_outturn == 310_000_00
    income.save_commentary(
        session, stream, Q1, "Branch closed for two months", actor=finance, expected_version=AS_READ
    )
    session.commit()
    after = build_return(session, Q1, **META).streams[0]
    assert (after.figures.forecast_outturn, after.commentary) == (310_000_00, "Branch closed for two months")


# DRAFT in every format --------------------------------------------------------------------------


def files_of(report) -> tuple[bytes, bytes]:
    made = []
    for fmt in ("xlsx", "pdf"):
        buffer = io.BytesIO()
        return_service.write_file(report, fmt, buffer)
        made.append(buffer.getvalue())
    return made[0], made[1]


def summary_heading(xlsx: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(xlsx))["Summary"]
    return [row[0] for row in sheet.iter_rows(max_row=6, max_col=1, values_only=True) if row[0]]


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "return.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout  # fmt: skip
    return [page for page in text.split("\f") if page.strip()]


@needs("pdftotext")
def test_a_draft_says_so_in_every_format(session, short, tmp_path, login_as):
    report = build_return(session, Q1, **META)
    assert return_service.file_name(report, "xlsx") == "financial-resilience-return-2025-26-Q1-DRAFT.xlsx"
    xlsx, pdf = files_of(report)
    heading = summary_heading(xlsx)
    assert heading[0] == "Financial resilience return 2025-26 Q1 DRAFT"
    assert "DRAFT: not submitted; the figures may still change." in heading
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) > 1 and all("DRAFT: not submitted" in page for page in pages)
    html = login_as(Role.FINANCE).client.get("/returns/2025-26/1").get_data(as_text=True)
    assert "This return is a draft until it is submitted" in html


@needs("pdftotext")
def test_a_submitted_return_says_no_draft_and_prints_the_reason(session, short, tmp_path, login_as):
    finance = login_as(Role.FINANCE)
    return_service.submit(
        session, Q1, actor=finance.user, reason="Agreed with the chair", today=LATER, **META
    )
    session.commit()
    report = return_for(session, Q1, **META)
    assert return_service.file_name(report, "pdf") == "financial-resilience-return-2025-26-Q1.pdf"
    xlsx, pdf = files_of(report)
    reason = "Submitted without commentary for LIB-ROOM. Reason given: Agreed with the chair"
    heading = summary_heading(xlsx)
    assert heading[0] == "Financial resilience return 2025-26 Q1" and reason in heading
    assert not any("DRAFT" in line for line in heading)
    pages = pdf_pages(pdf, tmp_path)
    assert not any("DRAFT" in page for page in pages) and reason in " ".join(pages[0].split())
    html = finance.client.get("/returns/2025-26/1").get_data(as_text=True)
    assert "draft until it is submitted" not in html
    assert "Submitted without commentary</strong> for LIB-ROOM. Reason given: Agreed with the chair" in html


# The pages -----------------------------------------------------------------------------------


def test_check_and_submit_lists_what_is_outstanding_and_what_it_locks(session, short, login_as):
    client = login_as(Role.FINANCE).client
    page = client.get("/returns/2025-26/2/submit").get_data(as_text=True)
    assert "1 stream is rated Amber or Red without commentary" in page
    assert 'href="/returns/2025-26/2/commentary#stream-LIB-ROOM"' in page
    assert "These quarters are locked against new or changed entries: 2025-26 Q1, 2025-26 Q2." in page
    no_reason = client.post("/returns/2025-26/2/submit", data={"confirm": "y"})
    assert no_reason.status_code == 400
    assert "give the reason for submitting without it" in no_reason.get_data(as_text=True)
    assert snapshots(session) == 0 and session.scalar(select(func.count()).select_from(PeriodLock)) == 0
    done = client.post("/returns/2025-26/2/submit", data={"confirm": "y", "reason": "Chair agreed"})
    assert done.status_code == 302
    session.reread()
    assert snapshots(session) == 1 and locks.is_locked(session, Q1) and locks.is_locked(session, Q2)
    again = client.get("/returns/2025-26/2/submit").get_data(as_text=True)
    assert "cannot be submitted again" in again and "Submit the" not in again


def test_the_current_quarter_cannot_be_submitted_from_the_page(session, login_as):
    client = login_as(Role.FINANCE).client
    current = FinancialYear.containing(date.today()).label
    page = client.get(f"/returns/{current}/4/submit").get_data(as_text=True)
    assert "once the quarter has ended" in page and 'type="checkbox"' not in page
    refused = client.post(f"/returns/{current}/4/submit", data={"confirm": "y", "reason": "x"})
    assert refused.status_code == 303 and snapshots(session) == 0


def test_one_page_writes_the_quarters_commentary(session, short, login_as):
    client = login_as(Role.FINANCE).client
    locks.lock(session, Q1, actor=login_as(Role.ADMIN).user)
    session.commit()
    page = client.get("/returns/2025-26/1/commentary").get_data(as_text=True)
    assert "LIB-ROOM Room hire" in page and "LIB-OK" not in page
    assert '<label class="govuk-label" for="rows-0-commentary">' in page
    version = session.scalar(select(Forecast.version))
    form = {
        "rows-0-stream_id": short.id,
        "rows-0-version": version,
        "rows-0-commentary": "Closure for repairs",
    }
    saved = client.post("/returns/2025-26/1/commentary", data=form)
    assert saved.status_code == 302
    session.reread()
    assert session.scalar(select(Forecast.commentary)) == "Closure for repairs"
    stale = client.post("/returns/2025-26/1/commentary", data=form | {"rows-0-commentary": "Other words"})
    assert stale.status_code == 303
    session.reread()
    assert session.scalar(select(Forecast.commentary)) == "Closure for repairs"


def test_commentary_is_frozen_once_submitted(session, short, login_as):
    finance = login_as(Role.FINANCE)
    return_service.submit(session, Q1, actor=finance.user, reason="Chair agreed", today=LATER, **META)
    session.commit()
    page = finance.client.get("/returns/2025-26/1/commentary").get_data(as_text=True)
    assert "its commentary is frozen" in page and "Save commentary" not in page
    form = {"rows-0-stream_id": short.id, "rows-0-version": "1", "rows-0-commentary": "Too late"}
    finance.client.post("/returns/2025-26/1/commentary", data=form)
    session.reread()
    assert session.scalar(select(Forecast.commentary)) == ""


# The command line -----------------------------------------------------------------------------


def test_submit_return_command(runner, session, short, make_user):
    finance = make_user(Role.FINANCE, email="farah@example.gov.uk")
    make_user(Role.VIEWER, email="viv@example.gov.uk")
    args = ["submit-return", "--year", "2025-26", "--quarter", "2", "--by"]
    viewer = runner.invoke(args=[*args, "viv@example.gov.uk", "--reason", "x"])
    assert viewer.exit_code == 1 and "Only finance officers and administrators submit" in viewer.output
    nobody = runner.invoke(args=[*args, "nobody@example.gov.uk"])
    assert nobody.exit_code == 1 and "No active user has the email" in nobody.output
    no_reason = runner.invoke(args=[*args, finance.email])
    assert no_reason.exit_code == 1
    assert (
        "no commentary (LIB-ROOM): add it, or give the reason (--reason) for submitting" in no_reason.output
    )
    assert "Traceback" not in no_reason.output
    early = runner.invoke(
        args=["submit-return", "--year", "2099-00", "--quarter", "1", "--by", finance.email]
    )
    assert early.exit_code != 0 and "Traceback" not in early.output
    done = runner.invoke(args=[*args, finance.email, "--reason", "Chair agreed"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        "Submitted the 2025-26 Q2 return as farah@example.gov.uk.",
        "Locked 2025-26 Q1, 2025-26 Q2.",
    ]
    again = runner.invoke(args=[*args, finance.email, "--reason", "Chair agreed"])
    assert again.exit_code == 1 and "cannot be submitted again" in again.output
    session.reread()
    assert snapshots(session) == 1
