"""Coalesce's error body, ``{"error": {"errorString", "errorDetail"}}``, and its bearer-token check."""

from __future__ import annotations

import re

from mockingjob.errors import ApiError, RequestInvalid, Violation
from mockingjob.pack import Reply

from .credentials import combination_problem

UNAUTHENTICATED = "Unable to authenticate, please ensure your token is valid."


def error_body(status: int, message: str) -> dict[str, dict[str, str]]:
    """The scheduler's documented shape: the status, then the message, in both fields."""
    text = f"{status}: {message}"
    return {"error": {"errorString": text, "errorDetail": text}}


def authenticate(header: str | None, tokens: frozenset[str]) -> None:
    """``Authorization: Bearer <token>``; any non-empty token unless the server was given a list."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or (tokens and token not in tokens):
        raise ApiError(401, UNAUTHENTICATED)


def _field(v: Violation) -> str:
    return v.name or "request body"


def _invalid_message(error: RequestInvalid) -> str:
    v = error.violation
    name = _field(v)
    if v.location == "content-type":
        return "The request body must be JSON (Content-Type: application/json)."
    if v.rule == "missing" and v.location == "body":
        return "The request body is required."
    if v.rule in ("malformed", "encoding"):
        return f"The request body is not valid JSON: {v.message}"
    if v.rule == "extra":
        names = v.expected if isinstance(v.expected, list) else [v.name]
        return f"Unknown query parameter(s): {', '.join(names)}"
    if v.rule in ("required", "missing"):
        return f"{name} is required."
    if v.rule == "additionalProperties":
        extra = re.findall(r"'([^']+)'", v.message)
        return f"Unknown field(s) in {name}: {', '.join(extra)}"
    if v.rule == "oneOf" and v.name.endswith("userCredentials"):
        # Which variant the client meant is clearer from the fields it sent than from the schema's three.
        return combination_problem(v.value) or ("userCredentials must be Basic (snowflakeUsername, snowflakePassword), "
                                                "KeyPair (snowflakeUsername, snowflakeKeyPairKey) or OAuth, with "
                                                "string values.")
    if v.rule == "type":
        return f"{name} must be of type {v.expected}."
    if v.rule == "enum":
        return f"{name} must be one of: {', '.join(str(e) for e in v.expected)}."
    if v.rule in ("minimum", "maximum"):
        return f"{name} must be {'at least' if v.rule == 'minimum' else 'at most'} {v.expected}."
    if v.rule in ("minLength", "maxLength"):
        return f"{name} must be {'at least' if v.rule == 'minLength' else 'at most'} {v.expected} characters long."
    if v.rule == "pattern" and v.name == "startingFrom":
        return "startingFrom must be a run ID or an ISO-8601 date-time with a timezone."
    return f"{name} is invalid: {v.message}"


def render_error(error: ApiError) -> Reply:
    if isinstance(error, RequestInvalid):
        # The real API documents no 415: a body that is not JSON is a bad request like any other.
        return Reply(error_body(400, _invalid_message(error)), 400)
    if error.status == 401:
        return Reply(error_body(401, UNAUTHENTICATED), 401)
    if error.status == 404 and error.code == "route":
        return Reply(error_body(404, "Not Found"), 404)
    if error.code in ("fault", "scenario"):  # asked for by a test: exactly that status, in Coalesce's shape
        return Reply(error_body(error.status, error.detail), error.status, error.headers)
    if error.status >= 500:
        return Reply(error_body(500, "Internal Server Error"), 500)
    return Reply(error_body(error.status, error.detail), error.status, error.headers)
