"""Races through gunicorn (4 workers) on SQLite and PostgreSQL (issue 13, items 1, 2, 5, 6, 17).

Each scenario sends the same request from several clients at the same moment and checks the
database afterwards: one import per preview, checksums of the bytes actually sent, unique-key
races answered with a plain refusal or 409 and never a 500, and a preview made on one app server
confirmed on another.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from datetime import date

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import (
    ExportRecord,
    Funder,
    IncomeEntry,
    IncomeStream,
    PeriodLock,
    ReturnSnapshot,
    Role,
)
from incometrack.periods import FinancialYear
from incometrack.services import imports, locks
from tests.factories import make_entry, make_funder, make_stream
from tests.test_concurrency import sign_in, start_gunicorn, token

#: Other processes (gunicorn, the command line, raw connections) write here.
pytestmark = pytest.mark.full_reset

CLIENTS = 4


@pytest.fixture
def gunicorn(database_url, tmp_path, reference_rows):
    with start_gunicorn(database_url, tmp_path / "server") as server:
        yield server


def at_once(calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=60)
        results[index] = call()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def csrf(client: requests.Session, url: str) -> str:
    return token(client.get(url, timeout=60).text)


def test_one_preview_confirmed_by_several_requests_at_once_imports_once(gunicorn, session, make_user):
    base, log = gunicorn
    make_stream(session, "LIB-A")
    person = make_user(Role.FINANCE)
    client = sign_in(base, person.email)
    lines = "".join(f"{1 + n % 28:02d}/05/2026,LIB-A,{n + 1}.00,R{n}\n" for n in range(200))
    data = f"date,stream_code,amount,reference\n{lines}".encode()
    preview = client.post(
        f"{base}/income/import",
        data={"kind": "income", "csrf_token": csrf(client, f"{base}/income/import")},
        files={"file": ("ledger.csv", io.BytesIO(data), "text/csv")},
        timeout=60,
    )
    assert preview.status_code == 200, preview.text[:500]
    staged = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    form = {"token": staged, "csrf_token": token(preview.text)}
    statuses = at_once(
        [
            lambda: (
                client.post(
                    f"{base}/income/import/confirm", data=form, allow_redirects=False, timeout=120
                ).status_code
            )
        ]
        * 3
    )
    assert sorted(statuses) == [302, 303, 303], log.read_text()[-3000:]
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 200


def test_locking_a_quarter_and_importing_into_it_are_ordered(engine, session, make_user):
    """An import in flight holds the lock back until it commits; an import after a lock sees it."""
    make_stream(session, "LIB-A")
    person = make_user(Role.FINANCE)
    quarter = FinancialYear(2026).quarter(1)
    data = b"date,stream_code,amount,reference\n01/05/2026,LIB-A,5.00,R1\n"
    importing = Session(engine)
    result = imports.import_income(importing, data, "a.csv", actor=importing.get(type(person), person.id))
    assert result.ok  # written, not yet committed
    locked = threading.Event()

    def lock_it():
        with Session(engine) as locking:
            locks.lock(locking, quarter, actor=locking.get(type(person), person.id))
            locking.commit()
        locked.set()

    thread = threading.Thread(target=lock_it)
    thread.start()
    assert not locked.wait(1.5)  # the lock waits for the import's transaction
    importing.commit()
    importing.close()
    thread.join(timeout=30)
    assert locked.is_set()
    with Session(engine) as later:
        refused = imports.import_income(
            later, b"date,stream_code,amount,reference\n02/05/2026,LIB-A,6.00,R2\n", "b.csv",
            actor=later.get(type(person), person.id),
        )  # fmt: skip
        assert [e.message for e in refused.errors] == [locks.locked_message(quarter)]
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 1


@pytest.mark.parametrize("what", ["stream", "funder", "lock", "submit"])
def test_creating_the_same_unique_thing_at_once_is_never_a_server_error(gunicorn, session, make_user, what):
    base, log = gunicorn
    people = [make_user(Role.FINANCE) for _ in range(CLIENTS)]
    clients = [sign_in(base, p.email) for p in people]
    if what == "stream":
        url = f"{base}/income/streams/new"
        service_id = session.execute(select(func.min(IncomeStream.service_id))).scalar() or 1
        from tests.factories import category_id
        from tests.factories import service_id as service_of

        extra = {
            "code": "LIB-NEW",
            "name": "New",
            "service_id": service_of(session),
            "category_id": category_id(session),
            "status": "active",
        }
        del service_id
    elif what == "funder":
        url = f"{base}/grants/funders/new"
        extra = {"name": "Same Trust", "type": "trust/foundation"}
    elif what == "lock":
        url = f"{base}/income/locks"
        extra = {"year": "2025-26", "quarter": "1", "confirmed": "1"}
    else:
        url = f"{base}/returns/2025-26/1/submit"
        extra = {"confirm": "y", "reason": "Two officers submitting at once"}
    page = f"{base}/returns/2025-26/1" if what == "submit" else url
    forms = [dict(extra, csrf_token=csrf(c, page)) for c in clients]
    statuses = at_once(
        [
            lambda c=c, f=f: c.post(url, data=f, allow_redirects=False, timeout=120).status_code
            for c, f in zip(clients, forms, strict=True)
        ]
    )
    assert all(s in (302, 303, 400, 409) for s in statuses), (statuses, log.read_text()[-3000:])
    assert "Traceback" not in log.read_text()
    session.reread()
    counts = {
        "stream": select(func.count()).select_from(IncomeStream),
        "funder": select(func.count()).select_from(Funder),
        "lock": select(func.count()).select_from(PeriodLock),
        "submit": select(func.count()).select_from(ReturnSnapshot),
    }
    assert session.scalar(counts[what]) == 1


def test_concurrent_downloads_record_the_checksum_of_what_each_received(gunicorn, session, make_user):
    base, log = gunicorn
    stream = make_stream(session, "LIB-A")
    for day in range(1, 20):
        make_entry(session, stream, date(2026, 5, day), day * 1_00, reference=f"R{day}")
    session.commit()
    people = [make_user(Role.FINANCE) for _ in range(CLIENTS)]
    clients = [sign_in(base, p.email) for p in people]
    forms = [{"csrf_token": csrf(c, f"{base}/returns/2026-27/1")} for c in clients]
    responses = at_once(
        [
            lambda c=c, f=f: c.post(f"{base}/returns/2026-27/1/export/pdf", data=f, timeout=120)
            for c, f in zip(clients, forms, strict=True)
        ]
    )
    assert [r.status_code for r in responses] == [200] * CLIENTS, log.read_text()[-3000:]
    received = sorted(hashlib.sha256(r.content).hexdigest() for r in responses)
    session.reread()
    recorded = sorted(session.scalars(select(ExportRecord.checksum)))
    assert recorded == received


def test_a_preview_on_one_server_is_confirmed_on_another_and_both_serve_downloads(
    database_url, tmp_path, reference_rows, session, make_user
):
    """Stateless app servers (item 17): two gunicorn instances, each with its own disk, one database."""
    make_stream(session, "LIB-A")
    person = make_user(Role.FINANCE)
    with (
        start_gunicorn(database_url, tmp_path / "one", workers=2) as (one, log_one),
        start_gunicorn(database_url, tmp_path / "two", workers=2) as (two, log_two),
    ):
        # One browser: its cookie (for 127.0.0.1, whatever the port) goes to either server.
        first = second = sign_in(one, person.email)
        data = b"date,stream_code,amount,reference\n01/05/2026,LIB-A,5.00,R1\n02/05/2026,LIB-A,6.00,R2\n"
        preview = first.post(
            f"{one}/income/import",
            data={"kind": "income", "csrf_token": csrf(first, f"{one}/income/import")},
            files={"file": ("ledger.csv", io.BytesIO(data), "text/csv")},
            timeout=60,
        )
        staged = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
        confirmed = second.post(
            f"{two}/income/import/confirm",
            data={"token": staged, "csrf_token": csrf(second, f"{two}/income/import")},
            allow_redirects=False,
            timeout=60,
        )
        assert confirmed.status_code == 302, confirmed.text[:500]
        forms = [{"csrf_token": csrf(c, f"{b}/returns/2026-27/1")} for c, b in ((first, one), (second, two))]
        responses = at_once(
            [
                lambda: first.post(f"{one}/returns/2026-27/1/export/xlsx", data=forms[0], timeout=120),
                lambda: second.post(f"{two}/returns/2026-27/1/export/xlsx", data=forms[1], timeout=120),
            ]
        )
        assert [r.status_code for r in responses] == [200, 200]
        for log in (log_one, log_two):
            assert "Traceback" not in log.read_text()
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 2
    assert sorted(session.scalars(select(ExportRecord.checksum))) == sorted(
        hashlib.sha256(r.content).hexdigest() for r in responses
    )


def test_the_same_bids_file_imported_twice_at_once_records_each_bid_once(engine, session, make_user):
    """Two officers import the same bids file at once: the second waits for the first to commit,
    then skips its bids as duplicates (no key in the schema could refuse them). PostgreSQL: on
    SQLite a writing transaction already begins with BEGIN IMMEDIATE, one at a time."""
    from incometrack.models import GrantBid

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time")
    person = make_user(Role.FINANCE)
    make_funder(session, "Kent Community Foundation")
    lines = "".join(
        f"Bid {n},Kent Community Foundation,Libraries,{person.email},1000,0{1 + n % 9}/05/2025\n"
        for n in range(30)
    )
    data = f"title,funder,service,lead_email,amount_requested,created_on\n{lines}".encode()
    first = Session(engine)
    assert imports.import_bids(first, data, "a.csv", actor=first.get(type(person), person.id)).imported == 30
    done: list = []

    def second_import():
        with Session(engine) as second:
            done.append(imports.import_bids(second, data, "b.csv", actor=second.get(type(person), person.id)))
            second.commit()

    thread = threading.Thread(target=second_import)
    thread.start()
    try:
        thread.join(timeout=1.5)
        waited = not done  # the second waits for the first import's transaction
        first.commit()
    finally:
        first.close()  # never leave a transaction open behind a failed assertion
    thread.join(timeout=30)
    assert waited
    assert done[0].summary() == "imported 0, skipped 30 duplicates"
    session.reread()
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 30


def _second_waits_then_skips(engine, person, run_import) -> tuple[bool, object]:
    """Run ``run_import`` in an open transaction, then again from another connection: whether the
    second waited for the first to commit, and the second's result."""
    first = Session(engine)
    assert run_import(first, first.get(type(person), person.id)).ok
    done: list = []

    def second_import():
        with Session(engine) as second:
            done.append(run_import(second, second.get(type(person), person.id)))
            second.commit()

    thread = threading.Thread(target=second_import)
    thread.start()
    try:
        thread.join(timeout=1.5)
        waited = not done
        first.commit()
    finally:
        first.close()
    thread.join(timeout=30)
    return waited, done[0]


def test_the_same_income_lines_imported_twice_at_once_are_recorded_once(engine, session, make_user):
    """Two imports of the same 200 lines side by side (two previews of one file confirmed at once,
    one grid posted twice): the duplicate rule decides under a lock, so the second waits for the
    first and skips every line. Without the lock PostgreSQL stored 400."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time")
    person = make_user(Role.FINANCE)
    make_stream(session, "LIB-A")
    lines = "".join(f"{1 + n % 28:02d}/05/2026,LIB-A,{n + 1}.00,R{n}\n" for n in range(200))
    data = f"date,stream_code,amount,reference\n{lines}".encode()
    waited, second = _second_waits_then_skips(
        engine,
        person,
        lambda s, actor: imports.import_income(s, data, "a.csv", actor=actor, today=date(2026, 11, 30)),
    )
    assert waited
    assert second.summary() == "imported 0, skipped 200 duplicates"
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 200


def test_the_same_milestones_imported_twice_at_once_are_recorded_once(engine, session, make_user):
    from incometrack.models import Milestone
    from tests.factories import make_project

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time")
    person = make_user(Role.FINANCE)
    make_project(session, person, name="Reading trails")
    lines = "".join(f"Reading trails,Step {n},{person.email},01/12/2026,01/12/2026\n" for n in range(20))
    data = f"project,milestone,owner_email,baseline_due,forecast_due\n{lines}".encode()
    waited, second = _second_waits_then_skips(
        engine,
        person,
        lambda s, actor: imports.import_milestones(s, data, "m.csv", actor=actor, today=date(2026, 11, 30)),
    )
    assert waited
    assert second.imported == 0 and second.duplicates == 20
    session.reread()
    assert session.scalar(select(func.count()).select_from(Milestone)) == 20


def test_the_same_grid_posted_twice_at_once_is_stored_once(gunicorn, session, make_user):
    base, log = gunicorn
    make_stream(session, "LIB-A")
    person = make_user(Role.FINANCE)
    clients = [sign_in(base, person.email) for _ in range(2)]
    rows: dict[str, str] = {}
    for n in range(200):
        rows |= {f"rows-{n}-date": f"{1 + n % 28:02d}/05/2026", f"rows-{n}-stream": "LIB-A",
                 f"rows-{n}-amount": f"{n + 1}.00", f"rows-{n}-reference": f"G{n}"}  # fmt: skip
    forms = [rows | {"csrf_token": csrf(client, f"{base}/income/entries/batch")} for client in clients]
    statuses = at_once(
        [
            lambda client=client, form=form: (
                client.post(
                    f"{base}/income/entries/batch", data=form, allow_redirects=False, timeout=120
                ).status_code
            )
            for client, form in zip(clients, forms, strict=True)
        ]
    )
    assert statuses == [303, 303], log.read_text()[-3000:]
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 200
