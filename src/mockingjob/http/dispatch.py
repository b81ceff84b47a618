"""From a routed, validated request to the pack's handler, and back: one transaction, one clock reading.

`endpoint` builds what connexion calls for each operation; `Authenticate` and `render_raised` are what stand,
in connexion's stack, where its security and exception middlewares would (see `connexion_adaptations`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from connexion import context as connexion_context
from connexion.lifecycle import ConnexionRequest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from ..control.plane import ControlPlane
from ..core.clock import Clock
from ..core.errors import ApiError
from ..core.pack import Call, Handler, Pack, Reply
from ..core.store import Store
from .rendering import error_reply, respond
from .routing import EXCHANGE, Exchange, Route

__all__ = ["Authenticate", "endpoint", "external_base", "render_raised"]


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ATTEMPTS = 3


def endpoint(pack: Pack, operation_id: str, handler: Handler, store: Store, clock: Clock,
             plane: ControlPlane | None, prefix: str, before: Callable[[], Awaitable[None]] | None = None) -> Any:
    """The function connexion calls for one operation.

    It opens the request's transaction, reads the clock once, applies the request's Prefer header or a
    scenario (none apply where `plane` is None, as for the admin API) and calls the handler. What the handler
    raises in its API's terms is answered here, on the event loop, in the API's shape. `before` runs first,
    outside the transaction (the admin API writes the journal's pending entries, which it may read).
    """

    async def call_handler(**params: Any) -> Response:
        # What `connexion.request` would build, but over the scope itself rather than its context proxy.
        request = ConnexionRequest(connexion_context._scope.get(), connexion_context._receive.get())
        exchange: Exchange | None = request.scope.get(EXCHANGE)
        route = exchange.route if exchange is not None else Route(pack, operation_id)
        body = params.pop("body", None)
        api_root = external_base(request) + prefix
        if before is not None:
            await before()
        reply: Reply
        writes = request.method not in _SAFE_METHODS
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with store.begin(write=writes or attempt > 1) as conn:
                    call = Call(operation_id, params, body, request, conn, clock.now(conn), api_root)
                    if plane is not None:
                        call.effect = plane.effect(pack, call)
                        if exchange is not None and call.effect:
                            exchange.effect, exchange.scenario = call.effect, call.effect.scenario
                    if call.effect.status:
                        # The scenario answers for the API; rendered inside the transaction, so its use is kept.
                        reply = error_reply(route, ApiError(call.effect.status, call.effect.message,
                                                            code="scenario", headers=dict(call.effect.headers)),
                                            request.method)
                    else:
                        reply = await handler(call)
                break
            except ApiError as exc:
                reply = error_reply(route, exc, request.method)
                break
            except Exception as exc:
                # Another process wrote the same thing meanwhile (the same new job, say): all this transaction
                # did is undone, and done again, now seeing what the other wrote.
                if attempt == _ATTEMPTS or not store.conflicted(exc):
                    raise
        return respond(reply)

    call_handler.__name__ = operation_id
    return call_handler


class Authenticate:
    """Lets the pack vet the credentials of an operation that declares security, before the request is
    validated, as the real services do; `tokens` are those accepted (empty: any). Raises the pack's `ApiError`."""

    def __init__(self, tokens: frozenset[str]) -> None:
        self.tokens = tokens

    def __call__(self, scope: Scope) -> None:
        exchange: Exchange | None = scope.get(EXCHANGE)
        if exchange is None:
            return
        route = exchange.route
        if route.pack is not None and route.operation is not None and route.security:
            route.pack.authenticate(Request(scope), list(route.security), self.tokens)


def render_raised(scope: Scope, exc: BaseException) -> Response:
    """The answer to anything raised inside connexion (its validation, routing and media-type problems, the
    pack's authentication, a bug), rendered by the pack that owns the request's path."""
    exchange: Exchange | None = scope.get(EXCHANGE)
    return respond(error_reply(exchange.route if exchange else None, exc, scope.get("method", "")))


_BASES: dict[tuple[Any, ...], str] = {}
_BASES_KEPT = 256


def external_base(request: Any) -> str:
    """scheme://host[/root] as the client addressed the server: behind a proxy, the first X-Forwarded-Host."""
    scope = request.scope
    host = forwarded = b""
    for name, value in scope["headers"]:
        if name == b"host" and not host:
            host = value
        elif name == b"x-forwarded-host" and not forwarded:
            forwarded = value
    # Worked out once per distinct way of addressing the server: URL parsing costs on every request otherwise.
    server = scope.get("server")
    key = (scope.get("scheme"), tuple(server) if server else None, scope.get("app_root_path"),
           scope.get("root_path"), host, forwarded)
    base = _BASES.get(key)
    if base is None:
        base = str(request.base_url).rstrip("/")
        first = forwarded.decode("latin-1").split(",")[0].strip()
        if first:
            url = urlsplit(base)
            base = urlunsplit(url._replace(netloc=first))
        if len(_BASES) >= _BASES_KEPT:
            _BASES.clear()
        _BASES[key] = base
    return base
