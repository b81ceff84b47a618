"""Turning replies and errors into HTTP responses.

Every error, whoever raised it — a handler, connexion's validation or routing, or a bug — ends up here and is
rendered by the pack that owns the request's path, so each API answers errors in its own shape. A bug still
answers in the API's shape with status 500, and is logged with its traceback; the client never sees one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from connexion.exceptions import (
    ExtraParameterProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from .errors import ApiError, RequestInvalid, Violation
from .pack import Pack, Reply

__all__ = ["as_api_error", "encode_json", "to_connexion_response", "to_response"]

log = logging.getLogger("mockingjob")


def encode_json(body: Any) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate a client sent in: JSON can carry it only escaped
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def _encode(reply: Reply) -> bytes | None:
    if reply.body is None:
        return None
    if isinstance(reply.body, bytes):
        return reply.body
    if isinstance(reply.body, str) and "json" not in reply.media_type:
        return reply.body.encode("utf-8")
    return encode_json(reply.body)


def to_response(reply: Reply) -> Response:
    body = _encode(reply)
    media_type = reply.media_type if body is not None else None
    return Response(body, status_code=reply.status, headers=reply.headers, media_type=media_type)


def to_connexion_response(reply: Reply) -> ConnexionResponse:
    body = _encode(reply)
    return ConnexionResponse(
        status_code=reply.status,
        mimetype=reply.media_type if body is not None else None,
        content_type=reply.media_type if body is not None else None,
        body=body if body is not None else b"",
        headers=reply.headers,
    )


def as_api_error(exc: BaseException) -> ApiError:
    """Translate whatever was raised into an `ApiError` a pack can render."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ExtraParameterProblem):
        return RequestInvalid(Violation("query", "", "extra", str(exc.detail)))
    if isinstance(exc, UnsupportedMediaTypeProblem):
        return RequestInvalid(Violation("content-type", "", "media-type", str(exc.detail)), status=415)
    if isinstance(exc, ProblemException):
        if exc.status == 400 and exc.detail == "RequestBody is required":  # raised before our body validator
            return RequestInvalid(Violation("body", "", "missing", str(exc.detail)))
        if exc.status == 400:
            return RequestInvalid(Violation("request", "", "invalid", str(exc.detail or exc.title)))
        if exc.status >= 500:
            log.error("connexion reported a server problem: %s", exc.detail)
        return ApiError(exc.status, str(exc.detail or exc.title), headers=dict(exc.headers or {}))
    if isinstance(exc, HTTPException):
        return ApiError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}),
                        code="route" if exc.status_code == 404 else None)
    log.error("unhandled error while serving a request", exc_info=exc)
    return ApiError(500, "Internal Server Error", code="bug")


def render(pack: Pack | None, exc: BaseException) -> Reply:
    error = as_api_error(exc)
    if pack is None:
        return Reply({"detail": error.detail}, error.status, error.headers)
    try:
        reply = pack.render_error(error)
    except Exception:  # a renderer bug must not turn into a traceback either
        log.exception("error renderer of pack %s failed", pack.name)
        return Reply({"detail": "Internal Server Error"}, 500)
    for name, value in error.headers.items():
        reply.headers.setdefault(name, value)
    if error.code in ("fault", "scenario") and reply.status != error.status:
        # A test asked for this very status (a fault or a scenario): it gets it, whatever the pack's mapping.
        log.warning("pack %s rendered a %s error as %s; answering %s", pack.name, error.code, reply.status,
                    error.status)
        reply.status = error.status
    return reply
