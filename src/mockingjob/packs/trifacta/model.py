"""Job groups on the clock: what a run will do (its plan), writing it down, cancelling it, and its state in SQL.

A job group runs its jobs one after the other in order of execution: the recipes of the datasets the chosen
recipe depends on, the recipe itself, one file writer per write setting, and a profile job when profiling is
on. Before the first job starts the group is ``Created``. When a job fails, the jobs after it never start
(they end ``Canceled``) and the group ends ``Failed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.control.scenarios import Effect
from mockingjob.lifecycle import Phase, Plan, Timeline, sql_last_change, sql_state

from .tables import Tables

FINAL = ("Complete", "Failed", "Canceled")

# Running environments a job can be run on; the service does not validate `execution` up front, so any other
# value is accepted and makes the run fail.
ENVIRONMENTS = ("photon", "spark", "databricksSpark", "emrSpark", "dataflow")

DEFAULT_FAILURE = "Job failed"
_DEFAULT_SECONDS = {"queued": 5.0, "wrangle": 30.0, "filewriter": 10.0, "profile": 20.0}


@dataclass(frozen=True)
class Settings:
    """How a recipe is run: the running environment, profiling, and where the results are written."""

    execution: str
    profiler: bool
    write_settings: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Step:
    """One job of a run: its type, the recipe it belongs to, how long it takes, and the steps it follows."""

    job_type: str
    dataset_id: int
    seconds: float
    after: tuple[int, ...] = ()
    write_index: int | None = None


@dataclass(frozen=True)
class RunPlan:
    """What a new job group will do; `failing_step` is the index of the job that fails, if one does."""

    queued_seconds: float
    steps: tuple[Step, ...]
    failing_step: int | None
    failure_reason: str | None

    @property
    def outcome(self) -> str:
        return "Complete" if self.failing_step is None else "Failed"


def _seconds(plan: dict[str, Any], key: str) -> float:
    return float(plan.get(key, _DEFAULT_SECONDS[key]))


def plan_for_new_run(chain: list[Any], settings: Settings, effect: Effect | None = None) -> RunPlan:
    """The plan of a run of the last recipe of `chain` (dataset rows in order of execution, dependencies first).

    Durations and failures come from each recipe's fixture ``plan``; the chosen recipe's plan also decides the
    file writer and profile jobs. A scenario's `effect` then has the last word: a forced outcome, a failure
    reason, and how long ``Created`` (the wait before the first job) and ``InProgress`` (all jobs together)
    last. This is the one place a run's plan is made.
    """
    effect = effect or Effect()
    target = chain[-1]
    index = {row.id: position for position, row in enumerate(chain)}
    steps: list[Step] = []
    failing: int | None = None
    reason: str | None = None

    def add(step: Step, plan: dict[str, Any]) -> None:
        """Append `step`; it is the failing one if its recipe's plan says so and nothing failed before."""
        nonlocal failing, reason
        steps.append(step)
        fails = plan.get("fails") or {}
        if failing is None and fails.get("job") == step.job_type:
            failing, reason = len(steps) - 1, str(fails.get("error") or DEFAULT_FAILURE)

    for row in chain:
        add(Step("wrangle", row.id, _seconds(row.plan, "wrangle"), tuple(index[d] for d in row.depends_on
                                                                           if d in index)), row.plan)
    recipe_step = len(chain) - 1
    for number, _ in enumerate(settings.write_settings):
        add(Step("filewriter", target.id, _seconds(target.plan, "filewriter"), (recipe_step,), number), target.plan)
    if settings.profiler:
        add(Step("profile", target.id, _seconds(target.plan, "profile"), (recipe_step,)), target.plan)
    if settings.execution not in ENVIRONMENTS:
        failing, reason = 0, f"Running environment '{settings.execution}' is not available."
    if effect.outcome == "Complete":
        failing, reason = None, None
    elif effect.outcome == "Failed" and failing is None:
        failing = recipe_step  # the chosen recipe's own job fails
    if failing is not None and effect.failure:
        reason = effect.failure
    elif failing is not None and reason is None:
        reason = DEFAULT_FAILURE
    running = effect.durations.get("InProgress")
    if running is not None:
        # Stretch or shrink every job alike, so that together they last as long as asked.
        # Shares are rounded to milliseconds and the last job takes the rest, so the sum is exact.
        total = sum(step.seconds for step in steps)
        shares = [round(running * (step.seconds / total if total else 1 / len(steps)), 3) for step in steps]
        shares[-1] = max(0.0, running - sum(shares[:-1]))
        steps = [replace(step, seconds=share) for step, share in zip(steps, shares, strict=True)]
    queued = effect.durations.get("Created", _seconds(target.plan, "queued"))
    return RunPlan(queued, tuple(steps), failing, reason)


@dataclass(frozen=True)
class Schedule:
    """The instants of a planned run started at `start`: the group's timeline and each job's."""

    group: Timeline
    jobs: tuple[Timeline, ...]


def schedule(plan: RunPlan, start: datetime) -> Schedule:
    at = start + timedelta(seconds=plan.queued_seconds)
    jobs: list[Timeline] = []
    failed_at: datetime | None = None
    for number, step in enumerate(plan.steps):
        if failed_at is not None:  # a job after the failure never starts
            jobs.append(Timeline((("Created", start), ("InProgress", None), ("Canceled", failed_at))))
            continue
        outcome = "Failed" if number == plan.failing_step else "Complete"
        lead = (at - start).total_seconds()
        timeline = Plan((Phase("Created", lead), Phase("InProgress", step.seconds)), outcome).schedule(start)
        jobs.append(timeline)
        at = at + timedelta(seconds=step.seconds)
        if outcome == "Failed":
            failed_at = at
    group = Plan((Phase("Created", plan.queued_seconds), Phase("InProgress", (at - start).total_seconds()
                                                                - plan.queued_seconds)), plan.outcome)
    return Schedule(group.schedule(start), tuple(jobs))


def start_run(conn: Connection, t: Tables, dataset_id: int, plan: RunPlan, settings: Settings, start: datetime,
              *, ranfrom: str | None, run_parameters: Any, group_id: int | None = None,
              session_id: str | None = None, row_ids: Iterator[int] | None = None) -> int:
    """Write a new job group, its write settings and its jobs; return the job group's id.

    Fixtures give `group_id` and `row_ids` (for the write settings and jobs), so that every reset numbers them
    the same on every database; a new run lets the database number them.
    """
    def explicit() -> dict[str, int]:
        return {} if row_ids is None else {"id": next(row_ids)}

    times = schedule(plan, start)
    (_, created), (_, run_at), (outcome, end_at) = times.group.steps
    values: dict[str, Any] = dict(
        session_id=session_id or str(uuid.uuid4()), dataset_id=dataset_id, ranfrom=ranfrom,
        execution=settings.execution, profiler=settings.profiler, run_parameters=run_parameters, edges=[],
        created_at=created, run_at=run_at, end_at=end_at, outcome=outcome)
    if group_id is not None:
        values["id"] = group_id
    group = _new_id(conn.execute(t.job_groups.insert().values(**values)))
    setting_ids = [_new_id(conn.execute(t.write_settings.insert().values(
        **explicit(), job_group_id=group, position=number, document=document)))
        for number, document in enumerate(settings.write_settings)]
    job_ids: list[int] = []
    for number, (step, timeline) in enumerate(zip(plan.steps, times.jobs, strict=True)):
        (_, job_created), (_, job_run), (job_outcome, job_end) = timeline.steps
        job_ids.append(_new_id(conn.execute(t.jobs.insert().values(
            **explicit(), job_group_id=group, position=number, job_type=step.job_type, dataset_id=step.dataset_id,
            write_setting_id=None if step.write_index is None else setting_ids[step.write_index],
            seconds=step.seconds, created_at=job_created, run_at=job_run, end_at=job_end, outcome=job_outcome,
            error_message=plan.failure_reason if job_outcome == "Failed" else None))))
    edges = [[job_ids[source], job_ids[target]] for target, step in enumerate(plan.steps) for source in step.after]
    conn.execute(t.job_groups.update().where(t.job_groups.c.id == group).values(edges=edges))
    return group


def _new_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


class Derived:
    """SQL expressions for what job groups and jobs look like at `now`."""

    def __init__(self, t: Tables, now: datetime) -> None:
        g, j = t.job_groups.c, t.jobs.c
        self.now = now
        self.status = sql_state(now, [("Created", g.created_at), ("InProgress", g.run_at), (g.outcome, g.end_at)])
        self.updated = sql_last_change(now, [g.created_at, g.run_at, g.end_at])
        self.job_status = sql_state(now, [("Created", j.created_at), ("InProgress", j.run_at), (j.outcome, j.end_at)])
        self.job_updated = sql_last_change(now, [j.created_at, j.run_at, j.end_at])


def cancel(conn: Connection, t: Tables, group_id: int, now: datetime) -> list[int]:
    """Cancel a job group at `now`: running jobs stop, waiting jobs never start. Returns the canceled job ids."""
    g, j = t.job_groups.c, t.jobs.c
    d = Derived(t, now)
    status = conn.execute(sa.select(d.status).where(g.id == group_id)).scalar_one()
    if status in FINAL:
        return []
    canceled: list[int] = []
    rows = conn.execute(sa.select(j.id, d.job_status.label("status")).where(j.job_group_id == group_id)
                        .order_by(j.position, j.id)).all()
    for row in rows:
        if row.status in FINAL:
            continue
        values: dict[str, Any] = {"end_at": now, "outcome": "Canceled", "error_message": None}
        if row.status == "Created":
            values["run_at"] = None
        conn.execute(t.jobs.update().where(j.id == row.id).values(**values))
        canceled.append(row.id)
    group_values: dict[str, Any] = {"end_at": now, "outcome": "Canceled"}
    if status == "Created":
        group_values["run_at"] = None
    conn.execute(t.job_groups.update().where(g.id == group_id).values(**group_values))
    return canceled
