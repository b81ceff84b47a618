"""The JSON documents of the Trifacta v4 API, as the real service shapes them: job groups and jobs, flows and
flow runs, imported and wrangled datasets, output objects, write settings and publications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from mockingjob.kit import format_iso

from .model import FINAL

# The mock has one workspace and one user; every object is theirs.
WORKSPACE_ID = 1
USER_ID = 1


def ts(value: datetime | None) -> str | None:
    """Trifacta's timestamps: ISO-8601 UTC with milliseconds (``2018-01-25T18:01:16.456Z``)."""
    if value is not None and value.tzinfo is UTC:
        # What the store and the clock give, formatted directly: a list formats thousands of these.
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    return format_iso(value, digits=3)


def percent_complete(job: Any, now: datetime) -> int:
    if job.status == "Complete":
        return 100
    if job.run_at is None or job.run_at > now:
        return 0
    until = now if job.end_at is None or job.end_at > now else job.end_at
    done = (until - job.run_at).total_seconds() / job.seconds if job.seconds > 0 else 1.0
    # Only a completed job reaches 100.
    return max(0, min(99, int(done * 100)))


def job_document(job: Any, now: datetime, *, script_results: bool = False) -> dict[str, Any]:
    """A job; with `script_results`, the results it produced (a completed wrangle or file writer job's)."""
    running = job.status == "InProgress"
    document = {
        "id": job.id,
        "status": job.status,
        "jobType": job.job_type,
        "sampleSize": 100,
        "percentComplete": percent_complete(job, now),
        "lastHeartbeatAt": ts(now if running else (job.end_at if job.status in FINAL and job.run_at else None)),
        "createdAt": ts(job.created_at),
        "updatedAt": ts(job.updated_at),
        "creator": {"id": USER_ID},
        "jobGroup": {"id": job.job_group_id},
        "errorMessage": job.error_message if job.status == "Failed" else None,
        "executionLanguage": job.execution,
        "cpJobId": None,
        "templateLocation": None,
        "writeSetting": None if job.write_setting_id is None else {"id": job.write_setting_id},
        "scriptResult": {"id": job.id} if job.job_type == "wrangle" else None,
    }
    if script_results:
        produced = job.status == "Complete" and job.job_type in ("wrangle", "filewriter")
        document["scriptResults"] = {"data": [{"id": job.id}] if produced else []}
    return document


def dataset_document(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "createdAt": ts(row.created_at), "flow": {"id": row.flow_id,
                                                                                      "name": row.flow_name}}


def group_document(group: Any, *, jobs: list[Any] | None = None, dataset: Any = None, now: datetime,
                   script_results: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": group.id,
        "name": None,
        "description": None,
        "ranfrom": group.ranfrom,
        "ranfor": "recipe",
        "status": group.status,
        "profilingEnabled": group.profiler,
        "runParameterReferenceDate": ts(group.created_at.replace(microsecond=0)),
        "createdAt": ts(group.created_at),
        "updatedAt": ts(group.updated_at),
        "workspace": {"id": WORKSPACE_ID},
        "creator": {"id": USER_ID},
        "updater": {"id": USER_ID},
        "snapshot": {"id": group.id},
        "wrangledDataset": dataset_document(dataset) if dataset is not None else {"id": group.dataset_id},
        "flowRun": ref(group.flow_run_id),
    }
    if jobs is not None:
        document["jobs"] = {"data": [job_document(job, now, script_results=script_results) for job in jobs]}
    return document


def created_document(group_id: int, session_id: str, job_ids: Sequence[int],
                     edges: Sequence[Sequence[int]]) -> dict[str, Any]:
    """The answer to POST /v4/jobGroups: the job group, its jobs in order of execution and the edges between them."""
    return {
        "sessionId": session_id,
        "reason": "JobStarted",
        "jobGraph": {
            "vertices": list(job_ids),
            "edges": [{"source": source, "target": target} for source, target in edges],
        },
        "id": group_id,
        "jobs": {"data": [{"id": job_id} for job_id in job_ids]},
    }


def ref(ident: int | None) -> dict[str, int] | None:
    return None if ident is None else {"id": ident}


_OWNERS = {"creator": {"id": USER_ID}, "updater": {"id": USER_ID}}


def flow_document(row: Any, nodes: Sequence[Any] | None = None) -> dict[str, Any]:
    """A flow; with `nodes` (its recipes, from ``embed=flowNodes``) listed under ``flowNodes``."""
    document: dict[str, Any] = {
        "id": row.id, "name": row.name, "description": row.description, "createdAt": ts(row.created_at),
        "updatedAt": ts(row.updated_at), **_OWNERS, "folder": ref(row.folder_id), "workspace": {"id": WORKSPACE_ID},
    }
    if nodes is not None:
        document["flowNodes"] = {"data": [wrangled_dataset_document(node) for node in nodes]}
    return document


def updated_document(ident: int, updated_at: datetime) -> dict[str, Any]:
    """What a PATCH answers: the object's id, who changed it and when."""
    return {"id": ident, "updater": {"id": USER_ID}, "updatedAt": ts(updated_at)}


# How an imported dataset's storage is named, by the scheme of its URI.
_STORAGE_TYPES = {"gs": "gcs", "s3": "s3", "s3a": "s3", "hdfs": "hdfs", "file": "file", "": "file",
                  "http": "http", "https": "http"}
_BUCKETED = frozenset({"gs", "s3", "s3a"})


def imported_dataset_document(row: Any) -> dict[str, Any]:
    parts = urlsplit(row.uri)
    scheme = parts.scheme.lower()
    bucketed = scheme in _BUCKETED
    return {
        "id": row.id, "name": row.name, "description": row.description, "uri": row.uri,
        "path": parts.path if bucketed or scheme else row.uri, "bucket": parts.netloc if bucketed else None,
        "type": _STORAGE_TYPES.get(scheme, scheme), "isDynamic": False, "isSchematized": False,
        "isConverted": False, "disableTypeInference": False, "hasStructuring": row.has_structuring,
        "dynamicPath": None, "runParameters": {"data": []}, "createdAt": ts(row.created_at),
        "updatedAt": ts(row.updated_at), **_OWNERS, "workspace": {"id": WORKSPACE_ID},
    }


def default_dataset_name(uri: str) -> str:
    """The name an imported dataset gets when none is given: its file's name."""
    return urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1] or uri


def wrangled_dataset_document(row: Any, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A recipe (flow node); with `outputs` (``embed=outputObjects``) its output object, if it has one."""
    document: dict[str, Any] = {
        "id": row.id, "wrangled": True, "name": row.name, "description": row.description,
        "createdAt": ts(row.created_at), "updatedAt": ts(row.updated_at), **_OWNERS, "flow": {"id": row.flow_id},
        "recipe": {"id": row.id, "name": row.name}, "activeSample": {"id": row.id}, "referenceInfo": None,
        "referencedFlowNode": None,
    }
    if outputs is not None:
        document["outputObjects"] = {"data": outputs}
    return document


def output_object_document(row: Any, write_settings: Sequence[Any] | None = None,
                           publications: Sequence[Any] | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": row.id, "execution": row.execution, "profiler": row.profiler, "isAdhoc": row.is_adhoc,
        "flowNode": {"id": row.dataset_id}, "createdAt": ts(row.created_at), "updatedAt": ts(row.updated_at),
        **_OWNERS,
    }
    if write_settings is not None:
        document["writeSettings"] = {"data": [write_setting_document(w) for w in write_settings]}
    if publications is not None:
        document["publications"] = {"data": [publication_document(p) for p in publications]}
    return document


# What a write setting says when the client left it out.
WRITE_SETTING_DEFAULTS: dict[str, Any] = {"compression": "none", "header": False, "asSingleFile": False}
_SHOWN_DEFAULTS: dict[str, Any] = {**WRITE_SETTING_DEFAULTS, "delim": ",", "hasQuotes": False, "prefix": None,
                                   "suffix": None}


def write_setting_document(row: Any) -> dict[str, Any]:
    given = row.document
    return {
        "id": row.id, "path": given["path"], "action": given["action"], "format": given["format"],
        **{name: given.get(name, default) for name, default in _SHOWN_DEFAULTS.items()},
        "createdAt": ts(row.created_at), "updatedAt": ts(row.updated_at), **_OWNERS,
        "outputObject": ref(row.output_object_id),
    }


def publication_document(row: Any) -> dict[str, Any]:
    given = row.document
    return {
        "id": row.id, "path": list(given["path"]), "tableName": given["tableName"],
        "targetType": given["targetType"], "action": given["action"], "createdAt": ts(row.created_at),
        "updatedAt": ts(row.updated_at), **_OWNERS, "outputObject": {"id": row.output_object_id},
        "connection": given.get("connection"),
    }


def flow_run_document(row: Any, updated_at: datetime) -> dict[str, Any]:
    return {"id": row.id, "scheduleExecutionId": None, "flow": {"id": row.flow_id}, "createdAt": ts(row.created_at),
            "updatedAt": ts(updated_at), **_OWNERS}


def combined_status(statuses: Sequence[str]) -> str:
    """A flow run's status, from its job groups': ended when all have, failed if one failed."""
    if all(status in FINAL for status in statuses):
        for outcome in ("Failed", "Canceled"):
            if outcome in statuses:
                return outcome
        return "Complete"
    if all(status == "Created" for status in statuses):
        return "Created"
    return "InProgress"
