"""Security headers, the per-request CSP nonce and request id, applied to every response."""

from __future__ import annotations

import re
import secrets
import uuid

from flask import Flask, Response, abort, current_app, g, request

SECURE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(nonce: str, sign_in_origin: str = "") -> str:
    # GOV.UK Frontend's template has one inline script (it marks the body js-enabled); the nonce
    # admits it and nothing else inline.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            # signing out with single sign-on goes on to the provider's sign-out page
            f"form-action 'self' {sign_in_origin}".rstrip(),
            "frame-ancestors 'none'",
        ]
    )


#: A request id a proxy may pass on (letters, digits, ``.``, ``_``, ``-``; at most 64): it becomes
#: the reference in logs and on the error page, so anything else is replaced by our own.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


def request_id(header: str | None) -> str:
    """The client's ``X-Request-Id`` when it is a plain token, otherwise a new random one."""
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex[:16]


def _start_request() -> None:
    g.csp_nonce = secrets.token_urlsafe(16)
    g.request_id = request_id(request.headers.get("X-Request-Id"))


def _refuse_nul() -> None:
    """No address holds a NUL character: refused at once (PostgreSQL would refuse it mid-query)."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400, "The address holds a character (NUL) no address can.")


def _origin(url: str) -> str:
    """``https://login.microsoftonline.com`` of an issuer's address; blank for none."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def init_early(app: Flask) -> None:
    """Give every request its nonce and id before any other hook (CSRF's included) can refuse it."""
    app.before_request(_start_request)
    app.before_request(_refuse_nul)


def _set_headers(response: Response) -> Response:
    response.headers.update(SECURE_HEADERS)
    response.headers["Content-Security-Policy"] = content_security_policy(
        g.get("csp_nonce", "none"), _origin(current_app.config.get("OIDC_ISSUER", ""))
    )
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if current_app.config["PRODUCTION"]:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        # Pages and downloads carry financial data: keep them out of shared and back-button caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def template_context() -> dict[str, object]:
    return {"cspNonce": g.get("csp_nonce")}


def init_app(app: Flask) -> None:
    app.after_request(_set_headers)
    app.context_processor(template_context)
