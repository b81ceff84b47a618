"""The outermost ASGI layer: each request is routed once here; then faults before, redaction and the journal after.

It stands outside connexion so that it sees every answer, connexion's own 400s and 404s included, and the
server's raw connection, which a dropped-connection fault closes. It creates the request's `Exchange`, which
the inner layers read (and the endpoint completes with the effect it applied). Requests for the admin API, the
Swagger UI and the specs are routed too, but not journaled or faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import zlib
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..control.faults import FaultOutcome
from ..control.plane import ControlPlane
from ..control.recording import NOT_PARSED, Exchanged
from ..control.redact import Secrets
from ..core.errors import ApiError
from ..core.lint import HEADER, Finding, bounded, scrubbed
from .answer_memo import AnswerMemo
from .rendering import error_reply, respond
from .routing import ENCODED_SLASH, EXCHANGE, Exchange, Route, Router
from .validation import PARSED_BODY

__all__ = ["BadlyEncodedBody", "BodyTooLarge", "ConnectionDropped", "RequestPipeline", "UnreadableBody"]

log = logging.getLogger("mockingjob")

_CAPTURED_BYTES = 1 << 20  # request bodies beyond this are journaled truncated
_LINT_HEADER = HEADER.lower().encode()
MAX_LINT_HEADERS = 20
"""Findings sent as header lines, at most (the rest summed up in one more line): many HTTP clients refuse an
answer with a hundred header lines. The journal entry keeps up to `MAX_FINDINGS`."""
MAX_FINDINGS = 1000
lint_log = logging.getLogger("mockingjob.lint")


class ConnectionDropped(Exception):
    """Raised where no server connection can be closed (in-process test clients): the client sees an error."""


class UnreadableBody(ApiError):
    """A request body refused while it is read, where nothing else renders the refusal."""


class BodyTooLarge(UnreadableBody):
    """A request body over the server's limit: refused before it is read whole (and the connection closed, so
    that the rest of it is never read either). A compressed body is held to the limit once decompressed too."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request body too large: the limit is {limit} bytes", code="too_large",
                         headers={"Connection": "close"})


class BadlyEncodedBody(UnreadableBody):
    """A request body that is not in the ``Content-Encoding`` it says (as Java's GZIPInputStream words it)."""

    def __init__(self) -> None:
        super().__init__(400, "Not in GZIP format", code="encoding")


def _content_encoding(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-encoding":
            return value.decode("latin-1").strip().lower()
    return None


def _decompressed(scope: Scope, receive: Receive, limit: int | None) -> Receive:
    """`receive` giving the gzip body decompressed, in one message, no longer than `limit`; the headers no more
    say it is compressed, nor how long it is."""
    scope["headers"] = [(name, value) for name, value in scope["headers"]
                        if name not in (b"content-encoding", b"content-length")]
    read = False

    async def decompressing_receive() -> Message:
        nonlocal read
        if read:
            return await receive()
        compressed: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            compressed.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        read = True
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a gzip header and trailer around deflate
        try:
            body = inflater.decompress(b"".join(compressed), 0 if limit is None else limit + 1)
        except zlib.error as exc:
            raise BadlyEncodedBody() from exc
        if limit is not None and (len(body) > limit or inflater.unconsumed_tail):
            raise BodyTooLarge(limit)
        if not inflater.eof:
            raise BadlyEncodedBody()
        return {"type": "http.request", "body": body, "more_body": False}

    return decompressing_receive


def _normalise_media_type(scope: Scope) -> None:
    """Media types are case-insensitive (``APPLICATION/JSON``), and may have spaces before their parameters;
    connexion matches them as written. The Content-Type is rewritten as ``type/subtype; params`` in lower case
    (the parameters' values kept) before anything reads it."""
    headers = scope["headers"]
    for index, (name, value) in enumerate(headers):
        if name == b"content-type":
            media_type, separator, parameters = value.partition(b";")
            normal = media_type.strip().lower() + (b"; " + parameters.strip() if separator else b"")
            if normal != value:
                headers = scope["headers"] = list(headers)
                headers[index] = (name, normal)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


class RequestPipeline:
    def __init__(self, app: ASGIApp, router: Router, plane: ControlPlane, rng: random.Random | None = None,
                 max_body: int | None = None, strict: bool = False, memo: AnswerMemo | None = None) -> None:
        self.app = app
        self.memo = memo
        self.router = router
        self.plane = plane
        self.rng = rng or random.Random()
        self.max_body = max_body
        self.strict = strict

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _normalise_media_type(scope)
        shown_path = scope["path"]  # as the client's path reads, for the journal and the log
        _keep_encoded_slashes(scope)
        route = self.router.route(scope["path"], scope["method"])
        if route.spelled is not None:
            route = _case_folded(scope, route, self.strict)
        exchange = scope[EXCHANGE] = Exchange(route, strict=self.strict)
        if route.spelled is not None and route.pack is not None:
            exchange.findings.append(Finding("path", "case-folded", route.pack.path_case_note or ""))
        limit = self.max_body
        too_large: BodyTooLarge | None = None  # declared too large: refused without reading a byte of it
        if limit is not None:
            length = _declared_length(scope)
            if length is not None and length > limit:
                too_large = BodyTooLarge(limit)
            receive = _limited(receive, limit)
        encoding = _content_encoding(scope) if route.pack is not None else None
        if encoding is not None and route.pack is not None and encoding in route.pack.request_encodings:
            receive = _decompressed(scope, receive, limit)
        if not route.journaled or route.pack is None:
            try:
                if too_large is not None:
                    raise too_large
                await self.app(scope, receive, send)
            except UnreadableBody as exc:  # raised where nothing renders it, once a body has been read too far
                await respond(error_reply(route, exc, scope["method"]))(scope, receive, send)
            return
        pack = route.pack
        started = time.perf_counter()
        # One read of what the answer depends on (no SQL on a private store): the faults and the memo use it.
        generations = self.plane.generations(pack.name) if self.memo is not None or not self.plane.store.private \
            else None
        fault = self.plane.fault(pack.name, route.operation, self.rng, generations)

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
        secrets: Secrets | None = None
        recorder = self.plane.recorder
        headers_text = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode("latin-1")
        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            effect = exchange.effect.to_json() if exchange.effect else None
            recorder.record(pack, Exchanged(
                route.operation, scope["method"], shown_path, query, headers_text, b"".join(chunks), status,
                response_body, response_type, (time.perf_counter() - started) * 1000, fault.label,
                exchange.scenario, effect, scope.get(PARSED_BODY, NOT_PARSED),
                [finding.to_json() for finding in exchange.findings]), secrets,
                None if generations is None else generations[3])
        try:
            if fault.drop and not fault.drop_after and too_large is None:
                with contextlib.suppress(BodyTooLarge):  # the connection is dropped either way
                    await self._drain(capturing_receive)
                await self._delay(fault)
                await _drop(send)
                return
            try:
                if too_large is not None:
                    raise too_large
                if fault.error_status is not None:
                    await self._drain(capturing_receive)
                    error = ApiError(fault.error_status, fault.error_message, code="fault",
                                     headers=fault.error_headers)
                    await respond(error_reply(route, error, scope["method"]))(scope, capturing_receive,
                                                                              buffering_send)
                elif (memo_key := self.memo.key(pack, scope) if self.memo and route.operation else None) is None:
                    await self.app(scope, capturing_receive, buffering_send)
                else:
                    assert self.memo is not None and route.operation is not None and generations is not None
                    kept = self.memo.get(memo_key, generations)
                    if kept is not None:
                        exchange.findings.extend(kept.findings)
                        await buffering_send(kept.start)
                        await buffering_send({"type": "http.response.body", "body": kept.body})
                    else:
                        already = len(exchange.findings)
                        await self.app(scope, capturing_receive, buffering_send)
                        if start_message is not None and exchange.effect is None and exchange.scenario is None:
                            self.memo.keep(pack, route.operation, memo_key, generations, start_message,
                                           b"".join(body_parts), exchange.findings[already:])
            except UnreadableBody as exc:  # raised where nothing renders it, once a body has been read too far
                if start_message is not None:
                    raise
                await respond(error_reply(route, exc, scope["method"]))(scope, capturing_receive, buffering_send)
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
            if status >= 400 or exchange.findings:
                secrets = recorder.secrets(pack, headers_text, query, b"".join(chunks),
                                           scope.get(PARSED_BODY, NOT_PARSED))
            if status >= 400 and secrets is not None:
                response_body = recorder.scrub_error_answer(secrets, response_body, response_type)
            shown_findings = exchange.findings
            if exchange.findings and secrets is not None:
                # A finding may quote a value ("read as ..."): never a secret the request carried.
                every_finding = scrubbed(exchange.findings, secrets)
                shown_findings = bounded(every_finding, MAX_LINT_HEADERS)
                exchange.findings[:] = bounded(every_finding, MAX_FINDINGS)
            answer_headers = [(k, v) for k, v in start_message["headers"] if k.lower() != b"content-length"]
            answer_headers.append((b"content-length", str(len(response_body)).encode()))
            for finding in shown_findings:
                answer_headers.append((_LINT_HEADER, finding.header_value().encode("ascii")))
                lint_log.info("%s %s %s: %s %s %s", pack.name, scope["method"], shown_path, finding.rule,
                              json.dumps(finding.where), json.dumps(finding.message))
            if not self.plane.store.private:
                # Other workers serve the journal too: the entry is handed to the journal before the client has its
                # answer, so that whatever the client asks next, of any worker, sees it (`JournalWriter.settled`).
                record()
            await send({**start_message, "headers": answer_headers})
            await send({"type": "http.response.body", "body": response_body})
        finally:
            record()

    async def _delay(self, fault: FaultOutcome) -> None:
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)

    async def _drain(self, receive: Receive) -> None:
        """Read the request body (for the journal) before answering without the app."""
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive`, raising `BodyTooLarge` once the body has gone past `limit` (a chunked one declares no length)."""
    size = 0

    async def limited_receive() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return limited_receive


def _header(message: Message, name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


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


def _case_folded(scope: Scope, route: Route, strict: bool) -> Route:
    """A path that matched the spec's only in another case: served as the spec spells it; under ``--strict``,
    a path the API does not have."""
    if strict:
        return Route(route.pack, journaled=route.journaled)
    assert route.spelled is not None
    scope["path"] = route.spelled
    return route


def _keep_encoded_slashes(scope: Scope) -> None:
    """Route a path whose segments hold an encoded ``/`` (``%2F``) on those segments, not on the ``/`` they hold
    (see `ENCODED_SLASH`)."""
    raw = scope.get("raw_path")
    if not raw or b"%2f" not in raw.lower():
        return
    segments = raw.split(b"?", 1)[0].decode("latin-1").split("/")
    scope["path"] = "/".join(unquote(segment).replace("/", ENCODED_SLASH) for segment in segments)
