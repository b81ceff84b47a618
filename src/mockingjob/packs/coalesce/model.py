"""Runs on the clock: how a new run is planned, its state derived in SQL, and the writes that change it.

A run's plan is built in one place, `plan_for_new_run`, from the fixture defaults of its environment and job
(``plan:`` in ``fixtures/coalesce/environments.yaml`` and ``jobs.yaml``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import NOW, Effect, Phase, Plan, UtcDateTime, sql_state

from .tables import TABLES as T

WAITING, INITIALIZING, RENDERING, RUNNING = "waitingToRun", "initializing", "rendering", "running"
COMPLETED, FAILED, CANCELED = "completed", "failed", "canceled"
FINAL = (COMPLETED, FAILED, CANCELED)
MILLISECOND = timedelta(milliseconds=1)
# The columns holding the instant a run enters each state, in lifecycle order.
STEP_COLUMNS = {WAITING: "queued_at", INITIALIZING: "init_at", RENDERING: "render_at", RUNNING: "run_at"}


@dataclass(frozen=True)
class RunDefaults:
    """How runs behave, from the fixtures' ``plan:``: seconds per state, seconds per batch of nodes, outcome.

    `outcomes` lists the outcome of the first run, of its rerun, and so on (the last one repeats); a failure
    happens at `fail_node` (a node name; the last node by default) or, with `fail_in: initializing`, before
    any node runs.
    """

    waiting: float = 2
    initializing: float = 3
    rendering: float = 5
    per_batch: float = 10
    outcomes: tuple[str, ...] = (COMPLETED,)
    failure_reason: str | None = None
    fail_node: str | None = None
    fail_in: str = RUNNING

    @classmethod
    def from_json(cls, *layers: dict[str, Any] | None) -> RunDefaults:
        """Later layers override earlier ones (environment, then job, then a fixture run)."""
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update(layer or {})
        base = cls()
        return cls(
            waiting=float(merged.get("waitingToRun", base.waiting)),
            initializing=float(merged.get("initializing", base.initializing)),
            rendering=float(merged.get("rendering", base.rendering)),
            per_batch=float(merged.get("perBatch", base.per_batch)),
            outcomes=tuple(merged.get("outcomes", base.outcomes)),
            failure_reason=merged.get("failureReason"),
            fail_node=merged.get("failNode"),
            fail_in=str(merged.get("failIn", RUNNING)),
        )

    def outcome(self, attempt: int) -> str:
        return self.outcomes[min(attempt, len(self.outcomes)) - 1]


@dataclass(frozen=True)
class NodeRef:
    id: str
    name: str


@dataclass(frozen=True)
class RunPlan:
    """What a new run will do: its states and their durations, its outcome, and where it fails."""

    lifecycle: Plan
    failure_reason: str | None
    fail_node_id: str | None
    node_seconds: float


def nodes_at_once(parallelism: int) -> int:
    """How many nodes a run with this `parallelism` runs at once: the official spec sets no minimum, and the mock
    runs one at a time below 1."""
    return max(1, parallelism)


def plan_for_new_run(defaults: RunDefaults, attempt: int, nodes: Sequence[NodeRef], parallelism: int,
                     effect: Effect | None = None) -> RunPlan:
    """The one place a run's plan is made: phases with durations, final outcome and failure reason.

    `effect` is what a scenario (or the request's ``Prefer`` header) asks instead of the fixture defaults: an
    outcome, a failure reason, and seconds per state (``running`` is shared out over the batches of nodes).
    """
    effect = effect or Effect()
    outcome = effect.outcome or defaults.outcome(attempt)
    before_nodes = [Phase(WAITING, effect.seconds(WAITING, defaults.waiting)),
                    Phase(INITIALIZING, effect.seconds(INITIALIZING, defaults.initializing))]
    if outcome == FAILED and defaults.fail_in == INITIALIZING:
        connect_error = effect.failure or defaults.failure_reason or "Unable to connect to Snowflake."
        return RunPlan(Plan(tuple(before_nodes), FAILED), connect_error, None, defaults.per_batch)
    parallelism = nodes_at_once(parallelism)
    batches = max(1, math.ceil(len(nodes) / parallelism))
    fail_node: NodeRef | None = None
    reason: str | None = None
    if outcome == FAILED:
        named = [n for n in nodes if n.name == defaults.fail_node]
        fail_node = named[0] if named else (nodes[-1] if nodes else None)
        if fail_node is not None:
            batches = nodes.index(fail_node) // parallelism + 1
            reason = effect.failure or defaults.failure_reason or f"Error executing node {fail_node.name}."
        else:
            reason = effect.failure or defaults.failure_reason or "The run failed."
    running = effect.seconds(RUNNING, batches * defaults.per_batch)
    phases = (*before_nodes, Phase(RENDERING, effect.seconds(RENDERING, defaults.rendering)), Phase(RUNNING, running))
    return RunPlan(Plan(phases, outcome), reason, fail_node.id if fail_node else None, running / batches)


def to_millisecond(value: datetime) -> datetime:
    """Instants are kept to the millisecond, the precision runs are listed and paged with."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


_r = T.runs.c
# Statements are built once and run with bind parameters, so SQLAlchemy's compiled cache serves every request.
_AT = sa.bindparam("at", type_=UtcDateTime())
_TAKEN = {column: sa.select(sa.literal(1)).where(getattr(_r, column) == _AT).limit(1)
          for column in ("queued_at", "end_at")}
_LATEST_START = sa.select(sa.func.max(_r.queued_at))
_INSERT_RUN = T.runs.insert()
_UPDATE_RUN = T.runs.update().where(_r.id == sa.bindparam("run_id"))


def unique_instant(conn: Connection, column: str, at: datetime, step: timedelta = MILLISECOND) -> datetime:
    """`at`, moved by a millisecond at a time until no other run has it in `column` (``queued_at`` or
    ``end_at``): a cursor over start or end times (``startingFrom``, exclusive) must never fall between two
    runs of the same instant."""
    at = to_millisecond(at)
    while conn.execute(_TAKEN[column], {"at": at}).first() is not None:
        at += step
    return at


def write_run(conn: Connection, values: dict[str, Any], plan: RunPlan, start: datetime,
              run_id: int | None = None) -> int:
    """Insert a run that starts (is queued) at `start`, following `plan`; return its id."""
    latest = conn.execute(_LATEST_START).scalar()
    start = to_millisecond(start)
    if latest is not None and latest >= start:
        # A new run starts after every other (run IDs follow start times), so no other can have its instant;
        # only a fixture run, placed at its own time, has to look for a free one.
        start = to_millisecond(latest + MILLISECOND) if run_id is None else unique_instant(conn, "queued_at", start)
    steps = dict(plan.lifecycle.schedule(start).steps)
    end = unique_instant(conn, "end_at", steps[plan.lifecycle.outcome] or start)
    row = {
        **values,
        "queued_at": start,
        **{column: steps.get(state) for state, column in STEP_COLUMNS.items() if state != WAITING},
        "end_at": end,
        "outcome": plan.lifecycle.outcome,
        "failure_reason": plan.failure_reason,
        "fail_node_id": plan.fail_node_id,
        "node_seconds": plan.node_seconds,
    }
    if run_id is not None:
        row["id"] = run_id
    key = conn.execute(_INSERT_RUN, row).inserted_primary_key
    assert key is not None
    return int(key[0])


def canceled_instants(run: Mapping[Any, Any], at: datetime) -> dict[str, Any]:
    """The new instants of a run canceled at `at`: the states it has not reached never come."""
    values: dict[str, Any] = {column: None for state, column in STEP_COLUMNS.items()
                              if state != WAITING and (run[column] is None or run[column] > at)}
    values.update(end_at=at, outcome=CANCELED, failure_reason=None, fail_node_id=None)
    return values


def cancel(conn: Connection, row: Any, now: datetime) -> None:
    """Cancel run `row` (not final) at `now`. A colliding end instant moves back, so the run is canceled now."""
    at = unique_instant(conn, "end_at", now, -MILLISECOND)
    conn.execute(_UPDATE_RUN, {"run_id": row.id, **canceled_instants(row._mapping, at)})


# What a run looks like at `now`: its status, and its end time once it has ended.
STATUS = sql_state(NOW, [(WAITING, _r.queued_at), (INITIALIZING, _r.init_at), (RENDERING, _r.render_at),
                          (RUNNING, _r.run_at), (_r.outcome, _r.end_at)])
ENDED = sa.case((_r.end_at <= NOW, _r.end_at), else_=sa.null())
