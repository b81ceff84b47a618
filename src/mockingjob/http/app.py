"""Assembling the served app: the engine's state, the control plane, and one connexion API per pack.

This is the only module that knows all the parts. The parts know each other only through the engine core and
the `Served` interface, which `MockApp` satisfies.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import combinations
from typing import Any

import connexion
from connexion.resolver import Resolution, Resolver
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp

from ..control.admin import ADMIN_PREFIX, AdminApi
from ..control.plane import ControlPlane
from ..core import registry
from ..core.clock import Clock
from ..core.config import Config
from ..core.engine import Engine
from ..core.errors import PackError, UsageError
from ..core.pack import Pack
from ..core.resources import load_spec
from ..core.store import Store
from . import dispatch
from .answer_memo import AnswerMemo
from .connexion_adaptations import connexion_app, trusted_specs
from .cors import Cors
from .leniency import documented_view
from .pipeline import RequestPipeline
from .routing import Router
from .server import die_with_parent
from .validation import VALIDATORS

__all__ = ["MockApp", "MountCollision", "WorkerApp", "root_collisions"]


class MountCollision(UsageError):
    """``--mount root`` with several APIs: their paths would collide, and only one of them could answer."""


_DOCUMENTATION_PATHS = ("/ui/", "/openapi.json", "/openapi.yaml")
"""What connexion serves beside every API's own paths."""


def root_collisions(packs: Mapping[str, Pack], specs: Mapping[str, Mapping[str, Any]]) -> str:
    """What these APIs would all serve at the root: ``scale and marquez both serve /ui/, ...`` (the APIs' own
    paths that one request could match in two of them, then the paths connexion serves for every API)."""
    phrases = []
    for first, second in combinations(packs, 2):
        fold = packs[first].path_case_note is not None or packs[second].path_case_note is not None
        paths = [one if one == other else f"{one} ({first}) and {other} ({second})"
                 for one in specs[first].get("paths", {}) for other in specs[second].get("paths", {})
                 if _may_match_alike(one, other, fold)]
        if paths:
            phrases.append(f"{first} and {second} both serve {_listed(paths, 3)}")
    if len(packs) > 1:
        phrases.append(f"{_listed(list(packs))} {'both' if len(packs) == 2 else 'all'} serve "
                       f"{_listed(list(_DOCUMENTATION_PATHS))}")
    return "; ".join(phrases)


def _may_match_alike(one: str, other: str, fold: bool) -> bool:
    """Whether some path matches both path templates (a ``{parameter}`` matches any one segment)."""
    first, second = one.strip("/").split("/"), other.strip("/").split("/")
    if len(first) != len(second):
        return False
    for a, b in zip(first, second, strict=True):
        if "{" in a or "{" in b:
            continue
        if (a.lower() != b.lower()) if fold else (a != b):
            return False
    return True


def _listed(items: list[str], most: int | None = None) -> str:
    """``a, b and c`` (with ``and N more`` past `most`)."""
    if most is not None and len(items) > most:
        items = [*items[:most - 1], f"{len(items) - most + 1} more"]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


class _PackResolver(Resolver):
    """Maps each operationId of a pack's spec to an endpoint calling the pack's handler of that name."""

    def __init__(self, pack: Pack, make_endpoint: Any) -> None:
        super().__init__()
        self._pack = pack
        self._make_endpoint = make_endpoint

    def resolve(self, operation: Any) -> Resolution:
        operation_id = operation.operation_id
        handler = self._pack.handlers.get(operation_id)
        if handler is None:
            raise PackError(f"pack {self._pack.name!r} has no handler for operationId {operation_id!r}")
        return Resolution(self._make_endpoint(operation_id, handler), operation_id)


_SETUP_ATTEMPTS = 5


class MockApp:
    """The served mock: store, clock, control plane and the ASGI app over the chosen packs.

    >>> mock = MockApp(Config(apis=["scale"], speed=0))
    >>> client = mock.asgi.test_client()
    >>> mock.clock.advance(timedelta(minutes=1))
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        names = self.config.apis or registry.available()
        packs = {name: registry.load(name) for name in names}
        if ADMIN_PREFIX.strip("/") in packs:
            raise PackError(f"{ADMIN_PREFIX.strip('/')!r} is reserved for the admin API")
        self.engine = Engine(self.config, packs)
        mount = self.config.mount
        # One API named explicitly is served at its real paths; "all APIs" always get their prefixes.
        self.at_root = mount == "root" or (mount == "auto" and len(self.config.apis) == 1)
        if self.at_root and len(packs) > 1:
            self.engine.close()
            raise MountCollision(f"--mount root: {root_collisions(packs, self.engine.specs)}; serve one API at its "
                                 f"real paths (mockingjob serve {next(iter(packs))} --mount root), or several under "
                                 "their prefixes (--mount prefix)")
        self.prefixes = {name: ("" if self.at_root else f"/{name}") for name in packs}
        self.plane = ControlPlane(self.config, self.engine.store, self.engine.packs, self.engine.specs,
                                  self.engine.operations)
        self.admin = AdminApi(self, self.plane)
        self.prepare()
        self.asgi = self._build()

    # --- what `Served` asks for ------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        return self.engine.store

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    @property
    def packs(self) -> dict[str, Pack]:
        return self.engine.packs

    @property
    def operations(self) -> dict[str, frozenset[str]]:
        return self.engine.operations

    @property
    def specs(self) -> dict[str, dict[str, Any]]:
        return self.engine.specs

    @property
    def journal(self) -> Any:
        return self.plane.journal

    # --- state -------------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create missing tables, start the clock, seed every pack and store the start-up rules (idempotent)."""
        # One transaction, held by one process at a time: replicas starting together on an empty database
        # would otherwise both create the tables, or both seed them. SQLite may still refuse a newcomer while
        # the database file is being set up (its journal mode, say): then it tries again.
        for attempt in range(1, _SETUP_ATTEMPTS + 1):
            try:
                with self.store.begin_setup() as conn:
                    self.store.create_tables(conn)
                    now = self.engine.prepare(conn)
                    self.plane.prepare(conn, now)
                return
            except Exception as exc:
                if attempt == _SETUP_ATTEMPTS or not self.store.conflicted(exc):
                    raise
                time.sleep(0.1 * attempt)

    def reset(self, api: str | None = None, *, conn: Connection | None = None, control: bool = False,
              at: datetime | None = None) -> None:
        """Put every API (or one) back to its fixtures, with fixture times relative to the clock's now.

        With `control`, also the scenarios and faults (back to those configured at start-up) and the journal;
        resetting every API then also restarts the clock at the configured speed, at `at` (default: now).
        """
        if conn is None:
            self.plane.journal.flush()
            with self.store.begin() as own:
                self.reset(api, conn=own, control=control, at=at)
            return
        if control:
            if api is None:
                self.engine.restart_clock(conn, at)
            self.plane.clear(conn, api)
        now = self.clock.now(conn)
        self.engine.reseed(conn, [api] if api else list(self.packs), now)
        if control:
            self.plane.configure(conn, api, now)

    def add_records(self, api: str, records: Mapping[str, Any], *,
                    conn: Connection | None = None) -> dict[str, list[Any]]:
        """Add records of `api`'s fixture kinds to its state, with times relative to the clock's now (see
        `Engine.add_records`); answer their identities by kind."""
        if conn is None:
            with self.store.begin(write=True) as own:
                return self.add_records(api, records, conn=own)
        return self.engine.add_records(conn, api, records, self.clock.now(conn))

    def reload_fixtures(self, folders: Sequence[str]) -> list[str]:
        """Serve the user's fixtures from these folders from now on, and reload the data of the APIs whose records
        they change (as a reset of each would, leaving its scenarios and journal); answer those APIs.
        LoadError (a broken folder, or records that cannot be seeded): nothing changes."""
        layers = self.engine.read_fixture_layers(folders)
        previous = self.engine.fixture_layers
        changed = [name for name in self.packs if layers.get(name, ()) != previous.get(name, ())]
        self.engine.fixture_layers = layers
        try:
            if changed:
                with self.store.begin(write=True) as conn:
                    self.engine.reseed(conn, changed, self.clock.now(conn))
        except BaseException:
            self.engine.fixture_layers = previous
            raise
        self.config.fixtures = list(folders)
        return changed

    def reload_startup_rules(self, latency: str | None, error_rate: float | None, error_status: int,
                             scenarios_file: str | None) -> None:
        """Start from these scenarios and faults (a changed scenarios file): the ones stored from the previous
        start-up rules are replaced, those a test added stay. LoadError: nothing changes."""
        with self.store.begin(write=True) as conn:
            self.plane.replace_startup(conn, self.clock.now(conn), latency, error_rate, error_status, scenarios_file)
        self.config.latency, self.config.error_rate, self.config.error_status = latency, error_rate, error_status
        self.config.scenarios_file = scenarios_file

    def close(self) -> None:
        """Write what the journal still holds, then let go of the database."""
        self.plane.close()
        self.engine.close()

    # --- assembly ----------------------------------------------------------------------------------
    def _build(self) -> connexion.AsyncApp:
        router = Router()
        self.memo = AnswerMemo(self.store, self.clock, self.plane.has_scenarios) if self.config.answer_memo else None

        def outermost(app: ASGIApp) -> ASGIApp:
            pipeline = RequestPipeline(app, router, self.plane, max_body=self.config.max_body,
                                       strict=self.config.strict, memo=self.memo)
            if not self.config.cors:
                return pipeline
            # The admin API answers web pages only when it asks for a token: otherwise it trusts loopback clients.
            return Cors(pipeline, self.config.cors, closed=() if self.config.admin_token else (ADMIN_PREFIX,))

        app = connexion_app(outermost=outermost, authenticate=dispatch.Authenticate(frozenset(self.config.tokens)),
                            render=dispatch.render_raised,
                            validator_map=VALIDATORS, validate_responses=self.config.validate_responses,
                            # Under --strict the specs are shown as documented: what requests are held to.
                            shown=documented_view if self.config.strict else lambda spec: spec)
        mounted: list[tuple[Pack, dict[str, Any], str, ControlPlane | None]] = [
            (pack, self.specs[name], self.prefixes[name], self.plane) for name, pack in self.packs.items()]
        mounted.append((self.admin, self._admin_spec(), ADMIN_PREFIX, None))
        with trusted_specs():  # validated by `mockingjob check` and the tests, not at every start
            for pack, spec, prefix, plane in mounted:
                router.mount(pack, spec, prefix, journaled=plane is not None)

                def make_endpoint(operation_id: str, handler: Any, pack: Pack = pack, prefix: str = prefix,
                                  plane: ControlPlane | None = plane) -> Any:
                    # The admin API may read the journal: what waits in memory is written first.
                    before = self.plane.journal.settled if plane is None else None
                    return dispatch.endpoint(pack, operation_id, handler, self.store, self.clock, plane, prefix,
                                             before)

                app.add_api(spec, base_path=prefix, name=pack.name, resolver=_PackResolver(pack, make_endpoint),
                            resolver_error=None)
        app.add_url_rule("/", "landing", self._landing, methods=["GET"])
        return app

    def _admin_spec(self) -> dict[str, Any]:
        """The admin spec, with the names of the APIs and operations this server serves as enums, so that its
        Swagger UI offers them and generated requests can name them."""
        spec = load_spec(self.admin.spec_path)
        apis = sorted(self.packs)
        operations = sorted({op for ops in self.operations.values() for op in ops})
        schemas = spec["components"]["schemas"]
        for schema in (schemas["ScenarioInput"], schemas["FaultInput"], schemas["ResetRequest"],
                       schemas["RecordsInput"]):
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
            f"<p>Control plane (reset, clock, scenarios, faults, journal): <a href=\"{ADMIN_PREFIX}/\">Dashboard</a>"
            f" · <a href=\"{ADMIN_PREFIX}/ui/\">Swagger UI"
            f"</a> · <a href=\"{ADMIN_PREFIX}/openapi.json\">OpenAPI spec</a></p></body></html>"
        )
        return HTMLResponse(page)


class WorkerApp:
    """uvicorn's app factory in each worker process.

    uvicorn hands it to the workers with the rest of its config, over the pipe that starts them: the config
    (tokens included) is never in the environment, nor on a command line that `ps` shows.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.supervisor = os.getpid()  # made in the process that starts the workers

    def __call__(self) -> ASGIApp:
        die_with_parent(self.supervisor)
        return MockApp(self.config).asgi
