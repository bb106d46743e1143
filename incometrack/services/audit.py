"""Audit rows for every change: who, when, what, and the values before and after."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from incometrack.models import AuditEvent, Base, User


def json_value(value: object) -> object:
    """A JSON-safe form of a column value: dates as ISO text, enums as their value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):  # a photo or document: its size, not its bytes
        return f"{len(value):,} bytes"
    return value


def snapshot(obj: Base) -> dict[str, object]:
    """The column values of a mapped object, JSON-safe, without its version counter."""
    mapper = inspect(obj).mapper
    return {
        attr.key: json_value(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in ("version",)
    }


def diff(before: dict[str, object], after: dict[str, object]) -> dict[str, list[object]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    keys = before.keys() | after.keys()
    return {
        key: [before.get(key), after.get(key)] for key in sorted(keys) if before.get(key) != after.get(key)
    }


def record(
    session: Session,
    user: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    changes: dict[str, list[object]] | None = None,
    summary: str = "",
) -> AuditEvent:
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=changes or {},
        summary=summary[:255],
    )
    session.add(event)
    return event


def record_create(session: Session, user: User | None, obj: Base, summary: str = "") -> AuditEvent:
    session.flush()
    after = snapshot(obj)
    changes = {key: [None, value] for key, value in after.items() if value not in (None, "")}
    return record(
        session, user, "create", obj.__tablename__, after.get("id"), changes=changes, summary=summary
    )


def flush_versioned(session: Session) -> None:
    """Flush, turning SQLAlchemy's version-counter failure into :class:`StaleEdit`.

    The version check in the services catches most stale edits; this catches the race in which
    another worker's UPDATE commits between that check and ours (the UPDATE matches no row).
    """
    from incometrack.services import StaleEdit

    try:
        session.flush()
    except StaleDataError:
        raise StaleEdit(
            "This record was changed by someone else at the same moment. Nothing of yours has been saved."
        ) from None


def update(
    session: Session,
    user: User | None,
    obj: Base,
    values: dict[str, object],
    summary: str | Callable[[Base], str] = "",
) -> AuditEvent | None:
    """Change ``obj``'s attributes to ``values`` and audit what changed: the one way a service
    updates a record. ``summary`` may be a function of the changed record.

    :raises StaleEdit: when another transaction changed the row first.
    """
    before = snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    return record_update(session, user, obj, before, summary=summary(obj) if callable(summary) else summary)


def record_update(
    session: Session, user: User | None, obj: Base, before: dict[str, object], summary: str = ""
) -> AuditEvent | None:
    """Audit the change since ``before`` (a :func:`snapshot`); nothing is written when nothing changed.

    :raises StaleEdit: when another transaction changed the row first.
    """
    flush_versioned(session)
    changes = diff(before, snapshot(obj))
    if not changes:
        return None
    return record(
        session, user, "update", obj.__tablename__, before.get("id"), changes=changes, summary=summary
    )


def record_delete(session: Session, user: User | None, obj: Base, summary: str = "") -> AuditEvent:
    before = snapshot(obj)
    changes = {key: [value, None] for key, value in before.items() if value not in (None, "")}
    return record(
        session, user, "delete", obj.__tablename__, before.get("id"), changes=changes, summary=summary
    )
