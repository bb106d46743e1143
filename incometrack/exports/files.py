"""Writing generated files so that a failure never leaves half a file behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from incometrack import faults


class ExportError(RuntimeError):
    """The file could not be written; the message says why in plain words."""


def write_atomically(target: Path, write: Callable[[BinaryIO], None]) -> str:
    """Write ``target`` through ``write`` into a temporary file beside it, flush it to disk, then
    rename it into place; return the SHA-256 of what was written (read from the temporary file,
    which no other process writes, so a concurrent export of the same name cannot change it).

    :raises ExportError: when the folder cannot be created or written (permissions, a full disk).
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(target)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as error:
        raise ExportError(f"Cannot write to {target.parent}: {error.strerror or error}") from error
    try:
        with os.fdopen(handle, "wb") as stream:
            write(faults.watch_bytes(stream))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it owner-only; the file is meant to be shared
        checksum = sha256_of(Path(temporary))
        faults.checkpoint("export:before-rename")
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(f"Cannot write {target.name}: {error.strerror or error}") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return checksum


def write_private(write: Callable[[BinaryIO], None]) -> tuple[BinaryIO, str]:
    """Write through ``write`` into an anonymous temporary file of this request's own (no name,
    nothing shared with another request or server) and return it rewound, with its SHA-256: what
    is recorded is exactly what is sent.

    :raises ExportError: when the temporary folder cannot be written (a full disk).
    """
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller streams it and closes it
    try:
        write(handle)
        handle.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        handle.seek(0)
    except OSError as error:
        handle.close()
        raise ExportError(f"Cannot build the file: {error.strerror or error}") from error
    except BaseException:
        handle.close()
        raise
    return handle, digest.hexdigest()


#: A temporary file this old is a leftover of a killed process, never one still being written.
LEFTOVER_AGE_SECONDS = 3600


def sweep_leftovers(target: Path) -> None:
    """Remove temporary files of ``target`` left behind by a process that was killed mid-write."""
    cutoff = time.time() - LEFTOVER_AGE_SECONDS
    for leftover in target.parent.glob(f".{target.name}.*.part"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
