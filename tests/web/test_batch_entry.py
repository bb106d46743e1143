"""Recording income quickly (issue 17): "Save and record another" keeps the date, stream and site
and lists the batch with its count and total; a grid records many lines at once, all or nothing."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from incometrack.models import ImportBatch, IncomeEntry, Role
from tests.factories import make_site, make_stream


def test_save_and_record_another_keeps_date_stream_and_site_and_lists_the_batch(login_as, session):
    stream = make_stream(session, "LIB-CAFE")
    site = make_site(session, "Maidstone Library")
    client = login_as(Role.FINANCE).client
    form = {"date_received": "02/11/2026", "stream_id": stream.id, "amount": "5.00", "reference": "TILL",
            "site_id": site.id, "another": "1"}  # fmt: skip
    first = client.post("/income/entries/new", data=form)
    assert first.status_code == 302
    query = parse_qs(urlsplit(first.headers["Location"]).query)
    assert (query["stream"], query["date"], query["site"]) == (
        [str(stream.id)],
        ["2026-11-02"],
        [str(site.id)],
    )
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'value="02/11/2026"' in page
    assert f'<option value="{stream.id}" selected>' in page and f'<option value="{site.id}" selected>' in page
    assert "Recorded in this batch: 1 entry, £5.00" in page
    second = client.post(first.headers["Location"], data={**form, "amount": "7.50"})
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Recorded in this batch: 2 entries, £12.50" in page
    # Finishing goes to the stream's entries for the year, not page 1 of every entry.
    done = client.post(second.headers["Location"], data={k: v for k, v in form.items() if k != "another"})
    assert done.headers["Location"] == f"/income/entries?year=2026-27&stream={stream.id}"


def test_the_batch_lists_only_the_persons_own_entries(login_as, session):
    stream = make_stream(session, "LIB-CAFE")
    other = login_as(Role.FINANCE).client
    other.post("/income/entries/new", data={"date_received": "02/11/2026", "stream_id": stream.id,
                                            "amount": "99.00", "reference": "X"})  # fmt: skip
    entry_id = session.scalar(select(IncomeEntry.id))
    page = (
        login_as(Role.FINANCE).client.get(f"/income/entries/new?recorded={entry_id}").get_data(as_text=True)
    )
    assert "Recorded in this batch" not in page


def test_the_grid_records_many_lines_all_or_nothing(login_as, session):
    make_stream(session, "LIB-CAFE")
    make_stream(session, "LIB-PRINT")
    client = login_as(Role.FINANCE).client
    page = client.get("/income/entries/batch").get_data(as_text=True)
    assert page.count('name="rows-') == 10 * 6 and "data-paste-grid" in page
    rows = {
        "rows-0-date": "02/11/2026", "rows-0-stream": "lib-cafe", "rows-0-amount": "5.00", "rows-0-reference": "T1",
        "rows-1-date": "02/11/2026", "rows-1-stream": "LIB-CAFE", "rows-1-amount": "5.00", "rows-1-reference": "T1",
        "rows-3-date": "31/02/2026", "rows-3-stream": "LIB-PRNT", "rows-3-amount": "1.234",
    }  # fmt: skip
    refused = client.post("/income/entries/batch", data=rows)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Date must be a real date, day then month" in html
    assert "No stream has this code; the nearest known: LIB-PRINT" in html
    assert "Amount must not have more than 2 decimal places" in html
    assert 'href="#rows-2-amount"' in html  # the error summary links to the cell (empty rows closed up)
    assert 'value="LIB-PRNT"' in html  # what was typed is kept
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
    rows.update({"rows-3-date": "03/11/2026", "rows-3-stream": "LIB-PRINT", "rows-3-amount": "(1.50)"})
    done = client.post("/income/entries/batch", data=rows)
    assert done.status_code == 303
    session.reread()
    amounts = session.execute(
        select(IncomeEntry.date_received, IncomeEntry.amount).order_by(IncomeEntry.id)
    ).all()
    assert amounts == [(date(2026, 11, 2), 5_00), (date(2026, 11, 2), 5_00), (date(2026, 11, 3), -1_50)]
    batch = session.scalar(select(ImportBatch))
    assert done.headers["Location"] == f"/income/imports/{batch.id}"
    assert "3 lines recorded (£8.50)" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_more_rows_without_javascript(login_as):
    client = login_as(Role.FINANCE).client
    posted = {f"rows-{n}-amount": "" for n in range(10)} | {"rows-0-amount": "5", "add": "1"}
    page = client.post("/income/entries/batch", data=posted).get_data(as_text=True)
    assert page.count('name="rows-') == 20 * 6 and 'value="5"' in page


def test_an_empty_grid_says_so(login_as):
    response = login_as(Role.FINANCE).client.post("/income/entries/batch", data={})
    assert response.status_code == 400 and "Enter at least one line" in response.get_data(as_text=True)


def _grid(count: int, code: str = "LIB-CAFE", start: int = 0) -> dict[str, str]:
    rows = {}
    for n in range(start, start + count):
        rows |= {f"rows-{n}-date": f"{1 + n % 28:02d}/10/2026", f"rows-{n}-stream": code,
                 f"rows-{n}-amount": f"{n + 1}.00", f"rows-{n}-reference": f"T{n}"}  # fmt: skip
    return rows


def test_the_grid_takes_every_row_it_holds(login_as, session):
    make_stream(session, "LIB-CAFE")
    client = login_as(Role.FINANCE).client
    # 2,000 lines of £1.00 .. £2,000.00: £2,001,000.00 in all (n x (n + 1) / 2 pounds).
    done = client.post("/income/entries/batch", data=_grid(2_000))
    assert done.status_code == 303
    session.reread()
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 2_000
    assert session.scalar(select(func.sum(IncomeEntry.amount))) == 2_001_000_00


def test_more_rows_than_the_grid_holds_are_refused_whole(login_as, session):
    make_stream(session, "LIB-CAFE")
    client = login_as(Role.FINANCE).client
    refused = client.post("/income/entries/batch", data=_grid(2_001))
    assert refused.status_code == 400
    assert "The grid holds at most 2,000 lines at once and 2,001 rows were sent" in refused.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0


def test_a_row_numbered_otherwise_than_the_grid_refuses_the_post(login_as, session):
    make_stream(session, "LIB-CAFE")
    client = login_as(Role.FINANCE).client
    posted = _grid(3) | {"rows--1-date": "01/10/2026", "rows--1-stream": "LIB-CAFE", "rows--1-amount": "9.00"}
    refused = client.post("/income/entries/batch", data=posted)
    assert refused.status_code == 400 and "without a row number of the grid" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(IncomeEntry)) == 0
