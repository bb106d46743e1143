"""Who may do what (incometrack.policy), stated as literal tables: a changed rule fails here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from incometrack import policy
from incometrack.models import Role

A, F, L, V = Role.ADMIN, Role.FINANCE, Role.LEAD, Role.VIEWER


@dataclass
class Person:
    id: int
    role: Role


ME, SOMEONE_ELSE = 7, 8


@pytest.mark.parametrize(
    ("role", "manage", "administer", "read_finance"),
    [
        (A, True, True, True),
        (F, True, False, True),
        (L, False, False, False),
        (V, False, False, True),
    ],
)
def test_what_each_role_may_do_whatever_the_record(role, manage, administer, read_finance):
    person = Person(ME, role)
    assert policy.can_manage(person) is manage
    assert policy.can_administer(person) is administer
    assert policy.can_read_finance(person) is read_finance


@pytest.mark.parametrize(
    ("role", "lead_id", "allowed"),
    [
        (A, SOMEONE_ELSE, True),
        (F, SOMEONE_ELSE, True),
        (F, None, True),
        (L, ME, True),
        (L, SOMEONE_ELSE, False),
        (L, None, False),
        (V, ME, False),  # a viewer named as lead still changes nothing
    ],
)
def test_bids_and_projects_are_changed_by_managers_and_their_own_lead(role, lead_id, allowed):
    assert policy.can_act_for_lead(Person(ME, role), lead_id) is allowed


@pytest.mark.parametrize(
    ("role", "project_lead_id", "owner_id", "allowed"),
    [
        (A, SOMEONE_ELSE, SOMEONE_ELSE, True),
        (F, SOMEONE_ELSE, None, True),
        (L, ME, SOMEONE_ELSE, True),  # the project's lead
        (L, SOMEONE_ELSE, ME, True),  # the milestone's owner
        (L, SOMEONE_ELSE, SOMEONE_ELSE, False),
        (L, SOMEONE_ELSE, None, False),
        (V, ME, ME, False),
    ],
)
def test_a_milestone_is_updated_by_managers_its_projects_lead_and_its_owner(
    role, project_lead_id, owner_id, allowed
):
    assert policy.can_update_milestone(Person(ME, role), project_lead_id, owner_id) is allowed


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        (
            A,
            [
                "Dashboard",
                "Income",
                "Grants",
                "Projects",
                "Returns",
                "Monitoring",
                "Audit log",
                "Users",
                "Reference data",
            ],
        ),
        (F, ["Dashboard", "Income", "Grants", "Projects", "Returns", "Monitoring", "Audit log"]),
        (L, ["Dashboard", "Grants", "Projects"]),
        (V, ["Dashboard", "Income", "Grants", "Projects", "Returns", "Monitoring"]),
    ],
)
def test_the_menu_shows_each_role_the_sections_its_guard_admits(app, role, menu):
    from incometrack.navigation import items_for

    with app.test_request_context("/"):
        assert [item["text"] for item in items_for(role)] == menu
