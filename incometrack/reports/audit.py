"""The audit log, filtered and a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from incometrack.models import AuditEvent
from incometrack.reports.pagination import Page, paginate


@dataclass(frozen=True)
class AuditFilters:
    entity: str = ""
    action: str = ""
    user_id: int | None = None
    entity_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def conditions(filters: AuditFilters) -> list:
    """The WHERE conditions of the filters: the page and its download share them."""
    conditions = []
    if filters.entity:
        conditions.append(AuditEvent.entity == filters.entity)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.user_id is not None:
        conditions.append(AuditEvent.user_id == filters.user_id)
    if filters.entity_id is not None:
        conditions.append(AuditEvent.entity_id == filters.entity_id)
    if filters.date_from is not None:
        conditions.append(AuditEvent.at >= datetime.combine(filters.date_from, time.min, tzinfo=UTC))
    if filters.date_to is not None:
        conditions.append(
            AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        )
    return conditions


def list_events(
    session: Session, filters: AuditFilters, *, page: int = 1, per_page: int = 50
) -> Page[AuditEvent]:
    where = conditions(filters)
    total = session.scalar(select(func.count(AuditEvent.id)).where(*where))
    statement = (
        select(AuditEvent).options(joinedload(AuditEvent.user)).where(*where).order_by(AuditEvent.id.desc())
    )
    return paginate(session, statement, page=page, per_page=per_page, total=total)


def distinct_values(session: Session) -> tuple[list[str], list[str]]:
    """The entities and actions that occur in the log, for the filter lists."""
    entities = list(session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)))
    actions = list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    return entities, actions
