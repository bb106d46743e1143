"""Deterministic demo data: a Kent-like service with two to three years of seasonal income.

The same ``today`` always gives the same data (a seeded random generator, no clock reads besides
the caller's ``today``). Entries go in through one bulk insert, not one ORM object per row.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import money, periods
from incometrack.models import (
    BidStatus,
    ConsentGiver,
    ConsentUse,
    EvidenceKind,
    Funder,
    FunderType,
    GrantBid,
    IncomeCategory,
    IncomeEntry,
    IncomeStream,
    LibraryOffer,
    MeasureKind,
    MeasureUnit,
    MilestoneStatus,
    Outcome,
    Programme,
    Project,
    ReminderFrequency,
    ResultSource,
    Role,
    Service,
    Site,
    SiteKind,
    StreamStatus,
    User,
)
from incometrack.services import AS_READ, grants, impact, imports, income, reference, reminders, users
from incometrack.services import milestones as projects

SEED = 20161
#: Demo-only password shared by the demo accounts (printed after loading; never use in production).
DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - public by design, printed as demo-only

DEMO_USERS = (
    ("admin@demo.example", "Alex Admin", Role.ADMIN),
    ("finance@demo.example", "Farah Finance", Role.FINANCE),
    ("lead@demo.example", "Lee Lead", Role.LEAD),
    ("lead2@demo.example", "Priya Patel", Role.LEAD),
    ("viewer@demo.example", "Val Viewer", Role.VIEWER),
)

SITES = (
    ("Maidstone Library", SiteKind.HUB, "Libraries", "ME14 1LQ"),
    ("The Beaney, Canterbury", SiteKind.HUB, "Libraries", "CT1 2RA"),
    ("Ashford Gateway", SiteKind.BRANCH_LIBRARY, "Libraries", "TN23 1AS"),
    ("Tunbridge Wells Library", SiteKind.BRANCH_LIBRARY, "Libraries", "TN1 1JN"),
    ("Dartford Library", SiteKind.BRANCH_LIBRARY, "Libraries", "DA1 1EU"),
    ("Folkestone Library", SiteKind.BRANCH_LIBRARY, "Libraries", "CT20 1HD"),
    ("Margate Library", SiteKind.BRANCH_LIBRARY, "Libraries", "CT9 1RE"),
    ("Sevenoaks Library", SiteKind.BRANCH_LIBRARY, "Libraries", "TN13 1LQ"),
    ("Gravesend Library", SiteKind.BRANCH_LIBRARY, "Libraries", "DA12 1BE"),
    ("Archbishop's Palace Register Office", SiteKind.REGISTER_OFFICE, "Registration", "ME15 6YE"),
    ("Canterbury Register Office", SiteKind.REGISTER_OFFICE, "Registration", "CT1 2XR"),
    ("Tunbridge Wells Register Office", SiteKind.REGISTER_OFFICE, "Registration", "TN1 1NS"),
    ("Kent History and Library Centre", SiteKind.ARCHIVE_CENTRE, "Archives", "ME14 1LQ"),
)

# code, name, service, category, site (or None), annual budget in pounds, seasonal profile
STREAMS = (
    (
        "LIB-ROOM-MAI",
        "Room hire, Maidstone",
        "Libraries",
        "Room and venue hire",
        "Maidstone Library",
        48_000,
        "flat",
    ),
    (
        "LIB-ROOM-CAN",
        "Room hire, The Beaney",
        "Libraries",
        "Room and venue hire",
        "The Beaney, Canterbury",
        62_000,
        "flat",
    ),
    (
        "LIB-ROOM-ASH",
        "Room hire, Ashford",
        "Libraries",
        "Room and venue hire",
        "Ashford Gateway",
        21_000,
        "flat",
    ),
    (
        "LIB-PRINT",
        "Printing and photocopying",
        "Libraries",
        "Printing and photocopying",
        None,
        185_000,
        "term",
    ),
    ("LIB-RESV", "Reservation fees", "Libraries", "Reservation fees", None, 96_000, "flat"),
    ("LIB-OVERDUE", "Overdue charges (adults)", "Libraries", "Overdue charges", None, 74_000, "flat"),
    ("LIB-AV", "DVD and audiobook hire", "Libraries", "Audio-visual hire", None, 18_000, "winter"),
    ("LIB-EREV", "E-book and e-audio revenue share", "Libraries", "E-revenue", None, 12_500, "winter"),
    (
        "LIB-SLA-MED",
        "Schools library service, Medway",
        "Libraries",
        "Services to other authorities",
        None,
        140_000,
        "term",
    ),
    (
        "LIB-SLA-PRIS",
        "Prison library service",
        "Libraries",
        "Services to other authorities",
        None,
        210_000,
        "flat",
    ),
    (
        "LIB-SPONS",
        "Summer Reading Challenge sponsorship",
        "Libraries",
        "Sponsorship and partnerships",
        None,
        25_000,
        "summer",
    ),
    (
        "LIB-CAFE-CAN",
        "Cafe concession, The Beaney",
        "Libraries",
        "Retail and cafe",
        "The Beaney, Canterbury",
        34_000,
        "summer",
    ),
    ("LIB-SHOP", "Library shop sales", "Libraries", "Retail and cafe", None, 27_000, "winter"),
    ("LIB-EVENTS", "Author events and workshops", "Libraries", "Events and learning", None, 41_000, "term"),
    (
        "LIB-CODE",
        "Code clubs and digital learning",
        "Libraries",
        "Events and learning",
        "Dartford Library",
        15_500,
        "term",
    ),
    ("LIB-GRANT-ACE", "Arts Council project income", "Libraries", "Grant income", None, 60_000, "flat"),
    ("LIB-OTHER", "Lost and damaged items", "Libraries", "Other income", None, 16_000, "flat"),
    (
        "REG-CER-MAI",
        "Ceremonies, Archbishop's Palace",
        "Registration",
        "Ceremonies and certificates",
        "Archbishop's Palace Register Office",
        610_000,
        "summer",
    ),
    (
        "REG-CER-CAN",
        "Ceremonies, Canterbury",
        "Registration",
        "Ceremonies and certificates",
        "Canterbury Register Office",
        420_000,
        "summer",
    ),
    (
        "REG-CER-TW",
        "Ceremonies, Tunbridge Wells",
        "Registration",
        "Ceremonies and certificates",
        "Tunbridge Wells Register Office",
        380_000,
        "summer",
    ),
    ("REG-CERT", "Certificate copies", "Registration", "Ceremonies and certificates", None, 290_000, "flat"),
    (
        "REG-NATION",
        "Nationality checking service",
        "Registration",
        "Ceremonies and certificates",
        None,
        150_000,
        "flat",
    ),
    (
        "REG-CITZ",
        "Citizenship ceremonies",
        "Registration",
        "Ceremonies and certificates",
        None,
        95_000,
        "flat",
    ),
    ("REG-VENUE", "Approved venue licences", "Registration", "Room and venue hire", None, 70_000, "winter"),
    (
        "ARC-RESEARCH",
        "Paid research service",
        "Archives",
        "Research and copying services",
        "Kent History and Library Centre",
        38_000,
        "flat",
    ),
    (
        "ARC-COPY",
        "Copying and digital images",
        "Archives",
        "Research and copying services",
        "Kent History and Library Centre",
        29_000,
        "flat",
    ),
    (
        "ARC-CONS",
        "Conservation studio services",
        "Archives",
        "Research and copying services",
        "Kent History and Library Centre",
        44_000,
        "flat",
    ),
    (
        "ARC-ROOM",
        "Search room and venue hire",
        "Archives",
        "Room and venue hire",
        "Kent History and Library Centre",
        12_000,
        "flat",
    ),
    (
        "ARC-EVENTS",
        "Archive talks and courses",
        "Archives",
        "Events and learning",
        "Kent History and Library Centre",
        9_500,
        "term",
    ),
    ("ARC-OTHER", "Archive sundry income", "Archives", "Other income", None, 6_000, "flat"),
)

#: Relative monthly weights, April (P1) to March (P12).
SEASONS = {
    "flat": (10, 10, 10, 9, 9, 10, 10, 10, 9, 10, 10, 11),
    "summer": (8, 11, 13, 14, 14, 12, 9, 7, 5, 5, 6, 7),
    "winter": (8, 8, 7, 7, 7, 8, 9, 10, 13, 12, 11, 10),
    "term": (10, 10, 9, 5, 4, 10, 11, 11, 8, 11, 11, 11),
}


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        lines = ["Demo data loaded: " + ", ".join(f"{n} {what}" for what, n in self.counts.items()) + "."]
        lines.append("")
        lines.append("DEMO ONLY - these logins are public; never load the demo into a live database:")
        for email, _name, role in DEMO_USERS:
            lines.append(f"  {role.value:<8} {email:<24} password: {DEMO_PASSWORD}")
        return "\n".join(lines)


def has_data(session: Session) -> bool:
    """True when users, streams, entries or bids exist (seeded reference data does not count)."""
    return any(
        session.scalar(select(func.count()).select_from(model))
        for model in (User, IncomeStream, IncomeEntry, GrantBid)
    )


def load(session: Session, *, today: date) -> DemoSummary:
    rng = random.Random(SEED)
    summary = DemoSummary()
    people = _users(session)
    services = {s.name: s for s in session.scalars(select(Service))}
    sites = _sites(session, services, people["admin@demo.example"])
    streams = _streams(session, services, sites, people)
    summary.counts["users"] = len(people)
    summary.counts["sites"] = len(sites)
    summary.counts["income streams"] = len(streams)
    current = periods.fy_for(today)
    summary.counts["budgets"] = _budgets(
        session, streams, (current.previous(), current), people["finance@demo.example"]
    )
    summary.counts["income entries"] = _entries(session, rng, streams, sites, people, current, today)
    summary.counts["forecasts"] = _forecasts(
        session, rng, streams, current, today, people["finance@demo.example"]
    )
    bids = _grants(session, services, people, today)
    summary.counts["grant bids"] = len(bids)
    summary.counts["projects"] = _projects(session, services, people, bids, today)
    summary.counts["measure results"], summary.counts["items of evidence"] = _impact(
        session, people, sites, today
    )
    session.flush()
    return summary


def _users(session: Session) -> dict[str, User]:
    people = {
        email: users.create_user(session, email=email, name=name, role=role, password=DEMO_PASSWORD)
        for email, name, role in DEMO_USERS
    }
    # Daily reminders for the people with work due, so `flask send-reminders` shows every kind on
    # any day of the week (weekly, the default, sends on Mondays only).
    for person in people.values():
        if person.role in (Role.FINANCE, Role.LEAD):
            reminders.set_frequency(session, person, ReminderFrequency.DAILY)
    return people


def _sites(session: Session, services: dict[str, Service], admin: User) -> dict[str, Site]:
    sites = {
        name: reference.create_site(
            session,
            name=name,
            kind=kind,
            service_id=services[service].id,
            active=True,
            postcode=postcode,
            actor=admin,
        )
        for name, kind, service, postcode in SITES
    }
    session.flush()
    return sites


def ledger_code(index: int, service: str) -> str:
    """The demo ledger's code for the stream at ``index``: its cost centre (the service's three
    letters and a number) and the income account 9100, as an Oracle extract prints them."""
    return f"{service[:3].upper()}{100 + index}-9100"


def _streams(session, services, sites, people) -> list[tuple[IncomeStream, int, str]]:
    categories = {c.name: c for c in session.scalars(select(IncomeCategory))}
    owner = people["finance@demo.example"]
    result = []
    for index, (code, name, service, category, site, annual, season) in enumerate(STREAMS):
        data = income.StreamInput(
            code=code,
            name=name,
            service_id=services[service].id,
            category_id=categories[category].id,
            site_id=sites[site].id if site else None,
            owner_id=owner.id,
            status=StreamStatus.ACTIVE,
            description=f"{name} ({service.lower()}).",
            ledger_codes=(ledger_code(index, service),),
        )
        result.append((income.create_stream(session, data, actor=owner), annual * 100, season))
    session.flush()
    return result


def _budgets(session, streams, years, finance: User) -> int:
    count = 0
    for index, (stream, annual, season) in enumerate(streams):
        for offset, year in enumerate(years):
            # Budgets grow about 3% a year; seasonal streams are profiled to their season.
            target = annual * (100 + 3 * offset) // 100
            weights = SEASONS[season]
            quarter_weights = [sum(weights[i : i + 3]) for i in range(0, 12, 3)]
            if index % 3 == 0:
                profile = money.split_evenly(target)
            else:
                total = sum(quarter_weights)
                first = [target * w // total for w in quarter_weights[:3]]
                profile = (*first, target - sum(first))
            income.set_budget(
                session, stream, year.start, target, tuple(profile), actor=finance, expected_version=AS_READ
            )
            count += 1
    session.flush()
    return count


def _entries(session, rng, streams, sites, people, current, today) -> int:
    site_list = list(sites.values())
    finance = people["finance@demo.example"]
    rows = []
    first_year = current.previous().previous()
    for index, (stream, annual, season) in enumerate(streams):
        # Each stream performs a little above or below budget, so the RAG ratings vary.
        performance = 84 + (index * 37) % 24
        weights = SEASONS[season]
        for year in (first_year, current.previous(), current):
            yearly = annual * performance // 100
            for month in year.months:
                if month.first_day > today:
                    break
                budget_month = yearly * weights[month.number - 1] // sum(weights)
                lines = rng.randint(18, 36)
                last_day = min(month.last_day, today)
                for line in range(lines):
                    amount = max(
                        1,
                        budget_month // lines
                        + rng.randint(-budget_month // (3 * lines) - 1, budget_month // (3 * lines) + 1),
                    )
                    description = "Takings"
                    if rng.random() < 0.02:
                        amount = -max(1, amount // 10)
                        description = "Refund to customer"
                    day = month.first_day + timedelta(days=rng.randint(0, (last_day - month.first_day).days))
                    site = stream.site or (rng.choice(site_list) if rng.random() < 0.6 else None)
                    rows.append(
                        (
                            day.isoformat(),
                            stream.code,
                            money.format_plain(amount),
                            f"JNL{day:%y%m}-{index:02d}{line:02d}",
                            site.name if site else "",
                            description,
                        )
                    )
    # Through the import service, as a finance officer would bring a ledger extract in: one batch,
    # audited, every line checked.
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(("date", "stream_code", "amount", "reference", "site", "description"))
    writer.writerows(rows)
    result = imports.import_income(
        session, text.getvalue().encode(), "demo-ledger.csv", actor=finance, today=today
    )
    if not result.ok:
        raise RuntimeError(f"the demo's income was refused: {result.errors[:3]}")
    return result.imported


def _forecasts(session, rng, streams, current, today, finance) -> int:
    count = 0
    this_quarter = periods.quarter_for(today)
    for index, (stream, annual, _season) in enumerate(streams):
        if index % 4 == 3:
            continue  # no forecast at all: the return shows the default rule for these
        target = annual * 103 // 100
        for quarter in current.quarters:
            if quarter > this_quarter or (quarter == this_quarter and index % 2):
                break
            outturn = target * (84 + (index * 37) % 24) // 100 + rng.randint(-5, 5) * 10_000
            shortfall = target - outturn
            needs_words = shortfall > 0 and shortfall * 100 >= 2 * target
            if needs_words and index % 5 == 1:
                # A few Amber/Red streams are left without a forecast this quarter (and so without
                # commentary), for the return to flag: a forecast that needs words is refused without.
                break
            commentary = ""
            if needs_words:
                commentary = "Bookings below profile; marketing push and revised opening hours planned."
            income.save_forecast(
                session, stream, quarter, outturn, commentary, actor=finance, expected_version=AS_READ
            )
            count += 1
    session.flush()
    return count


class _Grants:
    """Writes the demo's grants through the grants service, as finance and the leads would."""

    def __init__(self, session: Session, finance: User, outcomes: dict[str, Outcome], today: date) -> None:
        self.session, self.finance, self.outcomes, self.today = session, finance, outcomes, today

    def funder(self, name: str, kind: FunderType, notes: str = "") -> Funder:
        funder = grants.create_funder(self.session, grants.FunderInput(name, kind, notes), actor=self.finance)
        self.session.flush()
        return funder

    def programme(self, funder: Funder, name: str, **details) -> Programme:
        data = grants.ProgrammeInput(name=name, **details)
        programme = grants.create_programme(self.session, funder, data, actor=self.finance)
        self.session.flush()
        return programme

    def bid(self, title, funder, programme, who, service, requested, outcome_names, *, steps, award=None,
            reason="", **details) -> GrantBid:  # fmt: skip
        """A bid recorded on its first step's date, then moved along ``steps`` (status, date),
        none after today; ``award`` is (resource, capital) in pence."""
        data = grants.BidInput(
            title=title,
            funder_id=funder.id,
            programme_id=programme.id if programme else None,
            lead_id=who.id,
            service_id=service.id,
            amount_requested=requested * 100,
            outcome_ids=tuple(self.outcomes[n].id for n in outcome_names),
            **details,
        )
        first, *later = [(status, min(day, self.today)) for status, day in steps]
        item = grants.create_bid(self.session, data, actor=self.finance, on=first[1], today=self.today)
        self.session.flush()
        for status, day in later:
            extra = {}
            if status is BidStatus.AWARDED:
                extra = {"awarded_resource": award[0], "awarded_capital": award[1]}
            if status is BidStatus.UNSUCCESSFUL:
                extra = {"reason": reason}
            grants.move_bid(
                self.session,
                item,
                status,
                on=day,
                actor=self.finance,
                today=self.today,
                expected_version=AS_READ,
                **extra,
            )
        self.session.flush()
        return item

    def payment(self, bid: GrantBid, expected_on: date, amount: int, received_on: date | None = None) -> None:
        received = min(received_on, self.today) if received_on else None
        grants.add_payment(
            self.session,
            bid,
            expected_on=expected_on,
            amount_expected=amount,
            actor=self.finance,
            received_on=received,
            amount_received=amount if received else None,
            today=self.today,
        )

    def spend(
        self,
        bid: GrantBid,
        spent_on: date,
        amount: int,
        description: str,
        who: User,
        *,
        capital: bool = False,
    ) -> None:
        grants.add_spend(self.session, bid, spent_on=min(spent_on, self.today), amount=amount,
                         capital=capital, description=description, actor=who, today=self.today)  # fmt: skip

    def report(self, bid: GrantBid, title: str, due_on: date, submitted_on: date | None = None) -> None:
        report = grants.add_report(self.session, bid, title=title, due_on=due_on, actor=self.finance)
        self.session.flush()
        if submitted_on:
            grants.mark_report_submitted(
                self.session,
                report,
                submitted_on=min(submitted_on, self.today),
                actor=self.finance,
                today=self.today,
                expected_version=AS_READ,
            )


def _grants(session, services, people, today) -> list[GrantBid]:
    outcomes = {o.name: o for o in session.scalars(select(Outcome))}
    lead, lead2, finance = (
        people["lead@demo.example"],
        people["lead2@demo.example"],
        people["finance@demo.example"],
    )
    g = _Grants(session, finance, outcomes, today)
    dcms = g.funder(
        "Department for Culture, Media and Sport",
        FunderType.GOVERNMENT,
        "Libraries: Opportunities for Everyone was run by Arts Council England for DCMS.",
    )
    ace = g.funder(
        "Arts Council England",
        FunderType.ARTS_COUNCIL,
        "Payments are released when payment conditions are met; an activity report closes each grant.",
    )
    nlhf = g.funder(
        "National Lottery Heritage Fund",
        FunderType.LOTTERY,
        "Permission to start, instalments, completion report within 3 months.",
    )
    trust = g.funder("Kent Community Foundation", FunderType.TRUST)
    corporate = g.funder("South East Water Community Fund", FunderType.CORPORATE)
    lofe = g.programme(
        dcms,
        "Libraries: Opportunities for Everyone",
        total_pot=4_000_000_00,
        opens_on=date(2016, 9, 1),
        closes_on=date(2016, 11, 30),
        notes="£3.9m awarded in March 2017 to 30 projects across 46 library services.",
    )
    ace_project = g.programme(ace, "National Lottery Project Grants")
    heritage = g.programme(nlhf, "National Lottery Grants for Heritage")
    lib, reg, arc = services["Libraries"], services["Registration"], services["Archives"]

    y = today.year
    playground = g.bid(
        "Kent's Digital Playground",
        dcms,
        lofe,
        lead,
        lib,
        100_000,
        ["Improved digital access and literacy", "Increased reading and literacy"],
        steps=[
            (BidStatus.IDEA, date(2016, 9, 5)),
            (BidStatus.DRAFTING, date(2016, 9, 20)),
            (BidStatus.SUBMITTED, date(2016, 11, 25)),
            (BidStatus.AWARDED, date(2017, 3, 20)),
            (BidStatus.IN_DELIVERY, date(2017, 4, 1)),
        ],
        award=(80_000_00, 20_000_00),
        end_on=date(2018, 3, 31),
        match_cash=10_000_00,
        match_in_kind=15_000_00,
        probability=90,
    )
    g.payment(playground, date(2017, 4, 30), 50_000_00, date(2017, 5, 4))
    g.payment(playground, date(2017, 10, 31), 50_000_00, date(2017, 11, 2))
    g.spend(playground, date(2017, 7, 1), 20_000_00, "Tablets, robots and coding kits", lead, capital=True)
    g.spend(playground, date(2017, 7, 1), 42_500_00, "Session leaders and materials", lead)
    g.spend(playground, date(2018, 2, 1), 37_500_00, "Sessions and staff", lead)
    g.report(playground, "Final activity report", date(2018, 6, 30), date(2018, 6, 28))
    grants.move_bid(
        session,
        playground,
        BidStatus.CLOSED,
        on=date(2018, 6, 29),
        actor=finance,
        today=today,
        expected_version=AS_READ,
    )

    makers = g.bid(
        "Makerspaces in six libraries",
        ace,
        ace_project,
        lead,
        lib,
        90_000,
        ["Cultural and creative enrichment", "Helping everyone achieve their full potential"],
        steps=[
            (BidStatus.IDEA, date(y - 1, 6, 1)),
            (BidStatus.DRAFTING, date(y - 1, 7, 1)),
            (BidStatus.SUBMITTED, date(y - 1, 10, 3)),
            (BidStatus.AWARDED, date(y - 1, 12, 15)),
            (BidStatus.IN_DELIVERY, date(y, 1, 6)),
        ],
        award=(70_000_00, 15_000_00),
        end_on=date(y + 1, 6, 30),
        match_cash=5_000_00,
        probability=70,
    )
    g.payment(makers, date(y, 1, 31), 40_000_00, date(y, 2, 3))
    g.payment(makers, today - timedelta(days=20), 30_000_00)
    g.payment(makers, date(y + 1, 7, 31), 15_000_00)
    g.spend(makers, date(y, 3, 1), 28_400_00, "3D printers and laser cutters", lead)
    g.spend(makers, today - timedelta(days=40), 12_150_00, "Workshop leaders, autumn term", lead)
    g.report(makers, "Interim activity report", today - timedelta(days=7))
    g.report(makers, "Final activity report", date(y + 1, 9, 30))

    archive = g.bid(
        "Kent's wartime diaries: digitisation and outreach",
        nlhf,
        heritage,
        lead2,
        arc,
        148_000,
        ["Cultural and creative enrichment", "Stronger, more resilient communities"],
        steps=[
            (BidStatus.IDEA, date(y - 2, 11, 1)),
            (BidStatus.DRAFTING, date(y - 2, 12, 1)),
            (BidStatus.SUBMITTED, date(y - 1, 2, 10)),
            (BidStatus.AWARDED, date(y - 1, 6, 20)),
        ],
        award=(120_000_00, 28_000_00),
        start_on=date(y - 1, 9, 1),
        end_on=date(y + 1, 3, 31),
        match_in_kind=22_000_00,
        probability=60,
    )
    g.payment(archive, date(y - 1, 9, 30), 74_000_00, date(y - 1, 10, 8))
    g.payment(archive, today + timedelta(days=18), 74_000_00)
    g.spend(archive, date(y - 1, 12, 1), 41_000_00, "Scanning contract", lead2)
    g.report(archive, "Progress report", today + timedelta(days=12))

    pending = [
        (
            "Reading Friends for care homes",
            trust,
            None,
            lead,
            lib,
            24_000,
            ["Healthier and happier lives"],
            BidStatus.SUBMITTED,
            60,
        ),
        (
            "Business and IP Centre outreach",
            corporate,
            None,
            lead2,
            lib,
            35_000,
            ["Greater prosperity"],
            BidStatus.DRAFTING,
            40,
        ),
        (
            "Ceremony suite accessibility works",
            trust,
            None,
            lead2,
            reg,
            52_000,
            ["Stronger, more resilient communities"],
            BidStatus.IDEA,
            20,
        ),
        (
            "Coastal communities reading festival",
            ace,
            ace_project,
            lead,
            lib,
            45_000,
            ["Increased reading and literacy", "Cultural and creative enrichment"],
            BidStatus.UNSUCCESSFUL,
            30,
        ),
        (
            "Digital skills for jobseekers",
            dcms,
            None,
            lead,
            lib,
            60_000,
            ["Improved digital access and literacy", "Greater prosperity"],
            BidStatus.WITHDRAWN,
            25,
        ),
    ]
    made = [playground, makers, archive]
    for n, (title, funder, programme, who, service, requested, names, status, chance) in enumerate(pending):
        start = today - timedelta(days=120 - 10 * n)
        steps = [(BidStatus.IDEA, start)]
        if status in (BidStatus.DRAFTING, BidStatus.SUBMITTED, BidStatus.UNSUCCESSFUL):
            steps.append((BidStatus.DRAFTING, start + timedelta(days=14)))
        if status in (BidStatus.SUBMITTED, BidStatus.UNSUCCESSFUL):
            steps.append((BidStatus.SUBMITTED, start + timedelta(days=40)))
        if status is BidStatus.UNSUCCESSFUL:
            steps.append((BidStatus.UNSUCCESSFUL, start + timedelta(days=90)))
        if status is BidStatus.WITHDRAWN:
            steps.append((BidStatus.WITHDRAWN, start + timedelta(days=20)))
        made.append(
            g.bid(
                title,
                funder,
                programme,
                who,
                service,
                requested,
                names,
                steps=steps,
                reason="Highly competitive round; strong bid but not prioritised for funding.",
                probability=chance,
                # the bid being drafted is due in ten days, so its lead is reminded (issue 19)
                submission_deadline=today
                + timedelta(days=10 if status is BidStatus.DRAFTING else 30 + 10 * n),
            )
        )
    session.flush()
    return made


@dataclass(frozen=True)
class _Plan:
    name: str
    lead: User
    service: Service
    bid: GrantBid | None
    outcomes: list[Outcome]
    description: str


def _projects(session, services, people, bids, today) -> int:
    outcomes = {o.name: o for o in session.scalars(select(Outcome))}
    lead, lead2 = people["lead@demo.example"], people["lead2@demo.example"]
    playground, makers, archive = bids[0], bids[1], bids[2]
    d = today
    plans = [
        (
            _Plan(
                name="Makerspaces in six libraries",
                lead=lead,
                service=services["Libraries"],
                bid=makers,
                outcomes=[outcomes["Cultural and creative enrichment"]],
                description="Equip and run makerspaces in six libraries.",
            ),
            [
                (
                    "Equipment procured",
                    lead,
                    d - timedelta(days=200),
                    d - timedelta(days=200),
                    d - timedelta(days=195),
                    MilestoneStatus.COMPLETE,
                ),
                (
                    "First three makerspaces open",
                    lead,
                    d - timedelta(days=60),
                    d - timedelta(days=45),
                    d - timedelta(days=44),
                    MilestoneStatus.COMPLETE,
                ),
                (
                    "Volunteer mentors trained",
                    lead2,
                    d - timedelta(days=10),
                    d - timedelta(days=3),
                    None,
                    MilestoneStatus.IN_PROGRESS,
                ),  # Red: forecast date passed, not complete
                (
                    "Remaining three makerspaces open",
                    lead,
                    d + timedelta(days=40),
                    d + timedelta(days=61),
                    None,
                    MilestoneStatus.IN_PROGRESS,
                ),  # Amber: slipped three weeks
                (
                    "Interim evaluation",
                    lead,
                    d + timedelta(days=90),
                    d + timedelta(days=90),
                    None,
                    MilestoneStatus.NOT_STARTED,
                ),  # Green
            ],
        ),
        (
            _Plan(
                name="Wartime diaries digitisation",
                lead=lead2,
                service=services["Archives"],
                bid=archive,
                outcomes=[
                    outcomes["Cultural and creative enrichment"],
                    outcomes["Stronger, more resilient communities"],
                ],
                description="Digitise and share Kent's wartime diaries.",
            ),
            [
                (
                    "Scanning contract let",
                    lead2,
                    d - timedelta(days=300),
                    d - timedelta(days=290),
                    d - timedelta(days=288),
                    MilestoneStatus.COMPLETE,
                ),
                (
                    "Half the diaries scanned",
                    lead2,
                    d + timedelta(days=20),
                    d + timedelta(days=20),
                    None,
                    MilestoneStatus.IN_PROGRESS,
                ),
                (
                    "Online exhibition launched",
                    lead2,
                    d + timedelta(days=120),
                    d + timedelta(days=150),
                    None,
                    MilestoneStatus.NOT_STARTED,
                ),
                (
                    "Schools outreach pack",
                    lead,
                    d + timedelta(days=25),
                    d + timedelta(days=25),
                    None,
                    MilestoneStatus.NOT_STARTED,
                ),
            ],
        ),
        (
            _Plan(
                name="Kent's Digital Playground",
                lead=lead,
                service=services["Libraries"],
                bid=playground,
                outcomes=[outcomes["Improved digital access and literacy"]],
                description="LOFE-funded digital play sessions for families (2017-18).",
            ),
            [
                (
                    "Sessions in 12 libraries",
                    lead,
                    date(2017, 9, 30),
                    date(2017, 10, 31),
                    date(2017, 10, 20),
                    MilestoneStatus.COMPLETE,
                ),
                (
                    "Final report to DCMS",
                    lead,
                    date(2018, 6, 30),
                    date(2018, 6, 30),
                    date(2018, 6, 28),
                    MilestoneStatus.COMPLETE,
                ),
            ],
        ),
        (
            _Plan(
                name="Ceremony room refurbishment",
                lead=lead2,
                service=services["Registration"],
                bid=None,
                outcomes=[outcomes["Stronger, more resilient communities"]],
                description="Refurbish the Archbishop's Palace ceremony rooms.",
            ),
            [
                (
                    "Design agreed",
                    lead2,
                    d - timedelta(days=30),
                    d - timedelta(days=30),
                    d - timedelta(days=31),
                    MilestoneStatus.COMPLETE,
                ),
                (
                    "Contractor appointed",
                    lead2,
                    d - timedelta(days=1),
                    d - timedelta(days=1),
                    None,
                    MilestoneStatus.IN_PROGRESS,
                ),  # Red: due yesterday
                (
                    "Works complete",
                    lead2,
                    d + timedelta(days=150),
                    d + timedelta(days=180),
                    None,
                    MilestoneStatus.NOT_STARTED,
                ),
                (
                    "Old booking system retired",
                    lead2,
                    d + timedelta(days=60),
                    d + timedelta(days=60),
                    None,
                    MilestoneStatus.CANCELLED,
                ),
            ],
        ),
    ]
    for plan, milestones in plans:
        project = projects.create_project(
            session,
            projects.ProjectInput(
                name=plan.name,
                lead_id=plan.lead.id,
                service_id=plan.service.id,
                bid_id=plan.bid.id if plan.bid else None,
                outcome_ids=tuple(o.id for o in plan.outcomes),
                description=plan.description,
            ),
            actor=plan.lead,
        )
        session.flush()
        for title, owner, baseline, forecast, completed, status in milestones:
            # The history a lead would have written: the milestone set well ahead of its baseline,
            # then the latest update, so the return can rate it as it stood at any quarter end.
            set_on = min(baseline, d) - timedelta(days=180)
            milestone = projects.add_milestone(
                session,
                project,
                title=title,
                owner_id=owner.id,
                baseline_due=baseline,
                actor=plan.lead,
                on=set_on,
                today=today,
            )
            session.flush()
            projects.update_milestone(
                session,
                milestone,
                forecast_due=forecast,
                status=status,
                completed_on=completed,
                note="On track." if forecast == baseline else "Forecast moved: supplier delays.",
                actor=plan.lead,
                update_on=completed or max(set_on, min(d - timedelta(days=3), forecast)),
                today=today,
                expected_version=AS_READ,
            )
    session.flush()
    return len(plans)


# Impact evidence ---------------------------------------------------------------------------------

#: (name, unit, kind, outcome, offer, definition)
DEMO_MEASURES = (
    ("Unique participants", MeasureUnit.PEOPLE, MeasureKind.OUTPUT, "Improved digital access and literacy",
     LibraryOffer.DIGITAL, "Different people who took part at least once in the period (from registers)."),
    ("Attendances", MeasureUnit.ATTENDANCES, MeasureKind.OUTPUT, "Improved digital access and literacy",
     LibraryOffer.DIGITAL, "Every visit to a session, a person coming twice counted twice."),
    ("Sessions delivered", MeasureUnit.SESSIONS, MeasureKind.OUTPUT, "Improved digital access and literacy",
     LibraryOffer.DIGITAL, "Sessions run, whatever their size."),
    ("Participants more confident online", MeasureUnit.PERCENTAGE, MeasureKind.OUTCOME,
     "Improved digital access and literacy", LibraryOffer.DIGITAL,
     "Share of survey respondents who say they feel more confident using digital technology."),
    ("Makerspace sessions", MeasureUnit.SESSIONS, MeasureKind.OUTPUT, "Cultural and creative enrichment",
     LibraryOffer.CULTURE, "Open and booked makerspace sessions run."),
    ("Makerspace attendances", MeasureUnit.ATTENDANCES, MeasureKind.OUTPUT,
     "Cultural and creative enrichment", LibraryOffer.CULTURE, "Every visit to a makerspace session."),
)  # fmt: skip

#: Kent's Digital Playground, 2017-18: (measure, baseline, target, results Q1..Q4, site)
PLAYGROUND_RESULTS = (
    ("Unique participants", "0", "1200", ("210", "340", "380", "300"), "Folkestone Library"),
    ("Attendances", "0", "3000", ("520", "810", "960", "820"), "Folkestone Library"),
    ("Sessions delivered", "0", "144", ("30", "36", "40", "38"), "Margate Library"),
    ("Participants more confident online", "40", "75", ("52", "61.5", "68", "72.5"), None),
)

PLAYGROUND_LEARNING = (
    "Families came back when sessions ran at the same time each week, and grandparents were the"
    " quickest to bring others. Sessions in the smaller libraries filled first: we moved two from"
    " Maidstone to Folkestone and Margate in the second quarter. Tablets bought with the capital"
    " award stay in the libraries for the code clubs that followed."
)


def demo_photo(colour: tuple[int, int, int] = (29, 112, 184)) -> bytes:
    """A small picture for the demo's photo evidence: drawn, not taken, so it holds no person."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (243, 242, 241))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 180, 440, 290), fill=colour)
    for x, shade in ((90, (255, 221, 0)), (210, (0, 112, 60)), (330, (212, 53, 28))):
        draw.ellipse((x, 60, x + 80, 140), fill=shade)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _impact(
    session: Session, people: dict[str, User], sites: dict[str, Site], today: date
) -> tuple[int, int]:
    """Measures, targets, results and evidence: Kent's Digital Playground as it ran in 2017-18
    (its activity report), and the makerspaces this year (the committee's pack)."""
    admin, finance, lead = (
        people["admin@demo.example"],
        people["finance@demo.example"],
        people["lead@demo.example"],
    )
    outcomes = {o.name: o for o in session.scalars(select(Outcome))}
    measures = {
        name: impact.create_measure(
            session,
            impact.MeasureInput(name=name, unit=unit, kind=kind, outcome_id=outcomes[outcome].id,
                                definition=definition, offer=offer),
            actor=admin,
        )
        for name, unit, kind, outcome, offer, definition in DEMO_MEASURES
    }  # fmt: skip
    projects_by_name = {p.name: p for p in session.scalars(select(Project))}
    playground = projects_by_name["Kent's Digital Playground"]
    makers = projects_by_name["Makerspaces in six libraries"]
    playground.learning = PLAYGROUND_LEARNING
    results = 0
    delivery = periods.FinancialYear(2017)
    for name, baseline, target, by_quarter, site in PLAYGROUND_RESULTS:
        aim = impact.set_target(
            session,
            playground,
            impact.TargetInput(
                measures[name].id, Decimal(baseline), Decimal(target), delivery.last_day, True
            ),
            actor=lead,
            expected_version=AS_READ,
        )
        for number, value in enumerate(by_quarter, 1):
            impact.record_result(session, aim, delivery.quarter(number), Decimal(value),
                                 site_id=sites[site].id if site else None,
                                 source=ResultSource.SURVEY if site is None else ResultSource.REGISTER,
                                 actor=lead, expected_version=AS_READ, today=today)  # fmt: skip
            results += 1
    # The makerspaces this year: results for every quarter that has ended.
    current = periods.fy_for(today)
    makers.starts_on = current.first_day
    for name, target, by_quarter in (
        ("Makerspace sessions", "240", ("50", "70", "64", "60")),
        ("Makerspace attendances", "2400", ("430", "575", "610", "590")),
    ):
        aim = impact.set_target(
            session,
            makers,
            impact.TargetInput(measures[name].id, Decimal(0), Decimal(target), current.last_day, False),
            actor=lead,
            expected_version=AS_READ,
        )
        for number, value in enumerate(by_quarter, 1):
            if current.quarter(number).last_day < today:
                impact.record_result(session, aim, current.quarter(number), Decimal(value),
                                     site_id=sites["Ashford Gateway"].id, source=ResultSource.REGISTER,
                                     actor=lead, expected_version=AS_READ, today=today)  # fmt: skip
                results += 1
    digital = outcomes["Improved digital access and literacy"].id
    creative = outcomes["Cultural and creative enrichment"].id
    ten_years = date(2028, 3, 31)  # the legacy report's consents were asked for ten years
    every_use = frozenset(ConsentUse)
    items = [
        (
            playground,
            impact.EvidenceInput(
                EvidenceKind.CASE_STUDY,
                "Three generations learning to code",
                date(2018, 2, 14),
                body="A grandmother brought her two grandchildren to the Saturday sessions at Folkestone."
                " Within six weeks she was helping other families set up their tablets and now volunteers"
                " at the library's code club.",
                outcome_id=digital,
                site_id=sites["Folkestone Library"].id,
                attribution="Family learning participant, Folkestone",
            ),
            None,
            (ConsentGiver.PERSON, False, every_use, date(2018, 2, 14), ten_years),
        ),
        (
            playground,
            impact.EvidenceInput(
                EvidenceKind.QUOTE,
                "Keeping in touch",
                date(2017, 11, 8),
                body="I can't get out so much, this is a very convenient way of keeping in touch \u2013 I"
                " don't feel so isolated.",
                outcome_id=digital,
                site_id=sites["Margate Library"].id,
                attribution="Outreach service user, Margate",
            ),
            None,
            (ConsentGiver.PERSON, False, every_use, date(2017, 11, 8), ten_years),
        ),
        (
            playground,
            impact.EvidenceInput(
                EvidenceKind.QUOTE,
                "A child's view",
                date(2018, 3, 3),
                body="I made the robot go round the library!",
                outcome_id=digital,
                site_id=sites["Folkestone Library"].id,
                attribution="Child aged 8, Folkestone",
            ),
            None,
            (
                ConsentGiver.GUARDIAN,
                True,
                frozenset({ConsentUse.FUNDER_REPORTS}),
                date(2018, 3, 3),
                ten_years,
            ),
        ),
        (
            playground,
            impact.EvidenceInput(
                EvidenceKind.PHOTO,
                "Coding robots session",
                date(2018, 1, 20),
                outcome_id=digital,
                site_id=sites["Folkestone Library"].id,
                attribution="Saturday session, Folkestone Library",
                alt_text="Three coloured robot balls on a blue mat in the library's activity room",
            ),
            impact.Upload(demo_photo(), "robots.jpg"),
            (ConsentGiver.PERSON, False, every_use, date(2018, 1, 20), ten_years),
        ),
        (
            makers,
            impact.EvidenceInput(
                EvidenceKind.QUOTE,
                "First print",
                current.first_day + timedelta(days=40),
                body="I never thought I'd design something and hold it the same afternoon.",
                outcome_id=creative,
                site_id=sites["Ashford Gateway"].id,
                attribution="Makerspace member, Ashford",
            ),
            None,
            (ConsentGiver.PERSON, False, every_use, current.first_day + timedelta(days=40), None),
        ),
        (
            makers,
            impact.EvidenceInput(
                EvidenceKind.CASE_STUDY,
                "From makerspace to apprenticeship",
                current.first_day + timedelta(days=60),
                body="A young man who joined the open sessions to repair his bike now has an engineering"
                " apprenticeship, with a reference from the makerspace's volunteer lead.",
                outcome_id=creative,
                site_id=sites["Ashford Gateway"].id,
                attribution="Makerspace member, Ashford",
            ),
            None,
            (
                ConsentGiver.PERSON,
                False,
                frozenset({ConsentUse.FUNDER_REPORTS}),
                current.first_day + timedelta(days=60),
                None,
            ),
        ),
        (
            makers,
            impact.EvidenceInput(
                EvidenceKind.PHOTO,
                "Laser cutter induction",
                current.first_day + timedelta(days=50),
                outcome_id=creative,
                site_id=sites["Ashford Gateway"].id,
                attribution="Ashford Gateway makerspace",
                alt_text="A green, yellow and red pattern cut from card on a blue workbench",
            ),
            impact.Upload(demo_photo((0, 112, 60)), "laser.jpg"),
            (ConsentGiver.PERSON, False, every_use, current.first_day + timedelta(days=50), None),
        ),
    ]
    for project, data, upload, (giver, child, uses, given_on, expires_on) in items:
        if data.occurred_on > today:
            continue
        evidence = impact.add_evidence(session, project, data, upload, actor=lead, today=today)
        impact.record_consent(
            session,
            evidence,
            impact.ConsentInput(giver, given_on, uses, child=child, expires_on=expires_on),
            actor=lead,
            today=max(today, given_on),
        )
        impact.approve(session, evidence, actor=finance, expected_version=AS_READ)
    session.flush()
    return results, len(items)
