"""Coalesce's error body, ``{"error": {"errorString", "errorDetail"}}``, its bearer-token check, and how it
words every error (validation and routing included)."""

from __future__ import annotations

from mockingjob.kit import ApiError, Reply, RequestInvalid, TokenAuth, Violation, unknown_fields

from .credentials import combination_problem

UNAUTHENTICATED = "Unable to authenticate, please ensure your token is valid."
# The pattern of the job lists' startingFrom in specs/coalesce.yaml (the run list's admits date-times too).
JOB_ID_PATTERN = "^[0-9]{1,10}$"


# ``Authorization: Bearer <token>``; any non-empty token unless the server was given a list. Coalesce words
# every failure the same way.
AUTH = TokenAuth("Bearer", 401, {"default": UNAUTHENTICATED})


def error_document(status: int, message: str) -> dict[str, dict[str, str]]:
    """The scheduler's documented shape: the status, then the message, in both fields."""
    text = f"{status}: {message}"
    return {"error": {"errorString": text, "errorDetail": text}}


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
        return f"Unknown field(s) in {name}: {', '.join(unknown_fields(v))}"
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
        if v.expected == JOB_ID_PATTERN:  # the job lists page by job ID alone
            return "startingFrom must be a job ID."
        return "startingFrom must be a run ID or an ISO-8601 date-time with a timezone."
    return f"{name} is invalid: {v.message}"


def error_reply(error: ApiError) -> Reply:
    """Every error but one a test asked for (the kit answers that with `error_document`, at its status)."""
    if isinstance(error, RequestInvalid):
        # The real API documents no 415: a body that is not JSON is a bad request like any other.
        return Reply(error_document(400, _invalid_message(error)), 400)
    if error.status == 401:
        return Reply(error_document(401, UNAUTHENTICATED), 401)
    if error.status == 404 and error.code == "route":
        return Reply(error_document(404, "Not Found"), 404)
    if error.status >= 500:
        return Reply(error_document(500, "Internal Server Error"), 500)
    return Reply(error_document(error.status, error.detail), error.status, error.headers)
