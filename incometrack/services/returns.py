"""Submitting a quarter's return (frozen figures, locked quarters) and producing its files."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.exports.files import write_atomically, write_private
from incometrack.models import ExportRecord, ReturnSnapshot, User
from incometrack.models.base import utcnow
from incometrack.periods import MonthPeriod, Quarter, format_date
from incometrack.reports.returns import FinancialReturn, SubmissionNote, build_return, dump_return
from incometrack.services import NotAllowed, ServiceError, ValidationErrors, audit, impact, locks, within

FORMATS = ("xlsx", "pdf", "html")


def write_file(report: FinancialReturn, fmt: str, stream: BinaryIO) -> None:
    """Render ``report`` as ``fmt`` into ``stream``. The renderers (openpyxl, reportlab) are
    imported here, when a file is made, not by every command that starts the app."""
    if fmt == "xlsx":
        from incometrack.exports.xlsx import write_workbook

        write_workbook(report, stream)
    elif fmt == "pdf":
        from incometrack.exports.pdf import write_pdf

        write_pdf(report, stream)
    else:
        from incometrack.exports.html import write_html

        write_html(report, stream)


def snapshot_for(session: Session, quarter: Quarter) -> ReturnSnapshot | None:
    return session.scalar(
        select(ReturnSnapshot).where(
            ReturnSnapshot.year == quarter.year.start, ReturnSnapshot.quarter == quarter.number
        )
    )


def quarters_to_lock(session: Session, quarter: Quarter) -> list[Quarter]:
    """The quarters submitting ``quarter``'s return will lock (the same as locking it)."""
    return locks.quarters_to_lock(session, quarter)


def production_refusal(quarter: Quarter, today: date) -> str | None:
    """Why ``quarter``'s return cannot be produced yet (its quarter has not ended), or None: a
    return is only ever of a finished quarter (DOMAIN.md); the monitoring pack shows the months
    of a quarter in progress."""
    if today <= quarter.last_day:
        opens = format_date(quarter.last_day + timedelta(days=1))
        return (
            f"The {quarter.label} return can be produced from {opens}, once the quarter has ended. "
            "Until then, the budget monitoring pack shows each month that has ended."
        )
    return None


def monitoring_refusal(month: MonthPeriod, today: date) -> str | None:
    """Why the monitoring pack of ``month`` cannot be produced yet (the month has not ended), or None."""
    if month.last_day >= today:
        return f"{month.label} has not ended yet: its figures would be incomplete."
    return None


def submission_refusal(session: Session, quarter: Quarter, today: date) -> str | None:
    """Why ``quarter``'s return cannot be submitted now (too early, or submitted already), or None."""
    if today <= quarter.last_day:
        opens = format_date(quarter.last_day + timedelta(days=1))
        return f"The {quarter.label} return can be submitted from {opens}, once the quarter has ended"
    existing = snapshot_for(session, quarter)
    if existing is not None:
        submitted = format_date(existing.submitted_at.date())
        return f"The {quarter.label} return was submitted on {submitted}; it cannot be submitted again"
    return None


def submit(
    session: Session,
    quarter: Quarter,
    *,
    actor: User,
    council: str,
    service_name: str,
    reason: str = "",
    today: date | None = None,
) -> ReturnSnapshot:
    """Freeze the quarter's return as finance submits it to committee.

    Its figures (and the year-to-date entries) are kept as a snapshot that every later export of
    the quarter renders, and the quarter (with any earlier open quarter of the year) is locked.
    Amber and Red streams need commentary, or ``reason`` for going without it, which the
    return then prints on its Summary.

    :raises NotAllowed: unless finance or admin.
    :raises ServiceError: before the day after the quarter's last day, or when the quarter's
        return was submitted already.
    :raises ValidationErrors: (field ``reason``) when commentary is missing and no reason is given.
    """
    if not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators submit the return")
    today = today or date.today()
    reason = within((reason or "").strip(), 2000, field="reason", label="Reason")
    # Two submissions at once: the second waits here for the first, then finds its snapshot.
    locks.serialise_locking(session)
    refusal = submission_refusal(session, quarter, today)
    if refusal:
        raise ServiceError(refusal)
    for number in range(1, quarter.number + 1):
        locks.lock(session, quarter.year.quarter(number), actor=actor)
    now = utcnow()
    report = build_return(session, quarter, council=council, service_name=service_name, now=now)
    missing = tuple(s.code for s in report.streams_needing_commentary)
    if missing and not reason:
        streams = "stream has" if len(missing) == 1 else "streams have"
        raise ValidationErrors(
            {
                "reason": f"{len(missing)} Amber or Red {streams} no commentary ({', '.join(missing)}): "
                "add it, or give the reason for submitting without it"
            }
        )
    report = dataclasses.replace(
        report,
        meta=dataclasses.replace(report.meta, submitted_at=now, submitted_by=actor.name),
        submission_note=SubmissionNote(reason, missing) if missing else None,
    )
    data = dump_return(report)
    snapshot = ReturnSnapshot(
        year=quarter.year.start,
        quarter=quarter.number,
        data=data,
        checksum=hashlib.sha256(data.encode()).hexdigest(),
        submitted_by_id=actor.id,
        submitted_at=now,
    )
    session.add(snapshot)
    session.flush()
    changes: dict[str, list] = {"checksum": [None, snapshot.checksum]}
    if missing:
        changes["reason"] = [None, reason]
    audit.record(
        session,
        actor,
        "submit",
        "return_snapshots",
        snapshot.id,
        summary=f"{quarter.label} return submitted",
        changes=changes,
    )
    return snapshot


@dataclass(frozen=True)
class ExportedFile:
    format: str
    path: Path
    checksum: str


def stamped(report: FinancialReturn) -> FinancialReturn:
    """The report as a file produced now says it was (a submitted return's figures stay as
    submitted)."""
    return dataclasses.replace(report, meta=dataclasses.replace(report.meta, produced_at=utcnow()))


def file_name(report: FinancialReturn, fmt: str) -> str:
    return f"{report.meta.file_stem}.{fmt}"


def record_export(
    session: Session, report: FinancialReturn, fmt: str, checksum: str, *, actor: User | None
) -> ExportRecord:
    """Record who produced which file of the return, when, with the checksum of its bytes."""
    record = ExportRecord(
        year=report.meta.year,
        quarter=report.meta.quarter,
        format=fmt,
        filename=file_name(report, fmt),
        checksum=checksum,
        from_snapshot=report.submitted,
        produced_by_id=actor.id if actor else None,
    )
    session.add(record)
    session.flush()
    # the evidence the file shows, so that withdrawing a consent can list the file
    impact.record_uses(
        session,
        report.impact.shown_evidence_ids,
        output=f"{report.meta.title} ({fmt.upper()})",
        filename=record.filename,
        actor=actor,
    )
    return record


def export(
    session: Session, report: FinancialReturn, formats: tuple[str, ...], out_dir: Path, *, actor: User | None
) -> list[ExportedFile]:
    """Write the return's files into ``out_dir`` (each to a temporary name, then renamed) and
    record who produced which file, when, with its checksum.

    :raises ExportError: when a file cannot be written.
    """
    report = stamped(report)
    written = []
    for fmt in formats:
        target = out_dir / file_name(report, fmt)
        checksum = write_atomically(target, lambda stream, fmt=fmt: write_file(report, fmt, stream))
        record_export(session, report, fmt, checksum, actor=actor)
        written.append(ExportedFile(fmt, target, checksum))
    return written


def build_download(report: FinancialReturn, fmt: str) -> tuple[BinaryIO, str, str]:
    """Build one file of the return for one request: an anonymous temporary file (never a
    shared path another request could overwrite), its name and its SHA-256. Queries nothing.

    :raises ExportError: when the file cannot be built.
    """
    report = stamped(report)
    handle, checksum = write_private(lambda stream: write_file(report, fmt, stream))
    return handle, file_name(report, fmt), checksum


def default_folder(exports_dir: str | Path, quarter: Quarter) -> Path:
    """``exports/<year>/Q<n>/``"""
    return Path(exports_dir) / quarter.year.label / f"Q{quarter.number}"


def monitoring_folder(exports_dir: str | Path, month: MonthPeriod) -> Path:
    """``exports/<year>/P07/``: a month's monitoring pack."""
    return Path(exports_dir) / month.year.label / month.code
