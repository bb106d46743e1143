"""Errors of the API as ``application/problem+json`` (RFC 9457): a 401 says ``WWW-Authenticate:
Bearer`` so that Power Query asks for credentials, a 429 says ``Retry-After`` in seconds."""

from __future__ import annotations

from flask import Flask, Response, json, request

PREFIX = "/api/"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    429: "Too many requests",
    500: "Internal server error",
}
#: Each status's problem type (RFC 9457 ``type``), one per kind of error a client handles apart.
TYPES = {
    400: "invalid-request",
    401: "invalid-token",
    403: "insufficient-scope",
    404: "not-found",
    405: "method-not-allowed",
    429: "too-many-requests",
    500: "server-error",
}
TYPE_PREFIX = "urn:incometrack:api:problem:"

Headers = dict[str, str] | list[tuple[str, str]]


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, *, headers: Headers | None = None, **extra) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, detail: str, *, headers: Headers | None = None, **extra) -> Response:
    kind = TYPES.get(status)
    body = {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in headers.items() if isinstance(headers, dict) else headers or ():
        response.headers.add(key, value)
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _problem(error: ApiProblem):
        return problem(error.status, error.detail, headers=error.headers, **error.extra)
