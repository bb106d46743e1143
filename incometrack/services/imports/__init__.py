"""Bringing income, ledger extracts, streams, budgets, bids, milestones and impact results in
from CSV and Excel files, all or nothing.

One service behind the CLI commands and the upload screen; every kind reads its file through
:mod:`incometrack.services.reading` (header found below title rows, names compared loosely, any
common encoding). Every row is read and checked before anything is written; with any problem
nothing is written and each problem is reported as ``row N: column: message`` (numbered as the
spreadsheet numbers its rows). Rows with none of a kind's key columns (totals, notes) are skipped
and counted. Income lines follow DOMAIN.md's duplicate rule: identical lines within a file are all
genuine; a line already recorded (stream, date, amount, reference) is skipped once for each time it
is recorded, so a re-import adds nothing and a longer later extract adds only its new lines.
Validation and the insert work on sets: a handful of queries whatever the size.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from incometrack.services.imports.bids import import_bids
from incometrack.services.imports.budgets import import_budgets
from incometrack.services.imports.common import COLUMNS, KEY_COLUMNS, ImportResult, RowError
from incometrack.services.imports.lines import import_income, import_ledger, record_lines, undo_batch
from incometrack.services.imports.milestones import import_milestones
from incometrack.services.imports.results import import_results
from incometrack.services.imports.streams import import_streams
from incometrack.services.imports.templates import TEMPLATES, template_csv
from incometrack.services.reading import ImportRefused, checksum

__all__ = [
    "COLUMNS",
    "IMPORTERS",
    "KEY_COLUMNS",
    "TEMPLATES",
    "ImportRefused",
    "ImportResult",
    "RowError",
    "checksum",
    "import_bids",
    "import_budgets",
    "import_income",
    "import_ledger",
    "import_milestones",
    "import_results",
    "import_streams",
    "record_lines",
    "run_import",
    "template_csv",
    "undo_batch",
]

IMPORTERS = {
    "income": import_income,
    "ledger": import_ledger,
    "streams": import_streams,
    "budgets": import_budgets,
    "bids": import_bids,
    "milestones": import_milestones,
    "results": import_results,
}


def run_import(kind: str, session: Session, data: bytes, filename: str, **options) -> ImportResult:
    return IMPORTERS[kind](session, data, filename, **options)
