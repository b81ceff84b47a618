"""The dashboard's view of Coalesce's runs (``GET /_mockingjob/runs``): waitingToRun → initializing → rendering →
running → completed, failed or canceled, from the instants a run stores, by the rule its status is derived by
(`model.STATUS`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import RunTimeline, Timeline

from .model import FINAL, STEP_COLUMNS
from .tables import TABLES as T

_r = T.runs.c

_LATEST_RUNS = (
    sa.select(T.runs, T.jobs.c.name.label("job_name"), T.environments.c.name.label("environment_name"))
    .join_from(T.runs, T.environments, T.environments.c.id == _r.environment_id)
    .outerjoin(T.jobs, T.jobs.c.id == _r.job_id)
    .order_by(_r.queued_at.desc(), _r.id.desc())
    .limit(sa.bindparam("limit"))
)


def _label(run: sa.Row[tuple[object, ...]]) -> str:
    """``refresh "Nightly" in Production``; a run of no job: ``refresh in Production``."""
    job = f' "{run.job_name}"' if run.job_name else ""
    return f"{run.run_type}{job} in {run.environment_name}"


def run_timelines(api: str, conn: Connection, now: datetime, limit: int) -> list[RunTimeline]:
    """The `limit` runs started last, newest first, each with the states it went through by `now`."""
    timelines = []
    for run in conn.execute(_LATEST_RUNS, {"limit": limit}):
        steps = [(state, getattr(run, column)) for state, column in STEP_COLUMNS.items()]
        timeline = Timeline((*steps, (run.outcome, run.end_at)))
        timelines.append(RunTimeline.derived(api, run.id, _label(run), timeline, now, FINAL))
    return timelines
