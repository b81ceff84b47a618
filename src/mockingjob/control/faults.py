"""Faults: latency, error answers and dropped connections, per API and per operation.

A fault is a rule stored in the control tables. For each API request the rules that apply are read and
rolled: latency (it always happens, after the request was handled, as if the answer were slow to come back),
a dropped connection (before the request is handled, or after), an error answer, each with its own rate. A
rule with ``remaining`` set applies to that many more requests in which it took effect, then goes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.store import Store
from .tables import ControlTables, claim

__all__ = ["FaultOutcome", "Latency", "roll"]


@dataclass(frozen=True)
class Latency:
    """A delay in milliseconds: fixed, uniform between two bounds, or log-normal around a median."""

    fixed: float | None = None
    lower: float | None = None
    upper: float | None = None
    median: float | None = None
    sigma: float | None = None

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Latency:
        if "fixed" in doc:
            return cls(fixed=float(doc["fixed"]))
        if "uniform" in doc:
            return cls(lower=float(doc["uniform"]["lower"]), upper=float(doc["uniform"]["upper"]))
        return cls(median=float(doc["lognormal"]["median"]), sigma=float(doc["lognormal"]["sigma"]))

    def sample_ms(self, rng: random.Random) -> float:
        if self.fixed is not None:
            return self.fixed
        if self.lower is not None and self.upper is not None:
            return rng.uniform(self.lower, self.upper)
        assert self.median is not None and self.sigma is not None
        return rng.lognormvariate(math.log(max(self.median, 1e-3)), self.sigma)


@dataclass
class FaultOutcome:
    """What the faults decided for one request."""

    delay_ms: float = 0.0
    drop: bool = False
    drop_after: bool = False
    """Drop only once the request has been handled (its effects stand; the client never hears)."""
    error_status: int | None = None
    error_message: str | None = None
    error_headers: dict[str, str] | None = None
    labels: tuple[str, ...] = ()

    @property
    def label(self) -> str | None:
        return "; ".join(self.labels) or None


def _applies(row: Any, api: str, operation: str | None) -> bool:
    return (row.api is None or row.api == api) and (row.operation is None or row.operation == operation)


FAULTS = "control:faults"
"""The generation (`Store.generations`) the faults table's writes count in."""


class NoFaultsSeen:
    """The generation of the faults table at which this process last found it empty: while the store's count of
    its writes stays there, a request needs no transaction to learn that it has no fault (a shared store)."""

    generation: int | None = None


def roll(store: Store, tables: ControlTables, api: str, operation: str | None,
         rng: random.Random, generation: int | None = None, seen: NoFaultsSeen | None = None) -> FaultOutcome:
    """Decide the faults of one request to `api` (`operation` None when no operation matched the path), in a
    transaction of its own: none at all when a private store already knows that there are no faults, or when the
    faults' `generation`, read for this request, is the one at which `seen` found none."""
    if store.kept(_CACHE_KEY, (tables.faults,), default=None) == []:
        return FaultOutcome()
    if seen is not None and generation is not None and seen.generation == generation:
        return FaultOutcome()
    for attempt in range(1, 4):
        try:
            # A fault's remaining uses are counted down: with another process doing the same, read and write
            # must not be split (see `Store.begin`), which a retry after a conflict makes sure of.
            with store.begin(write=attempt > 1) as conn:
                outcome, none_stored = _roll(store, conn, tables, api, operation, rng)
            if seen is not None and none_stored:
                seen.generation = generation
            return outcome
        except Exception as exc:
            if attempt == 3 or not store.conflicted(exc):
                raise
    raise AssertionError("unreachable")


_CACHE_KEY = "faults"


def _roll(store: Store, conn: Connection, tables: ControlTables, api: str, operation: str | None,
          rng: random.Random) -> tuple[FaultOutcome, bool]:
    """The request's faults, and whether the store held none at all."""
    outcome = FaultOutcome()
    rows = store.cached(conn, _CACHE_KEY, (tables.faults,),
                        lambda c: c.execute(sa.select(tables.faults).order_by(tables.faults.c.id)).all())
    if not rows:
        return outcome, True
    for row in rows:
        if not _applies(row, api, operation):
            continue
        spec = row.spec
        found = FaultOutcome()
        labels: list[str] = []
        if spec.get("latency"):
            found.delay_ms = Latency.from_json(spec["latency"]).sample_ms(rng)
            labels.append(f"latency {found.delay_ms:.0f} ms")
        answered = outcome.drop or outcome.error_status is not None
        if spec.get("drop") and not answered and rng.random() < float(spec["drop"].get("rate", 1.0)):
            found.drop = True
            found.drop_after = bool(spec["drop"].get("after", False))
            labels.append("dropped connection" + (" after handling" if found.drop_after else ""))
        error = spec.get("error")
        if error and not answered and not found.drop and rng.random() < float(error.get("rate", 1.0)):
            found.error_status = int(error.get("status", 503))
            found.error_message = error.get("message")
            found.error_headers = dict(error.get("headers") or {})
            labels.append(f"error {found.error_status}")
        if not labels or not claim(conn, tables.faults, row):
            continue
        outcome.delay_ms += found.delay_ms
        if found.drop:
            outcome.drop, outcome.drop_after = True, found.drop_after
        if found.error_status is not None:
            outcome.error_status, outcome.error_message = found.error_status, found.error_message
            outcome.error_headers = found.error_headers
        outcome.labels += (f"fault {row.id}: {', '.join(labels)}",)
    return outcome, False
