"""How the reports run their statements.

A report selects columns, never entities, so the ORM's per-statement work (its compile state and
row wrapping, about 40 µs a statement here) buys it nothing; a page or the return runs a dozen such
statements. :func:`read` flushes what the session holds, as autoflush would, then runs the statement
on the session's own connection, inside the request's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.orm import Session


def read(session: Session, statement: Executable, params: Mapping[str, Any] | None = None) -> CursorResult:
    session.flush()
    return session.connection().execute(statement, dict(params or {}))
