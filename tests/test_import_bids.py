"""Bids from a spreadsheet (issue 15): each with its dated status history along the pipeline,
funders and programmes created where new, duplicates skipped, and every problem by row."""

from datetime import date

import pytest
from sqlalchemy import func, select

from incometrack.models import AuditEvent, BidStatus, Funder, GrantBid, Programme, Role
from incometrack.periods import FinancialYear
from incometrack.reports.returns import build_return
from incometrack.services import imports

HEADER = (
    "title,funder,programme,service,lead_email,outcomes,amount_requested,probability,match_cash,"
    "match_in_kind,created_on,drafting_on,submitted_on,decision,decided_on,awarded_resource,"
    "awarded_capital,delivery_on,closed_on,start_on,end_on,reason\n"
)
GOOD = (
    "Digital Playground,Arts Council England,LOFE,Libraries,lead@example.gov.uk,"
    'Improved digital access and literacy;Increased reading and literacy,"£120,000.00",,"5,000.00",2000,'
    '01/04/2025,01/05/2025,01/06/2025,awarded,15/11/2025,"80,000.00","20,000.00",01/12/2025,,,31/03/2027,\n'
    "Reading trails,Kent Community Foundation,,Libraries,lead@example.gov.uk,,15000,20,,,"
    "2025-04-02,2025-04-20,2025-05-20,unsuccessful,2025-08-15,,,,,,,Oversubscribed round\n"
    "Film nights,Heritage Film Trust,Small grants,Archives,lead@example.gov.uk,,8000,40,,,10/07/2025,,,,,,,,,,,\n"
    "Garden,Arts Council England,,Registration,lead@example.gov.uk,,4500,,,,01/09/2025,,,withdrawn,01/10/2025,"
    ",,,,,,\n"
)
TODAY = date(2026, 11, 30)


@pytest.fixture
def lead(make_user):
    return make_user(Role.LEAD, email="lead@example.gov.uk")


@pytest.fixture
def arts_council(session):
    from tests.factories import make_funder

    return make_funder(session, "Arts Council England")


def run(session, text, **options):
    result = imports.import_bids(session, text.encode(), "bids.csv", actor=None, today=TODAY, **options)
    if result.ok and not result.dry_run:
        session.commit()
    else:
        session.rollback()
    return result


def test_bids_come_in_with_their_history(session, lead, arts_council):
    result = run(session, HEADER + GOOD)
    assert result.ok, result.errors
    assert result.summary() == "imported 4, skipped 0 duplicates"
    assert result.notes == [
        "created funders: Heritage Film Trust, Kent Community Foundation",
        "created programmes: LOFE (Arts Council England), Small grants (Heritage Film Trust)",
    ]
    bids = {b.title: b for b in session.scalars(select(GrantBid))}
    won = bids["Digital Playground"]
    assert [(c.to_status, c.changed_on) for c in won.history] == [
        (BidStatus.IDEA, date(2025, 4, 1)),
        (BidStatus.DRAFTING, date(2025, 5, 1)),
        (BidStatus.SUBMITTED, date(2025, 6, 1)),
        (BidStatus.AWARDED, date(2025, 11, 15)),
        (BidStatus.IN_DELIVERY, date(2025, 12, 1)),
    ]
    assert (won.status, won.amount_awarded, won.decision_on, won.submitted_on, won.start_on, won.end_on) == (
        BidStatus.IN_DELIVERY, 100_000_00, date(2025, 11, 15), date(2025, 6, 1), date(2025, 12, 1),
        date(2027, 3, 31),
    )  # fmt: skip
    assert (won.amount_requested, won.match_cash, won.match_in_kind, won.probability) == (
        120_000_00, 5_000_00, 2_000_00, 50,
    )  # fmt: skip
    assert [o.name for o in won.outcomes] == [
        "Increased reading and literacy",
        "Improved digital access and literacy",
    ]
    assert won.programme.name == "LOFE" and won.funder_id == arts_council.id
    lost = bids["Reading trails"]
    assert (lost.status, lost.unsuccessful_reason, lost.decision_on) == (
        BidStatus.UNSUCCESSFUL, "Oversubscribed round", date(2025, 8, 15),
    )  # fmt: skip
    assert (bids["Film nights"].status, bids["Garden"].status) == (BidStatus.IDEA, BidStatus.WITHDRAWN)
    assert [c.to_status for c in bids["Garden"].history] == [BidStatus.IDEA, BidStatus.WITHDRAWN]
    # recorded through the grants service as on screen: each bid created (4), then each step a
    # move (4 + 3 + 0 + 1), every one audited; its probability dated the day it was recorded
    audited = session.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.entity == "grant_bids")
        .group_by(AuditEvent.action)
        .order_by(AuditEvent.action)
    ).all()
    assert audited == [("create", 4), ("update", 8)]
    assert [(p.probability, p.on) for p in lost.probabilities] == [(20, date(2025, 4, 2))]
    assert {c.note for b in bids.values() for c in b.history} == {"Imported from bids.csv"}


def test_the_return_reads_the_imported_history(session, lead, arts_council):
    assert run(session, HEADER + GOOD).ok
    year = FinancialYear(2025)
    q2 = {g.bid: g.status for g in build_return(session, year.quarter(2)).grants}
    assert q2 == {
        "Digital Playground": BidStatus.SUBMITTED,
        "Reading trails": BidStatus.UNSUCCESSFUL,
        "Film nights": BidStatus.IDEA,
        "Garden": BidStatus.IDEA,  # withdrawn in Q3
    }
    assert build_return(session, year.quarter(3)).grants_headline.awarded_in_year == 100_000_00


def test_importing_again_adds_nothing(session, lead, arts_council):
    assert run(session, HEADER + GOOD).ok
    again = run(session, HEADER + GOOD)
    assert again.summary() == "imported 0, skipped 4 duplicates" and again.notes == []
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 4
    assert session.scalar(select(func.count()).select_from(Funder)) == 3
    assert session.scalar(select(func.count()).select_from(Programme)) == 2


def test_a_dry_run_writes_nothing(session, lead, arts_council):
    result = run(session, HEADER + GOOD, dry_run=True)
    assert result.summary() == "would import 4, skipped 0 duplicates"
    assert result.notes[0] == "would create funders: Heritage Film Trust, Kent Community Foundation"
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 0
    assert session.scalar(select(func.count()).select_from(Funder)) == 1


BAD = [
    # (the line's cells that differ from a good idea-only bid, the problems expected)
    ({"lead_email": "nobody@example.gov.uk"}, ["lead_email: No user has the email nobody@example.gov.uk"]),
    ({"service": "Museums"}, ["service: No service is called Museums"]),
    ({"outcomes": "Happiness"}, ['outcomes: No Libraries Deliver outcome is called this (the file has "Happiness")']),
    ({"amount_requested": ""}, ["amount_requested: Enter the amount requested"]),
    ({"amount_requested": "12.345"}, ['amount_requested: amount_requested must not have more than 2 decimal places (the file has "12.345")']),
    ({"probability": "150"}, ['probability: Probability must be a whole number from 0 to 100 (the file has "150")']),
    ({"created_on": "31/02/2025"}, ["created_on: "]),
    ({"created_on": "01/04/1989"}, ["created_on: "]),
    ({"created_on": "01/01/2027"}, ['created_on: Date must be today or in the past (the file has "01/01/2027")']),
    ({"delivery_on": "01/06/2025"}, ["delivery_on: A bid that is idea cannot become in delivery. It can become drafting, withdrawn."]),
    ({"submitted_on": "01/03/2025"}, ['submitted_on: Date must be on or after the last change of status (01/04/2025) (the file has "01/03/2025")']),
    ({"drafting_on": "01/03/2025"}, ['drafting_on: Date must be on or after the last change of status (01/04/2025) (the file has "01/03/2025")']),
    ({"drafting_on": "01/05/2025", "submitted_on": "01/06/2025", "decision": "awarded", "decided_on": "01/07/2025"},
     ["awarded_resource: Enter the amount awarded (resource, capital or both)"]),
    ({"drafting_on": "01/05/2025", "submitted_on": "01/06/2025", "decision": "awarded"},
     ["decided_on: Enter the date the bid was awarded",
      "awarded_resource: Enter the amount awarded (resource, capital or both)"]),
    ({"decision": "maybe", "decided_on": "01/07/2025"}, ['decision: must be awarded, unsuccessful or withdrawn (the file has "maybe")']),
    ({"awarded_capital": "10"}, ["awarded_resource: Only an awarded bid has an amount awarded"]),
    ({"start_on": "01/06/2025", "end_on": "01/05/2025"}, ['end_on: End date must be on or after the start date (the file has "01/05/2025")']),
    ({"amount_requested": "-5"}, ['amount_requested: Amount cannot be negative (the file has "-5")']),
    ({"drafting_on": "01/05/2025", "submitted_on": "01/06/2025", "decision": "awarded", "decided_on": "01/07/2025",
      "awarded_resource": "-10"}, ["awarded_resource: Amounts awarded cannot be negative"]),
]  # fmt: skip


def _line(**cells) -> str:
    base = {name: "" for name in HEADER.strip().split(",")}
    base |= {"title": "Idea", "funder": "Arts Council England", "service": "Libraries",
             "lead_email": "lead@example.gov.uk", "amount_requested": "1000", "created_on": "01/04/2025"}  # fmt: skip
    base |= cells
    return ",".join(base[name] for name in HEADER.strip().split(",")) + "\n"


@pytest.mark.parametrize(("cells", "problems"), BAD)
def test_every_problem_is_reported_by_row_and_nothing_is_written(
    session, lead, arts_council, cells, problems
):
    result = run(session, HEADER + _line(title="Fine") + _line(**cells))
    found = [str(e).removeprefix("row 3: ") for e in result.errors]
    assert [text[: len(expected)] for text, expected in zip(found, problems, strict=False)] == problems
    assert len(found) == len(problems), found
    assert all(str(e).startswith("row 3: ") for e in result.errors)
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 0


def test_a_duplicate_within_the_file_is_skipped(session, lead, arts_council):
    result = run(session, HEADER + _line() + _line(title="IDEA"))
    assert result.summary() == "imported 1, skipped 1 duplicates"


def test_the_import_bids_command(runner, session, lead, arts_council, tmp_path):
    path = tmp_path / "bids.csv"
    path.write_text(HEADER + GOOD)
    result = runner.invoke(args=["import-bids", str(path), "--dry-run"])
    assert result.exit_code == 0 and result.output.splitlines()[0] == "would import 4, skipped 0 duplicates"
    done = runner.invoke(args=["import-bids", str(path)])
    assert done.output.splitlines() == [
        "imported 4, skipped 0 duplicates",
        "created funders: Heritage Film Trust, Kent Community Foundation",
        "created programmes: LOFE (Arts Council England), Small grants (Heritage Film Trust)",
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + _line(delivery_on="01/06/2025"))
    refused = runner.invoke(args=["import-bids", str(bad)])
    assert refused.exit_code == 1
    assert (
        refused.stderr.splitlines()[0]
        == "row 2: delivery_on: A bid that is idea cannot become in delivery. It can become drafting, withdrawn."
    )


def test_the_upload_screen_previews_and_imports_bids(session, login_as, arts_council):
    finance = login_as(Role.FINANCE)
    login_as(Role.LEAD, email="lead@example.gov.uk")
    from io import BytesIO

    preview = finance.client.post(
        "/income/import",
        data={"kind": "bids", "file": (BytesIO((HEADER + GOOD).encode()), "bids.csv")},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "Digital Playground" in html and "Would create funders: Heritage Film Trust" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    done = finance.client.post("/income/import/confirm", data={"token": token})
    assert done.status_code == 302
    session.reread()
    assert session.scalar(select(func.count()).select_from(GrantBid)) == 4


def test_undated_earlier_steps_are_passed_on_the_next_dated_steps_day(session, lead, arts_council):
    only_created_and_submitted = _line(
        title="Submitted straight", created_on="01/04/2025", submitted_on="10/05/2025"
    )
    delivered_and_closed = _line(
        title="Closed", created_on="01/04/2025", drafting_on="02/04/2025", submitted_on="03/04/2025",
        decision="awarded", decided_on="01/06/2025", awarded_resource="5000", closed_on="01/09/2025",
    )  # fmt: skip
    result = run(session, HEADER + only_created_and_submitted + delivered_and_closed)
    assert result.ok, [str(e) for e in result.errors]
    assert result.summary() == "imported 2, skipped 0 duplicates"
    assert "filled 2 undated steps, each passed on the next dated step's day" in result.notes
    session.reread()
    history = {
        title: [(change.to_status, change.changed_on) for change in changes]
        for title, changes in (
            (bid.title, sorted(bid_changes(session, bid), key=lambda c: (c.changed_on, c.id)))
            for bid in session.scalars(select(GrantBid))
        )
    }
    assert history["Submitted straight"] == [
        (BidStatus.IDEA, date(2025, 4, 1)),
        (BidStatus.DRAFTING, date(2025, 5, 10)),
        (BidStatus.SUBMITTED, date(2025, 5, 10)),
    ]
    assert history["Closed"][-2:] == [
        (BidStatus.IN_DELIVERY, date(2025, 9, 1)),
        (BidStatus.CLOSED, date(2025, 9, 1)),
    ]


def bid_changes(session, bid):
    from incometrack.models import BidStatusChange

    return session.scalars(select(BidStatusChange).where(BidStatusChange.bid_id == bid.id))
