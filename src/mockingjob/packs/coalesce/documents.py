"""Coalesce's JSON documents for runs (summary and full detail), built from rows carrying derived state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mockingjob.kit import format_iso

from .model import CANCELED, FAILED

# The official spec's `version` of a run document: an integer it does not explain; every run has the same.
RUN_VERSION = 1


def ts(value: datetime | None) -> str | None:
    """`value` to the millisecond, as ``format_iso(value, digits=3)`` writes it."""
    if value is not None and value.tzinfo is UTC:
        # The store's instants are UTC already: a quicker way to the same text, as a list shows many.
        return value.isoformat(timespec="milliseconds")[:-6] + "Z"
    return format_iso(value, digits=3)


def present(doc: dict[str, Any]) -> dict[str, Any]:
    """Coalesce leaves unset fields out rather than sending nulls."""
    return {key: value for key, value in doc.items() if value is not None}


def run_summary(row: Any) -> dict[str, Any]:
    """A run as the list shows it without ``detail``; `row` carries ``status``, ``ended`` and the env name."""
    return present({
        "id": row.id,
        "reRunID": None if row.rerun_of is None else str(row.rerun_of),
        "runStartTime": ts(row.queued_at),
        "runEndTime": ts(row.ended),
        "runType": row.run_type,
        "runStatus": row.status,
        "environmentID": row.environment_id,
        "runFailureReason": row.failure_reason if row.status == FAILED else None,
        "version": RUN_VERSION,
        "runHistory": row.run_history,
        "userID": row.user_id,
    })


def refresh_description(row: Any) -> str:
    """What a refresh run refreshes, in words: its job, the run it reruns, or the nodes its selectors pick."""
    job = f"job {row.job_name}" if row.job_name is not None else None
    if row.rerun_of is not None:
        return f"Rerun of run {row.rerun_of}" + (f" ({job})" if job else "")
    if job:
        return job[0].upper() + job[1:]
    if row.include_selector or row.exclude_selector:
        return "Nodes picked by the run's selectors"
    return "Every node of the environment"


def _run_details(row: Any) -> dict[str, Any]:
    doc = {"canceled": row.status == CANCELED, "environmentID": row.environment_id,
           "parallelism": row.parallelism, "nodesInRun": len(row.node_ids)}
    if row.run_type == "deploy":
        doc.update(deployCommit=row.deploy_commit, deployCommitMessage=row.deploy_commit_message)
    else:
        doc.update(includeNodesSelector=row.include_selector or None,
                   excludeNodesSelector=row.exclude_selector or None, jobID=row.job_id, jobName=row.job_name,
                   forceIgnoreEnvironmentStatus=row.force_ignore, refreshDescription=refresh_description(row),
                   nodesForRefresh=row.nodes_for_refresh)
    return present(doc)


def run_detail(row: Any) -> dict[str, Any]:
    """A run with its full detail (``detail=true``, and Get Run). Credentials show only their public half."""
    doc = run_summary(row)  # extended in place: no copy per run of a long list
    doc["runDetails"] = _run_details(row)
    doc["runTimeParameters"] = row.runtime_parameters
    doc["userCredentials"] = present({
        "snowflakeAccount": row.connection_account,
        "snowflakeAuthType": row.auth_type,
        "snowflakeUsername": row.username,
        "snowflakeRole": row.role,
        "snowflakeWarehouse": row.warehouse,
    })
    return doc
