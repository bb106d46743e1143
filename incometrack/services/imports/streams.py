"""Streams from a file, each through :func:`incometrack.services.income.create_stream`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack.models import (
    IncomeCategory,
    IncomeStream,
    Service,
    Site,
    StreamStatus,
    User,
    ledger_code_key,
)
from incometrack.services import income as income_service
from incometrack.services.imports.common import (
    KEY_COLUMNS,
    ImportResult,
    RowError,
    cell_text,
    data_rows,
    finish_batch,
    open_table,
    start_batch,
)


def import_streams(
    session: Session,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    dry_run: bool = False,
    sheet: str | None = None,
) -> ImportResult:
    """Create streams from ``code,name,service,category,site,owner_email,status,description``.

    Services, categories and sites are given by name; a code that already exists is skipped as a
    duplicate, so a file can be loaded again safely.
    """
    result, table = open_table("streams", data, filename, sheet, dry_run)
    if table is None:
        return result
    services = dict(session.execute(select(func.lower(Service.name), Service.id)).all())
    categories = dict(session.execute(select(func.lower(IncomeCategory.name), IncomeCategory.id)).all())
    sites = {
        name.lower(): (site_id, service_id)
        for name, site_id, service_id in session.execute(select(Site.name, Site.id, Site.service_id))
    }
    owners = dict(session.execute(select(User.email, User.id)).all())
    existing = {code.lower() for code in session.scalars(select(IncomeStream.code))}
    seen: set[str] = set()
    codes_seen: set[str] = set()
    accepted: list[income_service.StreamInput] = []
    for number, cells in data_rows(table, result, KEY_COLUMNS["streams"], "a code or a name"):
        errors: list[RowError] = []
        code = cell_text(table.cell(cells, "code"))
        if code.lower() in existing or code.lower() in seen:
            result.duplicates += 1
            continue
        name = cell_text(table.cell(cells, "name"))
        service = cell_text(table.cell(cells, "service"))
        category = cell_text(table.cell(cells, "category"))
        site = cell_text(table.cell(cells, "site"))
        owner = cell_text(table.cell(cells, "owner_email")).lower()
        status_text = cell_text(table.cell(cells, "status")).lower() or StreamStatus.ACTIVE.value
        for column, message in income_service.stream_field_problems(code, name).items():
            errors.append(RowError(number, column, message, code if column == "code" else ""))
        if service.lower() not in services:
            errors.append(RowError(number, "service", f"No service is called {service or '(blank)'}"))
        if category.lower() not in categories:
            errors.append(
                RowError(number, "category", f"No income category is called {category or '(blank)'}")
            )
        if site and site.lower() not in sites:
            errors.append(RowError(number, "site", f"No site is called {site}"))
        elif site and service.lower() in services and sites[site.lower()][1] != services[service.lower()]:
            errors.append(RowError(number, "site", f"{site} belongs to another service"))
        if owner and owner not in owners:
            errors.append(RowError(number, "owner_email", f"No user has the email {owner}"))
        if status_text not in {s.value for s in StreamStatus}:
            errors.append(RowError(number, "status", "Status must be planned, active or ceased", status_text))
        ledger_codes = income_service.parse_ledger_codes(cell_text(table.cell(cells, "ledger_codes")))
        for ledger_code in ledger_codes:
            key = ledger_code_key(ledger_code)
            if key in codes_seen:
                errors.append(
                    RowError(number, "ledger_codes", f"Ledger code {key} is given twice", ledger_code)
                )
            codes_seen.add(key)
        if ledger_codes and (problem := income_service.ledger_code_problem(session, ledger_codes, None)):
            errors.append(RowError(number, "ledger_codes", problem))
        if errors:
            result.add_errors(errors)
            continue
        seen.add(code.lower())
        accepted.append(
            income_service.StreamInput(
                code=code,
                name=name,
                service_id=services[service.lower()],
                category_id=categories[category.lower()],
                site_id=sites[site.lower()][0] if site else None,
                owner_id=owners.get(owner) if owner else None,
                status=StreamStatus(status_text),
                description=cell_text(table.cell(cells, "description")),
                ledger_codes=ledger_codes,
            )
        )
    result.imported = len(accepted)
    result.sample = [{"code": s.code, "name": s.name} for s in accepted[:10]]
    if not result.ok or dry_run:
        return result
    batch = start_batch(session, result, actor)
    for stream in accepted:
        income_service.create_stream(session, stream, actor=actor)
    finish_batch(session, batch, result, actor)
    return result
