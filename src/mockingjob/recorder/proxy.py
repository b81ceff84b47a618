"""The recording proxy: an ASGI app that forwards each request to the real service as it came, answers with the
real answer, and hands the exchange to the `Recording` once the client has it."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
from starlette.types import Receive, Scope, Send

from ..core.errors import ApiError
from ..core.pack import Pack, Reply
from .exchanges import Exchange
from .recording import Recording

__all__ = ["Proxy"]

log = logging.getLogger("mockingjob")

# Headers that describe one connection, not the message (RFC 9110 §7.6.1), and those the proxy sets itself.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                         "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
# Not forwarded: httpx addresses the real service and frames the body; it asks for the encodings it can decode.
_NOT_FORWARDED = _HOP_BY_HOP | {"host", "content-length", "accept-encoding"}
# Not answered: httpx has decoded the body, so its encoding and length are the proxy's to tell.
_NOT_ANSWERED = _HOP_BY_HOP | {"content-encoding", "content-length"}

UPSTREAM_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
"""A real service's slow answer (a large list) is still an answer; one that takes longer is a 502."""


class Proxy:
    """Forwards to `upstream` (a base URL: its path, if any, prefixes every request's); `added_headers` go with
    every request, replacing the client's of the same name. `on_stop` runs once the server has stopped."""

    def __init__(self, pack: Pack, upstream: str, recording: Recording, *,
                 added_headers: Sequence[tuple[str, str]] = (), on_stop: Callable[[], None] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.pack = pack
        self.upstream = httpx.URL(upstream)
        self.prefix = self.upstream.raw_path.rstrip(b"/")
        self.recording = recording
        self.added_headers = list(added_headers)
        self._added_names = {name.lower() for name, _ in self.added_headers}
        self.on_stop = on_stop
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._exchange(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, transport=self._transport)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                if self.on_stop is not None:
                    self.on_stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _exchange(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive)
        if body is None:  # the client left before it had sent its request: nothing to forward
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        exchange = Exchange(at=datetime.now(UTC), method=scope["method"], path=scope["path"],
                            raw_path=raw_path.decode("latin-1"), query=query.decode("latin-1"),
                            request_headers=headers, request_body=body)
        started = time.perf_counter()
        try:
            upstream = await self._forward(exchange, raw_path, query)
        except Exception as exc:  # any failure to get an answer is the real service's: the client gets a 502
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            log.error("%s: %s %s: %s did not answer: %s", self.pack.name, exchange.method,
                      self.recording.secrets.text(exchange.path), self.recording.origin,
                      self.recording.secrets.text(exchange.error))
            # Rendered as a fault is (code "fault"): the API's plain error document, with exactly this status.
            detail = f"The upstream service did not answer: {self.recording.secrets.text(exchange.error)}"
            response = _Answer.of_reply(self.pack.render_error(ApiError(502, detail, code="fault")))
        else:
            exchange.status, exchange.response_body = upstream.status_code, upstream.content
            exchange.response_headers = list(upstream.headers.multi_items())
            response = _Answer.of_upstream(upstream, head=exchange.method == "HEAD")
        exchange.latency_ms = (time.perf_counter() - started) * 1000
        exchange.at = datetime.now(UTC)
        await response(scope, receive, send)
        self.recording.take(exchange)

    async def _forward(self, exchange: Exchange, raw_path: bytes, query: bytes) -> httpx.Response:
        if self._client is None:  # served without a lifespan (an ASGI transport)
            self._client = httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT, transport=self._transport)
        url = self.upstream.copy_with(raw_path=self.prefix + raw_path + (b"?" + query if query else b""))
        headers = [(name, value) for name, value in _without_connection_headers(exchange.request_headers,
                                                                                 _NOT_FORWARDED)
                   if name.lower() not in self._added_names] + self.added_headers
        return await self._client.request(exchange.method, url, headers=headers, content=exchange.request_body)


def _without_connection_headers(headers: list[tuple[str, str]], dropped: frozenset[str]) -> list[tuple[str, str]]:
    """`headers` less those named in `dropped` and those the Connection header names (its own options)."""
    named = {token.strip().lower() for name, value in headers if name.lower() == "connection"
             for token in value.split(",")}
    return [(name, value) for name, value in headers if name.lower() not in dropped | named]


class _Answer:
    """An answer to the client as ASGI messages."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @classmethod
    def of_upstream(cls, upstream: httpx.Response, *, head: bool) -> _Answer:
        """The real answer: its status, its headers (less the connection's), its body as httpx decoded it (so
        with its decoded length)."""
        raw = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in upstream.headers.raw]
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                   for name, value in _without_connection_headers(raw, _NOT_ANSWERED)]
        status, body = upstream.status_code, upstream.content
        # A HEAD answer has no body, but the length of the one a GET would get is the real service's to tell.
        length = upstream.headers.get("content-length") if head else str(len(body))
        if length is not None and status >= 200 and status not in (204, 304):
            headers.append((b"content-length", length.encode("latin-1")))
        return cls(status, headers, body)

    @classmethod
    def of_reply(cls, reply: Reply) -> _Answer:
        """The proxy's own answer (an error in the API's shape), encoded as the mock encodes its answers."""
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body, ensure_ascii=False).encode()
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers.items()]
        headers += [(b"content-type", reply.media_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
        return cls(reply.status, headers, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


async def _body(receive: Receive) -> bytes | None:
    """The request's whole body; None if the client disconnected first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
