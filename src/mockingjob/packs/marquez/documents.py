"""The JSON documents Marquez serves: Namespace, Dataset, Job and Run, and the queries that read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import UTC

from .instants import format_instant
from .model import duration_ms
from .queries import LATEST_RUNS, LATEST_RUNS_OF_ALL_JOBS_PAGE, LATEST_RUNS_OF_JOBS_PAGE


def namespace_document(ns: Any) -> dict[str, Any]:
    return {
        "name": ns.name, "createdAt": format_instant(ns.created_at), "updatedAt": format_instant(ns.updated_at),
        "ownerName": ns.owner_name, "description": ns.description, "isHidden": bool(ns.is_hidden),
    }


# When a dataset recorded before its times were kept says it was created: the start of the epoch.
_BEFORE_RECORDING = datetime(1970, 1, 1, tzinfo=UTC)


def dataset_document(dataset: Any) -> dict[str, Any]:
    """A dataset as Marquez's ``Dataset`` (a DB_TABLE or STREAM) serialises it."""
    return {
        "id": {"namespace": dataset.namespace, "name": dataset.name},
        "type": dataset.type or "DB_TABLE",
        "name": dataset.name,
        "physicalName": dataset.physical_name or dataset.name,
        "createdAt": format_instant(dataset.created_at or _BEFORE_RECORDING),
        "updatedAt": format_instant(dataset.updated_at or _BEFORE_RECORDING),
        "namespace": dataset.namespace,
        "sourceName": dataset.source_name or "default",  # OpenLineageDao.DEFAULT_SOURCE_NAME
        "fields": dataset.fields or [],
        "tags": sorted(dataset.tags or []),
        "lastModifiedAt": format_instant(dataset.last_modified_at) if dataset.last_modified_at else None,
        "lastLifecycleState": None,
        "description": dataset.description,
        "currentVersion": dataset.current_version,
        "columnLineage": None,
        "facets": dataset.facets or {},
        "deleted": False,
    }


def source_document(source: Any) -> dict[str, Any]:
    return {"type": source.type, "name": source.name, "createdAt": format_instant(source.created_at),
            "updatedAt": format_instant(source.updated_at), "connectionUrl": source.connection_url,
            "description": source.description}


def tag_document(tag: Any) -> dict[str, Any]:
    return {"name": tag.name, "description": tag.description}


def run_document(run: Any, job: Any) -> dict[str, Any]:
    """`job` need only have the job's ``namespace`` and ``name`` (a run row joined with them will do)."""
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
        "latestRuns": latest or None,  # JobDao.setJobData sets them only when the job has runs
        "facets": {},
        "currentVersion": job.current_version,
        "labels": [],
        "tags": [],
    }


# --- queries -------------------------------------------------------------------------------------------

def latest_runs(conn: Connection, job_id: int) -> Sequence[Any]:
    """A job's most recently changed runs first (RunDao.findByLatestJob orders by ``transitioned_at``)."""
    return conn.execute(LATEST_RUNS, {"job_id": job_id}).all()


def latest_runs_of_jobs_page(conn: Connection, page: Mapping[str, Any], *,
                             every_namespace: bool = False) -> dict[int, list[Any]]:
    """`latest_runs` of every job on the page of `JOBS_PAGE` (or `ALL_JOBS_PAGE`) that `page` (its parameters)
    selects, in one query; a job without runs is left out."""
    runs: dict[int, list[Any]] = {}
    for run in conn.execute(LATEST_RUNS_OF_ALL_JOBS_PAGE if every_namespace else LATEST_RUNS_OF_JOBS_PAGE, page):
        runs.setdefault(run.job_id, []).append(run)
    return runs
