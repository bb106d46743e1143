"""A form left empty names every field that needs something in one go: the form's own checks and
the service's rules (a stream, service or lead must be chosen) are reported together, never in
two rounds."""

import re

import pytest

from incometrack.models import Role
from tests.factories import make_bid, make_project, make_stream


def _errors(html: str) -> list[str]:
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)">', summary)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/income/streams/new", ["code", "name", "service_id", "category_id"]),
        ("/income/entries/new", ["date_received", "stream_id", "amount"]),
        ("/grants/bids/new", ["title", "funder_id", "service_id", "amount_requested", "probability"]),
        ("/projects/new", ["name", "lead_id", "service_id"]),
        ("/grants/funders/new", ["name", "type"]),
    ],
)
def test_an_empty_form_names_every_missing_field_at_once(login_as, path, expected):
    response = login_as(Role.ADMIN).client.post(path, data={})
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == expected


def test_a_changed_record_emptied_names_every_field_at_once(login_as, session):
    admin = login_as(Role.ADMIN)
    stream = make_stream(session, "LIB-E")
    bid = make_bid(session, admin.user, title="Emptied")
    project = make_project(session, admin.user, name="Emptied")
    session.commit()
    client = admin.client
    cases = {
        f"/income/streams/{stream.id}/edit": ["code", "name", "service_id", "category_id"],
        f"/grants/bids/{bid.id}/edit": [
            "title",
            "funder_id",
            "service_id",
            "amount_requested",
            "probability",
        ],
        f"/projects/{project.id}/edit": ["name", "lead_id", "service_id"],
    }
    for path, expected in cases.items():
        response = client.post(path, data={})
        assert response.status_code == 400, path
        assert _errors(response.get_data(as_text=True)) == expected, path
