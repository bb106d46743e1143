"""The service navigation: each role sees the sections it may use, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from incometrack.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role]
    #: URL prefix whose pages mark this item as the current section
    prefix: str


EVERYONE = frozenset(Role)

#: In menu order. An item whose endpoint is not registered (a feature not yet built) is left out.
NAV_ITEMS = (
    NavItem("Dashboard", "main.home", EVERYONE, "/"),
    NavItem("Income", "income.entries", frozenset({Role.ADMIN, Role.FINANCE, Role.VIEWER}), "/income"),
    NavItem("Grants", "grants.bids", EVERYONE, "/grants"),
    NavItem("Projects", "projects.index", EVERYONE, "/projects"),
    NavItem("Returns", "returns.index", frozenset({Role.ADMIN, Role.FINANCE, Role.VIEWER}), "/returns"),
    NavItem("Audit log", "admin.audit", frozenset({Role.ADMIN, Role.FINANCE}), "/admin/audit"),
    NavItem("Users", "admin.users_list", frozenset({Role.ADMIN}), "/admin/users"),
    NavItem("Reference data", "admin.reference", frozenset({Role.ADMIN}), "/admin/reference"),
)


def items_for(role: Role) -> list[dict[str, object]]:
    """GOV.UK service navigation items for ``role``, with the current section marked."""
    registered = current_app.view_functions
    path = request.path
    items = []
    for item in NAV_ITEMS:
        if role not in item.roles or item.endpoint not in registered:
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
