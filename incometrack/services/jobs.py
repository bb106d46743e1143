"""Jobs: the long work someone asked for, claimed once by a worker, and what came of it.

Each change is one conditional UPDATE (``WHERE status = …``), so two workers handed the same job
(a job put back on the queue while the first was only slow) run it once, and a job finished by
one is never marked failed by another.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from incometrack.models import Job, JobStatus, User
from incometrack.models.base import utcnow

#: A job that stopped this many times (its worker killed) is marked failed, not tried again.
MAX_ATTEMPTS = 2


def create(
    session: Session,
    *,
    owner: User,
    title: str,
    method: str,
    path: str,
    form: dict[str, list[str]],
    back: str,
    total: int,
) -> Job:
    job = Job(
        id=secrets.token_hex(16),
        owner_id=owner.id,
        title=title[:255],
        method=method,
        path=path,
        form=form,
        back=back,
        total=max(0, total),
        status=JobStatus.QUEUED,
        attempts=0,
    )
    session.add(job)
    session.flush()
    return job


def claim(session: Session, job_id: str) -> bool:
    """Mark a waiting job running for this worker; False when another worker has it or it ended."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=utcnow())
    )
    return result.rowcount == 1


def finish(
    session: Session,
    job_id: str,
    *,
    file_name: str | None = None,
    mimetype: str | None = None,
    message: str = "",
    result_url: str = "",
) -> bool:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(
            status=JobStatus.DONE,
            file_name=file_name,
            mimetype=mimetype,
            message=message,
            result_url=result_url,
            finished_at=utcnow(),
        )
    )
    return result.rowcount == 1


def fail(session: Session, job_id: str, message: str) -> bool:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .values(status=JobStatus.FAILED, message=message, finished_at=utcnow())
    )
    return result.rowcount == 1


def requeue(session: Session, job_id: str) -> bool:
    """Put a running job whose worker stopped back in line (its attempts are kept)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.QUEUED, started_at=None)
    )
    return result.rowcount == 1


def stalled(session: Session, started_before: datetime, beating: set[str]) -> list[Job]:
    """Running jobs started before ``started_before`` that are not in ``beating`` (the jobs whose
    heartbeat is fresh): their worker has stopped."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.status == JobStatus.RUNNING, Job.started_at < started_before, Job.id.not_in(beating))
            .order_by(Job.created_at)
        )
    )


def running_ids(session: Session) -> list[str]:
    """Jobs running now: few at any time (each is one person's long download or import)."""
    return list(session.scalars(select(Job.id).where(Job.status == JobStatus.RUNNING)))


def waiting_since(session: Session, created_before: datetime) -> list[str]:
    """Jobs still waiting that were queued before ``created_before``."""
    return list(
        session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED, Job.created_at < created_before))
    )


def expire(session: Session, finished_before: datetime) -> list[str]:
    """Mark the files of jobs finished before ``finished_before`` deleted; return their ids (the
    caller deletes the files once this is committed)."""
    ids = list(
        session.scalars(
            select(Job.id).where(
                Job.status == JobStatus.DONE, Job.file_name.is_not(None), Job.finished_at < finished_before
            )
        )
    )
    if ids:
        session.execute(
            update(Job).where(Job.id.in_(ids), Job.status == JobStatus.DONE).values(status=JobStatus.EXPIRED)
        )
    return ids


def owned(session: Session, job_id: str, owner: User) -> Job | None:
    """The job if ``owner`` asked for it: nobody else's progress or file is ever shown."""
    job = session.get(Job, job_id)
    return job if job is not None and job.owner_id == owner.id else None


def recent(session: Session, owner: User, limit: int = 20) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(Job.owner_id == owner.id).order_by(Job.created_at.desc()).limit(limit)
        )
    )
