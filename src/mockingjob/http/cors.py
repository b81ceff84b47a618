"""CORS for the mocked APIs (``serve --cors ORIGIN``), so that a web page on another origin can call them.

It stands outside the request pipeline: a preflight is answered here, as an API gateway answers it, before any
routing, fault, latency or journal entry (and never as the API's 405 for OPTIONS); every other answer, errors
and faults in each API's own shape included, leaves with the CORS headers a browser needs to read it. A request
from an origin not allowed passes through untouched, so the browser withholds its answer; its preflight is
refused (403). The admin API (``/_mockingjob/``) takes part only when it asks for a token (``--admin-token``):
otherwise it answers loopback clients, and no web page should drive it.

Starlette's CORSMiddleware was not used: it answers a preflight 200 rather than 204, refuses one with a 400 that
still carries its CORS headers, adds its Expose-Headers and Allow-Credentials to answers for origins it does not
allow, and exposes a fixed list of headers where each answer here has its own (Location, Link, Retry-After,
Mockingjob-Lint…).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALLOWED_METHODS", "MAX_AGE", "Cors"]

ALLOWED_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
MAX_AGE = "600"
"""Seconds a browser may reuse a preflight's answer: short, so that a changed ``--cors`` is soon noticed."""

# Headers a script reads without their being exposed (the Fetch standard's CORS-safelisted response headers),
# and those it can never read or has no use for.
_NOT_EXPOSED = frozenset({b"cache-control", b"content-language", b"content-length", b"content-type", b"expires",
                          b"last-modified", b"pragma", b"set-cookie", b"vary", b"connection", b"date", b"server"})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class Cors:
    """The ASGI layer answering preflights and marking answers for the allowed origins (``*``: any)."""

    def __init__(self, app: ASGIApp, origins: Iterable[str], *, closed: Iterable[str] = ()) -> None:
        """`closed`: path prefixes that never take part in CORS."""
        self.app = app
        listed = {origin.rstrip("/").lower() for origin in origins}
        self.any_origin = "*" in listed
        self.origins = frozenset(origin.encode("latin-1") for origin in listed - {"*"})
        self.closed = tuple(prefix.rstrip("/") for prefix in closed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or self._is_closed(scope["path"]):
            await self.app(scope, receive, send)
            return
        allowed = self.any_origin or origin.lower() in self.origins
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await self._preflight(scope, send, origin if allowed else None)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return
        # A request with cookies is a credentialed one, for which a browser refuses "*".
        explicit = not self.any_origin or origin.lower() in self.origins or _header(scope, b"cookie") is not None
        await self.app(scope, receive, _MarkedAnswer(send, self._allow(origin, explicit)).send)

    def _is_closed(self, path: str) -> bool:
        return any(path == prefix or path.startswith(prefix + "/") for prefix in self.closed)

    def _allow(self, origin: bytes, explicit: bool) -> list[tuple[bytes, bytes]]:
        """The headers allowing `origin`: by name (credentials allowed too), or as any origin."""
        if not explicit:
            return [(b"access-control-allow-origin", b"*")]
        return [(b"access-control-allow-origin", origin), (b"access-control-allow-credentials", b"true"),
                (b"vary", b"Origin")]

    async def _preflight(self, scope: Scope, send: Send, origin: bytes | None) -> None:
        """Answer a preflight: 204 with what the actual request may be, or 403 for an origin not allowed."""
        if origin is None:
            body = b"CORS: this origin is not allowed (see mockingjob serve --cors)"
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()), (b"vary", b"Origin")]})
            await send({"type": "http.response.body", "body": body})
            return
        headers = self._allow(origin, explicit=not self.any_origin or origin.lower() in self.origins)
        if not any(name == b"vary" for name, _ in headers):
            headers.append((b"vary", b"Origin"))
        headers += [(b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                    (b"access-control-max-age", MAX_AGE.encode())]
        requested = _header(scope, b"access-control-request-headers")
        if requested:
            headers.append((b"access-control-allow-headers", requested))  # whatever headers the client sends
        if (_header(scope, b"access-control-request-private-network") or b"").lower() == b"true":
            headers.append((b"access-control-allow-private-network", b"true"))  # a public page calling loopback
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


class _MarkedAnswer:
    """`send`, adding the CORS headers to the answer's start, and exposing every header it carries."""

    def __init__(self, send: Send, allow: list[tuple[bytes, bytes]]) -> None:
        self._send = send
        self._allow = allow
        # The pipeline's dropped-connection fault closes the server's transport, which it finds beside `send`.
        self.transport = getattr(getattr(send, "__self__", None), "transport", None)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(bytes(name).lower(), bytes(value)) for name, value in message.get("headers", [])]
            exposed = sorted({name for name, _ in headers
                              if name not in _NOT_EXPOSED and not name.startswith(b"access-control-")})
            for name, value in self._allow:
                if name == b"vary":
                    headers = _with_vary(headers, value)
                else:
                    headers.append((name, value))
            if exposed:
                headers.append((b"access-control-expose-headers", b", ".join(exposed)))
            message = {**message, "headers": headers}
        await self._send(message)


def _with_vary(headers: list[tuple[bytes, bytes]], field: bytes) -> list[tuple[bytes, bytes]]:
    """`headers` with `field` in their Vary header (added to one the answer has)."""
    for index, (name, value) in enumerate(headers):
        if name == b"vary":
            fields = {part.strip().lower() for part in value.split(b",")}
            if field.lower() not in fields and b"*" not in fields:
                headers[index] = (name, value + b", " + field)
            return headers
    return [*headers, (b"vary", field)]
