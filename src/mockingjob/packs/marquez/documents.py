"""The JSON documents Marquez serves: Namespace, Job and Run, and the queries that read them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .dropwizard import format_instant
from .model import duration_ms
from .tables import Tables

LATEST_RUNS = 10


def namespace_document(ns: Any) -> dict[str, Any]:
    return {
        "name": ns.name, "createdAt": format_instant(ns.created_at), "updatedAt": format_instant(ns.updated_at),
        "ownerName": ns.owner_name, "description": ns.description, "isHidden": bool(ns.is_hidden),
    }


def run_document(run: Any, job: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "createdAt": format_instant(run.created_at),
        "updatedAt": format_instant(run.updated_at),
        "nominalStartTime": format_instant(run.nominal_start_time),
        "nominalEndTime": format_instant(run.nominal_end_time),
        "state": run.state,
        "startedAt": format_instant(run.started_at),
        "endedAt": format_instant(run.ended_at),
        "durationMs": duration_ms(run.started_at, run.ended_at),
        "args": run.args,
        "jobVersion": ({"namespace": job.namespace, "name": job.name, "version": run.job_version}
                       if run.job_version else None),
        "inputDatasetVersions": [],
        "outputDatasetVersions": [],
        "context": run.context,
        "facets": {},
    }


def job_document(job: Any, runs: Sequence[Any]) -> dict[str, Any]:
    """`runs` are the job's latest runs, newest first."""
    latest = [run_document(run, job) for run in runs]
    return {
        "id": {"namespace": job.namespace, "name": job.name},
        "type": job.type,
        "name": job.name,
        "simpleName": job.name,
        "parentJobName": None,
        "parentJobUuid": None,
        "createdAt": format_instant(job.created_at),
        "updatedAt": format_instant(job.updated_at),
        "namespace": job.namespace,
        "inputs": [{"namespace": d["namespace"], "name": d["name"]} for d in job.inputs],
        "outputs": [{"namespace": d["namespace"], "name": d["name"]} for d in job.outputs],
        "location": job.location,
        "description": job.description,
        "latestRun": latest[0] if latest else None,
        "latestRuns": latest,
        "facets": {},
        "currentVersion": job.current_version,
        "labels": [],
        "tags": [],
    }


# --- queries -------------------------------------------------------------------------------------------

def find_job(conn: Connection, t: Tables, namespace: str, name: str) -> Any:
    return conn.execute(sa.select(t.jobs).where(t.jobs.c.namespace == namespace, t.jobs.c.name == name)).first()


def next_run_seq(conn: Connection, t: Tables) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.runs.c.seq), 0))).scalar_one()) + 1


def find_run(conn: Connection, t: Tables, run_id: str) -> Any:
    return conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).first()


def job_by_id(conn: Connection, t: Tables, job_id: int) -> Any:
    return conn.execute(sa.select(t.jobs).where(t.jobs.c.id == job_id)).one()


def latest_runs(conn: Connection, t: Tables, job_id: int) -> Sequence[Any]:
    """A job's most recently changed runs first (RunDao.findByLatestJob orders by ``transitioned_at``)."""
    r = t.runs.c
    return conn.execute(sa.select(t.runs).where(r.job_id == job_id)
                        .order_by(r.transitioned_at.desc(), r.seq.desc())
                        .limit(LATEST_RUNS)).all()


def runs_page(conn: Connection, t: Tables, job_id: int, limit: int, offset: int) -> tuple[Sequence[Any], int]:
    """A page of a job's runs in Marquez's order: ``started_at DESC NULLS LAST`` (then newest created)."""
    r = t.runs.c
    never_started = sa.case((r.started_at.is_(None), 1), else_=0)
    rows = conn.execute(sa.select(t.runs).where(r.job_id == job_id)
                        .order_by(never_started, r.started_at.desc(), r.created_at.desc(), r.seq.desc())
                        .limit(limit).offset(offset)).all()
    total = conn.execute(sa.select(sa.func.count()).select_from(t.runs).where(r.job_id == job_id)).scalar_one()
    return rows, int(total)
