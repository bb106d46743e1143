"""Projects and milestones: baselines, dated updates and history, re-baselining, permissions."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from incometrack.models import AuditEvent, MilestoneStatus, Role
from incometrack.rag import Rag
from incometrack.reports import milestones as reports
from incometrack.services import AS_READ, NotAllowed, StaleEdit, ValidationErrors, milestones
from tests.factories import make_milestone, make_project

TODAY = date.today()


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE)


def rag_of(session, milestone, on=TODAY):
    [row] = reports.milestone_rows(session, on, reports.MilestoneFilters(milestone_id=milestone.id))
    return row.rag, row.slippage_days


def test_a_new_milestone_starts_on_its_baseline_and_is_green(session, finance):
    project = make_project(session, finance)
    milestone = make_milestone(session, project, finance, baseline=TODAY + timedelta(days=10))
    assert milestone.forecast_due == milestone.baseline_due
    assert rag_of(session, milestone) == (Rag.GREEN, 0)
    assert [u.kind for u in milestone.updates] == ["created"]


def test_an_update_that_slips_the_forecast_makes_it_amber_and_keeps_history(session, finance):
    project = make_project(session, finance)
    milestone = make_milestone(session, project, finance, baseline=TODAY + timedelta(days=10))
    milestones.update_milestone(session, milestone, forecast_due=TODAY + timedelta(days=11),
                                status=MilestoneStatus.IN_PROGRESS, completed_on=None, note="Supplier late",
                                actor=finance, expected_version=milestone.version)  # fmt: skip
    session.commit()
    assert rag_of(session, milestone) == (Rag.AMBER, 1)
    newest = max(milestone.updates, key=lambda u: u.id)
    assert (newest.note, newest.made_by_id, newest.update_on) == ("Supplier late", finance.id, TODAY)
    assert len(milestone.updates) == 2


@pytest.mark.parametrize(
    ("forecast_offset", "status", "completed_offset", "expected"),
    [
        (0, MilestoneStatus.IN_PROGRESS, None, Rag.GREEN),  # due today
        (-1, MilestoneStatus.IN_PROGRESS, None, Rag.RED),  # due yesterday
        (-5, MilestoneStatus.COMPLETE, -1, Rag.COMPLETE),  # completed late
    ],
)
def test_rag_boundaries_through_the_service(
    session, finance, forecast_offset, status, completed_offset, expected
):
    project = make_project(session, finance)
    milestone = make_milestone(session, project, finance, baseline=TODAY + timedelta(days=forecast_offset))
    completed = TODAY + timedelta(days=completed_offset) if completed_offset is not None else None
    milestones.update_milestone(session, milestone, forecast_due=TODAY + timedelta(days=forecast_offset),
                                status=status, completed_on=completed, note="Update", actor=finance, expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert rag_of(session, milestone)[0] is expected


def test_the_return_rates_milestones_as_they_stood_at_the_quarter_end(session, finance):
    project = make_project(session, finance)
    milestone = make_milestone(session, project, finance, baseline=date(2026, 9, 1), on=date(2026, 4, 1))
    milestones.update_milestone(session, milestone, forecast_due=date(2026, 10, 15), status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note="Slipped", actor=finance, update_on=date(2026, 8, 20), expected_version=AS_READ)  # fmt: skip
    milestones.update_milestone(session, milestone, forecast_due=date(2026, 10, 15), status=MilestoneStatus.COMPLETE,
                                completed_on=date(2026, 10, 14), note="Done", actor=finance, update_on=date(2026, 10, 14), expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert rag_of(session, milestone, on=date(2026, 6, 30)) == (Rag.GREEN, 0)  # end of Q1: on baseline
    assert rag_of(session, milestone, on=date(2026, 9, 30)) == (Rag.AMBER, 44)  # end of Q2: slipped
    assert rag_of(session, milestone, on=date(2026, 12, 31))[0] is Rag.COMPLETE  # end of Q3
    assert reports.milestone_rows(session, date(2026, 3, 31)) == []  # it did not exist yet


@pytest.mark.parametrize(
    ("status", "completed", "message"),
    [
        (MilestoneStatus.COMPLETE, None, "Enter the date it was completed"),
        (MilestoneStatus.IN_PROGRESS, TODAY, "Only a complete milestone has a completion date"),
        (MilestoneStatus.COMPLETE, TODAY + timedelta(days=1), "today or in the past"),
    ],
)
def test_completion_rules(session, finance, status, completed, message):
    milestone = make_milestone(session, make_project(session, finance), finance)
    with pytest.raises(ValidationErrors, match=message):
        milestones.update_milestone(session, milestone, forecast_due=TODAY, status=status, completed_on=completed,
                                    note="x", actor=finance, expected_version=AS_READ)  # fmt: skip


def test_an_update_needs_a_note(session, finance):
    milestone = make_milestone(session, make_project(session, finance), finance)
    with pytest.raises(ValidationErrors, match="Enter a note"):
        milestones.update_milestone(session, milestone, forecast_due=TODAY, status=MilestoneStatus.IN_PROGRESS,
                                    completed_on=None, note=" ", actor=finance, expected_version=AS_READ)  # fmt: skip


def test_only_an_admin_rebaselines_and_the_reason_is_kept(session, finance, make_user):
    admin = make_user(Role.ADMIN)
    milestone = make_milestone(session, make_project(session, finance), finance, baseline=date(2026, 12, 1))
    with pytest.raises(NotAllowed):
        milestones.rebaseline(
            session,
            milestone,
            baseline_due=date(2027, 1, 1),
            reason="x",
            actor=finance,
            expected_version=AS_READ,
        )
    with pytest.raises(ValidationErrors, match="reason"):
        milestones.rebaseline(
            session,
            milestone,
            baseline_due=date(2027, 1, 1),
            reason="",
            actor=admin,
            expected_version=AS_READ,
        )
    milestones.rebaseline(session, milestone, baseline_due=date(2027, 1, 1), reason="Scope agreed with funder",
                          actor=admin, expected_version=AS_READ)  # fmt: skip
    session.commit()
    assert milestone.baseline_due == date(2027, 1, 1)
    newest = max(milestone.updates, key=lambda u: u.id)
    assert newest.kind == "rebaseline"
    assert newest.note == "Re-baselined from 01/12/2026 to 01/01/2027: Scope agreed with funder"
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "milestones", AuditEvent.action == "update")
    )
    assert event.changes["baseline_due"] == ["2026-12-01", "2027-01-01"]


def test_a_stale_update_is_refused(session, finance):
    milestone = make_milestone(session, make_project(session, finance), finance)
    version = milestone.version
    milestones.update_milestone(session, milestone, forecast_due=TODAY, status=MilestoneStatus.IN_PROGRESS,
                                completed_on=None, note="First", actor=finance, expected_version=version)  # fmt: skip
    session.commit()
    with pytest.raises(StaleEdit):
        milestones.update_milestone(session, milestone, forecast_due=TODAY, status=MilestoneStatus.IN_PROGRESS,
                                    completed_on=None, note="Second", actor=finance, expected_version=version)  # fmt: skip


class TestPermissionMatrix:
    @pytest.fixture
    def setup(self, session, make_user, finance):
        lead, owner, stranger = make_user(Role.LEAD), make_user(Role.LEAD), make_user(Role.LEAD)
        project = make_project(session, finance, lead=lead)
        owned = make_milestone(session, project, finance, title="Owned", owner=owner)
        other = make_milestone(session, project, finance, title="Other")
        return {"lead": lead, "owner": owner, "stranger": stranger, "viewer": make_user(Role.VIEWER),
                "finance": finance, "admin": make_user(Role.ADMIN), "owned": owned, "other": other}  # fmt: skip

    @pytest.mark.parametrize(
        ("who", "which", "allowed"),
        [
            ("lead", "owned", True), ("lead", "other", True),  # the project's lead: all its milestones
            ("owner", "owned", True), ("owner", "other", False),  # an owner: their own milestone only
            ("stranger", "owned", False), ("viewer", "owned", False),
            ("finance", "other", True), ("admin", "other", True),
        ],
    )  # fmt: skip
    def test_who_may_update_which_milestone(self, session, setup, who, which, allowed):
        milestone = setup[which]
        update = dict(forecast_due=TODAY, status=MilestoneStatus.IN_PROGRESS, completed_on=None, note="x")
        if allowed:
            milestones.update_milestone(
                session, milestone, actor=setup[who], expected_version=AS_READ, **update
            )
        else:
            with pytest.raises(NotAllowed):
                milestones.update_milestone(
                    session, milestone, actor=setup[who], expected_version=AS_READ, **update
                )

    def test_leads_add_milestones_only_to_projects_they_lead(self, session, setup):
        project = setup["owned"].project
        make_milestone(session, project, setup["lead"], title="By lead")
        with pytest.raises(NotAllowed):
            make_milestone(session, project, setup["owner"], title="By owner")

    def test_a_lead_creates_only_projects_they_lead(self, session, setup):
        assert make_project(session, setup["stranger"]).lead_id == setup["stranger"].id
        with pytest.raises(NotAllowed):
            make_project(session, setup["stranger"], lead=setup["lead"])


def test_grouping_for_my_milestones(session, finance):
    project = make_project(session, finance)
    late = make_milestone(session, project, finance, title="Late", baseline=TODAY - timedelta(days=2))
    soon = make_milestone(session, project, finance, title="Soon", baseline=TODAY + timedelta(days=30))
    later = make_milestone(session, project, finance, title="Later", baseline=TODAY + timedelta(days=31))
    rows = reports.milestone_rows(session, TODAY, reports.MilestoneFilters(involving_user_id=finance.id))
    groups = reports.group_by_urgency(rows, TODAY)
    assert [[r.id for r in g] for g in (groups.overdue, groups.due_soon, groups.later)] == [
        [late.id],
        [soon.id],
        [later.id],
    ]


def test_project_rag_is_its_worst_milestone(session, finance):
    project = make_project(session, finance)
    make_milestone(session, project, finance, baseline=TODAY + timedelta(days=5))
    make_milestone(session, project, finance, title="Overdue", baseline=TODAY - timedelta(days=1))
    empty = make_project(session, finance, name="No milestones yet")
    rows = {r.id: r for r in reports.project_rows(session, TODAY)}
    assert rows[project.id].rag is Rag.RED and rows[empty.id].rag is None
    assert [r.id for r in reports.project_rows(session, TODAY, reports.ProjectFilters(rag=Rag.RED))] == [
        project.id
    ]
