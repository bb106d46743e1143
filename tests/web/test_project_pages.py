"""The project and milestone screens: roles, 403 by URL, updates, re-baselining, the timeline."""

from datetime import date, timedelta

import pytest

from incometrack.models import Milestone, Role
from tests.factories import make_milestone, make_project

TODAY = date.today()


@pytest.mark.parametrize("role", list(Role))
def test_everyone_reads_projects_and_their_milestones(login_as, session, make_user, role):
    finance = make_user(Role.FINANCE)
    project = make_project(session, finance)
    milestone = make_milestone(session, project, finance)
    client = login_as(role).client
    for path in (
        "/projects/",
        f"/projects/{project.id}",
        f"/projects/milestones/{milestone.id}",
        "/projects/milestones/mine",
    ):
        assert client.get(path).status_code == 200, path


def test_a_lead_reaching_another_leads_milestone_by_url_gets_403(login_as, session, make_user):
    finance, other = make_user(Role.FINANCE), make_user(Role.LEAD)
    milestone = make_milestone(session, make_project(session, finance, lead=other), finance)
    lead = login_as(Role.LEAD).client
    form = {"update_on": TODAY.strftime("%d/%m/%Y"), "status": "in progress",
            "forecast_due": TODAY.strftime("%d/%m/%Y"), "note": "Mine now"}  # fmt: skip
    assert lead.get(f"/projects/milestones/{milestone.id}/update").status_code == 403
    assert lead.post(f"/projects/milestones/{milestone.id}/update", data=form).status_code == 403
    assert lead.get(f"/projects/{milestone.project_id}/edit").status_code == 403
    assert lead.post(f"/projects/{milestone.project_id}/milestones", data={}).status_code == 403
    assert lead.get(f"/projects/milestones/{milestone.id}/rebaseline").status_code == 403
    assert lead.get("/projects/milestones").status_code == 403


def test_update_through_the_page_moves_green_to_amber(login_as, session):
    lead = login_as(Role.LEAD)
    project = make_project(session, lead.user)
    milestone = make_milestone(session, project, lead.user, baseline=TODAY + timedelta(days=10))
    url = f"/projects/milestones/{milestone.id}/update"
    page = lead.client.get(url).get_data(as_text=True)
    assert 'name="version"' in page
    bad = lead.client.post(url, data={"update_on": TODAY.strftime("%d/%m/%Y"), "status": "complete",
                                      "forecast_due": "31/02/2027", "note": ""})  # fmt: skip
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert (
        "Forecast date must be a real date" in html and "Enter a note" not in html
    )  # field errors come first
    ok = lead.client.post(url, data={"update_on": TODAY.strftime("%d/%m/%Y"), "status": "in progress",
                                     "forecast_due": (TODAY + timedelta(days=24)).strftime("%d/%m/%Y"),
                                     "note": "Venue unavailable", "version": milestone.version})  # fmt: skip
    assert ok.status_code == 302
    detail = lead.client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Amber" in detail and "slipped 14 days" in detail and "Venue unavailable" in detail
    assert "<svg" in detail and 'role="img"' in detail


def test_admin_rebaselines_through_the_page(login_as, session, make_user):
    finance = make_user(Role.FINANCE)
    milestone = make_milestone(session, make_project(session, finance), finance, baseline=date(2026, 12, 1))
    admin = login_as(Role.ADMIN).client
    url = f"/projects/milestones/{milestone.id}/rebaseline"
    assert (
        admin.post(url, data={"baseline_due": "01/02/2027", "reason": "", "version": "1"}).status_code == 400
    )
    sent = {"baseline_due": "01/02/2027", "reason": "New funder timetable", "version": str(milestone.version)}
    assert admin.post(url, data=sent).status_code == 302
    history = admin.get(f"/projects/milestones/{milestone.id}").get_data(as_text=True)
    assert "Re-baselined from 01/12/2026 to 01/02/2027: New funder timetable" in history
    assert session.get(Milestone, milestone.id).baseline_due == date(2027, 2, 1)


def test_create_a_project_and_milestone(login_as, session):
    lead = login_as(Role.LEAD)
    from tests.factories import service_id

    response = lead.client.post("/projects/new", data={"name": "Reading Friends", "lead_id": lead.user.id,
                                                       "service_id": service_id(session), "outcome_ids": ["5"]})  # fmt: skip
    assert response.status_code == 302
    project_id = int(response.headers["Location"].rsplit("/", 1)[1])
    bad = lead.client.post(f"/projects/{project_id}/milestones", data={"title": "", "baseline_due": "soon"})
    assert bad.status_code == 400
    ok = lead.client.post(f"/projects/{project_id}/milestones", data={"title": "Volunteers recruited",
                                                                      "baseline_due": "31/03/2027"})  # fmt: skip
    assert ok.status_code == 302
    assert "Volunteers recruited" in lead.client.get(f"/projects/{project_id}").get_data(as_text=True)


def test_my_milestones_groups_overdue_first(login_as, session):
    lead = login_as(Role.LEAD)
    project = make_project(session, lead.user)
    make_milestone(session, project, lead.user, title="Overdue one", baseline=TODAY - timedelta(days=3))
    make_milestone(session, project, lead.user, title="Soon one", baseline=TODAY + timedelta(days=3))
    html = lead.client.get("/projects/milestones/mine").get_data(as_text=True)
    assert (
        html.index("Overdue (1)")
        < html.index("Overdue one")
        < html.index("Due in the next 30 days (1)")
        < html.index("Soon one")
    )


def test_the_grant_that_funds_a_project_is_a_working_link(login_as, session):
    """Issue 18: the link was escaped after being joined to text, and showed as markup."""
    from tests.factories import make_bid

    finance = login_as(Role.FINANCE)
    bid = make_bid(session, finance.user, title="Digital <Playground>")
    project = make_project(session, finance.user, bid_id=bid.id)
    html = finance.client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/grants/bids/{bid.id}">Digital &lt;Playground&gt;</a>' in html
    assert "&lt;a class" not in html


def test_the_403_page_says_why(login_as, session, make_user):
    """Issue 18: the reason is whose the record is, not only the role."""
    other = make_user(Role.LEAD, name="Olu Other")
    project = make_project(session, other, name="Reading trails")
    milestone = make_milestone(session, project, other, owner=other)
    lead = login_as(Role.LEAD)
    refused = lead.client.get(f"/projects/milestones/{milestone.id}/update")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "This milestone is on Reading trails, led by Olu Other and owned by Olu Other." in html
    by_role = login_as(Role.VIEWER).client.get("/income/entries/new").get_data(as_text=True)
    assert "This page is for administrators and finance officers. You are signed in as a viewer." in by_role


def test_a_leads_home_page_starts_with_their_own_overdue_work(login_as, session, make_user):
    """Issue 18: a lead saw the service's pipeline and others' milestones but not their own."""
    from incometrack.services import grants
    from tests.factories import make_bid, move

    lead = login_as(Role.LEAD, name="Lee Lead")
    other = make_user(Role.LEAD, name="Olu Other")
    finance = make_user(Role.FINANCE)
    bid = move(session, make_bid(session, finance, lead=lead.user, title="Makerspaces grant"), finance,
               "drafting", "submitted", "awarded", on=date(2026, 6, 1), awarded_resource=30_000_00)  # fmt: skip
    grants.add_report(session, bid, title="Interim report", due_on=TODAY - timedelta(days=5), actor=finance)
    grants.add_payment(
        session, bid, expected_on=TODAY - timedelta(days=3), amount_expected=30_000_00, actor=finance
    )
    mine = make_project(session, lead.user, name="Reading trails")
    make_milestone(session, mine, lead.user, title="Trail printed", baseline=TODAY - timedelta(days=2))
    theirs = make_project(session, other, name="Other project")
    make_milestone(session, theirs, other, title="Not mine", baseline=TODAY - timedelta(days=2))
    session.commit()
    html = lead.client.get("/").get_data(as_text=True)
    work = html.split("Your work: overdue and due in the next 14 days", 1)[1].split("</section>", 1)[0]
    assert "Interim report" in work and "Payment expected" in work and "£30,000.00" in work
    assert "Trail printed" in work and "Not mine" not in work
    assert html.index("Your work") < html.index("Grant pipeline")
    assert 'href="/projects/milestones/' in work and ">Update<" in work
