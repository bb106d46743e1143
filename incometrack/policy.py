"""Who may do what: every access rule of IncomeTrack, written once.

Views guard their routes with the role sets below (through ``roles_required``), services check
the predicates before they change anything, and the navigation and templates ask the same
predicates, so a rule changes in one line. ``tests/test_access.py`` holds the route table that
proves them over every route and role; ``tests/unit/test_policy.py`` states each predicate.
"""

from __future__ import annotations

from typing import Protocol

from incometrack.models.users import Role

#: Every signed-in person.
EVERYONE = frozenset(Role)
#: User accounts, reference data, reopening a locked quarter, re-baselining a milestone.
ADMINS = frozenset({Role.ADMIN})
#: Income, budgets, forecasts, imports, locks, returns, every grant and project, the audit log.
MANAGERS = frozenset({Role.ADMIN, Role.FINANCE})
#: Read income and returns (committee members included); leads see grants and projects only.
FINANCE_READERS = frozenset({Role.ADMIN, Role.FINANCE, Role.VIEWER})
#: Add bids and projects: managers for anyone, a lead for work they lead.
CREATORS = frozenset({Role.ADMIN, Role.FINANCE, Role.LEAD})


class Person(Protocol):
    id: int
    role: Role


def can_manage(person: Person) -> bool:
    """Finance officers and administrators: income, grants, projects, locks and returns."""
    return person.role in MANAGERS


def can_administer(person: Person) -> bool:
    return person.role in ADMINS


def can_read_finance(person: Person) -> bool:
    """Income, budgets and returns are read by managers and viewers, not by leads."""
    return person.role in FINANCE_READERS


def leads(person: Person, lead_id: int | None) -> bool:
    """``person`` is a project lead and the one named as ``lead_id``."""
    return person.role is Role.LEAD and lead_id is not None and lead_id == person.id


def can_act_for_lead(person: Person, lead_id: int | None) -> bool:
    """Create or change a bid or project led by ``lead_id``: a manager, or that lead."""
    return can_manage(person) or leads(person, lead_id)


def can_update_milestone(person: Person, project_lead_id: int | None, owner_id: int | None) -> bool:
    """A manager; the lead of the milestone's project; the milestone's owner if a lead."""
    return can_manage(person) or leads(person, project_lead_id) or leads(person, owner_id)


#: What templates may ask (``{% if can_manage(current_user) %}``).
TEMPLATE_PREDICATES = {
    "can_manage": can_manage,
    "can_administer": can_administer,
    "can_read_finance": can_read_finance,
    "can_act_for_lead": can_act_for_lead,
    "can_update_milestone": can_update_milestone,
}


def role_refusal(role: Role, allowed: frozenset[Role]) -> str:
    """Why a page is refused to a role, in words: who it is for, and who the person is."""
    from incometrack.models import ROLE_LABELS

    ordered = [ROLE_LABELS[r].split(" (")[0].lower() + "s" for r in Role if r in allowed]
    who = ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " and " + ordered[-1]
    return f"This page is for {who}. You are signed in as a {ROLE_LABELS[role].split(' (')[0].lower()}."
