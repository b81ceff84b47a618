"""The state every API is served from: one store, one clock, and each pack's tables and fixtures.

It knows nothing of HTTP or of the control plane: the app that serves (``mockingjob.http.app``) puts the two
together, and the admin API reaches this only through the `Served` interface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .clock import Clock
from .config import Config
from .errors import FixtureError
from .fixtures import Layer, did_you_mean, field_problems, fixture_names, read_user_fixtures, seeding
from .pack import Pack
from .registry import available
from .resources import load_spec
from .store import Store

__all__ = ["HTTP_METHODS", "Engine", "operation_ids"]

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def operation_ids(spec: Mapping[str, Any]) -> frozenset[str]:
    """Every operationId of an OpenAPI document."""
    return frozenset(op["operationId"] for item in spec.get("paths", {}).values() for method, op in item.items()
                     if method in HTTP_METHODS and isinstance(op, dict) and "operationId" in op)


class Engine:
    """The packs being served, their specs, and the store and clock their state lives in."""

    def __init__(self, config: Config, packs: Mapping[str, Pack]) -> None:
        self.config = config
        self.packs: dict[str, Pack] = dict(packs)
        self.store = Store(config.state)
        self.clock = Clock(self.store)
        self.tables: dict[str, list[sa.Table]] = {
            name: self.store.add_tables(pack.tables()) for name, pack in self.packs.items()}
        for name, tables in self.tables.items():
            self.store.watch(name, tables)
        self.specs: dict[str, dict[str, Any]] = {name: load_spec(pack.spec_path) for name, pack in self.packs.items()}
        self.operations: dict[str, frozenset[str]] = {name: operation_ids(spec) for name, spec in self.specs.items()}
        self.fixture_layers: dict[str, tuple[Layer, ...]] = self.read_fixture_layers(config.fixtures)
        """The user's fixture folders for each pack (``--fixtures``), read once: every seeding and reset uses them."""

    def read_fixture_layers(self, folders: Sequence[str]) -> dict[str, tuple[Layer, ...]]:
        """The user's fixture folders, read and checked: each pack's layers. FixtureError: every problem."""
        if not folders:
            return {}
        user = read_user_fixtures(folders, {name: fixture_names(pack.fixtures_path)
                                            for name, pack in self.packs.items()}, available())
        user.raise_problems()
        return user.layers

    def prepare(self, conn: Connection) -> datetime:
        """Start the clock and seed every pack not seeded yet (a shared store may have been prepared by another
        process already); return the clock's now."""
        speed = self.config.speed
        if self.store.get_setting(conn, "clock") is None:
            self.clock.start(speed=1.0 if speed is None else speed, conn=conn)
        elif speed is not None:
            self.clock.resume(speed=speed, conn=conn)
        if speed is not None or self.store.get_setting(conn, "clock:configured") is None:
            # What a full reset returns to (workers start with no speed of their own).
            self.store.put_setting(conn, "clock:configured", self.clock.state(conn).speed)
        now = self.clock.now(conn)
        for name in self.packs:
            if not self.store.get_setting(conn, f"seeded:{name}"):
                self.seed(conn, name, now)
                self.store.put_setting(conn, f"seeded:{name}", True)
        return now

    def restart_clock(self, conn: Connection, at: datetime | None = None) -> None:
        """Start the clock again at the speed it was configured with, at `at` (default: now)."""
        speed = self.store.get_setting(conn, "clock:configured")
        self.clock.start(speed=1.0 if speed is None else speed, at=at, conn=conn)

    def reseed(self, conn: Connection, names: list[str], now: datetime) -> None:
        """Empty these packs' tables and load their fixtures again, with fixture times relative to `now`."""
        for name in names:
            self.store.clear(conn, self.tables[name])
            self.seed(conn, name, now)

    def seed(self, conn: Connection, name: str, now: datetime) -> None:
        pack = self.packs[name]
        with seeding(name, pack.fixtures_path, self.fixture_layers.get(name, ())):
            pack.seed(conn, now)
        self.store.sync_id_sequences(conn, self.tables[name])

    def add_records(self, conn: Connection, name: str, records: Mapping[str, Any],
                    now: datetime) -> dict[str, list[Any]]:
        """Add records of any of a pack's fixture kinds to its seeded tables (a test seeding what it needs), held
        to the same JSON Schemas as the fixture files; times are relative to `now`. Answer the identities of the
        records added, by kind. FixtureError: one line per problem, and nothing added."""
        pack = self.packs[name]
        kinds = fixture_names(pack.fixtures_path)
        problems: list[str] = []
        for kind, given in records.items():
            if kind not in kinds:
                problems.append(f"{kind}: not a fixture kind of {name}{did_you_mean(kind, kinds)}; the kinds: "
                                f"{', '.join(kinds)}")
            elif not isinstance(given, list):
                problems.append(f"{kind}: expected a list of records, not {type(given).__name__}")
            else:
                problems += field_problems(name, kind, given, kind)
        if problems:
            raise FixtureError("\n".join(problems))
        added = pack.add_records(conn, {kind: list(given) for kind, given in records.items() if given}, now)
        self.store.sync_id_sequences(conn, self.tables[name])
        return {kind: added.get(kind, []) for kind in records}

    def close(self) -> None:
        self.store.dispose()
