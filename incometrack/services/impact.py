"""Impact evidence: measures (administrators), a project's targets and quarterly results (its
lead, finance and administrators), evidence and its consent, approval (finance and
administrators) and the record of the files an item was shown in.

A result for a quarter that is locked (as submitting its return locks it) is refused like an
income entry; an administrator's reopen opens it. Photos are re-encoded by Pillow: what is kept is
the picture, never its EXIF or location tags.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import (
    Consent,
    ConsentGiver,
    ConsentUse,
    Evidence,
    EvidenceKind,
    EvidenceUse,
    LibraryOffer,
    Measure,
    MeasureKind,
    MeasureResult,
    MeasureUnit,
    Outcome,
    Project,
    ProjectMeasure,
    ResultSource,
    Site,
    User,
)
from incometrack.models.base import utcnow
from incometrack.periods import Quarter, format_date, years_after
from incometrack.services import NotAllowed, ServiceError, ValidationErrors, audit, check_version, locks

#: How long a consent lasts unless the form says otherwise (DOMAIN.md).
CONSENT_YEARS = 5
#: The longest side a photo is kept at: enough for a printed page, small enough for a pack.
PHOTO_SIDE = 1600
WITHHELD = "Withheld: consent"
#: The largest value a result, baseline or target may hold (a county's reach, with room).
LARGEST = Decimal("99999999.9")


def can_edit(user: User, project: Project) -> bool:
    """Targets, results and evidence of a project: its lead, finance officers and administrators."""
    return policy.can_act_for_lead(user, project.lead_id)


def _require_project(user: User | None, project: Project) -> None:
    if user is not None and not can_edit(user, project):
        raise NotAllowed(
            f"{project.name} is led by {project.lead.name}. Only its lead, finance officers and"
            " administrators can record its impact."
        )


def parse_value(text: object, *, field: str, label: str) -> Decimal:
    """A count, percentage or score typed as ``1,250`` or ``72.5`` (one decimal place at most).

    :raises ValidationErrors: naming ``field``.
    """
    raw = str(text if text is not None else "").strip().replace(",", "")
    if not raw:
        raise ValidationErrors({field: f"Enter the {label.lower()}"})
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationErrors({field: f"{label} must be a number, like 120 or 72.5"}) from None
    if not value.is_finite() or value < 0:
        raise ValidationErrors({field: f"{label} must be 0 or more"})
    if value != value.quantize(Decimal("0.1")):
        raise ValidationErrors({field: f"{label} can have one decimal place at most"})
    if value > LARGEST:
        raise ValidationErrors({field: f"{label} must be {LARGEST:,} or less"})
    return value.quantize(Decimal("0.1"))


def format_value(value: Decimal | None) -> str:
    """``1,250`` for a whole number, ``72.5`` otherwise; blank for none."""
    if value is None:
        return ""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


# Measures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureInput:
    name: str
    unit: MeasureUnit
    kind: MeasureKind
    outcome_id: int
    definition: str = ""
    offer: LibraryOffer | None = None
    active: bool = True


def measure_problems(
    session: Session, data: MeasureInput, *, measure: Measure | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Enter the measure's name"
    elif len(name) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    else:
        same = session.scalar(select(Measure).where(Measure.name == name))
        if same is not None and same is not measure:
            errors["name"] = f"A measure called {name} already exists"
    if session.get(Outcome, data.outcome_id or 0) is None:
        errors["outcome_id"] = "Select the Libraries Deliver outcome it evidences"
    if len(data.definition.strip()) > 2000:
        errors["definition"] = "Definition must be 2000 characters or fewer"
    return errors


def _values(data: MeasureInput) -> dict[str, object]:
    return {
        "name": data.name.strip(),
        "unit": data.unit,
        "kind": data.kind,
        "outcome_id": data.outcome_id,
        "definition": data.definition.strip(),
        "offer": data.offer,
        "active": data.active,
    }


def create_measure(session: Session, data: MeasureInput, *, actor: User | None) -> Measure:
    """:raises NotAllowed: for anyone but an administrator. :raises ValidationErrors:"""
    if actor is not None and not policy.can_administer(actor):
        raise NotAllowed("Only administrators keep the list of measures")
    if errors := measure_problems(session, data):
        raise ValidationErrors(errors)
    measure = Measure(**_values(data))
    session.add(measure)
    audit.record_create(session, actor, measure, summary=measure.name)
    return measure


def update_measure(
    session: Session, measure: Measure, data: MeasureInput, *, actor: User, expected_version
) -> Measure:
    """:raises NotAllowed: :raises StaleEdit: :raises ValidationErrors:"""
    if not policy.can_administer(actor):
        raise NotAllowed("Only administrators keep the list of measures")
    check_version(measure, expected_version, {"name": data.name})
    if errors := measure_problems(session, data, measure=measure):
        raise ValidationErrors(errors)
    audit.update(session, actor, measure, _values(data), summary=data.name.strip())
    return measure


# Targets and results --------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetInput:
    measure_id: int
    baseline: Decimal
    target: Decimal
    target_on: date
    funder_required: bool = False


def target_problems(session: Session, project: Project, data: TargetInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    measure = session.get(Measure, data.measure_id or 0)
    if measure is None:
        errors["measure_id"] = "Select a measure from the list"
    if data.target == data.baseline:
        errors["target"] = "The target must differ from the baseline"
    if data.target_on <= project.start:
        errors["target_on"] = (
            f"The target date must be after the project's start ({format_date(project.start)})"
        )
    return errors


def set_target(
    session: Session, project: Project, data: TargetInput, *, actor: User | None, expected_version
) -> ProjectMeasure:
    """Add a measure to the project, or change its baseline, target and date.

    :raises NotAllowed: :raises StaleEdit: :raises ValidationErrors:"""
    _require_project(actor, project)
    existing = session.scalar(
        select(ProjectMeasure).where(
            ProjectMeasure.project_id == project.id, ProjectMeasure.measure_id == data.measure_id
        )
    )
    check_version(existing, expected_version, {"target": str(data.target)})
    if errors := target_problems(session, project, data):
        raise ValidationErrors(errors)
    values = {
        "baseline": data.baseline,
        "target": data.target,
        "target_on": data.target_on,
        "funder_required": data.funder_required,
    }
    what = f"{project.name}: {session.get(Measure, data.measure_id).name} target"
    if existing is None:
        existing = ProjectMeasure(project_id=project.id, measure_id=data.measure_id, **values)
        session.add(existing)
        audit.record_create(session, actor, existing, summary=what)
        return existing
    audit.update(session, actor, existing, values, summary=what)
    return existing


def locked_result_message(quarter: Quarter) -> str:
    return (
        f"{quarter.label} is locked: its return is submitted or its figures closed, so its results"
        " cannot change. An administrator can reopen the quarter."
    )


def result_problems(
    session: Session, target: ProjectMeasure, quarter: Quarter, site_id: int | None, *, today: date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if quarter.first_day > today:
        errors["quarter"] = f"{quarter.label} has not started yet: record results once it has"
    elif quarter.last_day < target.project.start:
        errors["quarter"] = (
            f"{quarter.label} ended before {target.project.name} started"
            f" ({format_date(target.project.start)})"
        )
    if site_id is not None and session.get(Site, site_id) is None:
        errors["site_id"] = "Select a site from the list, or none"
    return errors


def record_result(
    session: Session,
    target: ProjectMeasure,
    quarter: Quarter,
    value: Decimal,
    *,
    site_id: int | None = None,
    source: ResultSource | None = None,
    actor: User | None,
    expected_version,
    batch_id: int | None = None,
    today: date | None = None,
) -> MeasureResult:
    """Record (or correct) a quarter's result for a project's measure.

    :raises NotAllowed: :raises PeriodLocked: (field ``quarter``) when the quarter is locked.
    :raises StaleEdit: :raises ValidationErrors:"""
    _require_project(actor, target.project)
    if errors := result_problems(session, target, quarter, site_id, today=today or date.today()):
        raise ValidationErrors(errors)
    if locks.is_locked(session, quarter):
        raise locks.PeriodLocked(locked_result_message(quarter), field="quarter")
    existing = session.scalar(
        select(MeasureResult).where(
            MeasureResult.project_measure_id == target.id,
            MeasureResult.year == quarter.year.start,
            MeasureResult.quarter == quarter.number,
        )
    )
    check_version(existing, expected_version, {"value": str(value)})
    what = f"{target.project.name}: {target.measure.name}, {quarter.label}"
    values = {"value": value, "site_id": site_id, "source": source}
    if existing is None:
        existing = MeasureResult(
            project_measure_id=target.id,
            year=quarter.year.start,
            quarter=quarter.number,
            batch_id=batch_id,
            recorded_by_id=actor.id if actor is not None else None,
            **values,
        )
        session.add(existing)
        audit.record_create(session, actor, existing, summary=what)
        return existing
    audit.update(session, actor, existing, values, summary=what)
    return existing


# Evidence -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


@dataclass(frozen=True)
class EvidenceInput:
    kind: EvidenceKind
    title: str
    occurred_on: date
    body: str = ""
    url: str = ""
    outcome_id: int | None = None
    site_id: int | None = None
    attribution: str = ""
    alt_text: str = ""


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """The photo re-encoded by Pillow in its own format (JPEG or PNG, decided by what the bytes
    are, never the file's name), turned upright and no larger than :data:`PHOTO_SIDE`, with no
    EXIF, GPS, XMP or text metadata: only the pixels are copied.

    :raises ValidationErrors: (field ``upload``) for anything that is not a JPEG or PNG image.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = ValidationErrors({"upload": "The photo must be a JPEG or PNG image"})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ("JPEG", "PNG"):
            raise refused
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    mode = "RGB" if kind == "JPEG" else ("RGBA" if "A" in upright.getbands() else "RGB")
    # A new image holding only the pixels: nothing of the original's info travels with it.
    pixels = Image.new(mode, upright.size)
    pixels.paste(upright.convert(mode))
    out = io.BytesIO()
    if kind == "JPEG":
        pixels.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue(), "image/jpeg"
    pixels.save(out, "PNG", optimize=True)
    return out.getvalue(), "image/png"


def _document(data: bytes) -> tuple[bytes, str]:
    if not data.startswith(b"%PDF-"):
        raise ValidationErrors({"upload": "The document must be a PDF"})
    return data, "application/pdf"


def evidence_problems(
    session: Session, data: EvidenceInput, upload: Upload | None, *, today: date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = "Enter a title"
    elif len(data.title.strip()) > 255:
        errors["title"] = "Title must be 255 characters or fewer"
    if data.occurred_on > today:
        errors["occurred_on"] = "The date must be today or earlier"
    if data.kind in (EvidenceKind.CASE_STUDY, EvidenceKind.QUOTE) and not data.body.strip():
        errors["body"] = (
            "Enter the case study" if data.kind is EvidenceKind.CASE_STUDY else "Enter the words quoted"
        )
    if data.kind is EvidenceKind.LINK and not data.url.strip().lower().startswith(("https://", "http://")):
        errors["url"] = "Enter the link's address, starting https://"
    if len(data.url.strip()) > 255:
        errors["url"] = "The address must be 255 characters or fewer"
    if data.kind is EvidenceKind.PHOTO and not data.alt_text.strip():
        errors["alt_text"] = "Describe the photo for people who cannot see it"
    if data.kind in (EvidenceKind.PHOTO, EvidenceKind.DOCUMENT) and (upload is None or not upload.data):
        errors["upload"] = "Choose the photo" if data.kind is EvidenceKind.PHOTO else "Choose the document"
    if data.kind.about_people and not data.attribution.strip():
        errors["attribution"] = 'Enter an anonymised attribution, like "Outreach service user, Folkestone"'
    for name, limit in (("attribution", 255), ("alt_text", 255)):
        if len(getattr(data, name).strip()) > limit:
            errors[name] = f"Must be {limit} characters or fewer"
    if data.outcome_id is not None and session.get(Outcome, data.outcome_id) is None:
        errors["outcome_id"] = "Select an outcome from the list, or none"
    if data.site_id is not None and session.get(Site, data.site_id) is None:
        errors["site_id"] = "Select a site from the list, or none"
    return errors


def add_evidence(
    session: Session,
    project: Project,
    data: EvidenceInput,
    upload: Upload | None = None,
    *,
    actor: User | None,
    today: date | None = None,
) -> Evidence:
    """Add an item of evidence, waiting for approval.

    :raises NotAllowed: :raises ValidationErrors: (a photo that is not a JPEG or PNG by its bytes)."""
    _require_project(actor, project)
    if errors := evidence_problems(session, data, upload, today=today or date.today()):
        raise ValidationErrors(errors)
    content, content_type, filename = None, "", ""
    if data.kind is EvidenceKind.PHOTO and upload is not None:
        content, content_type = clean_photo(upload.data)
        filename = upload.filename[:255]
    elif data.kind is EvidenceKind.DOCUMENT and upload is not None:
        content, content_type = _document(upload.data)
        filename = upload.filename[:255]
    evidence = Evidence(
        project_id=project.id,
        kind=data.kind,
        title=data.title.strip(),
        body=data.body.strip(),
        url=data.url.strip(),
        occurred_on=data.occurred_on,
        outcome_id=data.outcome_id,
        site_id=data.site_id,
        attribution=data.attribution.strip(),
        alt_text=data.alt_text.strip(),
        content=content,
        content_type=content_type,
        filename=filename,
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(evidence)
    audit.record_create(session, actor, evidence, summary=f"{project.name}: {evidence.title}")
    return evidence


def approve(session: Session, evidence: Evidence, *, actor: User | None, expected_version) -> Evidence:
    """Approve an item for outputs (finance officers and administrators).

    :raises NotAllowed: :raises StaleEdit: :raises ServiceError: when already approved."""
    if actor is not None and not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators approve evidence")
    check_version(evidence, expected_version)
    if evidence.approved:
        raise ServiceError("This item is already approved")
    audit.update(
        session,
        actor,
        evidence,
        {"approved_at": utcnow(), "approved_by_id": actor.id if actor is not None else None},
        summary=f"Approved: {evidence.title}",
    )
    return evidence


# Consent --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    given_by: ConsentGiver
    given_on: date
    uses: frozenset[ConsentUse]
    child: bool = False
    expires_on: date | None = None


def consent_problems(data: ConsentInput, *, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.given_on > today:
        errors["given_on"] = "The date consent was given must be today or earlier"
    if data.expires_on is not None and data.expires_on <= data.given_on:
        errors["expires_on"] = "The expiry must be after the date consent was given"
    if not data.uses:
        errors["uses"] = "Select what the consent covers"
    if data.child and data.given_by is not ConsentGiver.GUARDIAN:
        errors["given_by"] = "A child's consent is given by a parent or guardian"
    return errors


def record_consent(
    session: Session, evidence: Evidence, data: ConsentInput, *, actor: User | None, today: date | None = None
) -> Consent:
    """Record the consent of the person an item is about (replacing none: a consent once given is
    withdrawn, not edited; a new one is a new item).

    :raises NotAllowed: :raises ServiceError: :raises ValidationErrors:"""
    _require_project(actor, evidence.project)
    if not evidence.kind.about_people:
        raise ServiceError(f"A {evidence.kind.value} needs no consent")
    if evidence.consent is not None:
        raise ServiceError("This item already has a consent: withdraw it, or add the item again")
    if errors := consent_problems(data, today=today or date.today()):
        raise ValidationErrors(errors)
    consent = Consent(
        evidence_id=evidence.id,
        given_by=data.given_by,
        child=data.child,
        given_on=data.given_on,
        expires_on=data.expires_on or years_after(data.given_on, CONSENT_YEARS),
        recorded_by_id=actor.id if actor is not None else None,
        **{use.name.lower(): use in data.uses for use in ConsentUse},
    )
    evidence.consent = consent
    session.add(consent)
    audit.record_create(session, actor, consent, summary=f"Consent for {evidence.title}")
    return consent


def withdraw_consent(
    session: Session,
    evidence: Evidence,
    *,
    on: date,
    reason: str,
    actor: User | None,
    expected_version,
    today: date | None = None,
) -> list[EvidenceUse]:
    """Record that consent was withdrawn on ``on``; return the files already produced that show
    the item, for whoever must recall them.

    :raises NotAllowed: :raises ServiceError: :raises StaleEdit:"""
    _require_project(actor, evidence.project)
    consent = evidence.consent
    if consent is None:
        raise ServiceError("This item has no consent to withdraw")
    check_version(consent, expected_version)
    if consent.withdrawn_on is not None:
        raise ServiceError(f"Consent was already withdrawn on {format_date(consent.withdrawn_on)}")
    if on > (today or date.today()):
        raise ValidationErrors({"withdrawn_on": "The date must be today or earlier"})
    if on < consent.given_on:
        raise ValidationErrors({"withdrawn_on": "The date must be on or after the date consent was given"})
    audit.update(
        session,
        actor,
        consent,
        {"withdrawn_on": on, "withdrawn_reason": (reason or "").strip()[:255]},
        summary=f"Consent withdrawn: {evidence.title}",
    )
    return uses_of(session, evidence.id)


def uses_of(session: Session, evidence_id: int) -> list[EvidenceUse]:
    return list(
        session.scalars(
            select(EvidenceUse)
            .where(EvidenceUse.evidence_id == evidence_id)
            .order_by(EvidenceUse.produced_at, EvidenceUse.id)
        )
    )


def consent_covers(consent: Consent | None, use: ConsentUse, on: date) -> bool:
    """Whether a consent lets its item be used for ``use`` on ``on``: given by then, not expired,
    not withdrawn, and naming that use."""
    return (
        consent is not None
        and consent.given_on <= on < consent.expires_on
        and (consent.withdrawn_on is None or on < consent.withdrawn_on)
        and consent.allows(use)
    )


def record_uses(session: Session, evidence_ids, *, output: str, filename: str, actor: User | None) -> None:
    """Note that a file produced shows these items (so that withdrawing a consent can list it)."""
    for evidence_id in sorted(set(evidence_ids)):
        session.add(
            EvidenceUse(
                evidence_id=evidence_id,
                output=output[:255],
                filename=filename[:255],
                produced_by_id=actor.id if actor is not None else None,
            )
        )
    session.flush()


# The funder's activity report -----------------------------------------------------------------

ACTIVITY_FORMATS = ("docx", "pdf", "html")


def activity_file_name(report, fmt: str) -> str:
    return f"{report.file_stem}.{fmt}"


def _record_activity(session: Session, report, fmt: str, *, actor: User | None) -> None:
    record_uses(
        session,
        report.shown_evidence_ids,
        output=f"Activity report: {report.title} ({fmt.upper()})",
        filename=activity_file_name(report, fmt),
        actor=actor,
    )
    audit.record(
        session,
        actor,
        "export",
        "grant_bids",
        report.bid_id,
        summary=f"Activity report ({fmt.upper()}) of {report.title}",
    )


def export_activity_report(session: Session, report, fmt: str, out_dir, *, actor: User | None):
    """Write the activity report into ``out_dir`` (to a temporary name, then renamed), noting the
    evidence it shows; its path.

    :raises ExportError: when the file cannot be written."""
    from pathlib import Path

    from incometrack.exports.activity import WRITERS
    from incometrack.exports.files import write_atomically

    target = Path(out_dir) / activity_file_name(report, fmt)
    write_atomically(target, lambda stream: WRITERS[fmt][0](report, stream))
    _record_activity(session, report, fmt, actor=actor)
    return target


def activity_download(session: Session, report, fmt: str, *, actor: User | None):
    """The activity report for one request: an anonymous temporary file, its name and type."""
    from incometrack.exports.activity import WRITERS
    from incometrack.exports.files import write_private

    write, mimetype = WRITERS[fmt]
    handle, _checksum = write_private(lambda stream: write(report, stream))
    _record_activity(session, report, fmt, actor=actor)
    return handle, activity_file_name(report, fmt), mimetype
