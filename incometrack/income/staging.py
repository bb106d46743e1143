"""Uploaded files kept between the preview and the confirmation of an import.

The upload is validated and previewed first; on confirmation the same bytes are imported, so what
the officer saw is what goes in. Files live under ``UPLOAD_DIR`` with a random token, belong to the
user who uploaded them, and are removed once imported or after a day.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

MAX_AGE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Staged:
    token: str
    kind: str
    filename: str
    sheet: str | None
    user_id: int
    data: bytes


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*.upload"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            path.with_suffix(".json").unlink(missing_ok=True)


def stage(kind: str, filename: str, sheet: str | None, user_id: int, data: bytes) -> str:
    folder = _folder()
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    temporary = folder / f"{token}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, folder / f"{token}.upload")
    meta = {"kind": kind, "filename": filename, "sheet": sheet, "user_id": user_id}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def load(token: str, user_id: int) -> Staged | None:
    """The staged upload, or None when the token is unknown, expired or another user's."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.upload").read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id:
        return None
    return Staged(token, meta["kind"], meta["filename"], meta.get("sheet"), user_id, data)


def discard(token: str) -> None:
    folder = _folder()
    (folder / f"{token}.upload").unlink(missing_ok=True)
    (folder / f"{token}.json").unlink(missing_ok=True)
