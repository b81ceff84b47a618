"""The dashboard's view of Marquez's runs (``GET /_mockingjob/runs``): NEW, then the states its OpenLineage events
put it in (START and RUNNING: RUNNING; COMPLETE, FAIL, ABORT), at their event times.

Marquez records runs rather than running them: a run is in the state it was last marked, whatever the mock's
clock says (an event's time is the client's), so every step a run was told of counts as reached. A mark through
the run endpoints (``/runs/{id}/complete``) leaves no event: the run's stored state has the last word, from
when it was marked.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import RunTimeline, Timeline

from .lineage import run_state
from .model import DONE, INITIAL_STATE
from .tables import TABLES as T

_r, _j, _e = T.runs.c, T.jobs.c, T.lineage_events.c

_LATEST_RUNS = (
    sa.select(_r.id, _r.created_at, _r.state, _r.transitioned_at, _r.started_at, _j.namespace, _j.name)
    .join_from(T.runs, T.jobs, _j.id == _r.job_id)
    .order_by(_r.created_at.desc(), _r.seq.desc())
    .limit(sa.bindparam("limit"))
)
# Run events only (static lineage has no run), in the order they were applied.
_EVENTS = (
    sa.select(_e.run_id, _e.event_time, _e.document)
    .where(_e.run_id.in_(sa.bindparam("ids", expanding=True)), _e.kind.is_(None))
    .order_by(_e.id)
)


def run_timelines(api: str, conn: Connection, now: datetime, limit: int) -> list[RunTimeline]:
    """The `limit` runs created last, newest first, each with the states it went through."""
    runs = conn.execute(_LATEST_RUNS, {"limit": limit}).all()
    marked: dict[str, list[tuple[str, datetime | None]]] = defaultdict(list)
    if runs:
        for event in conn.execute(_EVENTS, {"ids": [run.id for run in runs]}):
            event_type = event.document.get("eventType") if isinstance(event.document, dict) else None
            if event_type is not None:
                marked[event.run_id].append((run_state(str(event_type)), event.event_time))
    timelines = []
    for run in runs:
        steps: list[tuple[str, datetime | None]] = [(INITIAL_STATE, run.created_at), *marked.get(run.id, ())]
        if run.id not in marked and run.started_at is not None:
            steps.append(("RUNNING", run.started_at))
        latest = max([now, run.transitioned_at, *(at for _, at in steps if at is not None)])
        if Timeline(tuple(steps)).state_at(latest) != run.state:
            steps.append((run.state, run.transitioned_at))
        timelines.append(RunTimeline.derived(api, run.id, f"{run.namespace} / {run.name}", Timeline(tuple(steps)),
                                             latest, DONE))
    return timelines
