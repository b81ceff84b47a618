"""The JSON documents Marquez serves: Namespace, Dataset, Job and Run, and the queries that read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import UTC

from .instants import format_instant
from .lineage import job_uuid
from .model import duration_ms
from .queries import LATEST_RUNS, LATEST_RUNS_OF_ALL_JOBS_PAGE, LATEST_RUNS_OF_JOBS_PAGE


def namespace_document(ns: Any) -> dict[str, Any]:
    return {
        "name": ns.name, "createdAt": format_instant(ns.created_at), "updatedAt": format_instant(ns.updated_at),
        "ownerName": ns.owner_name, "description": ns.description, "isHidden": bool(ns.is_hidden),
    }


# When a dataset recorded before its times were kept says it was created: the start of the epoch.
_BEFORE_RECORDING = datetime(1970, 1, 1, tzinfo=UTC)


def dataset_document(dataset: Any, column_lineage: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A dataset as Marquez's ``Dataset`` (a DB_TABLE or STREAM) serialises it; `column_lineage` are its fields'
    (`column_lineage_of`), which Marquez gives only when it lists datasets or gets one."""
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
        "lastLifecycleState": dataset.lifecycle_state,
        "description": dataset.description,
        "currentVersion": dataset.current_version,
        "columnLineage": column_lineage or None,
        "facets": dataset.facets or {},
        "deleted": bool(dataset.is_deleted),
    }


def dataset_version_document(version: Any, dataset: Any, run: Any | None) -> dict[str, Any]:
    """A version of `dataset` as Marquez's ``DatasetVersion`` serialises it: its own fields, facets and lifecycle
    state, the dataset's current tags and description, and the run that wrote it (`run`, a run row joined with
    its job's ``namespace`` and ``name``)."""
    return {
        "id": {"namespace": dataset.namespace, "name": dataset.name},
        "type": dataset.type or "DB_TABLE",
        "name": dataset.name,
        "physicalName": dataset.physical_name or dataset.name,
        "createdAt": format_instant(version.created_at),
        "version": version.uuid,
        "namespace": dataset.namespace,
        "sourceName": dataset.source_name or "default",
        "fields": version.fields or [],
        "tags": sorted(dataset.tags or []),
        "lifecycleState": version.lifecycle_state,
        "description": dataset.description,
        "currentSchemaVersion": None,
        "createdByRun": run_document(run, run) if run is not None else None,
        "facets": version.facets or {},
    }


def job_version_document(version: Any, job: Any, run: Any | None) -> dict[str, Any]:
    """A version of `job` as Marquez's ``JobVersion`` serialises it, with the latest run of it."""
    return {
        "id": {"namespace": job.namespace, "name": job.name, "version": version.version},
        "name": job.name,
        "createdAt": format_instant(version.created_at),
        "version": version.version,
        "namespace": job.namespace,
        "location": version.location,
        "inputs": version.inputs,
        "outputs": version.outputs,
        "latestRun": run_document(run, run) if run is not None else None,
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
        "inputDatasetVersions": _versions_read_or_written(run.input_versions),
        "outputDatasetVersions": _versions_read_or_written(run.output_versions),
        "context": run.context,
        "facets": run.facets or {},
    }


def _versions_read_or_written(versions: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"datasetVersionId": {"namespace": v["namespace"], "name": v["name"], "version": v["version"]},
             "facets": v.get("facets") or {}} for v in versions or []]


def _ids(datasets: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"namespace": d["namespace"], "name": d["name"]} for d in datasets or []]


def job_io(job: Any, runs: Sequence[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A job's inputs and outputs as JobDao.findWithDatasetsAndRun finds them: the inputs its latest event or PUT
    named (no outputs); if it has runs, what its latest run read and wrote instead; and where its current version
    read or wrote anything, that (``version_inputs``, ``version_outputs``: given by the job queries)."""
    inputs, outputs = _ids(job.inputs), []
    if runs:
        inputs, outputs = _ids(runs[0].input_versions), _ids(runs[0].output_versions)
    version_inputs, version_outputs = getattr(job, "version_inputs", None), getattr(job, "version_outputs", None)
    return (_ids(version_inputs) or inputs), (_ids(version_outputs) or outputs)


def job_document(job: Any, runs: Sequence[Any], *, with_runs: bool = True) -> dict[str, Any]:
    """`runs` are the job's latest runs, newest first. Without `with_runs`, the job as Marquez answers a change
    to it (JobDao.findJobByName): no runs, its current inputs, no outputs."""
    latest = [run_document(run, job) for run in runs] if with_runs else []
    inputs, outputs = job_io(job, runs) if with_runs else (_ids(job.inputs), [])
    parent = job.parent_job_name
    facets = job.facets or {}
    job_type: dict[str, Any] = facets["jobType"] if isinstance(facets.get("jobType"), dict) else {}
    return {
        "id": {"namespace": job.namespace, "name": job.name},
        "type": job.type,
        "name": job.name,
        "simpleName": job.name[len(parent) + 1:] if parent and job.name.startswith(f"{parent}.") else job.name,
        "parentJobName": parent,
        "parentJobUuid": job_uuid(job.namespace, parent) if parent else None,
        "createdAt": format_instant(job.created_at),
        "updatedAt": format_instant(job.updated_at),
        "namespace": job.namespace,
        "inputs": inputs,
        "outputs": outputs,
        "location": job.location,
        "description": job.description,
        "latestRun": latest[0] if latest else None,
        "latestRuns": latest or None,  # JobDao.setJobData sets them only when the job has runs
        "facets": facets,
        "currentVersion": job.current_version,
        # JobMapper.getLabels: the job type facet's type and integration, those it gives.
        "labels": [str(job_type[key]) for key in ("jobType", "integration") if job_type.get(key) is not None],
        "tags": sorted(job.tags or []),
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
