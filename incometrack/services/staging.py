"""Uploaded files kept between the preview and the confirmation of an import.

The upload is validated and previewed first; on confirmation the same bytes are imported, so what
the officer saw is what goes in. Staged files live in the database (table ``staged_uploads``), so
the confirmation may reach another app server than the preview did. They belong to the person who
uploaded them, are consumed exactly once by :func:`claim`, and are bounded: each person keeps at
most :data:`MAX_PER_USER` and none outlives :data:`MAX_AGE`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from incometrack.models import StagedUpload
from incometrack.models.base import utcnow

#: A preview older than this must be uploaded again.
MAX_AGE = timedelta(hours=2)
#: Previews a person may have waiting at once; staging another drops their oldest.
MAX_PER_USER = 3


class AlreadyClaimed(Exception):
    """Another confirmation of the same preview imported it first (or it expired)."""


@dataclass(frozen=True)
class Staged:
    token: str
    kind: str
    filename: str
    sheet: str | None
    user_id: int
    data: bytes
    profile_id: int | None = None
    profile_version: int | None = None
    #: lines the preview read: a long file is imported by a background job
    lines: int = 0
    #: new lines in locked quarters are left out (as the preview showed) rather than refusing it
    skip_locked: bool = False


def stage(
    session: Session,
    *,
    kind: str,
    filename: str,
    sheet: str | None,
    user_id: int,
    data: bytes,
    profile_id: int | None = None,
    profile_version: int | None = None,
    lines: int = 0,
    skip_locked: bool = False,
    now: datetime | None = None,
) -> str:
    """Keep ``data`` for confirmation and return its token; drop expired previews and the
    person's oldest beyond :data:`MAX_PER_USER`."""
    now = now or utcnow()
    session.execute(delete(StagedUpload).where(StagedUpload.created_at < now - MAX_AGE))
    keep = (
        select(StagedUpload.id)
        .where(StagedUpload.user_id == user_id)
        .order_by(StagedUpload.created_at.desc(), StagedUpload.id.desc())
        .limit(MAX_PER_USER - 1)
    )
    session.execute(delete(StagedUpload).where(StagedUpload.user_id == user_id, StagedUpload.id.not_in(keep)))
    token = secrets.token_urlsafe(24)
    session.add(
        StagedUpload(
            token=token,
            user_id=user_id,
            kind=kind,
            filename=filename[:255],
            sheet=sheet,
            profile_id=profile_id,
            profile_version=profile_version,
            size=len(data),
            lines=lines,
            skip_locked=skip_locked,
            data=data,
            created_at=now,
        )
    )
    session.flush()
    return token


def _live(token: str, user_id: int, now: datetime):
    return (
        StagedUpload.token == token,
        StagedUpload.user_id == user_id,
        StagedUpload.created_at >= now - MAX_AGE,
    )


_FIELDS = (
    StagedUpload.kind,
    StagedUpload.filename,
    StagedUpload.sheet,
    StagedUpload.data,
    StagedUpload.profile_id,
    StagedUpload.profile_version,
    StagedUpload.lines,
    StagedUpload.skip_locked,
)


def _staged(token: str, user_id: int, row) -> Staged:
    return Staged(
        token,
        row.kind,
        row.filename,
        row.sheet,
        user_id,
        bytes(row.data),
        row.profile_id,
        row.profile_version,
        row.lines,
        row.skip_locked,
    )


def peek(session: Session, token: str, user_id: int, *, now: datetime | None = None) -> Staged | None:
    """The staged upload, left where it is (reading only): a long file is checked before the
    confirmation claims it and starts writing. None as for :func:`claim`."""
    if not token or len(token) > 64:
        return None
    row = session.execute(select(*_FIELDS).where(*_live(token, user_id, now or utcnow()))).first()
    return None if row is None else _staged(token, user_id, row)


def claim(session: Session, token: str, user_id: int, *, now: datetime | None = None) -> Staged | None:
    """Take the staged upload out of the table and return it; None when the token is unknown,
    expired, another person's, or already claimed.

    The claim is one ``DELETE … RETURNING``: of several confirmations racing for one preview, on
    any database and any number of servers, exactly one gets the file (the others wait for its
    transaction and then find nothing). If the import fails, rolling back puts the file back.
    """
    if not token or len(token) > 64:
        return None
    row = session.execute(
        delete(StagedUpload).where(*_live(token, user_id, now or utcnow())).returning(*_FIELDS)
    ).first()
    return None if row is None else _staged(token, user_id, row)
