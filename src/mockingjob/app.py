"""Assembling the ASGI application: one connexion AsyncApp, one mounted API per pack."""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import connexion
from connexion import context as connexion_context
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware, request_validation
from connexion.middleware import swagger_ui as connexion_swagger_ui
from connexion.middleware.abstract import ROUTING_CONTEXT
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolution, Resolver
from sqlalchemy.engine import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from . import registry
from ._connexion import (
    OperationCallingApi,
    RejectControlCharacters,
    RequestValidationMiddleware,
    SwaggerUIMiddleware,
    trusted_specs,
)
from .clock import Clock
from .config import Config
from .control.admin import ADMIN_PREFIX, AdminApi
from .control.journal import JournalWriter
from .control.middleware import EXCHANGE, ControlMiddleware
from .control.rules import Rules, startup_documents
from .control.scenarios import Effect, normalise, parse_prefer, pick
from .control.tables import ControlTables
from .errors import ApiError, PackError, UsageError
from .pack import Call, Pack
from .rendering import as_api_error, render, to_connexion_response, to_response
from .resources import load_spec
from .store import Store
from .validation import VALIDATORS

__all__ = ["MockApp", "app_from_environment"]

log = logging.getLogger("mockingjob")

_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# Authentication is each pack's business (its error shape, its token rules), so connexion's security
# middleware is replaced by one that asks the pack; the specs' securitySchemes still document auth.


class _PackResolver(Resolver):
    """Maps each operationId of a pack's spec to an endpoint calling the pack's handler of that name."""

    def __init__(self, mock: MockApp, pack: Pack) -> None:
        super().__init__()
        self._mock = mock
        self._pack = pack

    def resolve(self, operation: Any) -> Resolution:
        operation_id = operation.operation_id
        handler = self._pack.handlers.get(operation_id)
        if handler is None:
            raise PackError(f"pack {self._pack.name!r} has no handler for operationId {operation_id!r}")
        self._mock._security[(self._pack.name, operation_id)] = list(operation.security or [])
        return Resolution(self._mock._endpoint(self._pack, operation_id, handler), operation_id)


class MockApp:
    """The served mock: store, clock and the ASGI app over the chosen packs.

    >>> mock = MockApp(Config(apis=["scale"], speed=0))
    >>> client = mock.asgi.test_client()
    >>> mock.clock.advance(timedelta(minutes=1))
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        names = self.config.apis or registry.available()
        self.packs: dict[str, Pack] = {name: registry.load(name) for name in names}
        if ADMIN_PREFIX.strip("/") in self.packs:
            raise PackError(f"{ADMIN_PREFIX.strip('/')!r} is reserved for the admin API")
        self.store = Store(self.config.state)
        self.clock = Clock(self.store)
        self.tables = {name: self.store.add_tables(pack.tables()) for name, pack in self.packs.items()}
        self.control = ControlTables.define(self.store.metadata)
        self.specs = {name: load_spec(pack.spec_path) for name, pack in self.packs.items()}
        self.operations = {name: _operation_ids(spec) for name, spec in self.specs.items()}
        self.rules = Rules(self.control, self.packs, self.specs, self.operations)
        self.journal = JournalWriter(self.store, self.control, self.config.journal_size)
        self._startup = startup_documents(self.config.latency, self.config.error_rate, self.config.error_status,
                                          self.config.scenarios_file)
        self.admin = AdminApi(self)
        mount = self.config.mount
        # One API named explicitly is served at its real paths; "all APIs" always get their prefixes.
        self.at_root = mount == "root" or (mount == "auto" and len(self.config.apis) == 1)
        self.prefixes = {name: ("" if self.at_root else f"/{name}") for name in self.packs}
        self._security: dict[tuple[str, str], list[Any]] = {}
        self._tokens = frozenset(self.config.tokens)
        self.prepare()
        self.asgi = self._build()

    # --- state -------------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create missing tables, start the clock and seed every pack not seeded yet (idempotent)."""
        self.store.create_tables()
        with self.store.begin() as conn:
            if self.store.get_setting(conn, "clock") is None:
                self.clock.start(speed=1.0 if self.config.speed is None else self.config.speed, conn=conn)
            elif self.config.speed is not None:
                self.clock.resume(speed=self.config.speed, conn=conn)
            if self.config.speed is not None or self.store.get_setting(conn, "clock:configured") is None:
                # What a full reset returns to (workers start with no speed of their own).
                self.store.put_setting(conn, "clock:configured", self.clock.state(conn).speed)
            now = self.clock.now(conn)
            for name in self.packs:
                if not self.store.get_setting(conn, f"seeded:{name}"):
                    self._seed(conn, name, now)
                    self.store.put_setting(conn, f"seeded:{name}", True)
            if not self.store.get_setting(conn, "control:configured"):
                self._configure_rules(conn, None, now)
                self.store.put_setting(conn, "control:configured", True)

    def reset(self, api: str | None = None, *, conn: Connection | None = None, control: bool = False,
              at: datetime | None = None) -> None:
        """Put every API (or one) back to its fixtures, with fixture times relative to the clock's now.

        With `control`, also the scenarios and faults (back to those configured at start-up) and the journal;
        resetting every API then also restarts the clock at the configured speed, at `at` (default: now).
        """
        if conn is None:
            self.journal.flush()
            with self.store.begin() as own:
                self.reset(api, conn=own, control=control, at=at)
            return
        names = [api] if api else list(self.packs)
        if control:
            if api is None:
                speed = self.store.get_setting(conn, "clock:configured")
                self.clock.start(speed=1.0 if speed is None else speed, at=at, conn=conn)
            for table in (self.control.scenarios, self.control.faults, self.control.journal):
                conn.execute(table.delete() if api is None else table.delete().where(table.c.api == api))
        now = self.clock.now(conn)
        for name in names:
            self.store.clear(conn, self.tables[name])
            self._seed(conn, name, now)
        if control:
            self._configure_rules(conn, api, now)

    def close(self) -> None:
        """Write what the journal still holds, then let go of the database."""
        self.journal.close()
        self.store.dispose()

    def _configure_rules(self, conn: Connection, api: str | None, now: datetime) -> None:
        """Store the scenarios and faults the server was started with (those of one API, or all)."""
        scenarios, faults = self._startup
        try:
            for doc in scenarios:
                if api is None or doc.get("api") == api:
                    self.rules.add_scenario(conn, doc, "startup", now)
            for doc in faults:
                if api is None or doc.get("api") == api:
                    self.rules.add_fault(conn, doc, "startup", now)
        except ApiError as exc:
            raise UsageError(f"start-up scenarios and faults: {exc.detail}") from exc

    def _seed(self, conn: Connection, name: str, now: datetime) -> None:
        self.packs[name].seed(conn, now)
        self.store.sync_id_sequences(conn, self.tables[name])

    # --- requests ----------------------------------------------------------------------------------
    def _pack_for_path(self, path: str) -> Pack | None:
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self.admin
        if self.at_root:
            return next(iter(self.packs.values()))
        first = path.strip("/").split("/", 1)[0]
        return self.packs.get(first)

    def _authenticate(self, scope: Scope) -> None:
        """Let the pack vet the credentials before the request is validated, as the real services do."""
        routing = scope.get("extensions", {}).get(ROUTING_CONTEXT, {})
        operation_id = routing.get("operation_id")
        pack = self._pack_for_path(scope.get("path", ""))
        if pack is None or operation_id is None:
            return
        security = self._security.get((pack.name, operation_id))
        if security:
            pack.authenticate(Request(scope), security, self._tokens)

    def _endpoint(self, pack: Pack, operation_id: str, handler: Any) -> Any:
        prefix = ADMIN_PREFIX if pack is self.admin else self.prefixes[pack.name]

        async def endpoint(**params: Any) -> Response:
            # What `connexion.request` would build, but over the scope itself rather than its context proxy.
            request = ConnexionRequest(connexion_context._scope.get(), connexion_context._receive.get())
            body = params.pop("body", None)
            base = _external_base(request)
            if pack is self.admin:
                self.journal.flush()  # the admin API reads, clears or resets the journal
            try:
                with self.store.begin() as conn:
                    call = Call(operation_id, params, body, request, conn, self.clock.now(conn), base + prefix)
                    call.effect = self._effect(pack, call)
                    if call.effect.status:  # the scenario answers for the API (and its use is kept)
                        reply = render(pack, ApiError(call.effect.status, call.effect.message, code="scenario",
                                                      headers=dict(call.effect.headers)))
                    else:
                        reply = await handler(call)
            except ApiError as exc:
                exc.extra.setdefault("method", request.method)
                reply = render(pack, exc)
            return to_response(reply)

        endpoint.__name__ = operation_id
        return endpoint

    def _effect(self, pack: Pack, call: Call) -> Effect:
        """What the request's Prefer header, or else the first matching scenario, asks of this request."""
        if pack is self.admin:
            return Effect()
        exchange = call.request.scope.get(EXCHANGE)
        effect = parse_prefer(call.header("prefer"))
        if effect is not None:
            if effect.steers_runs and not pack.run_operations:
                raise ApiError(400, f"Prefer: {pack.name} runs nothing by itself (its clients report every change), "
                                    "so outcome, failure and durations cannot apply; code=<status> can")
            effect = normalise(effect, pack.outcomes, pack.states, pack.name, pack.failure_outcome)
            if exchange is not None:
                exchange.effect = effect
            return effect
        starts_run = call.operation_id in pack.run_operations
        stored = pick(self.store, call.conn, self.control, pack.name, call.operation_id,
                      lambda: pack.scenario_fields(call), starts_run=starts_run)
        if stored is None:
            return Effect()
        if exchange is not None:
            exchange.scenario = stored.scenario
            exchange.effect = stored
        return stored

    def _route(self, path: str, method: str) -> tuple[str, str | None] | None:
        """(API, operationId) of an API request, for the control plane; None for the admin API and docs."""
        pack = self._pack_for_path(path)
        if pack is None or pack is self.admin:
            return None
        rest = path[len(self.prefixes[pack.name]):]
        if rest in ("", "/") or rest.startswith(("/ui", "/openapi.json", "/openapi.yaml")):
            return None
        for pattern, operations in self._operation_routes[pack.name]:
            if pattern.match(path):
                return pack.name, operations.get(method.upper())
        return pack.name, None

    def _allowed_methods(self, path: str) -> list[str]:
        for routes in self._operation_routes.values():
            for pattern, operations in routes:
                if pattern.match(path):
                    return sorted(operations)
        return []

    def _error_handler(self, request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        error = as_api_error(exc)
        error.extra.setdefault("method", request.method)
        if error.status == 405:
            # Starlette lists only the methods of the one route it matched; the spec knows them all.
            allowed = self._allowed_methods(request.url.path)
            if allowed:
                error.headers["Allow"] = ", ".join(allowed)
        return to_connexion_response(render(self._pack_for_path(request.url.path), error))

    # --- assembly ----------------------------------------------------------------------------------
    def _build(self) -> connexion.AsyncApp:
        mock = self

        class PackAuthentication:
            """Stands where connexion's security middleware would: after routing, before validation."""

            def __init__(self, app: ASGIApp) -> None:
                self.app = app

            async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
                if scope["type"] == "http":
                    mock._authenticate(scope)
                await self.app(scope, receive, send)

        replacements = {SecurityMiddleware: PackAuthentication, connexion_swagger_ui.SwaggerUIMiddleware:
                        SwaggerUIMiddleware, request_validation.RequestValidationMiddleware:
                        RequestValidationMiddleware}
        class Control(ControlMiddleware):
            def __init__(self, app: ASGIApp) -> None:
                super().__init__(app, mock, mock._route)

        middlewares: list[Any] = [Control]
        for middleware in ConnexionMiddleware.default_middlewares:
            middlewares.append(replacements.get(middleware, middleware))
            if middleware is ExceptionMiddleware:
                middlewares.append(RejectControlCharacters)
        app = connexion.AsyncApp(
            __name__,
            middlewares=middlewares,
            validator_map=VALIDATORS,
            strict_validation=True,
            validate_responses=self.config.validate_responses,
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True, serve_spec=True),
        )
        # connexion offers no option for the innermost API class; its app middleware reads this attribute when
        # each API is added, so it is set before `add_api`.
        app._middleware_app.api_cls = OperationCallingApi
        # Per API: each path's pattern and its operations by method (for the control plane and for `Allow`).
        self._operation_routes: dict[str, list[tuple[re.Pattern[str], dict[str, str]]]] = {}
        mounted = [(pack, self.specs[name], self.prefixes[name]) for name, pack in self.packs.items()]
        mounted.append((self.admin, self._admin_spec(), ADMIN_PREFIX))
        with trusted_specs():  # validated by `mockingjob check` and the tests, not at every start
            for pack, spec, prefix in mounted:
                routes = self._operation_routes.setdefault(pack.name, [])
                for template, item in spec.get("paths", {}).items():
                    routes.append((compile_path(prefix + template)[0], {
                        m.upper(): op["operationId"] for m, op in item.items() if m in _HTTP_METHODS}))
                app.add_api(
                    spec,
                    base_path=prefix,
                    name=pack.name,
                    resolver=_PackResolver(self, pack),
                    resolver_error=None,
                )
        for exc_class in (ApiError, ProblemException, HTTPException, Exception):
            app.add_error_handler(exc_class, self._error_handler)
        app.add_url_rule("/", "landing", self._landing, methods=["GET"])
        return app

    def _admin_spec(self) -> dict[str, Any]:
        """The admin spec, with the names of the APIs and operations this server serves as enums, so that its
        Swagger UI offers them and generated requests can name them."""
        spec = load_spec(self.admin.spec_path)
        apis = sorted(self.packs)
        operations = sorted({op for ops in self.operations.values() for op in ops})
        schemas = spec["components"]["schemas"]
        for schema in (schemas["ScenarioInput"], schemas["FaultInput"], schemas["ResetRequest"]):
            schema["properties"]["api"]["enum"] = apis
        for schema in (schemas["ScenarioInput"], schemas["FaultInput"]):
            schema["properties"]["operation"]["enum"] = operations
        spec["components"]["parameters"]["ApiFilter"]["schema"]["enum"] = apis
        return spec

    async def _landing(self, request: Request | None = None) -> HTMLResponse:
        rows = []
        for name, pack in self.packs.items():
            prefix = self.prefixes[name]
            rows.append(
                f"<li><b>{html.escape(pack.title or name)}</b> at <code>{prefix or '/'}</code>: "
                f'<a href="{prefix}/ui/">Swagger UI</a> · <a href="{prefix}/openapi.json">OpenAPI spec</a></li>'
            )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>mockingjob</title></head><body>"
            "<h1>mockingjob</h1><p>Stateful stand-ins for job-run APIs. Mounted APIs:</p>"
            f"<ul>{''.join(rows)}</ul>"
            f"<p>Control plane (reset, clock, scenarios, faults, journal): <a href=\"{ADMIN_PREFIX}/ui/\">Swagger UI"
            f"</a> · <a href=\"{ADMIN_PREFIX}/openapi.json\">OpenAPI spec</a></p></body></html>"
        )
        return HTMLResponse(page)


def _operation_ids(spec: dict[str, Any]) -> set[str]:
    return {op["operationId"] for item in spec.get("paths", {}).values() for method, op in item.items()
            if method in _HTTP_METHODS and isinstance(op, dict) and "operationId" in op}


_BASES: dict[tuple[Any, ...], str] = {}
_BASES_KEPT = 256


def _external_base(request: Any) -> str:
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


def app_from_environment() -> Any:
    """uvicorn factory for worker processes: the config travels in an environment variable."""
    return MockApp(Config.from_env()).asgi
