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

from mockingjob.kit import (
    NOW,
    Effect,
    Phase,
    Plan,
    Timeline,
    insert_all_returning_ids,
    inserted_id,
    sql_last_change,
    sql_state,
)

from .tables import TABLES as T

FINAL = ("Complete", "Failed", "Canceled")

# Running environments a job can be run on; the service does not validate `execution` up front, so any other
# value is accepted and makes the run fail.
ENVIRONMENTS = ("photon", "spark", "databricksSpark", "emrSpark", "dataflow")

# What a write setting may say; the service takes any other value and the file-writing job then fails.
WRITE_OPTIONS = {"action": ("create", "append", "overwrite"), "format": ("csv", "json", "avro", "pqt", "hyper"),
                 "compression": ("none", "gzip", "bzip2", "snappy")}

DEFAULT_FAILURE = "Job failed"
_DEFAULT_SECONDS = {"queued": 5.0, "wrangle": 30.0, "filewriter": 10.0, "profile": 20.0}

_g, _j = T.job_groups.c, T.jobs.c
# What job groups and jobs look like at `now`: their status and when it last changed.
GROUP_STATUS = sql_state(NOW, [("Created", _g.created_at), ("InProgress", _g.run_at), (_g.outcome, _g.end_at)])
GROUP_UPDATED = sql_last_change(NOW, [_g.created_at, _g.run_at, _g.end_at])
JOB_STATUS = sql_state(NOW, [("Created", _j.created_at), ("InProgress", _j.run_at), (_j.outcome, _j.end_at)])
JOB_UPDATED = sql_last_change(NOW, [_j.created_at, _j.run_at, _j.end_at])


@dataclass(frozen=True)
class Settings:
    """How a recipe is run: the running environment, profiling, and where the results are written.

    Settings taken from an output object name its write settings' rows (`write_setting_ids`, one per setting)
    and the output object itself, whose publications the run writes; a run's own write settings (its overrides,
    or a copy of the last run's) have no ids yet: they are written with the job group.
    """

    execution: str
    profiler: bool
    write_settings: tuple[dict[str, Any], ...]
    write_setting_ids: tuple[int, ...] | None = None
    output_object_id: int | None = None


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
        if failing is None and row.source_deleted_at is not None:
            # The file behind a deleted imported dataset is gone: the recipe that reads it cannot run.
            failing, reason = len(steps) - 1, f"Imported dataset {row.imported_dataset_id} has been deleted."
    recipe_step = len(chain) - 1
    for number, setting in enumerate(settings.write_settings):
        add(Step("filewriter", target.id, _seconds(target.plan, "filewriter"), (recipe_step,), number), target.plan)
        unusable = _unusable_write_setting(setting)
        if failing is None and unusable:
            failing, reason = len(steps) - 1, unusable
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


@dataclass(frozen=True)
class Started:
    """A job group just written, as POST /v4/jobGroups reports it (jobs in order of execution)."""

    id: int
    session_id: str
    job_ids: tuple[int, ...]
    edges: list[list[int]]


_INSERT = {table: table.insert() for table in (T.job_groups, T.write_settings, T.jobs)}
_SET_EDGES = T.job_groups.update().where(_g.id == sa.bindparam("group_id"))


def start_run(conn: Connection, dataset_id: int, plan: RunPlan, settings: Settings, start: datetime, *,
              ranfrom: str | None, run_parameters: Any, flow_run_id: int | None = None, group_id: int | None = None,
              session_id: str | None = None, row_ids: Iterator[int] | None = None) -> Started:
    """Write a new job group, its write settings and its jobs; return what the client is told of it.

    Fixtures give `group_id` and `row_ids` (for the write settings and jobs), so that every reset numbers them
    the same on every database; a new run lets the database number them.
    """
    times = schedule(plan, start)
    (_, created), (_, run_at), (outcome, end_at) = times.group.steps
    session_id = session_id or str(uuid.uuid4())
    values: dict[str, Any] = dict(
        session_id=session_id, dataset_id=dataset_id, flow_run_id=flow_run_id,
        output_object_id=settings.output_object_id, ranfrom=ranfrom, execution=settings.execution,
        profiler=settings.profiler, run_parameters=run_parameters, edges=[], created_at=created, run_at=run_at,
        end_at=end_at, outcome=outcome)
    if group_id is not None:
        values["id"] = group_id
    group = inserted_id(conn.execute(_INSERT[T.job_groups], values))
    setting_ids = list(settings.write_setting_ids) if settings.write_setting_ids is not None else _insert_all(
        conn, T.write_settings, [
            {"job_group_id": group, "position": number, "document": document, "created_at": start,
             "updated_at": start} for number, document in enumerate(settings.write_settings)], row_ids)
    jobs: list[dict[str, Any]] = []
    for number, (step, timeline) in enumerate(zip(plan.steps, times.jobs, strict=True)):
        (_, job_created), (_, job_run), (job_outcome, job_end) = timeline.steps
        jobs.append(dict(
            job_group_id=group, position=number, job_type=step.job_type, dataset_id=step.dataset_id,
            write_setting_id=None if step.write_index is None else setting_ids[step.write_index],
            seconds=step.seconds, created_at=job_created, run_at=job_run, end_at=job_end, outcome=job_outcome,
            error_message=plan.failure_reason if job_outcome == "Failed" else None))
    job_ids = _insert_all(conn, T.jobs, jobs, row_ids)
    edges = [[job_ids[source], job_ids[target]] for target, step in enumerate(plan.steps) for source in step.after]
    conn.execute(_SET_EDGES, {"group_id": group, "edges": edges})
    return Started(group, session_id, tuple(job_ids), edges)


def _insert_all(conn: Connection, table: sa.Table, rows: list[dict[str, Any]],
                row_ids: Iterator[int] | None) -> list[int]:
    """Insert `rows` (of one job group) into `table` and return their ids in order: the next of `row_ids`, or
    the database's."""
    if not rows:
        return []
    if row_ids is not None:
        ids = [next(row_ids) for _ in rows]
        conn.execute(_INSERT[table], [{**row, "id": ident} for row, ident in zip(rows, ids, strict=True)])
        return ids
    # Numbered by the database, each row found by its position (unique within its job group).
    return insert_all_returning_ids(conn, table, rows, key="position")


_BY_GROUP = _g.id == sa.bindparam("group_id")
_BY_IDS = _j.id.in_(sa.bindparam("ids", expanding=True))
_GROUP_STATUS = sa.select(GROUP_STATUS).where(_BY_GROUP)
_JOB_STATUSES = (sa.select(_j.id, JOB_STATUS.label("status")).where(_j.job_group_id == sa.bindparam("group_id"))
                 .order_by(_j.position, _j.id))
# Cancelling: a job or group still waiting never starts (no run_at); a running one stops now.
_CANCEL_WAITING_JOBS = T.jobs.update().where(_BY_IDS).values(
    run_at=None, end_at=NOW, outcome="Canceled", error_message=None)
_CANCEL_RUNNING_JOBS = T.jobs.update().where(_BY_IDS).values(end_at=NOW, outcome="Canceled", error_message=None)
_CANCEL_WAITING_GROUP = T.job_groups.update().where(_BY_GROUP).values(run_at=None, end_at=NOW, outcome="Canceled")
_CANCEL_RUNNING_GROUP = T.job_groups.update().where(_BY_GROUP).values(end_at=NOW, outcome="Canceled")


def cancel(conn: Connection, group_id: int, now: datetime, status: str | None = None) -> list[int]:
    """Cancel a job group at `now`: running jobs stop, waiting jobs never start. Returns the canceled job ids.

    `status` is the group's status at `now`, if the caller has read it already.
    """
    if status is None:
        status = conn.execute(_GROUP_STATUS, {"now": now, "group_id": group_id}).scalar_one()
    if status in FINAL:
        return []
    rows = conn.execute(_JOB_STATUSES, {"now": now, "group_id": group_id}).all()
    canceled = [row.id for row in rows if row.status not in FINAL]
    waiting = [row.id for row in rows if row.status == "Created"]
    running = [ident for ident in canceled if ident not in waiting]
    if waiting:
        conn.execute(_CANCEL_WAITING_JOBS, {"now": now, "ids": waiting})
    if running:
        conn.execute(_CANCEL_RUNNING_JOBS, {"now": now, "ids": running})
    group = _CANCEL_WAITING_GROUP if status == "Created" else _CANCEL_RUNNING_GROUP
    conn.execute(group, {"now": now, "group_id": group_id})
    return canceled


def _unusable_write_setting(setting: dict[str, Any]) -> str | None:
    """Why a write setting cannot be applied, if it cannot: the reason its file-writing job fails."""
    for name, options in WRITE_OPTIONS.items():
        value = setting.get(name)
        if value is not None and value not in options:
            return f"Write setting {name} '{value}' is not supported."
    return None
