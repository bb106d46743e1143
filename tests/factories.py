"""Builders for test data that go through the services, so every row obeys the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from incometrack.models import IncomeCategory, IncomeEntry, IncomeStream, Service, Site, SiteKind
from incometrack.periods import FinancialYear
from incometrack.services import AS_READ, income, income_totals


def service_id(session: Session, name: str = "Libraries") -> int:
    return session.scalar(select(Service.id).where(Service.name == name))


def category_id(session: Session, name: str = "Room and venue hire") -> int:
    return session.scalar(select(IncomeCategory.id).where(IncomeCategory.name == name))


def make_site(session: Session, name: str = "Maidstone Library", service: str = "Libraries") -> Site:
    site = Site(name=name, kind=SiteKind.BRANCH_LIBRARY, service_id=service_id(session, service))
    session.add(site)
    session.commit()
    return site


def make_stream(
    session: Session,
    code: str = "LIB-ROOM",
    *,
    name: str | None = None,
    service: str = "Libraries",
    category: str = "Room and venue hire",
    actor=None,
) -> IncomeStream:
    stream = income.create_stream(
        session,
        income.StreamInput(
            code=code,
            name=name or f"Stream {code}",
            service_id=service_id(session, service),
            category_id=category_id(session, category),
        ),
        actor=actor,
    )
    session.commit()
    return stream


def make_budget(
    session: Session, stream: IncomeStream, annual: int, profile=None, year: int = 2026, actor=None
):
    budget = income.set_budget(session, stream, year, annual, profile, actor=actor, expected_version=AS_READ)
    session.commit()
    return budget


def make_entry(
    session: Session,
    stream: IncomeStream,
    day: date,
    amount: int,
    reference: str = "REF",
    actor=None,
    **extra,
) -> IncomeEntry:
    entry = income.create_entry(
        session,
        income.EntryInput(
            date_received=day, stream_id=stream.id, amount=amount, reference=reference, **extra
        ),
        actor=actor,
        today=date(2099, 1, 1),
    )
    session.commit()
    return entry


def add_entries(session: Session, stream: IncomeStream, count: int, description: str = "") -> None:
    """``count`` entries of £1.00 to £9.99 dated in May 2026 (2026-27 Q1, P2), written at once."""
    now = datetime.now(UTC)
    rows = [
        {
            "stream_id": stream.id, "date_received": date(2026, 5, 1 + n % 31), "financial_year": 2026,
            "quarter": 1, "period": 2, "amount": 100 + n % 900, "reference": f"R{n}", "description": description,
            "entered_at": now, "version": 1,
        }
        for n in range(count)
    ]  # fmt: skip
    for start in range(0, count, 20_000):
        session.execute(insert(IncomeEntry), rows[start : start + 20_000])
    income_totals.rebuild(session)  # written around the services, so counted as a restore is
    session.commit()


FY = FinancialYear(2026)


def make_funder(session: Session, name: str = "Arts Council England", actor=None):
    from incometrack.models import Funder, FunderType

    funder = Funder(name=name, type=FunderType.ARTS_COUNCIL, notes="")
    session.add(funder)
    session.commit()
    return funder


def make_bid(session: Session, actor, *, funder=None, title="Makerspaces", requested=10_000_00, lead=None,
             probability=50, service="Libraries", outcome_ids=(), on=date(2026, 4, 1)):  # fmt: skip
    from incometrack.services import grants

    funder = funder or make_funder(session)
    bid = grants.create_bid(
        session,
        grants.BidInput(title=title, funder_id=funder.id, service_id=service_id(session, service),
                        lead_id=(lead or actor).id, amount_requested=requested, probability=probability,
                        outcome_ids=tuple(outcome_ids)),
        actor=actor,
        on=on,
    )  # fmt: skip
    session.commit()
    return bid


def move(session: Session, bid, actor, *path, on=date(2026, 6, 1), **award):
    from incometrack.models import BidStatus
    from incometrack.services import grants

    for status in path:
        target = BidStatus(status)
        extra = award if target is BidStatus.AWARDED else {}
        grants.move_bid(session, bid, target, on=on, actor=actor, expected_version=AS_READ, **extra)
    session.commit()
    return bid


def make_project(session: Session, actor, *, lead=None, name="Makerspaces", service="Libraries", bid_id=None):
    from incometrack.services import milestones

    project = milestones.create_project(
        session,
        milestones.ProjectInput(name=name, lead_id=(lead or actor).id, service_id=service_id(session, service),
                                bid_id=bid_id),
        actor=actor,
    )  # fmt: skip
    session.commit()
    return project


def make_milestone(session: Session, project, actor, *, title="Kit bought", baseline=date(2026, 12, 1), owner=None,
                   on=date(2026, 4, 1)):  # fmt: skip
    from incometrack.services import milestones

    milestone = milestones.add_milestone(session, project, title=title, owner_id=owner.id if owner else None,
                                         baseline_due=baseline, actor=actor, on=on)  # fmt: skip
    session.commit()
    return milestone
