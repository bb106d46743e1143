"""Deterministic, seasonal benchmark data at a county's scale, written through the import service.

60 streams across the three services, 40 sites, budgets for every year, and ``per_year`` income
entries a year for ``years`` years (ten years of 100,000 is a million), plus grants and
milestones. The same seed gives the same data.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack import money, periods
from incometrack.models import IncomeCategory, Role, Service, Site, SiteKind
from incometrack.services import AS_READ, grants, imports, income, milestones, users

SEED = 2016
SEASON = (10, 10, 10, 9, 9, 10, 10, 10, 9, 10, 10, 11)  #: April to March


def generate(
    session: Session, *, years: int, per_year: int, last_year: periods.FinancialYear
) -> dict[str, int]:
    rng = random.Random(SEED)
    services = list(session.scalars(select(Service).order_by(Service.id)))
    categories = list(session.scalars(select(IncomeCategory).order_by(IncomeCategory.id)))
    finance = users.create_user(
        session,
        email="bench@bench.example",
        name="Bench Finance",
        role=Role.FINANCE,
        password="quartz lantern meadow ferry",
    )
    sites = []
    for n in range(40):
        site = Site(name=f"Bench site {n:02d}", kind=SiteKind.BRANCH_LIBRARY, service_id=services[n % 3].id)
        session.add(site)
        sites.append(site)
    session.flush()
    streams = []
    for n in range(60):
        service = services[n % 3]
        site = next(s for s in sites[n % 40 :] + sites if s.service_id == service.id)
        streams.append(
            income.create_stream(
                session,
                income.StreamInput(
                    code=f"BENCH-{n:02d}",
                    name=f"Bench stream {n:02d}",
                    service_id=service.id,
                    category_id=categories[n % len(categories)].id,
                    site_id=site.id,
                ),
                actor=finance,
            )
        )
    first = last_year.start - years + 1
    for year in range(first, last_year.start + 1):
        for n, stream in enumerate(streams):
            income.set_budget(
                session,
                stream,
                year,
                (20_000 + 1_000 * n) * 100,
                None,
                actor=finance,
                expected_version=AS_READ,
            )
    session.flush()
    weights = [w / sum(SEASON) for w in SEASON]
    for year in range(first, last_year.start + 1):
        fy = periods.FinancialYear(year)
        lines = ["date,stream_code,amount,reference,site,description"]
        for month, weight in zip(fy.months, weights, strict=True):
            count = round(per_year * weight)
            days = (month.last_day - month.first_day).days
            for _ in range(count):
                day = month.first_day + timedelta(days=rng.randint(0, days))
                stream = rng.randrange(60)
                pence = rng.randint(100, 90_000) * (1 if rng.random() > 0.02 else -1)
                lines.append(
                    f"{day:%d/%m/%Y},BENCH-{stream:02d},{money.format_plain(pence)},B{year}-{len(lines)},,"
                )
        result = imports.import_income(
            session,
            ("\n".join(lines) + "\n").encode(),
            f"bench-{fy.label}.csv",
            actor=finance,
            today=date(last_year.start + 1, 4, 1),
        )
        if not result.ok:
            raise RuntimeError(f"benchmark data refused: {result.errors[:3]}")
        session.commit()
    funder = grants.create_funder(
        session, grants.FunderInput("Bench Fund", grants.FunderType.TRUST), actor=finance
    )
    project = milestones.create_project(
        session, milestones.ProjectInput("Bench project", finance.id, services[0].id), actor=finance
    )
    for n in range(30):
        bid = grants.create_bid(
            session,
            grants.BidInput(
                f"Bench bid {n}",
                funder.id,
                services[n % 3].id,
                lead_id=finance.id,
                amount_requested=(n + 1) * 1_000_00,
            ),
            actor=finance,
            on=last_year.first_day,
        )
        if n % 3 == 0:
            grants.move_bid(
                session,
                bid,
                grants.BidStatus.DRAFTING,
                on=last_year.first_day,
                actor=finance,
                expected_version=AS_READ,
            )
        milestones.add_milestone(
            session,
            project,
            title=f"Bench milestone {n}",
            owner_id=finance.id,
            baseline_due=last_year.first_day + timedelta(days=10 * n),
            actor=finance,
            on=last_year.first_day,
        )
    session.commit()
    return {"streams": len(streams), "sites": len(sites), "years": years, "entries": years * per_year}
