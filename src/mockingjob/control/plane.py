"""The control plane as one object: its tables, the scenario and fault rules, and the request journal.

It is built over the store and the packs (core types only) and knows nothing of HTTP: the request path asks it
for each request's fault and effect, and hands it each exchange to journal.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from ..core.config import Config
from ..core.effect import Effect
from ..core.errors import ApiError, UsageError
from ..core.pack import Call, Pack
from ..core.store import EVERYTHING, Store
from . import faults
from .journal import JournalWriter
from .recording import SHARED_SECRETS, Recorder
from .rules import Rules, startup_documents
from .scenarios import has_scenarios, normalise, parse_prefer, pick
from .tables import ControlTables

__all__ = ["ControlPlane"]


class ControlPlane:
    def __init__(self, config: Config, store: Store, packs: Mapping[str, Pack], specs: Mapping[str, dict[str, Any]],
                 operations: Mapping[str, frozenset[str]]) -> None:
        self.store = store
        self.tables = ControlTables.define(store.metadata)
        # A scenario may answer any request: one added or used up changes what every API answers.
        store.watch(EVERYTHING, [self.tables.scenarios])
        store.watch(faults.FAULTS, [self.tables.faults])
        store.watch(SHARED_SECRETS, [self.tables.secrets])
        self._no_faults = faults.NoFaultsSeen()
        self.rules = Rules(self.tables, packs, specs, operations)
        self.journal = JournalWriter(store, self.tables, config.journal_size)
        self.recorder = Recorder(self.journal, self.tables.secrets)
        self._startup = startup_documents(config.latency, config.error_rate, config.error_status,
                                          config.scenarios_file)

    # --- state ------------------------------------------------------------------------------------------
    def prepare(self, conn: Connection, now: datetime) -> None:
        """Store the start-up scenarios and faults, once per store."""
        if not self.store.get_setting(conn, "control:configured"):
            self.configure(conn, None, now)
            self.store.put_setting(conn, "control:configured", True)

    def clear(self, conn: Connection, api: str | None) -> None:
        """Forget the scenarios, faults and journal entries of one API, or of all."""
        for table in (self.tables.scenarios, self.tables.faults, self.tables.journal):
            conn.execute(table.delete() if api is None else table.delete().where(table.c.api == api))

    def configure(self, conn: Connection, api: str | None, now: datetime) -> None:
        """Store the scenarios and faults the server was started with (those of one API, or all)."""
        scenarios, fault_documents = self._startup
        try:
            for doc in scenarios:
                if api is None or doc.get("api") == api:
                    self.rules.add_scenario(conn, doc, "startup", now)
            for doc in fault_documents:
                if api is None or doc.get("api") == api:
                    self.rules.add_fault(conn, doc, "startup", now)
        except ApiError as exc:
            raise UsageError(f"start-up scenarios and faults: {exc.detail}") from exc

    def replace_startup(self, conn: Connection, now: datetime, latency: str | None, error_rate: float | None,
                        error_status: int, scenarios_file: str | None) -> None:
        """Start from other scenarios and faults (a changed scenarios file): those stored from the old ones go,
        those added since stay. UsageError: what is wrong, with nothing changed but what `conn` rolls back."""
        previous = self._startup
        self._startup = startup_documents(latency, error_rate, error_status, scenarios_file)
        try:
            for table in (self.tables.scenarios, self.tables.faults):
                conn.execute(table.delete().where(table.c.origin == "startup"))
            self.configure(conn, None, now)
        except BaseException:
            self._startup = previous
            raise

    def close(self) -> None:
        self.journal.close()

    # --- requests ---------------------------------------------------------------------------------------
    def generations(self, api: str) -> tuple[int, ...]:
        """What a request to `api` depends on, as counts of the writes to it (`Store.generations`): every setting
        and scenario, `api`'s state, the faults, and the secrets shared for the journal. Read once per request,
        before anything else."""
        return self.store.generations((api, faults.FAULTS, SHARED_SECRETS))

    def fault(self, api: str, operation: str | None, rng: random.Random,
              generations: tuple[int, ...] | None = None) -> faults.FaultOutcome:
        """The faults rolled for one request (in a transaction of their own, unless `generations`, read for this
        request, say that there is none)."""
        return faults.roll(self.store, self.tables, api, operation, rng,
                           None if generations is None else generations[2], self._no_faults)

    def has_scenarios(self, conn: Connection, pack: Pack) -> bool:
        """Whether `pack` has stored scenarios (which may answer a request otherwise than the one before)."""
        return has_scenarios(self.store, conn, self.tables, pack.name)

    def effect(self, pack: Pack, call: Call) -> Effect:
        """What the request's Prefer header, or else the first matching scenario, asks of this request."""
        effect = parse_prefer(call.header("prefer"))
        if effect is not None:
            if effect.steers_runs and not pack.run_operations:
                raise ApiError(400, f"Prefer: {pack.name} runs nothing by itself (its clients report every change), "
                                    "so outcome, failure and durations cannot apply; code=<status> can")
            return normalise(effect, pack.outcomes, pack.states, pack.name, pack.failure_outcome)
        stored = pick(self.store, call.conn, self.tables, pack.name, call.operation_id,
                      lambda: pack.scenario_fields(call), starts_run=call.operation_id in pack.run_operations)
        return stored or Effect()
