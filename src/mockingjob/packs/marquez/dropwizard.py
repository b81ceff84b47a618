"""Dropwizard (Jersey + Jackson) conventions as Marquez serves them: error bodies and instants.

Marquez answers errors with Dropwizard's ``{"code": N, "message": "..."}``; a query parameter that breaks its
``@Min`` constraint gets Dropwizard's ``{"errors": [...]}``; a path or query value that cannot be converted to
its Java type is, by the JAX-RS rules, a plain 404.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from mockingjob.errors import ApiError, RequestInvalid
from mockingjob.pack import Reply
from mockingjob.timeutil import UTC, to_utc

__all__ = ["bad_request", "format_instant", "not_found", "parse_instant", "render_error"]


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def _body(status: int, message: str) -> Reply:
    return Reply({"code": status, "message": message}, status)


def _generic(status: int, phrase: str) -> Reply:
    """What Jersey says for a WebApplicationException without a message of its own."""
    return _body(status, f"HTTP {status} {phrase}")


def _invalid(error: RequestInvalid) -> Reply:
    v = error.violation
    name = v.name.split(".")[-1] if v.name else v.name
    if v.location == "path":
        return _generic(404, "Not Found")  # the path value cannot become a NamespaceName, JobName or RunId
    if v.location == "content-type":
        return _generic(415, "Unsupported Media Type")
    if v.location == "query" and v.rule == "minimum":
        return Reply({"errors": [f"query param {name} must be greater than or equal to {v.expected}"]}, 400)
    if v.location == "query" and name in ("limit", "offset") and v.rule != "extra":
        return _generic(404, "Not Found")  # not an int: JAX-RS answers a failed query parameter conversion so
    if v.location == "query" and v.rule != "extra":
        return _body(400, f"Invalid query parameter '{name}': {v.message}")
    if v.rule in ("malformed", "encoding"):
        return _body(400, f"Unable to process JSON: {v.message}")
    if v.rule in ("required", "missing"):
        if v.location == "body" and not v.name:
            return _body(400, "Unable to process JSON: the request body is missing")
        return _body(400, f"Unable to process JSON: missing required creator property '{name}'")
    if v.rule == "additionalProperties":
        extra = re.findall(r"'([^']+)'", v.message)
        field = extra[0] if extra else name
        return _body(400, f'Unable to process JSON: Unrecognized field "{field}"')
    if v.rule == "extra":
        return _body(400, v.message)
    where = f" (through reference chain: {v.name})" if v.name else ""
    return _body(400, f"Unable to process JSON: {v.message}{where}")


def render_error(error: ApiError) -> Reply:
    if isinstance(error, RequestInvalid):
        return _invalid(error)
    if error.status == 404 and error.code == "route":
        return _generic(404, "Not Found")
    if error.status == 405:
        return Reply({"code": 405, "message": "HTTP 405 Method Not Allowed"}, 405, error.headers)
    if error.status == 415:
        return _generic(415, "Unsupported Media Type")
    if error.code in ("fault", "scenario"):  # a test asked for exactly this status
        return Reply({"code": error.status, "message": error.detail}, error.status, error.headers)
    if error.status >= 500:
        # Dropwizard's LoggingExceptionMapper: a random id to look the error up in the server log.
        return _body(500, "There was an error processing your request. It has been logged "
                          f"(ID {secrets.token_hex(8)}).")
    return Reply({"code": error.status, "message": error.detail}, error.status, error.headers)


# --- instants ------------------------------------------------------------------------------------------

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)


def parse_instant(name: str, text: str) -> datetime:
    """Parse an ISO-8601 instant as ``java.time.Instant`` does (nanoseconds are cut to microseconds)."""
    match = _INSTANT.match(text)
    if match is None:
        raise bad_request(f"Text '{text}' could not be parsed at index 0 ({name})")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         int((fraction or "0")[:6].ljust(6, "0")), tzinfo=UTC)
        if zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            value -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"Text '{text}' could not be parsed: {exc} ({name})") from exc
    return value


def format_instant(value: datetime | None) -> str | None:
    """``Instant.toString()``: UTC with ``Z``, fraction digits in groups of three, none when zero."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the store hands out UTC already
        value = to_utc(value)
    # printf-style formatting: several times faster than strftime, and every served instant comes through here.
    # "%d" for the year, as glibc's strftime("%Y") writes it (unpadded before year 1000).
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    micro = value.microsecond
    if micro == 0:
        return "%d-%02d-%02dT%02d:%02d:%02dZ" % fields  # noqa: UP031
    if micro % 1000 == 0:
        return "%d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (*fields, micro // 1000)  # noqa: UP031
    return "%d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (*fields, micro)  # noqa: UP031
