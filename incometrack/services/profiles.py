"""Import profiles: how one ledger's extract is read, saved once and used every month.

A profile names the extract's columns as the file writes them (compared as every import compares
headers, :func:`incometrack.services.reading.column_key`). Saving a profile of an existing name
replaces it; each save is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incometrack import policy
from incometrack.models import ImportProfile, UnmappedLines, User
from incometrack.services import NotAllowed, ValidationErrors, audit, check_version
from incometrack.services.reading import column_key


@dataclass(frozen=True)
class ProfileInput:
    name: str
    date_column: str
    amount_column: str
    code_columns: tuple[str, ...]
    reference_column: str = ""
    description_column: str = ""
    site_column: str = ""
    income_negative: bool = False
    unmapped: UnmappedLines = UnmappedLines.SKIP


def _values(data: ProfileInput) -> dict[str, object]:
    return {
        "name": " ".join(data.name.split()),
        "date_column": data.date_column.strip(),
        "amount_column": data.amount_column.strip(),
        "code_columns": "\n".join(c.strip() for c in data.code_columns if c.strip()),
        "reference_column": data.reference_column.strip(),
        "description_column": data.description_column.strip(),
        "site_column": data.site_column.strip(),
        "income_negative": data.income_negative,
        "unmapped": data.unmapped,
    }


def _problems(values: dict[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter a name for the profile"
    elif len(str(values["name"])) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    for key, label in (("date_column", "date"), ("amount_column", "amount"), ("code_columns", "ledger code")):
        if not values[key]:
            errors[key] = f"Choose the {label} column"
    used: dict[str, str] = {}
    for key in ("date_column", "amount_column", "code_columns", "reference_column", "description_column",
                "site_column"):  # fmt: skip
        for column in str(values[key]).split("\n"):
            if len(column) > 120:
                errors[key] = "Column names must be 120 characters or fewer"
            elif column and (other := used.get(column_key(column))) and other != key:
                errors[key] = f"The column {column} is already chosen for another field"
            elif column:
                used[column_key(column)] = key
    return errors


def save_profile(
    session: Session, data: ProfileInput, *, actor: User | None, expected_version: int | None
) -> ImportProfile:
    """Create the profile, or replace the one of the same name.

    :raises NotAllowed: for anyone but finance or an admin (the command line has no actor).
    :raises ValidationErrors: naming each field that is wrong.
    """
    if actor is not None and not policy.can_manage(actor):
        raise NotAllowed("Only finance officers and administrators keep import profiles")
    values = _values(data)
    if errors := _problems(values):
        raise ValidationErrors(errors)
    profile = session.scalar(
        select(ImportProfile).where(func.lower(ImportProfile.name) == str(values["name"]).lower())
    )
    if profile is None:
        profile = ImportProfile(**values, created_by_id=actor.id if actor else None)
        session.add(profile)
        audit.record_create(session, actor, profile, summary=profile.name)
        return profile
    values["name"] = profile.name  # saved again under its name in other letters: the same profile
    check_version(profile, expected_version, values)
    audit.update(session, actor, profile, values, summary=profile.name)
    return profile


def profiles(session: Session) -> list[ImportProfile]:
    return list(session.scalars(select(ImportProfile).order_by(func.lower(ImportProfile.name))))


def find(session: Session, name: str) -> ImportProfile | None:
    return session.scalar(
        select(ImportProfile).where(func.lower(ImportProfile.name) == " ".join(name.split()).lower())
    )


def describe(profile: ImportProfile) -> str:
    """One line: ``Council ledger: date=Trans Date, amount=Amount, code=Cost Centre-Account, ...``."""
    parts = [
        f"date={profile.date_column}",
        f"amount={profile.amount_column}",
        f"code={'-'.join(profile.codes)}",
    ]
    optional = {
        "reference": profile.reference_column,
        "description": profile.description_column,
        "site": profile.site_column,
    }
    for label, column in optional.items():
        if column:
            parts.append(f"{label}={column}")
    parts.append("income printed negative" if profile.income_negative else "income printed positive")
    parts.append(f"unmapped lines: {profile.unmapped.value}")
    return f"{profile.name}: {', '.join(parts)}"
