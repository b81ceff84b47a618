"""Runs as Marquez records them: a new run's initial record, and the transitions a client marks.

Marquez does not run anything; a run's state changes only through ``start``/``complete``/``fail``/``abort``.
Its plan is therefore a single step: the state a new run is created in (NEW). A control plane that wants a
different starting state for new runs overrides `plan_for_new_run`, the one place a new run is planned.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Plan, insert_racing

from .queries import INSERT_RUN, JOB_BY_ID, RUN_JOB_ID, UPDATE_JOB, UPDATE_RUN
from .tables import TABLES as T
from .versions import record_job_version

_d = T.datasets.c

STATES = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")
DONE = ("COMPLETED", "FAILED", "ABORTED")
_MICROSECOND = timedelta(microseconds=1)
INITIAL_STATE = "NEW"
_INSERT_ATTEMPTS = 10


def plan_for_new_run(job: Any, defaults: Mapping[str, Any] | None = None) -> Plan:
    """What a new run of `job` does by itself: enter its initial state (NEW, unless the defaults say otherwise)
    and stay there until a client marks it."""
    return Plan((), str((defaults or {}).get("state", INITIAL_STATE)))


def new_run_record(job: Any, run_id: str, now: datetime, meta: Mapping[str, Any],
                   defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The row of a run created now for `job` from the request body `meta` (RunDao.upsertRunMeta), but for its
    ``seq``, which `insert_run` has the database number."""
    timeline = plan_for_new_run(job, defaults).schedule(now)
    return {
        "id": run_id, "job_id": job.id, "created_at": now, "updated_at": now,
        "nominal_start_time": meta.get("nominalStartTime"), "nominal_end_time": meta.get("nominalEndTime"),
        "state": timeline.state_at(now), "transitioned_at": now, "started_at": timeline.entered("RUNNING", now),
        "ended_at": None, "args": meta.get("args") or {}, "context": job.context, "job_version": None,
        "parent_run_id": meta.get("parentRunId"), "input_versions": None, "output_versions": None,
        "facets": None, "job_facets": None,
    }


def insert_run(conn: Connection, record: Mapping[str, Any]) -> bool:
    """Insert a new run's `record`, numbered after every other run; False if its id was taken meanwhile.

    Other workers create runs at the same time. The INSERT takes the next ``seq`` itself (never from an earlier
    read), and `insert_racing` tries it again where a run committed meanwhile elsewhere took that number (the
    unique ``seq`` refuses the second one). The id the client gave may also have been taken meanwhile: that is
    the client's error, as when it was taken before.
    """
    return insert_racing(conn, INSERT_RUN, record, attempts=_INSERT_ATTEMPTS,
                         lost=lambda: conn.execute(RUN_JOB_ID, {"run_id": record["id"]}).first() is not None)


def arg_text(value: Any) -> str:
    """A run argument as Jackson coerces a JSON scalar into a ``Map<String, String>`` value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def duration_ms(started: datetime | None, ended: datetime | None) -> int | None:
    """``startedAt.until(endedAt, MILLIS)``: whole milliseconds, truncated toward zero; null unless both."""
    if started is None or ended is None:
        return None
    micros = (ended - started) // _MICROSECOND
    return micros // 1000 if micros >= 0 else -((-micros) // 1000)


def transition(conn: Connection, run: Any, state: str, at: datetime, *, by_event: bool = False) -> dict[str, Any]:
    """Mark `run` as `state` at `at` (RunStateDao): no state machine, any state to any state. Return the run's
    columns that changed, with their new values.

    The state and ``updatedAt`` always follow; every start sets ``startedAt`` (RunDao.updateStartState updates it
    unconditionally), so a run started twice is measured from its latest start. Every finish sets ``endedAt`` and
    records the job version the run ran (JobVersionDao.upsertJobVersionOnRunTransition), which becomes the job's
    current version. Marked through the run endpoints (not `by_event`), a finish also marks the datasets the run
    wrote as modified then (RunStateDao.updateRunStateFor).
    """
    values: dict[str, Any] = {"state": state, "updated_at": at, "transitioned_at": at}
    if state == "RUNNING":
        values["started_at"] = at
    if state in DONE:
        job = conn.execute(JOB_BY_ID, {"job_id": run.job_id}).one()
        # What the run read and wrote (JobVersionDao.loadJobRowRunDetails): nothing, for a run no event named.
        inputs, outputs = run.input_versions or [], run.output_versions or []
        row_id, version = record_job_version(conn, job, run.id, inputs, outputs, at)
        values.update(ended_at=at, job_version=version)
        # The job's facets are those its current version's runs sent (JobFacetsDao links them to the version).
        same = job.current_version == row_id
        facets = {**((job.facets or {}) if same else {}), **(run.job_facets or {})}
        conn.execute(UPDATE_JOB, {"job_id": job.id, "current_version": row_id, "updated_at": at, "facets": facets})
        if not by_event and run.output_versions:
            written = sa.tuple_(_d.namespace, _d.name).in_([(d["namespace"], d["name"]) for d in run.output_versions])
            conn.execute(T.datasets.update().where(written), {"last_modified_at": at, "updated_at": at})
    conn.execute(UPDATE_RUN, {"run_id": run.id, **values})
    return values
