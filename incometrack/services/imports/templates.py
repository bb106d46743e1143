"""The template file of each import kind: its columns and an example line."""

from __future__ import annotations

from incometrack.services.imports.common import (
    COLUMNS,
)

#: An example line of each kind, under its columns in the template a person downloads.
TEMPLATES = {
    "income": dict(date="03/11/2026", stream_code="LIB-ROOM", amount="45.00", reference="INV-1042",
                   site="", description="Meeting room, half day"),
    "streams": dict(code="LIB-ROOM", name="Room hire", service="Libraries", category="Room and venue hire",
                    site="", owner_email="", status="active", description="", ledger_codes="LIB01-9100"),
    "budgets": dict(year="2026-27", stream_code="LIB-ROOM", annual_budget="12,000.00", q1="3,000.00",
                    q2="3,000.00", q3="3,000.00", q4="3,000.00"),
    "bids": dict(title="Digital makerspace", funder="Arts Council England", service="Libraries",
                 lead_email="lead@example.gov.uk", amount_requested="50,000.00", created_on="01/04/2026",
                 programme="", outcomes="Improved digital access and literacy", probability="50"),
    "milestones": dict(project="Digital makerspace", milestone="Kit bought",
                       owner_email="lead@example.gov.uk", baseline_due="01/12/2026",
                       forecast_due="01/12/2026", completed_on="", status="not started"),
    "results": dict(project="Digital makerspace", measure="Attendances", year="2026-27", quarter="2",
                    value="575", site="Ashford Gateway", source="register"),
}  # fmt: skip


def template_csv(kind: str) -> bytes:
    """The columns of an import kind (required first) and one example line, as UTF-8 CSV with a
    byte-order mark so Excel opens it in the right encoding."""
    import csv
    import io

    required, optional = COLUMNS[kind]
    example = TEMPLATES[kind]
    columns = [*required, *(c for c in optional if c in example)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([example.get(column, "") for column in columns])
    return buffer.getvalue().encode("utf-8-sig")
