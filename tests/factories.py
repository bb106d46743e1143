"""Builders for test data that go through the services, so every row obeys the rules."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.models import IncomeCategory, IncomeEntry, IncomeStream, Service, Site, SiteKind
from incometrack.periods import FinancialYear
from incometrack.services import income


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
    budget = income.set_budget(session, stream, year, annual, profile, actor=actor)
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


FY = FinancialYear(2026)
