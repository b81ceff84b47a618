"""Coalesce's JSON documents for runs (summary and full detail), built from rows carrying derived state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mockingjob.timeutil import format_iso

from .model import CANCELED, FAILED


def ts(value: datetime | None) -> str | None:
    return format_iso(value, digits=3)


def _present(doc: dict[str, Any]) -> dict[str, Any]:
    """Coalesce leaves unset fields out rather than sending nulls."""
    return {key: value for key, value in doc.items() if value is not None}


def run_summary(row: Any) -> dict[str, Any]:
    """A run as the list shows it without ``detail``; `row` carries ``status``, ``ended`` and the env name."""
    return _present({
        "id": row.id,
        "reRunID": None if row.rerun_of is None else str(row.rerun_of),
        "runStartTime": ts(row.queued_at),
        "runEndTime": ts(row.ended),
        "runType": row.run_type,
        "runStatus": row.status,
        "environmentID": row.environment_id,
        "runFailureReason": row.failure_reason if row.status == FAILED else None,
    })


def _run_details(row: Any) -> dict[str, Any]:
    common = {"canceled": row.status == CANCELED, "environmentID": row.environment_id,
              "parallelism": row.parallelism, "nodesInRun": len(row.node_ids)}
    if row.run_type == "deploy":
        return _present({**common, "deployCommit": row.deploy_commit,
                         "deployCommitMessage": row.deploy_commit_message})
    return _present({**common, "includeNodesSelector": row.include_selector or None,
                     "excludeNodesSelector": row.exclude_selector or None, "jobID": row.job_id,
                     "jobName": row.job_name})


def run_detail(row: Any) -> dict[str, Any]:
    """A run with its full detail (``detail=true``, and Get Run). Credentials show only their public half."""
    return {
        **run_summary(row),
        "runDetails": _run_details(row),
        "runTimeParameters": row.runtime_parameters,
        "userCredentials": _present({
            "snowflakeAccount": row.connection_account,
            "snowflakeAuthType": row.auth_type,
            "snowflakeUsername": row.username,
            "snowflakeRole": row.role,
            "snowflakeWarehouse": row.warehouse,
        }),
    }
