"""Run lifecycles: a plan of states with durations, and the state derived from it at any instant.

Nothing here runs on a timer. A run stores *when* it enters each state (its timeline); its state at time
``now`` is the last step whose instant is not after ``now``. Cancelling or re-planning a run rewrites its
timeline. The same rule is offered as a SQL expression, so lists filtered or ordered by state are right in
the database without any background work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .store import UtcDateTime
from .timeutil import to_utc

NOW = sa.bindparam("now", type_=UtcDateTime())
"""The clock's instant as a bind parameter (execute with ``{"now": call.now}``): statements over it are built
once and served from SQLAlchemy's compiled cache on every request."""

__all__ = ["NEVER", "NOW", "Phase", "Plan", "Timeline", "instant_columns", "next_instant", "sql_last_change",
           "sql_state"]

NEVER = datetime.max.replace(tzinfo=UTC)
"""What `Pack.steady_until` answers when no run will change state by itself."""


@dataclass(frozen=True)
class Phase:
    """A state a run passes through, and for how long (seconds)."""

    state: str
    seconds: float


@dataclass(frozen=True)
class Plan:
    """What a run will do: pass through `phases` in order, then settle in `outcome`.

    >>> Plan((Phase("QUEUED", 5), Phase("RUNNING", 30)), "COMPLETED").schedule(t0).state_at(t0 + 10s)
    'RUNNING'
    """

    phases: tuple[Phase, ...]
    outcome: str

    def schedule(self, start: datetime) -> Timeline:
        steps: list[tuple[str, datetime | None]] = []
        at = start
        for phase in self.phases:
            steps.append((phase.state, at))
            at = at + timedelta(seconds=phase.seconds)
        steps.append((self.outcome, at))
        return Timeline(tuple(steps))


@dataclass(frozen=True)
class Timeline:
    """The instants a run enters each of its states, in order; None for a step that will never happen."""

    steps: tuple[tuple[str, datetime | None], ...]

    def state_at(self, now: datetime) -> str:
        state = self.steps[0][0]
        for name, at in self.steps:
            if at is not None and at <= now:
                state = name
        return state

    def entered(self, state: str, now: datetime) -> datetime | None:
        """When the run entered `state`, if it has by `now`."""
        for name, at in self.steps:
            if name == state and at is not None and at <= now:
                return at
        return None

    def last_change(self, now: datetime) -> datetime | None:
        """The instant of the most recent step reached by `now`."""
        reached = [at for _, at in self.steps if at is not None and at <= now]
        return max(reached) if reached else None


def sql_state(
    now: datetime | ColumnElement[datetime], steps: Sequence[tuple[str | ColumnElement[str], ColumnElement[datetime]]]
) -> ColumnElement[str]:
    """The state at `now` as a portable SQL CASE over step instant columns (first step is the fallback).

    `steps` is ordered like a timeline: ``[("QUEUED", queued), ("RUNNING", started), (outcome_col, ended)]``.
    """
    first_state = steps[0][0]
    whens = [
        (sa.and_(at.is_not(None), at <= now), state if isinstance(state, ColumnElement) else sa.literal(state))
        for state, at in reversed(steps[1:])
    ]
    default = first_state if isinstance(first_state, ColumnElement) else sa.literal(first_state)
    return sa.case(*whens, else_=default)


def sql_last_change(
    now: datetime | ColumnElement[datetime], instants: Sequence[ColumnElement[datetime]]
) -> ColumnElement[datetime]:
    """The latest of `instants` (ordered, each later than the previous) that is not after `now`."""
    whens = [(sa.and_(at.is_not(None), at <= now), at) for at in reversed(instants[1:])]
    return sa.case(*whens, else_=instants[0])


def next_instant(conn: Connection, now: datetime, instants: Sequence[ColumnElement[datetime]]) -> datetime:
    """The earliest of the stored `instants` (columns of run tables) after `now`, or `NEVER`: when the next run
    enters its next state. One indexed-or-scanned MIN per column."""
    found = [conn.execute(sa.select(sa.func.min(at)).where(at > now)).scalar() for at in instants]
    return min((to_utc(at) for at in found if at is not None), default=NEVER)


def instant_columns(tables: Sequence[sa.Table]) -> list[sa.Column[datetime]]:
    """Every column of `tables` that stores an instant: all that `next_instant` needs to watch, where a pack's
    state at any instant is derived from the instants it stored."""
    return [column for table in tables for column in table.columns if isinstance(column.type, UtcDateTime)]
