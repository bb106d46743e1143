"""The funder's activity report for an awarded grant, filled from what is recorded.

The sections follow the Arts Council's activity report for Libraries: Opportunities for
Everyone: what happened (milestones and their dated updates), final income and the resource and
capital spend against the award, measures against targets over the whole project, venues with
their postcodes and attendance, the evidence whose consent covers funder reports (the rest
"Withheld: consent"), and the lead's learning. Computed once; the Word, PDF and HTML renderings
(:mod:`incometrack.exports.activity`) draw the same object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import (
    WON_STATUSES,
    ConsentUse,
    GrantBid,
    GrantPayment,
    GrantSpend,
    Measure,
    MeasureResult,
    MeasureUnit,
    Milestone,
    Project,
    ProjectMeasure,
    Site,
)
from incometrack.periods import quarter_for
from incometrack.reports.impact import EvidenceLine, MeasureLine, evidence_lines, measure_lines


class NotAwarded(ValueError):
    """An activity report is for an awarded grant only."""


@dataclass(frozen=True)
class MilestoneLine:
    project: str
    milestone: str
    baseline: date
    forecast: date
    completed: date | None
    status: str
    #: the dated updates, oldest first
    updates: tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class Venue:
    site: str
    postcode: str
    #: attendances recorded at the venue over the project, of every attendance measure
    attendances: int | None


@dataclass(frozen=True)
class Finance:
    awarded_resource: int
    awarded_capital: int
    received: int  #: grant payments received
    spent_resource: int
    spent_capital: int
    match_cash: int
    match_in_kind: int

    @property
    def awarded(self) -> int:
        return self.awarded_resource + self.awarded_capital

    @property
    def remaining_resource(self) -> int:
        return self.awarded_resource - self.spent_resource

    @property
    def remaining_capital(self) -> int:
        return self.awarded_capital - self.spent_capital


@dataclass(frozen=True)
class ActivityReport:
    bid_id: int
    title: str
    funder: str
    programme: str
    lead: str
    status: str
    start_on: date | None
    end_on: date | None
    produced_on: date
    projects: tuple[str, ...]
    finance: Finance
    milestones: tuple[MilestoneLine, ...]
    measures: tuple[MeasureLine, ...]
    venues: tuple[Venue, ...]
    evidence: tuple[EvidenceLine, ...]
    learning: str

    @property
    def file_stem(self) -> str:
        words = "".join(c if c.isalnum() else "-" for c in self.title.lower())
        return "activity-report-" + "-".join(part for part in words.split("-") if part)

    @property
    def shown_evidence_ids(self) -> tuple[int, ...]:
        return tuple(e.evidence_id for e in self.evidence if not e.withheld)


def build_activity_report(session: Session, bid_id: int, *, today: date) -> ActivityReport:
    """:raises NotAwarded: for a bid that was never awarded. :raises LookupError: for no bid."""
    bid = session.get(GrantBid, bid_id)
    if bid is None:
        raise LookupError(f"No grant bid {bid_id}")
    if bid.status not in WON_STATUSES:
        raise NotAwarded(f"{bid.title} is {bid.status.value}: an activity report is for an awarded grant")
    projects = list(session.scalars(select(Project).where(Project.bid_id == bid.id).order_by(Project.name)))
    project_ids = [p.id for p in projects]
    received = session.scalar(
        select(func.coalesce(func.sum(GrantPayment.amount_received), 0)).where(
            GrantPayment.bid_id == bid.id, GrantPayment.received_on <= today
        )
    )
    spent = dict(
        session.execute(
            select(GrantSpend.capital, func.sum(GrantSpend.amount))
            .where(GrantSpend.bid_id == bid.id, GrantSpend.spent_on <= today)
            .group_by(GrantSpend.capital)
        ).all()
    )
    finance = Finance(
        awarded_resource=bid.awarded_resource or 0,
        awarded_capital=bid.awarded_capital or 0,
        received=int(received or 0),
        spent_resource=int(spent.get(False, 0) or 0),
        spent_capital=int(spent.get(True, 0) or 0),
        match_cash=bid.match_cash,
        match_in_kind=bid.match_in_kind,
    )
    milestones = []
    for milestone in session.scalars(
        select(Milestone)
        .where(Milestone.project_id.in_(project_ids))
        .order_by(Milestone.forecast_due, Milestone.id)
    ):
        milestones.append(
            MilestoneLine(
                project=milestone.project.name,
                milestone=milestone.title,
                baseline=milestone.baseline_due,
                forecast=milestone.forecast_due,
                completed=milestone.completed_on,
                status=milestone.status.value.capitalize(),
                updates=tuple((u.update_on, u.note) for u in reversed(milestone.updates) if u.note.strip()),
            )
        )
    quarter = quarter_for(today)
    measures = [
        line
        for project_id in project_ids
        for _pid, _offer, line in measure_lines(
            session, quarter, on=min(today, bid.end_on or today), project_id=project_id, whole_project=True
        )
    ]
    evidence = [
        line
        for project_id in project_ids
        for line in evidence_lines(
            session,
            up_to=today,
            consent_on=today,
            use=ConsentUse.FUNDER_REPORTS,
            per_project=None,
            project_id=project_id,
        )
    ]
    return ActivityReport(
        bid_id=bid.id,
        title=bid.title,
        funder=bid.funder.name,
        programme=bid.programme.name if bid.programme else "",
        lead=bid.lead.name if bid.lead else "",
        status=bid.status.value.capitalize(),
        start_on=bid.start_on,
        end_on=bid.end_on,
        produced_on=today,
        projects=tuple(p.name for p in projects),
        finance=finance,
        milestones=tuple(milestones),
        measures=tuple(measures),
        venues=_venues(session, project_ids),
        evidence=tuple(evidence),
        learning="\n\n".join(p.learning for p in projects if p.learning.strip()),
    )


def _venues(session: Session, project_ids: list[int]) -> tuple[Venue, ...]:
    """Every site a result or an item of evidence names, with its attendances (summed in SQL over
    the attendance measures' results recorded there)."""
    attendance = dict(
        session.execute(
            select(MeasureResult.site_id, func.sum(MeasureResult.value))
            .join(ProjectMeasure, ProjectMeasure.id == MeasureResult.project_measure_id)
            .join(Measure, Measure.id == ProjectMeasure.measure_id)
            .where(
                ProjectMeasure.project_id.in_(project_ids),
                Measure.unit == MeasureUnit.ATTENDANCES,
                MeasureResult.site_id.is_not(None),
            )
            .group_by(MeasureResult.site_id)
        ).all()
    )
    from incometrack.models import Evidence

    used = set(attendance)
    used |= set(
        session.scalars(
            select(MeasureResult.site_id)
            .join(ProjectMeasure, ProjectMeasure.id == MeasureResult.project_measure_id)
            .where(ProjectMeasure.project_id.in_(project_ids), MeasureResult.site_id.is_not(None))
        )
    )
    used |= set(
        session.scalars(
            select(Evidence.site_id).where(
                Evidence.project_id.in_(project_ids),
                Evidence.site_id.is_not(None),
                Evidence.approved_at.is_not(None),
            )
        )
    )
    sites = session.scalars(select(Site).where(Site.id.in_(used)).order_by(Site.name)) if used else []
    return tuple(
        Venue(
            site.name,
            site.postcode,
            int(attendance[site.id].to_integral_value()) if site.id in attendance else None,
        )
        for site in sites
    )
