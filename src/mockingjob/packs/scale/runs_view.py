"""The dashboard's view of Scale's jobs (``GET /_mockingjob/runs``): each job's executions one after the other,
QUEUED → RUNNING → COMPLETED, FAILED or CANCELED, a requeued job queued again after its failure.

A job stores only its current attempt's plan; its earlier attempts are its executions. The states come from
those instants by the rule the job's status is derived by, and the job's status (`model.STATUS`) has the last
word: a failed job canceled later shows FAILED, then CANCELED from its cancel.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import RunTimeline, Timeline

from .model import FINAL, LAST_MODIFIED, STATUS
from .tables import TABLES as T

_j, _x, _jt = T.jobs.c, T.job_exes.c, T.job_types.c

_LATEST_JOBS = (
    sa.select(_j.id, _j.queued, _j.run_at, _j.end_at, _j.outcome, STATUS.label("status"),
              LAST_MODIFIED.label("modified"), _jt.name, _jt.version)
    .join_from(T.jobs, T.job_types, _jt.id == _j.job_type_id)
    .order_by(_j.created.desc(), _j.id.desc())
    .limit(sa.bindparam("limit"))
)
_EXECUTIONS = (
    sa.select(_x.job_id, _x.queued, _x.run_at, _x.end_at, _x.outcome)
    .where(_x.job_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_x.job_id, _x.exe_num)
)


def run_timelines(api: str, conn: Connection, now: datetime, limit: int) -> list[RunTimeline]:
    """The `limit` jobs created last, newest first, each with the states it went through by `now`."""
    jobs = conn.execute(_LATEST_JOBS, {"now": now, "limit": limit}).all()
    steps: dict[int, list[tuple[str, datetime | None]]] = {job.id: [] for job in jobs}
    if jobs:
        for exe in conn.execute(_EXECUTIONS, {"ids": list(steps)}):
            steps[exe.job_id] += [("QUEUED", exe.queued), ("RUNNING", exe.run_at), (exe.outcome, exe.end_at)]
    timelines = []
    for job in jobs:
        own = steps[job.id] or [("QUEUED", job.queued), ("RUNNING", job.run_at), (job.outcome, job.end_at)]
        if Timeline(tuple(own)).state_at(now) != job.status:
            own.append((job.status, job.modified))
        label = f"{job.name} {job.version}"
        timelines.append(RunTimeline.derived(api, job.id, label, Timeline(tuple(own)), now, FINAL))
    return timelines
