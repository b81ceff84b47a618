"""Dropwizard (Jersey + Jackson) error bodies as Marquez serves them, and the pack's error helpers.

Marquez answers errors with Dropwizard's ``{"code": N, "message": "..."}``; a query parameter that breaks its
``@Min`` constraint gets Dropwizard's ``{"errors": [...]}``; a path or query value that cannot be converted to
its Java type is, by the JAX-RS rules, a plain 404. Marquez has no auth.
"""

from __future__ import annotations

import secrets
from typing import Any

from mockingjob.kit import ApiError, Reply, RequestInvalid, leaf, unknown_fields

from .event_kinds import missing

__all__ = ["bad_request", "error_document", "error_reply", "not_found"]

# Query parameters of an enum type (Dropwizard's FuzzyEnumParamConverter names the values in its 400).
_ENUMS = {"filter": "DATASET, JOB", "sort": "NAME, UPDATE_AT", "period": "DAY, WEEK"}
# Query parameters of a Java type a value may fail to become (an int, a NodeId, a RunId): JAX-RS answers 404.
_CONVERTED = ("limit", "offset", "depth", "nodeId", "runId")


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def error_document(status: int, message: str) -> dict[str, Any]:
    """Dropwizard's plain error body."""
    return {"code": status, "message": message}


def _body(status: int, message: str) -> Reply:
    return Reply(error_document(status, message), status)


def _generic(status: int, phrase: str) -> Reply:
    """What Jersey says for a WebApplicationException without a message of its own."""
    return _body(status, f"HTTP {status} {phrase}")


def _invalid(error: RequestInvalid) -> Reply:
    v = error.violation
    name = leaf(v.name)
    if v.location == "path":
        return _generic(404, "Not Found")  # the path value cannot become a NamespaceName, JobName or RunId
    if v.location == "content-type":
        return _generic(415, "Unsupported Media Type")
    if v.location == "query" and v.rule == "minimum":
        return Reply({"errors": [f"query param {name} must be greater than or equal to {v.expected}"]}, 400)
    if v.location == "query" and name == "q" and v.rule != "extra":  # @NotBlank
        return Reply({"errors": ["query param q must not be blank"]}, 400)
    if v.location == "query" and v.rule == "missing" and name == "period":  # StatsResource's own check
        return _body(400, "Invalid period")
    if v.location == "query" and v.rule == "missing":  # a @NotNull query parameter
        return Reply({"errors": [f"query param {name} must not be null"]}, 400)
    if v.location == "query" and name == "type" and v.rule != "extra":
        return _body(400, "query param type must be one of [RUN, JOB, DATASET]")
    if v.location == "query" and name == "lastRunStates" and v.rule != "extra":
        # Dropwizard's FuzzyEnumParamConverterProvider: a 400 naming the parameter and the values it takes.
        return _body(400, "query param lastRunStates must be one of [NEW, RUNNING, COMPLETED, FAILED, ABORTED]")
    if v.location == "query" and v.rule != "extra" and name in _ENUMS:
        return _body(400, f"query param {name} must be one of [{_ENUMS[name]}]")
    if v.location == "query" and v.rule != "extra" and name in ("nodeId", "runId") and v.value == "":
        return Reply({"errors": [f"query param {name} must not be null"]}, 400)  # Jersey reads an empty one as null
    if v.location == "query" and name in ("before", "after") and v.rule == "pattern":  # @Pattern
        return Reply({"errors": [f'query param {name} must match "^\\d{{4}}-\\d{{2}}-\\d{{2}}$"']}, 400)
    if v.location == "query" and name in _CONVERTED and v.rule != "extra":
        return _generic(404, "Not Found")  # not an int: JAX-RS answers a failed query parameter conversion so
    if v.location == "query" and v.rule != "extra":
        return _body(400, f"Invalid query parameter '{name}': {v.message}")
    if v.rule in ("malformed", "encoding"):
        return _body(400, f"Unable to process JSON: {v.message}")
    if v.rule == "anyOf" and v.location == "body" and not v.name and isinstance(v.value, dict) and (
            error.extra.get("operation") == "post_lineage"):
        # Not a run event, a job event or a dataset event: what its kind (by its schemaURL) lacks.
        return Reply({"errors": [f"{name} must not be null" for name in missing(v.value)]}, 422)
    if v.rule in ("required", "missing") and v.location == "body" and error.extra.get("operation") == "post_lineage":
        # A LineageEvent is bound first and then validated (@NotNull): Dropwizard answers a violation with 422.
        return Reply({"errors": [f"{v.name or 'event'} must not be null"]}, 422)
    if v.rule in ("required", "missing"):
        if v.location == "body" and not v.name:
            return _body(400, "Unable to process JSON: the request body is missing")
        return _body(400, f"Unable to process JSON: missing required creator property '{name}'")
    if v.rule == "additionalProperties":
        extra = unknown_fields(v)
        field = extra[0] if extra else name
        return _body(400, f'Unable to process JSON: Unrecognized field "{field}"')
    if v.rule == "extra":
        return _body(400, v.message)
    where = f" (through reference chain: {v.name})" if v.name else ""
    return _body(400, f"Unable to process JSON: {v.message}{where}")


def error_reply(error: ApiError) -> Reply:
    """Marquez's answer to `error` (the kit answers an error a test asked for with `error_document`)."""
    if isinstance(error, RequestInvalid):
        return _invalid(error)
    if error.status == 404 and error.code == "route":
        return _generic(404, "Not Found")
    if error.status == 405:
        return Reply(error_document(405, "HTTP 405 Method Not Allowed"), 405, error.headers)
    if error.status == 415:
        return _generic(415, "Unsupported Media Type")
    if error.status >= 500:
        # Dropwizard's LoggingExceptionMapper: a random id to look the error up in the server log.
        return _body(500, "There was an error processing your request. It has been logged "
                          f"(ID {secrets.token_hex(8)}).")
    return Reply(error_document(error.status, error.detail), error.status, error.headers)
