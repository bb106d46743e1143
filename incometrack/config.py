"""Settings: safe defaults here, the deployment's own values from the environment.

``DATABASE_URL``, ``SECRET_KEY`` and ``INCOMETRACK_ENV`` (``development`` or ``production``) are
read by :func:`from_environment`; tests pass a mapping to ``create_app`` instead.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: A production secret key must be at least this long (32 random bytes as hex make 64).
MIN_SECRET_KEY_LENGTH = 32
#: Keys that are well known or plainly typed by hand; production refuses them.
WEAK_SECRET_KEYS = {"dev", "secret", "changeme", "change-me", "development", "incometrack"}


class ConfigError(RuntimeError):
    """The configuration would make the app unsafe or unable to start."""


DEFAULTS: dict[str, object] = {
    "INCOMETRACK_ENV": "development",
    "COUNCIL_NAME": "Kent County Council",
    "SERVICE_NAME": "Libraries, Registration and Archives",
    "APP_NAME": "IncomeTrack",
    "SECRET_KEY": "dev-only-not-secret",
    "SQLALCHEMY_DATABASE_URI": None,  # filled from DATABASE_URL or the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_BUSY_TIMEOUT_MS": 10_000,
    "EXPORTS_DIR": str(ROOT / "exports"),
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,  # uploads over this get 413
    "UPLOAD_DIR": str(ROOT / "instance" / "uploads"),
    "PAGE_SIZE": 50,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "incometrack_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),  # absolute limit of one login
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which has its own limits
    "PASSWORD_MIN_LENGTH": 12,
    "LOGIN_SLOWDOWN": True,  # sleep before answering repeated failures (tests turn it off)
}


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, object]:
    """Settings taken from the process environment."""
    settings: dict[str, object] = {}
    if url := environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if key := environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = key
    if env := environ.get("INCOMETRACK_ENV"):
        settings["INCOMETRACK_ENV"] = env
    if name := environ.get("COUNCIL_NAME"):
        settings["COUNCIL_NAME"] = name
    if exports := environ.get("EXPORTS_DIR"):
        settings["EXPORTS_DIR"] = exports
    if limit := environ.get("MAX_UPLOAD_MB"):
        settings["MAX_CONTENT_LENGTH"] = int(limit) * 1024 * 1024
    return settings


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (``postgresql://``/``postgres://``)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_production(settings: dict[str, object]) -> None:
    """Refuse to start in production without a strong secret key.

    :raises ConfigError: when the key is missing, short, or one of the well-known weak keys.
    """
    if settings.get("INCOMETRACK_ENV") != "production":
        return
    key = str(settings.get("SECRET_KEY") or "")
    if key == DEFAULTS["SECRET_KEY"] or key.lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "INCOMETRACK_ENV=production needs SECRET_KEY set to at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
