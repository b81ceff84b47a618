"""The outermost ASGI layer of every API request: faults before, redaction and the journal after.

It stands outside connexion so that it sees every answer, connexion's own 400s and 404s included, and the
server's raw connection, which a dropped-connection fault closes. Requests for the admin API, the Swagger UI
and the specs pass straight through and are not journaled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ApiError
from ..rendering import encode_json, render
from . import faults
from .redact import Secrets

if TYPE_CHECKING:
    from ..app import MockApp

__all__ = ["EXCHANGE", "ControlMiddleware", "Exchange"]

log = logging.getLogger("mockingjob")

EXCHANGE = "mockingjob.exchange"
"""Scope key of the `Exchange` of the request being served."""

_CAPTURED_BYTES = 1 << 20  # request bodies beyond this are journaled truncated
_STORED_CHARS = 64 * 1024
_RECENT_SECRETS = 256
_REMEMBERED_LENGTH = 6


@dataclass
class Exchange:
    """What the layers of one request learn about it, for the journal."""

    api: str
    operation: str | None
    scenario: int | None = None
    effect: Any = None
    """The scenario's or Prefer header's `Effect`, if one applied."""


class ConnectionDropped(Exception):
    """Raised where no server connection can be closed (in-process test clients): the client sees an error."""


class ControlMiddleware:
    def __init__(self, app: ASGIApp, mock: MockApp, route: Callable[[str, str], tuple[str, str | None] | None],
                 rng: random.Random | None = None) -> None:
        self.app = app
        self.mock = mock
        self.route = route
        self.rng = rng or random.Random()
        # Secrets seen lately, in this process only (they are never stored): the journal scrubs them from
        # later exchanges too.
        self.recent_secrets: dict[str, None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = self.route(scope["path"], scope["method"])
        if target is None:
            await self.app(scope, receive, send)
            return
        api, operation = target
        exchange = Exchange(api, operation)
        scope[EXCHANGE] = exchange
        started = time.perf_counter()
        pack = self.mock.packs[api]
        control = self.mock.control
        fault = faults.roll(self.mock.store, control, api, operation, self.rng)

        chunks: list[bytes] = []
        size = 0

        async def capturing_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size < _CAPTURED_BYTES:
                chunk = message.get("body", b"")
                chunks.append(chunk[: _CAPTURED_BYTES - size])
                size += len(chunk)
            return message

        start_message: Message | None = None
        body_parts: list[bytes] = []

        async def buffering_send(message: Message) -> None:
            nonlocal start_message
            if message["type"] == "http.response.start":
                start_message = message
            elif message["type"] == "http.response.body":
                body_parts.append(message.get("body", b""))

        status: int | None = None
        response_body = b""
        response_type: str | None = None
        own_secrets: Secrets | None = None
        try:
            if fault.drop and not fault.drop_after:
                await self._drain(capturing_receive)
                await self._delay(fault)
                await _drop(send)
                return
            if fault.error_status is not None:
                await self._drain(capturing_receive)
                error = ApiError(fault.error_status, fault.error_message, code="fault",
                                 headers=fault.error_headers)
                reply = render(pack, error)
                status, response_body = reply.status, encode_json(reply.body) if reply.body is not None else b""
                response_type = reply.media_type
                headers = [(b"content-type", reply.media_type.encode()), *(
                    (k.lower().encode(), v.encode()) for k, v in reply.headers.items())]
                start_message = {"type": "http.response.start", "status": status, "headers": headers}
            else:
                await self.app(scope, capturing_receive, buffering_send)
                if start_message is None:
                    return
                status = int(start_message["status"])
                response_body = b"".join(body_parts)
                response_type = _header(start_message, b"content-type")
            # The request has been handled: a slow answer, or none at all, changes nothing it did.
            await self._delay(fault)
            if fault.drop:
                status = None
                await _drop(send)
                return
            secrets = own_secrets = self._secrets(pack, scope, b"".join(chunks))
            if status >= 400 and secrets.values:
                # An error message may quote the request it refuses: never hand a secret back.
                scrubbed = secrets.redact_body(response_body, response_type, structural=True)
                if scrubbed is not None and scrubbed.encode() != response_body and _is_json(response_type):
                    response_body = scrubbed.encode()
            headers = [(k, v) for k, v in start_message["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(response_body)).encode()))
            await send({**start_message, "headers": headers})
            await send({"type": "http.response.body", "body": response_body})
        finally:
            self._journal(scope, exchange, chunks, status, response_body, response_type, fault, started,
                          own_secrets)

    async def _delay(self, fault: faults.FaultOutcome) -> None:
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)

    async def _drain(self, receive: Receive) -> None:
        """Read the request body (for the journal) before answering without the app."""
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    def _secrets(self, pack: Any, scope: Scope, body: bytes) -> Secrets:
        """The secrets this request carries (by field name), which its own answer must not repeat."""
        secrets = Secrets(extra_names=pack.secret_fields)
        secrets.from_headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        secrets.from_query(scope.get("query_string", b"").decode("latin-1"))
        if body:
            try:
                secrets.from_document(json.loads(body))
            except (ValueError, RecursionError):  # not JSON (or too deep): look for "name": "value" pairs
                secrets.from_text(body.decode("utf-8", errors="replace"))
        return secrets

    def _with_recent(self, secrets: Secrets) -> Secrets:
        """`secrets` and those recent requests carried, which a later answer may repeat (a password a client
        put in a run's parameters, say): the journal hides them too."""
        for value in secrets.values:
            if len(value) >= _REMEMBERED_LENGTH:  # short values would be found in innocent text
                self.recent_secrets.pop(value, None)
                self.recent_secrets[value] = None
        while len(self.recent_secrets) > _RECENT_SECRETS:
            self.recent_secrets.pop(next(iter(self.recent_secrets)))
        return Secrets(extra_names=secrets.extra_names, values=secrets.values | set(self.recent_secrets))

    def _journal(self, scope: Scope, exchange: Exchange, chunks: list[bytes], status: int | None,
                 response_body: bytes, response_type: str | None, fault: faults.FaultOutcome,
                 started: float, own_secrets: Secrets | None) -> None:
        try:
            pack = self.mock.packs[exchange.api]
            request_body = b"".join(chunks)
            secrets = self._with_recent(own_secrets or self._secrets(pack, scope, request_body))
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
            request_type = next((v for k, v in headers if k.lower() == "content-type"), None)
            self.mock.journal.add(
                at=datetime.now(UTC),
                api=exchange.api,
                operation=exchange.operation,
                method=scope["method"],
                path=scope["path"],
                query=secrets.redact_query(scope.get("query_string", b"").decode("latin-1")),
                status=status,
                latency_ms=(time.perf_counter() - started) * 1000,
                request_headers=secrets.redact_headers(headers),
                request_body=_clip(secrets.redact_body(request_body, request_type)),
                response_body=_clip(secrets.redact_body(response_body, response_type)),
                fault=fault.label,
                scenario=exchange.scenario,
                effect=exchange.effect.to_json() if exchange.effect else None,
            )
        except Exception:  # the journal must never break the answer the client already has
            log.exception("could not journal a request")


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _is_json(media_type: str | None) -> bool:
    return media_type is not None and "json" in media_type


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _STORED_CHARS:
        return text
    return text[:_STORED_CHARS] + "…"


async def _drop(send: Send) -> None:
    """Close the client's connection without a byte of answer."""
    # uvicorn's send is a bound method of the request cycle, which holds the connection's transport.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDropped("the fault dropped this connection")
    transport.close()
    # Let the server notice the disconnect, so it does not try to answer with a 500 instead.
    for _ in range(3):
        await asyncio.sleep(0)
