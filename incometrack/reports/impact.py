"""Impact and outcomes as at a date: each project's measures against their targets, the approved
evidence its consents let an output show, and the roll-up by outcome and by Universal Library
Offer. The return and the monitoring pack carry it (and a submitted return freezes it); the
funder's activity report reads the same lines for one project.

Figures follow DOMAIN.md: a count's year to date is the sum of the year's quarters so far, a
percentage's or score's the latest quarter's value; % of target is (year to date - baseline) /
(target - baseline), half-up to 1 dp; the progress RAG compares it with the share of the time
from the project's start to the target date elapsed, and there is none before the first result
is due (the end of the quarter the project started in).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased, defer, selectinload

from incometrack.models import (
    OFFER_LABELS,
    ConsentUse,
    Evidence,
    EvidenceKind,
    GrantBid,
    LibraryOffer,
    Measure,
    MeasureResult,
    Outcome,
    Project,
    ProjectMeasure,
)
from incometrack.periods import Quarter, quarter_for
from incometrack.rag import Rag, elapsed_share, progress_rag
from incometrack.reports.sql import read

WITHHELD = "Withheld: consent"
#: The longest side of a photo in a pack or report (the kept photo may be larger).
PACK_PHOTO_SIDE = 800
#: How many of each kind of evidence a project shows in the committee's pack.
PACK_EVIDENCE = {EvidenceKind.CASE_STUDY: 1, EvidenceKind.QUOTE: 2, EvidenceKind.PHOTO: 1}


@dataclass(frozen=True)
class MeasureLine:
    project: str
    measure: str
    unit: str
    outcome: str
    baseline: Decimal
    target: Decimal
    target_on: date
    this_quarter: Decimal | None
    year_to_date: Decimal | None
    percent_of_target: Decimal | None
    rag: Rag | None
    funder_required: bool = False
    kind: str = "output"


@dataclass(frozen=True)
class EvidenceLine:
    project: str
    kind: str  #: "Case study", "Quote", "Photo", "Document" or "Link"
    title: str
    text: str  #: the words, or "Withheld: consent"
    attribution: str
    occurred_on: date | None
    site: str
    withheld: bool
    alt_text: str = ""
    #: the photo, base64 (empty where withheld or not a photo); a submitted return keeps it
    image: str = ""
    image_type: str = ""
    evidence_id: int = 0
    outcome: str = ""

    @property
    def image_bytes(self) -> bytes:
        return base64.b64decode(self.image) if self.image else b""


@dataclass(frozen=True)
class RollupLine:
    name: str
    projects: int
    measures: int
    green: int
    amber: int
    red: int
    project_names: str


@dataclass(frozen=True)
class Impact:
    measures: tuple[MeasureLine, ...] = ()
    evidence: tuple[EvidenceLine, ...] = ()
    by_outcome: tuple[RollupLine, ...] = ()
    by_offer: tuple[RollupLine, ...] = ()
    total: RollupLine | None = None
    #: the day consents were read for (the day the output was produced)
    consent_on: date | None = None

    @property
    def shown_evidence_ids(self) -> tuple[int, ...]:
        """The items an output of this shows (withheld ones are not shown)."""
        return tuple(e.evidence_id for e in self.evidence if not e.withheld and e.evidence_id)


def percent_of_target(year_to_date: Decimal, baseline: Decimal, target: Decimal) -> Decimal | None:
    if target == baseline:
        return None
    result = ((year_to_date - baseline) * 100 / (target - baseline)).quantize(
        Decimal("0.1"), rounding="ROUND_HALF_UP"
    )
    return abs(result) if result.is_zero() else result


def first_result_due(start: date) -> date:
    """The end of the quarter a project started in: no progress RAG before then."""
    return quarter_for(start).last_day


def _measure_rows(
    session: Session, quarter: Quarter, project_id: int | None = None, *, whole_project: bool = False
) -> list:
    """One row a project's measure: its target and its results up to ``quarter`` (of that year,
    or since the project began where ``whole_project``), summed and the latest, in one query
    (results are aggregated in SQL, never read one by one). Without ``project_id``, the measures
    whose target date falls in the year or later: a project that ended before is not the year's."""
    year, number = quarter.year.start, quarter.number
    # a quarter as one number, so "up to Q2 2026-27" is one comparison across years
    ordinal = MeasureResult.year * 4 + MeasureResult.quarter
    upto = ordinal <= year * 4 + number
    so_far = (
        select(
            MeasureResult.project_measure_id.label("target_id"),
            func.sum(MeasureResult.value).label("total"),
            func.max(ordinal).label("last"),
        )
        .where(upto if whole_project else and_(upto, MeasureResult.year == year))
        .group_by(MeasureResult.project_measure_id)
        .subquery()
    )
    this = aliased(MeasureResult)
    latest = aliased(MeasureResult)
    statement = (
        select(
            Project.id,
            Project.name,
            Project.starts_on,
            Project.created_at,
            GrantBid.start_on,
            Measure.name,
            Measure.unit,
            Measure.kind,
            Measure.offer,
            Outcome.name,
            ProjectMeasure.baseline,
            ProjectMeasure.target,
            ProjectMeasure.target_on,
            ProjectMeasure.funder_required,
            this.value,
            so_far.c.total,
            latest.value,
        )
        .join(ProjectMeasure.project)
        .outerjoin(GrantBid, GrantBid.id == Project.bid_id)
        .join(ProjectMeasure.measure)
        .join(Outcome, Outcome.id == Measure.outcome_id)
        .outerjoin(
            this,
            and_(this.project_measure_id == ProjectMeasure.id, this.year == year, this.quarter == number),
        )
        .outerjoin(so_far, so_far.c.target_id == ProjectMeasure.id)
        .outerjoin(
            latest,
            and_(
                latest.project_measure_id == ProjectMeasure.id,
                latest.year * 4 + latest.quarter == so_far.c.last,
            ),
        )
        .order_by(Project.name, Project.id, Outcome.position, Measure.name)
    )
    if project_id is not None:
        statement = statement.where(Project.id == project_id)
    else:
        statement = statement.where(ProjectMeasure.target_on >= quarter.year.first_day)
    return list(session.execute(statement))


def measure_lines(
    session: Session,
    quarter: Quarter,
    *,
    on: date | None = None,
    project_id: int | None = None,
    whole_project: bool = False,
) -> list[tuple]:
    """``(project_id, offer, MeasureLine)`` for every project's measure with its results of the
    year up to ``quarter`` (or since it began, ``whole_project``), rated at ``on`` (the quarter's
    end unless said). A project not started by ``on`` is left out."""
    on = on or quarter.last_day
    out = []
    for row in _measure_rows(session, quarter, project_id, whole_project=whole_project):
        (pid, project, starts_on, created_at, bid_start, name, unit, kind, offer, outcome) = row[:10]
        baseline, target, target_on, required, this_value, total, latest_value = row[10:]
        start = starts_on or bid_start or created_at.date()
        if start > on:
            continue
        if unit.counted:
            year_to_date = Decimal(total).scaleb(-1) if isinstance(total, int) else total
        else:
            year_to_date = latest_value
        percent = percent_of_target(year_to_date, baseline, target) if year_to_date is not None else None
        rag = None
        if on >= first_result_due(start):
            rag = progress_rag(percent, elapsed_share(start, target_on, on))
        out.append(
            (
                pid,
                offer,
                MeasureLine(
                    project=project,
                    measure=name,
                    unit=unit.value,
                    outcome=outcome,
                    baseline=baseline,
                    target=target,
                    target_on=target_on,
                    this_quarter=this_value,
                    year_to_date=year_to_date,
                    percent_of_target=percent,
                    rag=rag,
                    funder_required=required,
                    kind=kind.value,
                ),
            )
        )
    return out


def pack_photo(content: bytes) -> tuple[str, str]:
    """A kept photo made small enough for a pack, as base64 JPEG (or PNG where it has
    transparency), with no metadata (it had none to keep)."""
    from PIL import Image

    with Image.open(io.BytesIO(content)) as image:
        image.load()
        image.thumbnail((PACK_PHOTO_SIDE, PACK_PHOTO_SIDE))
        out = io.BytesIO()
        if "A" in image.getbands():
            image.save(out, "PNG", optimize=True)
            kind = "image/png"
        else:
            image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
            kind = "image/jpeg"
    return base64.b64encode(out.getvalue()).decode("ascii"), kind


def evidence_lines(
    session: Session,
    *,
    up_to: date,
    consent_on: date,
    since: date | None = None,
    use: ConsentUse,
    per_project: dict[EvidenceKind, int] | None = PACK_EVIDENCE,
    project_id: int | None = None,
) -> list[EvidenceLine]:
    """The approved evidence dated on or before ``up_to`` (and from ``since``), the latest first:
    per project at most ``per_project`` of each kind (None: all of them). An item about a person
    whose consent does not cover ``use`` on ``consent_on`` is there as "Withheld: consent", its
    words, photo and attribution left out."""
    from incometrack.services.impact import consent_covers

    statement = (
        select(Evidence)
        .join(Evidence.project)
        .where(Evidence.approved_at.is_not(None), Evidence.occurred_on <= up_to)
        .options(
            defer(Evidence.content),
            selectinload(Evidence.consent),
            selectinload(Evidence.site),
            selectinload(Evidence.outcome),
            selectinload(Evidence.project),
        )
        .order_by(Project.name, Project.id, Evidence.occurred_on.desc(), Evidence.id.desc())
    )
    if since is not None:
        statement = statement.where(Evidence.occurred_on >= since)
    if per_project is not None:
        statement = statement.where(Evidence.kind.in_(tuple(per_project)))
    if project_id is not None:
        statement = statement.where(Evidence.project_id == project_id)
    chosen: list[Evidence] = []
    taken: dict[tuple[int, EvidenceKind], int] = {}
    for item in session.scalars(statement):
        key = (item.project_id, item.kind)
        if per_project is not None and taken.get(key, 0) >= per_project[item.kind]:
            continue
        taken[key] = taken.get(key, 0) + 1
        chosen.append(item)
    photos = {
        item.id
        for item in chosen
        if item.kind is EvidenceKind.PHOTO and consent_covers(item.consent, use, consent_on)
    }
    content = (
        dict(session.execute(select(Evidence.id, Evidence.content).where(Evidence.id.in_(photos))).all())
        if photos
        else {}
    )
    order = {EvidenceKind.CASE_STUDY: 0, EvidenceKind.QUOTE: 1, EvidenceKind.PHOTO: 2}
    lines = []
    for item in sorted(chosen, key=lambda e: (e.project.name, e.project_id, order.get(e.kind, 3))):
        withheld = item.kind.about_people and not consent_covers(item.consent, use, consent_on)
        image, image_type = ("", "")
        if content.get(item.id):
            image, image_type = pack_photo(content[item.id])
        lines.append(
            EvidenceLine(
                project=item.project.name,
                kind=item.kind.value.capitalize(),
                title=WITHHELD if withheld else item.title,
                text=WITHHELD if withheld else (item.body or item.url),
                attribution="" if withheld else item.attribution,
                occurred_on=item.occurred_on,
                site=item.site.name if item.site else "",
                withheld=withheld,
                alt_text="" if withheld else item.alt_text,
                image=image,
                image_type=image_type,
                evidence_id=item.id,
                outcome=item.outcome.name if item.outcome else "",
            )
        )
    return lines


def _rollup(name: str, members: list[tuple[int, MeasureLine]]) -> RollupLine:
    projects: dict[int, str] = {}
    for pid, line in members:
        projects.setdefault(pid, line.project)
    return RollupLine(
        name=name,
        projects=len(projects),  # a project with several measures here counts once
        measures=len(members),
        green=sum(1 for _p, m in members if m.rag is Rag.GREEN),
        amber=sum(1 for _p, m in members if m.rag is Rag.AMBER),
        red=sum(1 for _p, m in members if m.rag is Rag.RED),
        project_names="; ".join(projects.values()),
    )


def build_impact(session: Session, quarter: Quarter, *, on: date, consent_on: date) -> Impact:
    """Impact and outcomes for the committee as at ``on`` (a quarter or month end within
    ``quarter``), the evidence's consents read for committee papers on ``consent_on``."""
    rows = measure_lines(session, quarter, on=on)
    outcomes = [name for (name,) in read(session, select(Outcome.name).order_by(Outcome.position))]
    by_outcome = [_rollup(name, [(pid, m) for pid, _o, m in rows if m.outcome == name]) for name in outcomes]
    by_offer = [
        _rollup(OFFER_LABELS[offer], [(pid, m) for pid, o, m in rows if o is offer]) for offer in LibraryOffer
    ]
    total = _rollup("Total (each project once)", [(pid, m) for pid, _o, m in rows])
    # the year's evidence: what the year's projects showed up to the day
    evidence = evidence_lines(
        session,
        up_to=on,
        since=quarter.year.first_day,
        consent_on=consent_on,
        use=ConsentUse.COMMITTEE_PAPERS,
    )
    return Impact(
        measures=tuple(m for _p, _o, m in rows),
        evidence=tuple(evidence),
        by_outcome=tuple(by_outcome),
        by_offer=tuple(by_offer),
        total=total,
        consent_on=consent_on,
    )
