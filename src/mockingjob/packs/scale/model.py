"""Jobs and executions on the clock: derived state in SQL, and the writes that change a job's plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.control.scenarios import Effect
from mockingjob.lifecycle import Phase, Plan, sql_last_change, sql_state

from .tables import Tables

FINAL = ("FAILED", "COMPLETED", "CANCELED")


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


class Derived:
    """SQL expressions for what a job or execution looks like at `now`."""

    def __init__(self, t: Tables, now: datetime) -> None:
        j, x = t.jobs.c, t.exes.c
        self.now = now
        self.status = sql_state(now, [("QUEUED", j.queued), ("RUNNING", j.run_at), (j.outcome, j.end_at)])
        self.started = sa.case((j.run_at <= now, j.run_at), else_=sa.null())
        self.ended = sa.case((j.end_at <= now, j.end_at), else_=sa.null())
        planned = sql_last_change(now, [j.queued, j.run_at, j.end_at])
        # A cancel of a job that had already ended is a change the plan does not show.
        self.last_status_change = sa.case((j.changed > planned, j.changed), else_=planned)
        self.last_modified = self.last_status_change
        self.exe_status = sql_state(now, [("RUNNING", x.run_at), (x.outcome, x.end_at)])
        self.exe_visible = sa.and_(x.run_at.is_not(None), x.run_at <= now)


def plan_attempt(conn: Connection, t: Tables, job_id: int, attempt: int, plan: JobPlan, start: datetime,
                 node_id: int, error_id: int | None, timeout: int, input_file_size: float | None,
                 effect: Effect) -> None:
    """Write the `attempt`-th execution of a job, queued at `start`, into the job row and the executions.

    `effect` is what a scenario asks instead of the job type's plan: another outcome, state durations, and
    (through `error_id`) the error a failure reports.
    """
    lifecycle = effect.apply(plan.lifecycle(attempt))
    (_, queued), (_, run_at), (outcome, end_at) = lifecycle.schedule(start).steps
    error = error_id if outcome == "FAILED" else None
    conn.execute(t.jobs.update().where(t.jobs.c.id == job_id).values(
        queued=queued, run_at=run_at, end_at=end_at, outcome=outcome, node_id=node_id, error_id=error,
        num_exes=attempt, changed=None))
    conn.execute(t.exes.insert().values(
        job_id=job_id, exe_num=attempt, node_id=node_id, error_id=error, queued=queued, run_at=run_at,
        end_at=end_at, outcome=outcome, timeout=timeout, input_file_size=input_file_size))


def cancel(conn: Connection, t: Tables, d: Derived, job_ids: list[int]) -> None:
    """Cancel these jobs at `d.now`: what is queued never runs, what runs stops, what failed is canceled."""
    now = d.now
    j = t.jobs.c
    if not job_ids:
        return
    rows = conn.execute(sa.select(j.id, j.num_exes, d.status.label("status")).where(j.id.in_(job_ids))).all()
    for row in rows:
        if row.status in ("CANCELED", "COMPLETED"):
            continue
        latest = sa.and_(t.exes.c.job_id == row.id, t.exes.c.exe_num == row.num_exes)
        if row.status == "QUEUED":
            conn.execute(t.jobs.update().where(j.id == row.id).values(
                run_at=None, end_at=now, outcome="CANCELED", error_id=None, changed=now))
            conn.execute(t.exes.update().where(latest).values(run_at=None, end_at=now, outcome="CANCELED"))
        elif row.status == "RUNNING":
            conn.execute(t.jobs.update().where(j.id == row.id).values(
                end_at=now, outcome="CANCELED", error_id=None, changed=now))
            conn.execute(t.exes.update().where(latest).values(end_at=now, outcome="CANCELED", error_id=None))
        else:  # FAILED (or PENDING/BLOCKED): the job is canceled; its failed execution stays failed
            conn.execute(t.jobs.update().where(j.id == row.id).values(
                outcome="CANCELED", error_id=None, changed=now))
