"""The JSON documents of the Trifacta v4 API: job groups and jobs, as the real service shapes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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


def job_document(job: Any, now: datetime) -> dict[str, Any]:
    running = job.status == "InProgress"
    return {
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


def dataset_document(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "createdAt": ts(row.created_at), "flow": {"id": row.flow_id,
                                                                                      "name": row.flow_name}}


def group_document(group: Any, *, jobs: list[Any] | None = None, dataset: Any = None,
                   now: datetime) -> dict[str, Any]:
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
        "flowRun": None,
    }
    if jobs is not None:
        document["jobs"] = {"data": [job_document(job, now) for job in jobs]}
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
