"""Turning replies and errors into HTTP responses: the one way any answer becomes bytes.

Every error, whoever raised it — a handler, connexion's validation or routing, a fault, or a bug — is rendered
here by the pack that owns the request's path, so each API answers errors in its own shape. A bug still
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
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..core.errors import ASKED_FOR, ApiError, RequestInvalid, Violation
from ..core.pack import Pack, Reply
from .routing import Route

__all__ = ["as_api_error", "encode_json", "error_reply", "respond"]

log = logging.getLogger("mockingjob")


def encode_json(body: Any) -> bytes:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate a client sent in: JSON can carry it only escaped
        return json.dumps(body, separators=(",", ":")).encode("ascii")


def respond(reply: Reply) -> Response:
    """The response for `reply`. Its body is JSON-encoded unless it is bytes, or text of a non-JSON type."""
    body = reply.body
    if body is None:
        return Response(None, status_code=reply.status, headers=reply.headers)
    if isinstance(body, str) and "json" not in reply.media_type:
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = encode_json(body)
    return Response(body, status_code=reply.status, headers=reply.headers, media_type=reply.media_type)


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


def error_reply(route: Route | None, exc: BaseException, method: str = "") -> Reply:
    """The answer to `exc`, in the shape of the API that owns the request.

    An error a test asked for (a fault or a scenario: ``error.code`` in `ASKED_FOR`) keeps exactly its status,
    whatever the pack would map it to. The kit's `Pack` gives such an error the API's plain error document; this
    holds the status for every pack, the admin API and packs written without the kit included.
    """
    error = as_api_error(exc)
    error.extra.setdefault("method", method)
    if route is not None and route.operation is not None:  # some APIs word an error by the operation
        error.extra.setdefault("operation", route.operation)
    if error.status == 405 and route is not None and route.allowed:
        # Starlette lists only the methods of the one route it matched; the spec knows them all.
        error.headers["Allow"] = ", ".join(route.allowed)
    pack: Pack | None = route.pack if route is not None else None
    if pack is None:
        return Reply({"detail": error.detail}, error.status, error.headers)
    try:
        reply = pack.render_error(error)
    except Exception:  # a renderer bug must not turn into a traceback either
        log.exception("error renderer of pack %s failed", pack.name)
        return Reply({"detail": "Internal Server Error"}, 500)
    for name, value in error.headers.items():
        reply.headers.setdefault(name, value)
    if error.code in ASKED_FOR and reply.status != error.status:
        log.warning("pack %s rendered a %s error as %s; answering %s", pack.name, error.code, reply.status,
                    error.status)
        reply.status = error.status
    return reply
