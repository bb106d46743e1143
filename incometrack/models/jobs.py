"""Long work done off the request: a download or import run by the worker (``flask worker``).

A :class:`Job` is the request that asked for the work, kept so that the worker can make it again
on the asker's behalf (the same view, the same filters, the same access checks), and what came
of it. The queue itself (huey) only carries the job's id; how far it has got lives beside the
queue (see :mod:`incometrack.jobs`), so updating progress never waits for the database.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incometrack.models.base import Base, str255, timestamp
from incometrack.models.users import User


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    #: done, and its file deleted after the hours it is kept
    EXPIRED = "expired"


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: "Waiting to start",
    JobStatus.RUNNING: "In progress",
    JobStatus.DONE: "Ready",
    JobStatus.FAILED: "Failed",
    JobStatus.EXPIRED: "Deleted",
}


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )

    #: random, in the progress page's address (only its owner may open it all the same)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: what the person asked for, in words: ``Income entries (XLSX)``
    title: Mapped[str255]
    #: the request the worker makes again on the owner's behalf
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    form: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the page the person asked from, for the way back
    back: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[JobStatus] = mapped_column(default=JobStatus.QUEUED, index=True)
    #: rows (or lines) the work covers, for the progress bar
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    #: the finished file's name as downloaded, and its type
    file_name: Mapped[str | None] = mapped_column(String(255))
    mimetype: Mapped[str | None] = mapped_column(String(120))
    #: what came of it (an import's result) or why it failed, in words
    message: Mapped[str] = mapped_column(Text, default="")
    #: where its result can be seen (an import's batch)
    result_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[timestamp] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)
