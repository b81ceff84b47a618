"""How the Trifacta v4 API says no: every error is ``{"exception": {"name": ..., "message": ...}}``, and
every request needs ``Authorization: Bearer <access token>``."""

from __future__ import annotations

from mockingjob.kit import ApiError, Reply, RequestInvalid, TokenAuth, media_type_of

# The exception name for each status when the handler gave none (the names the v4 gateway is known to use
# where there is one).
_NAMES = {
    400: "ApiValidationFailed",
    401: "Unauthorized",
    403: "AccessControlException",
    404: "ObjectNotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

VALIDATION = "ApiValidationFailed"
ROUTE_NOT_FOUND = "RouteNotFoundException"

# A bearer access token is required on every request; any non-empty one unless tokens were configured. A
# header that is not exactly ``Bearer <token>`` (another scheme, no token, a token with spaces) is told so.
AUTH = TokenAuth("Bearer", 401, {
    "missing": "Authentication required: send 'Authorization: Bearer <access token>'",
    "unknown-token": "Invalid access token",
    "default": "Authorization header must be 'Bearer <access token>'",
}, headers={"WWW-Authenticate": "Bearer"}, code="Unauthorized")


def not_found(kind: str, ident: int) -> ApiError:
    return ApiError(404, f"{kind} with id {ident} does not exist", code="ObjectNotFound")


def invalid(message: str, **details: object) -> ApiError:
    return ApiError(400, message, code=VALIDATION, extra={"details": details} if details else None)


def _body(name: str, message: str, details: object = None) -> dict[str, object]:
    exception: dict[str, object] = {"name": name, "message": message}
    if details:
        exception["details"] = details
    return {"exception": exception}


def error_document(status: int, message: str) -> dict[str, object]:
    """The plain error body: the exception name the gateway uses for `status`, and `message`."""
    return _body(_NAMES.get(status, "ApiError"), message)


def _invalid(error: RequestInvalid) -> Reply:
    v = error.violation
    if v.location == "path":
        # An id that cannot exist names no object; the real service answers such paths with a 404.
        return Reply(_body(ROUTE_NOT_FOUND, "Not Found"), 404)
    if v.location == "content-type":
        return Reply(_body("UnsupportedMediaType", f"Unsupported content type: {media_type_of(v)}".strip()), 415)
    where = {"query": "query parameter", "header": "header", "body": "request body"}.get(v.location, v.location)
    if v.rule in ("malformed", "encoding"):
        message = f"Malformed JSON in request body: {v.message}"
    elif v.rule == "missing" and v.location == "body" and not v.name:
        message = "Request body is required"
    elif v.rule == "extra":
        message = f"Unknown {where}: {v.name}"
    elif v.name:
        message = f"Invalid {where} '{v.name}': {v.message}"
    else:
        message = f"Invalid {where}: {v.message}"
    details = {"location": v.location, "field": v.name or None, "rule": v.rule}
    return Reply(_body(VALIDATION, message, {k: val for k, val in details.items() if val}), 400)


def error_reply(error: ApiError) -> Reply:
    """Every error but one a test asked for (the kit answers that with `error_document`, at its status)."""
    if isinstance(error, RequestInvalid):
        return _invalid(error)
    if error.status == 404 and error.code == "route":
        return Reply(_body(ROUTE_NOT_FOUND, "Not Found"), 404)
    if error.status == 405:
        method = error.extra.get("method") or "This method"
        return Reply(_body("MethodNotAllowed", f"{method} is not allowed on this route"), 405, error.headers)
    if error.status >= 500:
        return Reply(_body("InternalServerError", "An internal error occurred"), 500)
    name = error.code if error.code and error.code[0].isupper() else _NAMES.get(error.status, "ApiError")
    return Reply(_body(name, error.detail, error.extra.get("details")), error.status, error.headers)
