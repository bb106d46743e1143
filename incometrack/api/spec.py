"""What the OpenAPI document says of errors: every error is ``application/problem+json`` of the
``Problem`` schema (the ``default`` response of each operation), and a bad parameter is a 400, as
the API answers, not webargs' 422."""

from __future__ import annotations

import http

from apispec.ext.marshmallow import resolve_schema_instance
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields
from webargs.flaskparser import FlaskParser

PROBLEM_JSON = "application/problem+json"


class Problem(Schema):
    """RFC 9457 problem details, with what this API adds."""

    type = fields.String(
        required=True, metadata={"description": "urn:incometrack:api:problem: and the kind of error"}
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    parameters = fields.List(fields.String(), metadata={"description": "400: the parameters at fault"})
    parameter = fields.String(metadata={"description": "400: the parameter at fault"})
    error = fields.String(metadata={"description": "403: insufficient_scope (RFC 6750)"})


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):
    """A blueprint whose bad parameters are documented, and answered, as 400."""

    ARGUMENTS_PARSER = _Parser()


class ProblemApi(Api):
    ERROR_SCHEMA = Problem

    def _register_responses(self):
        """Every error response component as problem JSON (flask-smorest's as application/json)."""
        schema = resolve_schema_instance(self.ERROR_SCHEMA)
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": schema}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "An error, as problem details", "content": {PROBLEM_JSON: {"schema": schema}}},
            lazy=True,
        )
