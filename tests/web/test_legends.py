"""Every group of radios or tick boxes asks its question in its legend (issue 26): the import
kind, a profile's sign and unmapped lines, a user's role, the reminder choice, a bid's outcomes."""

from __future__ import annotations

import re

import pytest

from incometrack.models import Role

FIELDSET = re.compile(r"<fieldset\b.*?</fieldset>", re.DOTALL)
LEGEND = re.compile(r"<legend\b[^>]*>\s*(.*?)\s*</legend>", re.DOTALL)


@pytest.mark.parametrize(
    ("url", "questions"),
    [
        ("/income/import", ["What does the file hold?"]),
        ("/admin/users/new", ["Role"]),
        ("/account", ["How often should IncomeTrack email you what is due?"]),
        ("/grants/bids/new", ["Libraries Deliver outcomes it serves"]),
    ],
)
def test_each_group_asks_its_question_in_its_legend(login_as, url, questions):
    html = login_as(Role.ADMIN).client.get(url).get_data(as_text=True)
    legends = []
    for fieldset in FIELDSET.findall(html):
        found = LEGEND.search(fieldset)
        assert found and found.group(1).strip(), f"{url}: a fieldset without a question:\n{fieldset[:300]}"
        legends.append(found.group(1).strip())
    for question in questions:
        assert question in legends, (url, legends)
