"""Settings: safe defaults here, the deployment's own values from the environment.

``DATABASE_URL``, ``SECRET_KEY`` and ``INCOMETRACK_ENV`` (``development`` or ``production``) are
read by :func:`from_environment`; tests pass a mapping to ``create_app`` instead.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The environments IncomeTrack knows; any other name is refused at start rather than guessed at.
ENVIRONMENTS = ("development", "production")
#: A production secret key must be at least this long (32 random bytes as hex make 64).
MIN_SECRET_KEY_LENGTH = 32
#: ... and carry at least this much entropy, estimated from how varied its characters are
#: (``secrets.token_hex(32)`` carries about 250 bits by this measure; 32 identical characters 0).
MIN_SECRET_KEY_BITS = 100
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
    #: How many reverse proxies in front of the app append to X-Forwarded-For. 0 trusts none: the
    #: client address is the connection's. 1: the last hop the proxy added is the client.
    "TRUSTED_PROXY_COUNT": 0,
    #: The address people open the app at: links in reminder emails and calendar events start here.
    "APP_URL": "http://127.0.0.1:5000",
    #: Outgoing mail. Without MAIL_SERVER, reminder emails are written to the log instead.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  #: STARTTLS after connecting
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "incometrack@localhost",
    #: Background jobs (``flask --app wsgi worker``). The queue is on Redis when REDIS_URL is set,
    #: else in the PostgreSQL database, else in a SQLite file beside the database (JOBS_QUEUE_FILE).
    "REDIS_URL": "",
    "JOBS_QUEUE_FILE": "",
    #: A workbook download of more rows than this, or an import of more lines, runs as a job.
    "JOBS_ROW_THRESHOLD": 50_000,
    #: A job's file is deleted this many hours after it is made.
    "JOB_FILE_HOURS": 24,
    #: A running job whose heartbeat is older than this has lost its worker (and is run again).
    "JOBS_STALL_SECONDS": 60,
    #: Tests only: a job runs at once, in the request that asks for it.
    "JOBS_IMMEDIATE": False,
    #: Single sign-on through OpenID Connect (Microsoft Entra ID): off without an issuer.
    "OIDC_ISSUER": "",
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    #: the directory tenants (``tid``) whose people may sign in; empty: the issuer's own
    "OIDC_ALLOWED_TENANTS": (),
    "OIDC_ROLE_CLAIM": "roles",
    "OIDC_ALLOW_ADMIN": False,
    "OIDC_PROVISIONING": "precreated",
    #: how long the provider's token endpoint may take before sign-in fails (502)
    "OIDC_TIMEOUT_SECONDS": 10,
    #: ``all``, or ``break_glass_only`` (only accounts marked break-glass use a password)
    "PASSWORD_LOGIN": "all",
    #: accept an API token in the query string (``?api_key=``), for tools that cannot send a header
    "API_ALLOW_QUERY_KEY": False,
    #: requests a token may make a minute before 429 (Power Query waits Retry-After and goes on)
    "API_REQUESTS_PER_MINUTE": 120,
}

OIDC_PROVISIONING = ("precreated", "jit")
PASSWORD_LOGIN = ("all", "break_glass_only")


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, object]:
    """Settings taken from the process environment."""
    settings: dict[str, object] = {}
    if url := environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if key := environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = key
    if "INCOMETRACK_ENV" in environ:  # set but empty is refused like any unknown name
        settings["INCOMETRACK_ENV"] = environ["INCOMETRACK_ENV"]
    if name := environ.get("COUNCIL_NAME"):
        settings["COUNCIL_NAME"] = name
    if exports := environ.get("EXPORTS_DIR"):
        settings["EXPORTS_DIR"] = exports
    if environ.get("MAX_UPLOAD_MB"):
        settings["MAX_CONTENT_LENGTH"] = _whole_number(environ, "MAX_UPLOAD_MB", 1, 100) * 1024 * 1024
    for name in ("REDIS_URL", "JOBS_QUEUE_FILE"):
        if value := environ.get(name):
            settings[name] = value
    if environ.get("JOBS_ROW_THRESHOLD"):
        settings["JOBS_ROW_THRESHOLD"] = _whole_number(environ, "JOBS_ROW_THRESHOLD", 1, 10_000_000)
    if environ.get("JOBS_STALL_SECONDS"):
        settings["JOBS_STALL_SECONDS"] = _whole_number(environ, "JOBS_STALL_SECONDS", 2, 3600)
    for name in ("APP_URL", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM"):
        if value := environ.get(name):
            settings[name] = value.rstrip("/") if name == "APP_URL" else value
    if environ.get("MAIL_PORT"):
        settings["MAIL_PORT"] = _whole_number(environ, "MAIL_PORT", 1, 65535)
    if value := environ.get("MAIL_USE_TLS"):
        settings["MAIL_USE_TLS"] = value.strip().lower() in ("1", "true", "yes", "on")
    if environ.get("TRUSTED_PROXY_COUNT"):
        settings["TRUSTED_PROXY_COUNT"] = _whole_number(environ, "TRUSTED_PROXY_COUNT", 0, 5)
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_ROLE_CLAIM"):
        if value := environ.get(name, "").strip():
            settings[name] = value.rstrip("/") if name == "OIDC_ISSUER" else value
    if value := environ.get("OIDC_ALLOWED_TENANTS", "").strip():
        settings["OIDC_ALLOWED_TENANTS"] = tuple(t.strip() for t in value.split(",") if t.strip())
    if value := environ.get("OIDC_ALLOW_ADMIN", "").strip():
        settings["OIDC_ALLOW_ADMIN"] = value.lower() in ("1", "true", "yes", "on")
    if value := environ.get("API_ALLOW_QUERY_KEY", "").strip():
        settings["API_ALLOW_QUERY_KEY"] = value.lower() in ("1", "true", "yes", "on")
    for name in ("OIDC_PROVISIONING", "PASSWORD_LOGIN"):
        if value := environ.get(name, "").strip():
            settings[name] = value.lower()
    return settings


def issuer_tenant(issuer: str) -> str:
    """The tenant an Entra ID issuer names: ``https://login.microsoftonline.com/<tenant>/v2.0``."""
    from urllib.parse import urlparse

    parts = [p for p in urlparse(issuer).path.split("/") if p]
    return parts[0] if parts else ""


def check_oidc(settings: dict[str, object]) -> None:
    """:raises ConfigError: for a single sign-on setting that cannot work: a partial configuration,
    an unknown provisioning or password mode, password sign-in limited with no sign-on, or (in
    production) an issuer not on HTTPS."""
    issuer = str(settings.get("OIDC_ISSUER") or "")
    if settings.get("OIDC_PROVISIONING") not in OIDC_PROVISIONING:
        raise ConfigError(f"OIDC_PROVISIONING must be one of {', '.join(OIDC_PROVISIONING)}")
    if settings.get("PASSWORD_LOGIN") not in PASSWORD_LOGIN:
        raise ConfigError(f"PASSWORD_LOGIN must be one of {', '.join(PASSWORD_LOGIN)}")
    if not issuer:
        if settings.get("OIDC_CLIENT_ID") or settings.get("OIDC_CLIENT_SECRET"):
            raise ConfigError("OIDC_CLIENT_ID and OIDC_CLIENT_SECRET need OIDC_ISSUER")
        if settings.get("PASSWORD_LOGIN") != "all":
            raise ConfigError("PASSWORD_LOGIN=break_glass_only needs single sign-on (OIDC_ISSUER)")
        return
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not settings.get(name)]
    if missing:
        raise ConfigError(f"OIDC_ISSUER is set but {' and '.join(missing)} is not")
    if settings.get("INCOMETRACK_ENV") == "production" and not issuer.startswith("https://"):
        raise ConfigError("In production OIDC_ISSUER must be an https:// address")
    if not (settings.get("OIDC_ALLOWED_TENANTS") or issuer_tenant(issuer)):
        raise ConfigError("Set OIDC_ALLOWED_TENANTS: the issuer's address names no tenant")


def _whole_number(environ, name: str, lowest: int, highest: int) -> int:
    """:raises ConfigError: unless the variable is a whole number from ``lowest`` to ``highest``."""
    text = environ[name].strip()
    if not (text.isascii() and text.isdigit() and lowest <= int(text) <= highest):
        raise ConfigError(f"{name} must be a whole number from {lowest} to {highest}, not {text!r}")
    return int(text)


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (``postgresql://``/``postgres://``)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def estimated_bits(key: str) -> float:
    """The key's length times the Shannon entropy of its characters: a typed or repeated key
    scores low, a random one close to its true strength."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_character = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_character * len(key)


#: zxcvbn's estimate of the guesses a key needs, as a power of ten, below which it is guessable:
#: words, keyboard and alphabet runs, repeats and dates are found and counted as such (a random
#: 32-character hex key needs about 10^31).
MIN_SECRET_KEY_GUESSES_LOG10 = 30


def guessable(key: str) -> bool:
    """Whether ``key`` is built from dictionary words, runs or repeats rather than chance."""
    from zxcvbn import zxcvbn

    return zxcvbn(key[:100])["guesses_log10"] < MIN_SECRET_KEY_GUESSES_LOG10


def check_environment(settings: dict[str, object]) -> None:
    """:raises ConfigError: for an environment name other than those in :data:`ENVIRONMENTS`
    (``Production`` would otherwise run as development with the built-in key)."""
    name = settings.get("INCOMETRACK_ENV")
    if name not in ENVIRONMENTS:
        raise ConfigError(
            f"INCOMETRACK_ENV must be one of {', '.join(ENVIRONMENTS)} (lower case), not {name!r}"
        )


def check_production(settings: dict[str, object]) -> None:
    """Refuse to start in an unknown environment, or in production without a strong secret key.

    :raises ConfigError: when the environment is unknown, or the key is missing, short, one of the
        well-known weak keys, or too uniform to be random.
    """
    check_environment(settings)
    check_oidc(settings)
    if settings.get("INCOMETRACK_ENV") != "production":
        return
    key = str(settings.get("SECRET_KEY") or "")
    if (
        key == DEFAULTS["SECRET_KEY"]
        or key.lower() in WEAK_SECRET_KEYS
        or len(key) < MIN_SECRET_KEY_LENGTH
        or estimated_bits(key) < MIN_SECRET_KEY_BITS
        or guessable(key)
        or key in (key + key)[1:-1]  # a shorter string repeated ("ab" * 32)
    ):
        raise ConfigError(
            "INCOMETRACK_ENV=production needs SECRET_KEY set to at least "
            f"{MIN_SECRET_KEY_LENGTH} random characters (not a word, pattern or repetition), e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
