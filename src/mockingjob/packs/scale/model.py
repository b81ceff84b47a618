"""Jobs and executions on the clock: derived state in SQL, and the writes that change a job's plan.

Every expression here is built once, on the bind parameter `NOW`: statements that use them are built once
too and executed with ``{"now": call.now, ...}``, so SQLAlchemy's compiled cache serves every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from mockingjob.kit import NOW, Effect, Phase, Plan, PortableString, inserted_id

from .products import forget_products, write_products
from .tables import TABLES as T
from .tally import tally_changes

FINAL = ("FAILED", "COMPLETED", "CANCELED")
# The states a job is in before its plan's end; any other status is the stored outcome of an ended plan.
UNENDED_STATES = frozenset({"QUEUED", "RUNNING"})


def _state(name: str) -> ColumnElement[str]:
    return sa.literal_column(f"'{name}'", PortableString())


_j, _x = T.jobs.c, T.job_exes.c
_ENDED = _j.end_at <= NOW
# The kit's sql_state/sql_last_change over the plan (queued → run_at → end_at/outcome), on `NOW`; a NULL
# instant is never reached, as `NULL <= now` is not true.
STATUS: ColumnElement[str] = sa.case((_ENDED, _j.outcome), (_j.run_at <= NOW, _state("RUNNING")),
                                     else_=_state("QUEUED"))
STARTED: ColumnElement[datetime] = sa.case((_j.run_at <= NOW, _j.run_at), else_=sa.null())
# Scale's `ended`: when the job finished, which a job canceled before it finished never did.
CUT_SHORT: ColumnElement[bool] = sa.func.coalesce(_j.cut_short, sa.false())
ENDED: ColumnElement[datetime] = sa.case((sa.and_(_ENDED, CUT_SHORT.is_(sa.false())), _j.end_at), else_=sa.null())
_PLANNED = sa.case((_ENDED, _j.end_at), (_j.run_at <= NOW, _j.run_at), else_=_j.queued)
# A cancel of a job that had already ended is a change the plan does not show.
LAST_MODIFIED: ColumnElement[datetime] = sa.case((_j.changed > _PLANNED, _j.changed), else_=_PLANNED)
# For a job whose plan has ended, _PLANNED is end_at, so LAST_MODIFIED is this clock-free expression: end_at
# itself while `changed` is NULL.
FINAL_MODIFIED: ColumnElement[datetime] = sa.case((_j.changed > _j.end_at, _j.changed), else_=_j.end_at)

EXE_STATUS: ColumnElement[str] = sa.case((_x.end_at <= NOW, _x.outcome), else_=_state("RUNNING"))
EXE_VISIBLE = _x.run_at <= NOW


# Whether a job's plan has ended, twice: as a range an index can serve (to count or to walk jobs by end_at),
# and hidden from the planner's choice of index (to walk another order, testing end_at on the way: a range
# on end_at would make SQLite read every ended job and sort them).
PLAN_ENDED: ColumnElement[bool] = _ENDED
PLAN_ENDED_OPAQUE: ColumnElement[bool] = sa.case((_ENDED, 1), else_=0) == 1


def ended_with(statuses: ColumnElement[Any] | Sequence[str], *, sargable: bool = True) -> ColumnElement[bool]:
    """``STATUS IN statuses`` for statuses none of which is QUEUED or RUNNING, as an index can serve it.

    Such a status is only ever the outcome of an ended plan, so the two are equivalent. `statuses` is a list
    of names or an expanding bind parameter.
    """
    if not isinstance(statuses, ColumnElement):
        assert not UNENDED_STATES & set(statuses)
    return sa.and_(_j.outcome.in_(statuses), PLAN_ENDED if sargable else PLAN_ENDED_OPAQUE)


@dataclass(frozen=True)
class JobPlan:
    """What a job type's jobs do when queued, read from its fixture (``plan:``)."""

    queued_seconds: float
    running_seconds: float
    outcomes: tuple[str, ...]
    error: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobPlan:
        return cls(float(data.get("queued", 5)), float(data.get("running", 30)),
                   tuple(data.get("outcomes", ["COMPLETED"])), data.get("error"))

    def outcome(self, attempt: int) -> str:
        """The outcome of the `attempt`-th execution (1-based); the last one listed repeats."""
        return self.outcomes[min(attempt, len(self.outcomes)) - 1]

    def lifecycle(self, attempt: int) -> Plan:
        return Plan((Phase("QUEUED", self.queued_seconds), Phase("RUNNING", self.running_seconds)),
                    self.outcome(attempt))


# Writes, built once: the SET/VALUES columns come from the parameters each call passes. A WHERE parameter
# may not share a column's name.
_UPDATE_JOB = T.jobs.update().where(_j.id == sa.bindparam("job_id_"))
# A job's next attempt, planned only if no other request planned one since its attempts were counted.
_UPDATE_JOB_ATTEMPT = T.jobs.update().where(_j.id == sa.bindparam("job_id_"),
                                           _j.num_exes == sa.bindparam("num_exes_"))
_UPDATE_EXE = T.job_exes.update().where(_x.job_id == sa.bindparam("job_id_"), _x.exe_num == sa.bindparam("exe_num_"))
_INSERT_EXE = T.job_exes.insert()
_CANCEL_ROWS = sa.select(_j.id, _j.job_type_id, _j.outcome, _j.end_at, _j.num_exes, STATUS.label("status")).where(
    _j.id.in_(sa.bindparam("ids", expanding=True)))


def update_job(conn: Connection, job_id: int, **values: Any) -> None:
    conn.execute(_UPDATE_JOB, {"job_id_": job_id, **values})


def plan_attempt(conn: Connection, job_id: int, attempt: int, plan: JobPlan, start: datetime, node_id: int,
                 error_id: int | None, timeout: int, input_file_size: float | None, effect: Effect,
                 paused: bool = False, **job_values: Any) -> tuple[str, datetime | None] | None:
    """Write the `attempt`-th execution of a job, queued at `start`, into the job row and the executions.

    `effect` is what a scenario asks instead of the job type's plan: another outcome, state durations, and
    (through `error_id`) the error a failure reports. `job_values` are further job columns to set. A job of a
    `paused` type is held: it stays queued, keeping how long it will run, until its type is resumed
    (`resume_jobs`). An attempt planned to complete gets its products (products.py).

    The job row counts its executions (``num_exes``). It is updated first, and only while it still counts
    ``attempt - 1``; the database checks that against the row as it stands when the write proceeds (SQLite
    writes one at a time, PostgreSQL checks again after a concurrent writer of the row commits). So when
    another request planned this attempt meanwhile (a requeue through another worker), nothing is written and
    None is returned, instead of a second execution numbered `attempt`. Otherwise the planned outcome and end
    are returned, for the caller to tally.
    """
    lifecycle = effect.apply(plan.lifecycle(attempt))
    (_, queued), (_, run_at), (outcome, end_at) = lifecycle.schedule(start).steps
    held = None
    if paused and run_at is not None and end_at is not None:
        held, run_at, end_at = (end_at - run_at).total_seconds(), None, None
    error = error_id if outcome == "FAILED" else None
    planned = conn.execute(_UPDATE_JOB_ATTEMPT, {
        "job_id_": job_id, "num_exes_": attempt - 1, "queued": queued, "run_at": run_at, "end_at": end_at,
        "outcome": outcome, "node_id": node_id, "error_id": error, "num_exes": attempt, "changed": None,
        "held_seconds": held, "cut_short": None, **job_values}).rowcount
    if not planned:
        return None
    exe_id = inserted_id(conn.execute(_INSERT_EXE, {
        "job_id": job_id, "exe_num": attempt, "node_id": node_id, "error_id": error, "queued": queued,
        "run_at": run_at, "end_at": end_at, "outcome": outcome, "timeout": timeout,
        "input_file_size": input_file_size}))
    if outcome == "COMPLETED" and end_at is not None:
        update_job(conn, job_id, output=write_products(conn, job_id, exe_id, attempt, end_at))
    return outcome, end_at


_LATEST_EXE = sa.and_(_x.job_id == _j.id, _x.exe_num == _j.num_exes)
# The jobs of a type that have not started (their run lies ahead), and those held while it was paused.
_NOT_STARTED = (sa.select(_j.id, _j.outcome, _j.run_at, _j.end_at, _j.num_exes, _x.id.label("exe_id"))
                .select_from(T.jobs.join(T.job_exes, _LATEST_EXE))
                .where(_j.job_type_id == sa.bindparam("job_type_id"), _j.run_at > NOW))
_HELD = (sa.select(_j.id, _j.outcome, _j.held_seconds, _j.num_exes, _x.id.label("exe_id"))
         .select_from(T.jobs.join(T.job_exes, _LATEST_EXE))
         .where(_j.job_type_id == sa.bindparam("job_type_id"), _j.held_seconds.is_not(None),
                _j.end_at.is_(None)).order_by(_j.id))


def hold_jobs(conn: Connection, now: datetime, job_type_id: int) -> None:
    """A job type was paused at `now`: its queued jobs stay queued (Scale's scheduler skips paused types);
    what runs goes on."""
    with tally_changes(conn) as tally:
        for row in conn.execute(_NOT_STARTED, {"now": now, "job_type_id": job_type_id}).all():
            if row.end_at is None:  # a scenario's run that never ends: nothing to keep
                continue
            update_job(conn, row.id, run_at=None, end_at=None,
                       held_seconds=(row.end_at - row.run_at).total_seconds())
            conn.execute(_UPDATE_EXE, {"job_id_": row.id, "exe_num_": row.num_exes, "run_at": None, "end_at": None})
            forget_products(conn, row.exe_id)
            tally.move(job_type_id, (row.outcome, row.end_at), (row.outcome, None))


def resume_jobs(conn: Connection, now: datetime, job_type_id: int) -> None:
    """A paused job type was resumed at `now`: the jobs it held start now and run as long as they were to."""
    with tally_changes(conn) as tally:
        for row in conn.execute(_HELD, {"job_type_id": job_type_id}).all():
            end_at = now + timedelta(seconds=row.held_seconds)
            update_job(conn, row.id, run_at=now, end_at=end_at, held_seconds=None)
            conn.execute(_UPDATE_EXE, {"job_id_": row.id, "exe_num_": row.num_exes, "run_at": now, "end_at": end_at})
            if row.outcome == "COMPLETED":
                update_job(conn, row.id, output=write_products(conn, row.id, row.exe_id, row.num_exes, end_at))
            tally.move(job_type_id, (row.outcome, None), (row.outcome, end_at))


def cancel(conn: Connection, now: datetime, job_ids: list[int]) -> None:
    """Cancel these jobs at `now`: what is queued never runs, what runs stops, what failed is canceled."""
    if not job_ids:
        return
    with tally_changes(conn) as tally:
        for row in conn.execute(_CANCEL_ROWS, {"now": now, "ids": job_ids}).all():
            if row.status in ("CANCELED", "COMPLETED"):
                continue
            latest = {"job_id_": row.id, "exe_num_": row.num_exes}
            end_at = now
            if row.status == "QUEUED":
                update_job(conn, row.id, run_at=None, end_at=now, outcome="CANCELED", error_id=None, changed=now,
                           held_seconds=None, cut_short=True)
                conn.execute(_UPDATE_EXE, {**latest, "run_at": None, "end_at": now, "outcome": "CANCELED"})
            elif row.status == "RUNNING":
                update_job(conn, row.id, end_at=now, outcome="CANCELED", error_id=None, changed=now, cut_short=True)
                conn.execute(_UPDATE_EXE, {**latest, "end_at": now, "outcome": "CANCELED", "error_id": None})
            else:  # FAILED (or PENDING/BLOCKED): the job is canceled; its failed execution stays failed
                update_job(conn, row.id, outcome="CANCELED", error_id=None, changed=now)
                end_at = row.end_at
            tally.move(row.job_type_id, (row.outcome, row.end_at), ("CANCELED", end_at))
