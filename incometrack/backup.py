"""Consistent copies of the database while people keep working.

SQLite: the online backup API copies the database page by page, restarting when a writer changes
a page it has copied, so the copy is a consistent snapshot; the copy is then integrity-checked.
PostgreSQL: pg_dump (custom format) reads one snapshot of the database in a single transaction.
Either way the copy is written beside its destination and renamed into place when complete.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, Engine


class BackupError(RuntimeError):
    """The copy could not be made or failed its check."""


def backup(engine: Engine, destination: Path) -> str:
    """Copy the database to ``destination``; return a one-line description of what was done.

    :raises BackupError: when the copy fails or does not pass its integrity check.
    """
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            detail = _sqlite(engine, partial)
        elif engine.dialect.name == "postgresql":
            detail = _postgresql(engine, partial)
        else:
            raise BackupError(f"Backups of {engine.dialect.name} databases are not supported")
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return f"{detail}: {destination}"


def _sqlite(engine: Engine, target: Path) -> str:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("An in-memory database cannot be backed up")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # In one step: a backup copied in small steps starts again whenever another connection
        # writes, so under a steady stream of commits it never finished (CI caught one running for
        # ten minutes). One step reads a single snapshot; in WAL mode writers carry on meanwhile.
        source.backup(copy)
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        tables = copy.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.Error as error:
        raise BackupError(f"The backup failed: {error}") from error
    finally:
        copy.close()
        source.close()
    if result != "ok":
        raise BackupError(f"The copy failed its integrity check: {result}")
    return f"SQLite online backup of {tables} tables, integrity check ok"


def _postgresql(engine: Engine, target: Path) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed; install the PostgreSQL client tools (postgresql-client)")
    command, environment = pg_dump_command(pg_dump, engine.url, target)
    completed = subprocess.run(  # noqa: S603 - fixed program, arguments from our own configuration
        command, capture_output=True, text=True, check=False, env=environment
    )
    if completed.returncode != 0:
        raise BackupError(f"pg_dump failed: {completed.stderr.strip()[:500]}")
    return "PostgreSQL dump (pg_dump custom format; restore with pg_restore)"


def pg_dump_command(pg_dump: str, url, target: Path) -> tuple[list[str], dict[str, str]]:
    """pg_dump's arguments and environment for ``url``: the password travels in ``PGPASSWORD``,
    never on the command line, where ``ps`` would show it to every user of the machine."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    without_password = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    dbname = without_password.render_as_string(hide_password=False)
    return [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={dbname}"], environment
