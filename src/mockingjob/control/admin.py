"""The admin API under ``/_mockingjob/``: reset, records, clock, scenarios, faults and journal over HTTP.

It is mounted like an API pack (its own spec, validation and Swagger UI) but belongs to the engine: it is
never journaled or disturbed by faults, and it answers in RFC 7807 problem documents. It sees the app only
through `Served`, and the control plane it steers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from datetime import timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from starlette.requests import Request

from ..core.auth import TokenAuth
from ..core.errors import ApiError, FixtureConflict, FixtureError, RequestInvalid, clip
from ..core.pack import Call, Handler, Operations, Pack, Reply, RunTimeline
from ..core.served import Served
from ..core.timeutil import format_iso, parse_duration, parse_iso
from . import dashboard as dashboard_files
from . import journal
from .plane import ControlPlane
from .rules import SPEC_NAME, fault_json, scenario_json

__all__ = ["ADMIN_PREFIX", "OPERATIONS", "AdminApi"]

ADMIN_PREFIX = "/" + SPEC_NAME

OPERATIONS = frozenset({
    "dashboard", "dashboard_asset", "list_runs",
    "list_apis", "reset", "add_records", "get_clock", "set_clock", "advance_clock",
    "list_scenarios", "add_scenario", "get_scenario", "delete_scenario", "clear_scenarios",
    "list_faults", "add_fault", "get_fault", "delete_fault", "clear_faults",
    "list_journal", "count_journal", "get_journal_entry", "clear_journal",
})
"""The admin spec's operationIds: what `mockingjob check` holds the spec to without serving anything."""


_LOOPBACK_NAMES = ("localhost", "testserver")  # Starlette's in-process test client calls the server the latter
_WRITES = frozenset({"POST", "PUT", "PATCH"})


def _host_name(authority: str) -> str:
    """The host of ``host[:port]`` (``[v6]:port`` included), lower-case, without the brackets."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.rpartition(":")[0] if authority.count(":") == 1 else authority


def _is_loopback_name(host: str, bound: str) -> bool:
    """Whether `host` (a Host header's name) can only mean this machine: a loopback address or name, or the
    address the server is bound to. Any other name may be an attacker's, resolved to 127.0.0.1 (DNS rebinding)."""
    if host in _LOOPBACK_NAMES or host.endswith(".localhost") or (host == bound and host not in ("0.0.0.0", "::")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cross_site_problem(request: Request, bound: str, token_required: bool,
                        cors: Sequence[str] = ()) -> ApiError | None:
    """Why a request may have come from a web page the user opened rather than from their tools, if it may.

    A page can make the browser send a simple request anywhere (a form's POST, say) but cannot read the answer,
    set a JSON content type, or present a token without the server agreeing first (CORS, which the admin API
    agrees to only with an admin token, for the origins of --cors): such requests carry a foreign Origin, or,
    through DNS rebinding, a foreign Host.
    """
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and token_required and ("*" in cors or origin in cors):
        origin = None  # a page of an origin the server was told to trust; the token still has to be right
    if origin is not None:
        scheme, _, authority = origin.partition("://")
        if origin == "null" or authority.lower() != host.lower() or scheme not in ("http", "https"):
            return _refused(403, f"cross-origin requests are refused (Origin {clip(origin, 200)!r})")
    if not token_required and not _is_loopback_name(_host_name(host), bound):
        return _refused(403, f"the Host {clip(host, 200)!r} is not a loopback name: address this server as "
                             "localhost or 127.0.0.1, or start it with an admin token")
    if request.method in _WRITES and "json" not in request.headers.get("content-type", "").lower():
        return _refused(415, "admin writes need 'Content-Type: application/json' (send {} for no options)")
    return None


def _refused(status: int, why: str) -> ApiError:
    return ApiError(status, f"The admin API refuses this request: {why}.")


def _is_local(request: Request) -> bool:
    """Loopback clients only; a request relayed by a proxy counts as remote, wherever the proxy runs."""
    if any(h in request.headers for h in ("forwarded", "x-forwarded-for", "x-real-ip")):
        return False
    host = request.client.host if request.client else ""
    if host == "testclient":  # Starlette's in-process test client
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _vet_dashboard_request(request: Request, served: Served) -> None:
    """The dashboard's page and files declare no security: they hold no data, and a browser opening a page cannot
    send a token (the page asks for it, and sends it with its own requests). Without an admin token they answer
    only where the rest of the admin API does."""
    if served.config.admin_token:
        return
    if not _is_local(request):
        raise ApiError(403, "The admin API answers only on loopback; start the server with an admin token to use "
                            "it from elsewhere.")
    refusal = _cross_site_problem(request, served.config.host, False)
    if refusal is not None:
        raise refusal


_ADMIN_AUTH = TokenAuth("Bearer", 401, {"default": "The admin API needs 'Authorization: Bearer <admin token>'."},
                        headers={"WWW-Authenticate": 'Bearer realm="mockingjob admin"'})


class AdminApi(Pack):
    name = SPEC_NAME
    title = "mockingjob control plane"

    def __init__(self, served: Served, plane: ControlPlane) -> None:
        self.served = served
        self.plane = plane
        self.handlers = _handlers(served, plane)
        assert set(self.handlers) == OPERATIONS, "OPERATIONS lists every admin handler"

    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        token = self.served.config.admin_token
        if token:
            _ADMIN_AUTH.check(request.headers.get("authorization"), frozenset({token}))
        elif not _is_local(request):
            raise ApiError(403, "The admin API answers only on loopback; start the server with an admin token "
                                "to use it from elsewhere.")
        refusal = _cross_site_problem(request, self.served.config.host, bool(token), self.served.config.cors)
        if refusal is not None:
            raise refusal

    def render_error(self, error: ApiError) -> Reply:
        try:
            title = HTTPStatus(error.status).phrase
        except ValueError:
            title = "Error"
        detail = error.detail
        if isinstance(error, RequestInvalid):
            where = error.violation.name or error.violation.location
            detail = f"{where}: {error.violation.message}" if where else error.violation.message
        body = {"type": "about:blank", "title": title, "status": error.status, "detail": detail}
        if "errors" in error.extra:  # every problem of a refused request, one line each (POST /records)
            body["errors"] = error.extra["errors"]
        return Reply(body, error.status, error.headers, media_type="application/problem+json")


def _clock_json(served: Served, call: Call) -> dict[str, Any]:
    state = served.clock.state(call.conn)
    return {"now": format_iso(served.clock.now(call.conn), digits=6), "speed": state.speed,
            "manual": state.speed == 0}


def _run_json(run: RunTimeline) -> dict[str, Any]:
    return {"api": run.api, "id": run.id, "label": run.label, "state": run.state, "final": run.final,
            "segments": [{"state": segment.state, "start": format_iso(segment.start, digits=3),
                          "end": format_iso(segment.end, digits=3)} for segment in run.segments]}


def _status_filter(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    if text == "dropped":
        return {"status_class": 0}
    if text.endswith("xx"):
        return {"status_class": int(text[0])}
    return {"status": int(text)}


def _handlers(served: Served, plane: ControlPlane) -> Operations:
    rules = plane.rules
    tables = plane.tables
    handler = handlers = Operations()

    def known_api(api: str | None) -> str | None:
        if api is not None and api not in served.packs:
            raise ApiError(404, f"no API {api!r} is served here; served: {', '.join(served.packs)}")
        return api

    # --- the dashboard -----------------------------------------------------------------------------------
    @handler
    async def dashboard(call: Call) -> Reply:
        _vet_dashboard_request(call.request, served)
        page = dashboard_files.page(urlsplit(call.api_root).path)
        return Reply(page, headers=dict(dashboard_files.HEADERS), media_type="text/html; charset=utf-8")

    @handler
    async def dashboard_asset(call: Call) -> Reply:
        _vet_dashboard_request(call.request, served)
        content, media_type = dashboard_files.asset(call.params["name"])
        return Reply(content, headers=dict(dashboard_files.HEADERS), media_type=media_type)

    @handler
    async def list_runs(call: Call) -> Reply:
        api = known_api(call.params.get("api"))
        limit = call.params.get("limit", 20)
        apis = []
        for name in [api] if api else served.packs:
            runs = served.packs[name].run_timelines(call.conn, call.now, limit)
            apis.append({"api": name, "supported": runs is not None, "runs": [_run_json(run) for run in runs or ()]})
        return Reply({"now": format_iso(call.now, digits=3), "apis": apis})

    @handler
    async def list_apis(call: Call) -> Reply:
        root = call.api_root[: -len(ADMIN_PREFIX)]
        apis = [
            {"name": name, "title": pack.title or name, "url": root + served.prefixes[name],
             "docs": f"{root}{served.prefixes[name]}/ui/", "operations": sorted(served.operations[name])}
            for name, pack in served.packs.items()
        ]
        return Reply({"apis": apis})

    @handler
    async def reset(call: Call) -> Reply:
        api = known_api((call.body or {}).get("api"))
        served.reset(api, conn=call.conn, control=True)
        return Reply({"apis": [api] if api else list(served.packs), "clock": _clock_json(served, call)})

    @handler
    async def add_records(call: Call) -> Reply:
        api = known_api(call.body["api"])
        assert api is not None
        try:
            added = served.add_records(api, call.body["records"], conn=call.conn)
        except NotImplementedError as exc:
            raise ApiError(501, str(exc)) from exc
        except FixtureError as exc:
            lines = str(exc).splitlines()
            raise ApiError(409 if isinstance(exc, FixtureConflict) else 400, "; ".join(lines),
                           extra={"errors": lines}) from exc
        return Reply({"api": api, "added": added}, 201)

    @handler
    async def get_clock(call: Call) -> Reply:
        return Reply(_clock_json(served, call))

    @handler
    async def set_clock(call: Call) -> Reply:
        body = call.body
        if "now" in body:
            try:
                served.clock.set(parse_iso(body["now"]), conn=call.conn)
            except (ValueError, OverflowError) as exc:
                raise ApiError(400, f"now: {exc}") from exc
        if "speed" in body:
            try:
                served.clock.set_speed(float(body["speed"]), conn=call.conn)
            except ValueError as exc:
                raise ApiError(400, f"speed: {exc}") from exc
        return Reply(_clock_json(served, call))

    @handler
    async def advance_clock(call: Call) -> Reply:
        try:
            delta = parse_duration(call.body["by"])
        except ValueError as exc:
            raise ApiError(400, f"by: {exc}") from exc
        if delta < timedelta(0):
            raise ApiError(400, "by: the clock only moves forward; set it with PUT /clock instead")
        try:
            served.clock.advance(delta, conn=call.conn)
        except (ValueError, OverflowError) as exc:
            raise ApiError(400, f"by: {exc}") from exc
        return Reply(_clock_json(served, call))

    # --- scenarios and faults ------------------------------------------------------------------------
    def listing(table: sa.Table, render: Callable[[Any], dict[str, Any]], key: str) -> Handler:
        async def list_rules(call: Call) -> Reply:
            query = sa.select(table).order_by(table.c.id)
            api = call.params.get("api")
            if api is not None:
                query = query.where(table.c.api == api)
            return Reply({key: [render(row) for row in call.conn.execute(query)]})
        return list_rules

    def one(table: sa.Table, render: Callable[[Any], dict[str, Any]], what: str) -> tuple[Handler, Handler]:
        async def get_rule(call: Call) -> Reply:
            row = call.conn.execute(sa.select(table).where(table.c.id == call.params["id"])).first()
            if row is None:
                raise ApiError(404, f"no {what} {call.params['id']}")
            return Reply(render(row))

        async def delete_rule(call: Call) -> Reply:
            if not call.conn.execute(table.delete().where(table.c.id == call.params["id"])).rowcount:
                raise ApiError(404, f"no {what} {call.params['id']}")
            return Reply(None, 204)
        return get_rule, delete_rule

    def clearing(table: sa.Table) -> Handler:
        async def clear_rules(call: Call) -> Reply:
            rules.clear(call.conn, table, call.params.get("api"))
            return Reply(None, 204)
        return clear_rules

    handlers.add("list_scenarios", listing(tables.scenarios, scenario_json, "scenarios"))
    handlers.add("get_scenario", one(tables.scenarios, scenario_json, "scenario")[0])
    handlers.add("delete_scenario", one(tables.scenarios, scenario_json, "scenario")[1])
    handlers.add("clear_scenarios", clearing(tables.scenarios))
    handlers.add("list_faults", listing(tables.faults, fault_json, "faults"))
    handlers.add("get_fault", one(tables.faults, fault_json, "fault")[0])
    handlers.add("delete_fault", one(tables.faults, fault_json, "fault")[1])
    handlers.add("clear_faults", clearing(tables.faults))

    @handler
    async def add_scenario(call: Call) -> Reply:
        scenario_id = rules.add_scenario(call.conn, call.body, "admin", call.now)
        row = call.conn.execute(sa.select(tables.scenarios).where(tables.scenarios.c.id == scenario_id)).one()
        return Reply(scenario_json(row), 201, {"Location": f"{call.api_root}/scenarios/{scenario_id}"})

    @handler
    async def add_fault(call: Call) -> Reply:
        fault_id = rules.add_fault(call.conn, call.body, "admin", call.now)
        row = call.conn.execute(sa.select(tables.faults).where(tables.faults.c.id == fault_id)).one()
        return Reply(fault_json(row), 201, {"Location": f"{call.api_root}/faults/{fault_id}"})

    # --- journal -------------------------------------------------------------------------------------
    def journal_filter(call: Call) -> journal.JournalFilter:
        p = call.params
        return journal.JournalFilter(api=p.get("api"), operation=p.get("operation"), method=p.get("method"),
                                     since=p.get("since"), path=p.get("path"), **_status_filter(p.get("status")))

    @handler
    async def list_journal(call: Call) -> Reply:
        rows = journal.entries(call.conn, tables, served.config.journal_size, journal_filter(call),
                               limit=call.params.get("limit", 100),
                               newest_first=call.params.get("order", "desc") == "desc")
        return Reply({"entries": [journal.to_json(row) for row in rows]})

    @handler
    async def count_journal(call: Call) -> Reply:
        return Reply({"count": journal.count(call.conn, tables, served.config.journal_size, journal_filter(call))})

    @handler
    async def get_journal_entry(call: Call) -> Reply:
        row = journal.entry(call.conn, tables, served.config.journal_size, call.params["id"])
        if row is None:
            raise ApiError(404, f"no journal entry {call.params['id']}")
        return Reply(journal.to_json(row))

    @handler
    async def clear_journal(call: Call) -> Reply:
        journal.clear(call.conn, tables, call.params.get("api"))
        return Reply(None, 204)

    return handlers

