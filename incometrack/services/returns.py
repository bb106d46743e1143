"""Submitting a quarter's return (frozen figures, locked quarters) and producing its files."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from incometrack.exports.files import write_atomically
from incometrack.exports.pdf import write_pdf
from incometrack.exports.xlsx import write_workbook
from incometrack.models import ExportRecord, ReturnSnapshot, Role, User
from incometrack.models.base import utcnow
from incometrack.periods import Quarter
from incometrack.reports.returns import FinancialReturn, build_return, dump_return
from incometrack.services import NotAllowed, ServiceError, audit, locks

WRITERS = {"xlsx": write_workbook, "pdf": write_pdf}
FORMATS = tuple(WRITERS)


def snapshot_for(session: Session, quarter: Quarter) -> ReturnSnapshot | None:
    return session.scalar(
        select(ReturnSnapshot).where(
            ReturnSnapshot.year == quarter.year.start, ReturnSnapshot.quarter == quarter.number
        )
    )


def submit(
    session: Session, quarter: Quarter, *, actor: User, council: str, service_name: str
) -> ReturnSnapshot:
    """Freeze the quarter's return as finance submits it to committee.

    Its figures (and the year-to-date entries) are kept as a snapshot that every later export of
    the quarter renders, and the quarter (with any earlier open quarter of the year) is locked.

    :raises NotAllowed: unless finance or admin.
    :raises ServiceError: when the quarter's return was submitted already.
    """
    if actor.role not in (Role.FINANCE, Role.ADMIN):
        raise NotAllowed("Only finance officers and administrators submit the return")
    existing = snapshot_for(session, quarter)
    if existing is not None:
        raise ServiceError(f"The {quarter.label} return was submitted on {existing.submitted_at:%d/%m/%Y}")
    for number in range(1, quarter.number + 1):
        locks.lock(session, quarter.year.quarter(number), actor=actor)
    now = utcnow()
    report = build_return(session, quarter, council=council, service_name=service_name, now=now)
    report = dataclasses.replace(
        report, meta=dataclasses.replace(report.meta, submitted_at=now, submitted_by=actor.name)
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
    audit.record(
        session,
        actor,
        "submit",
        "return_snapshots",
        snapshot.id,
        summary=f"{quarter.label} return submitted",
        changes={"checksum": [None, snapshot.checksum]},
    )
    return snapshot


@dataclass(frozen=True)
class ExportedFile:
    format: str
    path: Path
    checksum: str


def export(
    session: Session, report: FinancialReturn, formats: tuple[str, ...], out_dir: Path, *, actor: User | None
) -> list[ExportedFile]:
    """Write the return's files into ``out_dir`` (each to a temporary name, then renamed) and
    record who produced which file, when, with its checksum.

    :raises ExportError: when a file cannot be written.
    """
    # The files say when they were produced; a submitted return's figures stay as submitted.
    report = dataclasses.replace(report, meta=dataclasses.replace(report.meta, produced_at=utcnow()))
    written = []
    for fmt in formats:
        target = out_dir / f"{report.meta.file_stem}.{fmt}"
        checksum = write_atomically(target, lambda stream, fmt=fmt: WRITERS[fmt](report, stream))
        session.add(
            ExportRecord(
                year=report.meta.year,
                quarter=report.meta.quarter,
                format=fmt,
                filename=target.name,
                checksum=checksum,
                from_snapshot=report.submitted,
                produced_by_id=actor.id if actor else None,
            )
        )
        written.append(ExportedFile(fmt, target, checksum))
    session.flush()
    return written


def default_folder(exports_dir: str | Path, quarter: Quarter) -> Path:
    """``exports/<year>/Q<n>/``"""
    return Path(exports_dir) / quarter.year.label / f"Q{quarter.number}"
