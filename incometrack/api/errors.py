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


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _problem(error: ApiProblem):
        return problem(error.status, error.detail, headers=error.headers, **error.extra)
