"""Reference data administrators keep: services, sites and income categories (with CIPFA lines)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import CipfaLine, IncomeCategory, Service, Site, SiteKind, User
from incometrack.services import NotAllowed, ValidationErrors, audit, within


def _require_admin(actor: User) -> None:
    if not policy.can_administer(actor):
        raise NotAllowed("Only an administrator changes reference data")


def _name(session: Session, model, name: str, existing_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationErrors({"name": "Enter a name"})
    if len(name) > 120:
        raise ValidationErrors({"name": "Name must be 120 characters or fewer"})
    clash = select(model.id).where(func.lower(model.name) == name.lower())
    if existing_id is not None:
        clash = clash.where(model.id != existing_id)
    if session.scalar(clash) is not None:
        raise ValidationErrors({"name": f"{name} already exists"})
    return name


def _save(session: Session, actor: User, obj, values: dict[str, object], *, new: bool):
    if new:
        for key, value in values.items():
            setattr(obj, key, value)
        session.add(obj)
        audit.record_create(session, actor, obj, summary=str(values.get("name", "")))
        return obj
    audit.update(session, actor, obj, values, summary=str(values.get("name", "")))
    return obj


def save_service(
    session: Session, *, name: str, active: bool, actor: User, service: Service | None = None
) -> Service:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a missing or duplicate name."""
    _require_admin(actor)
    name = _name(session, Service, name, service.id if service else None)
    return _save(session, actor, service or Service(), {"name": name, "active": active}, new=service is None)


def save_site(
    session: Session,
    *,
    name: str,
    kind: SiteKind,
    service_id: int,
    active: bool,
    actor: User,
    site: Site | None = None,
) -> Site:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name or service."""
    _require_admin(actor)
    name = _name(session, Site, name, site.id if site else None)
    if session.get(Service, service_id) is None:
        raise ValidationErrors({"service_id": "Select the service the site belongs to"})
    values = {"name": name, "kind": kind, "service_id": service_id, "active": active}
    return _save(session, actor, site or Site(), values, new=site is None)


def save_category(
    session: Session,
    *,
    name: str,
    cipfa_line_id: int | None,
    cipfa_note: str,
    active: bool,
    actor: User,
    category: IncomeCategory | None = None,
) -> IncomeCategory:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name or CIPFA line."""
    _require_admin(actor)
    name = _name(session, IncomeCategory, name, category.id if category else None)
    if cipfa_line_id is not None and session.get(CipfaLine, cipfa_line_id) is None:
        raise ValidationErrors({"cipfa_line_id": "Select a CIPFA line, or none"})
    values = {
        "name": name,
        "cipfa_line_id": cipfa_line_id,
        "cipfa_note": within(cipfa_note, 120, field="cipfa_note", label="Note"),
        "active": active,
    }
    return _save(session, actor, category or IncomeCategory(), values, new=category is None)
