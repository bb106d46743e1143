"""The service navigation: each role sees the sections it may use, and nothing else.

Whether a role sees a section is read from the roles its page's view allows (set by
``roles_required`` from :mod:`incometrack.policy`), so the menu can never disagree with the guard.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from incometrack import policy
from incometrack.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    #: URL prefix whose pages mark this item as the current section
    prefix: str


#: In menu order. An item whose endpoint is not registered (a feature not yet built) is left out.
NAV_ITEMS = (
    NavItem("Dashboard", "main.home", "/"),
    NavItem("Income", "income.entries", "/income"),
    NavItem("Grants", "grants.bids", "/grants"),
    NavItem("Projects", "projects.index", "/projects"),
    NavItem("Returns", "returns.index", "/returns"),
    NavItem("Monitoring", "monitoring.index", "/monitoring"),
    NavItem("Audit log", "admin.audit", "/admin/audit"),
    NavItem("Users", "admin.users_list", "/admin/users"),
    NavItem("Reference data", "admin.reference", "/admin/reference"),
)


def opens_for(role: Role, endpoint: str) -> bool:
    """Whether ``role`` may open ``endpoint``'s page: what its view's guard allows."""
    view = current_app.view_functions.get(endpoint)
    return view is not None and role in getattr(view, "allowed_roles", policy.EVERYONE)


def can_open(endpoint: str) -> bool:
    """For templates: whether the signed-in person may open ``endpoint`` (links they could not
    follow are not drawn)."""
    return current_user.is_authenticated and opens_for(current_user.role, endpoint)


def items_for(role: Role) -> list[dict[str, object]]:
    """GOV.UK service navigation items for ``role``, with the current section marked."""
    path = request.path
    items = []
    for item in NAV_ITEMS:
        if not opens_for(role, item.endpoint):
            continue
        active = path == "/" if item.prefix == "/" else path.startswith(item.prefix)
        items.append({"text": item.label, "href": url_for(item.endpoint), "active": active})
    return items


def template_context() -> dict[str, object]:
    if not current_user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": items_for(current_user.role)}


def init_app(app: Flask) -> None:
    app.context_processor(template_context)
    app.add_template_global(can_open)
