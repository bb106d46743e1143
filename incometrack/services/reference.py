"""Reference data administrators keep: services, sites and income categories (with CIPFA lines)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import CipfaLine, IncomeCategory, Service, Site, SiteKind, User
from incometrack.services import NotAllowed, ValidationErrors, audit, check_version, within


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


def _save(session: Session, actor: User, obj, values: dict[str, object], *, new: bool, expected_version=None):
    if new:
        for key, value in values.items():
            setattr(obj, key, value)
        session.add(obj)
        audit.record_create(session, actor, obj, summary=str(values.get("name", "")))
        return obj
    check_version(obj, expected_version, values)
    audit.update(session, actor, obj, values, summary=str(values.get("name", "")))
    return obj


def create_service(session: Session, *, name: str, active: bool, actor: User) -> Service:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a missing or duplicate name."""
    _require_admin(actor)
    return _save(
        session, actor, Service(), {"name": _name(session, Service, name, None), "active": active}, new=True
    )


def update_service(
    session: Session, service: Service, *, name: str, active: bool, actor: User, expected_version: int | None
) -> Service:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a missing or duplicate name.
    :raises StaleEdit: when the service changed since the form was drawn."""
    _require_admin(actor)
    values = {"name": _name(session, Service, name, service.id), "active": active}
    return _save(session, actor, service, values, new=False, expected_version=expected_version)


#: A UK postcode as Royal Mail writes it, the space optional when typed: "ME14 1LQ".
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normal_postcode(text: str | None) -> str:
    """``me141lq`` as ``ME14 1LQ``; blank stays blank.

    :raises ValidationErrors: (field ``postcode``) for anything that is not a UK postcode."""
    raw = (text or "").strip().upper()
    if not raw:
        return ""
    match = _POSTCODE.match(raw)
    if not match:
        raise ValidationErrors({"postcode": "Enter a UK postcode, like ME14 1LQ"})
    return f"{match.group(1)} {match.group(2)}"


def _site_values(
    session: Session, site_id: int | None, *, name, kind, service_id, active, postcode=""
) -> dict:
    name = _name(session, Site, name, site_id)
    if session.get(Service, service_id) is None:
        raise ValidationErrors({"service_id": "Select the service the site belongs to"})
    return {
        "name": name,
        "kind": kind,
        "service_id": service_id,
        "active": active,
        "postcode": normal_postcode(postcode),
    }


def create_site(
    session: Session,
    *,
    name: str,
    kind: SiteKind,
    service_id: int,
    active: bool,
    actor: User,
    postcode: str = "",
) -> Site:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name, service or
    postcode."""
    _require_admin(actor)
    values = _site_values(
        session, None, name=name, kind=kind, service_id=service_id, active=active, postcode=postcode
    )
    return _save(session, actor, Site(), values, new=True)


def update_site(
    session: Session,
    site: Site,
    *,
    name: str,
    kind: SiteKind,
    service_id: int,
    active: bool,
    actor: User,
    expected_version: int | None,
    postcode: str = "",
) -> Site:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name, service or
    postcode. :raises StaleEdit: when the site changed since the form was drawn."""
    _require_admin(actor)
    values = _site_values(
        session, site.id, name=name, kind=kind, service_id=service_id, active=active, postcode=postcode
    )
    return _save(session, actor, site, values, new=False, expected_version=expected_version)


def _category_values(session: Session, category_id: int | None, *, name, cipfa_line_id, cipfa_note, active):
    name = _name(session, IncomeCategory, name, category_id)
    if cipfa_line_id is not None and session.get(CipfaLine, cipfa_line_id) is None:
        raise ValidationErrors({"cipfa_line_id": "Select a CIPFA line, or none"})
    return {
        "name": name,
        "cipfa_line_id": cipfa_line_id,
        "cipfa_note": within(cipfa_note, 120, field="cipfa_note", label="Note"),
        "active": active,
    }


def create_category(
    session: Session, *, name: str, cipfa_line_id: int | None, cipfa_note: str, active: bool, actor: User
) -> IncomeCategory:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name or CIPFA line."""
    _require_admin(actor)
    values = _category_values(
        session, None, name=name, cipfa_line_id=cipfa_line_id, cipfa_note=cipfa_note, active=active
    )
    return _save(session, actor, IncomeCategory(), values, new=True)


def update_category(
    session: Session,
    category: IncomeCategory,
    *,
    name: str,
    cipfa_line_id: int | None,
    cipfa_note: str,
    active: bool,
    actor: User,
    expected_version: int | None,
) -> IncomeCategory:
    """:raises NotAllowed: unless an admin. :raises ValidationErrors: for a bad name or CIPFA line.
    :raises StaleEdit: when the category changed since the form was drawn."""
    _require_admin(actor)
    values = _category_values(
        session, category.id, name=name, cipfa_line_id=cipfa_line_id, cipfa_note=cipfa_note, active=active
    )
    return _save(session, actor, category, values, new=False, expected_version=expected_version)
