"""Handlers of the Coalesce runs and scheduler endpoints, one per operationId of ``specs/coalesce.yaml``."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.errors import ApiError
from mockingjob.pack import Call, Reply

from .credentials import PublicCredentials, public_part
from .documents import run_detail, run_summary
from .model import COMPLETED, FAILED, FINAL, Derived, NodeRef, RunDefaults, cancel, plan_for_new_run, write_run
from .queries import find_run, list_page, run_number
from .results import run_results, unfinished_nodes
from .selectors import select
from .tables import TABLES as T

DEFAULT_PARALLELISM = 16

# --- scheduler ----------------------------------------------------------------------------------------


async def start_run(call: Call) -> Reply:
    body = call.body
    details = body["runDetails"]
    env = _environment(call.conn, details["environmentID"])
    job = _job(call.conn, env.id, details.get("jobID")) if details.get("jobID") is not None else None
    credentials = public_part(body.get("userCredentials"), env.oauth_enabled, env.id)
    _check_workspace(call, env.id, bool(details.get("forceIgnoreWorkspaceStatus")))
    parameters = _parameters(body.get("parameters"))
    include = details.get("includeNodesSelector", job.include_selector if job else None)
    exclude = details.get("excludeNodesSelector", job.exclude_selector if job else None)
    try:
        nodes = select(_nodes(call.conn, env.id), include, exclude)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    run_id = _start(call, env, job, credentials, parameters, [n.id for n in nodes], attempt=1, rerun_of=None,
                    parallelism=details.get("parallelism", DEFAULT_PARALLELISM), include=include, exclude=exclude,
                    force=bool(details.get("forceIgnoreWorkspaceStatus")))
    return Reply({"runCounter": run_id})


async def rerun(call: Call) -> Reply:
    body = call.body
    details = body["runDetails"]
    d = Derived(T, call.now)
    number = run_number(str(details["runID"]))
    original = find_run(call.conn, d, number) if number is not None else None
    if original is None:
        raise ApiError(400, f"Run {details['runID']} not found.")
    if original.run_type != "refresh" or original.status not in (FAILED, "canceled"):
        raise ApiError(400, f"Run {original.id} is a {original.status} {original.run_type} run; only failed or "
                            "canceled refresh runs can be rerun.")
    env = _environment(call.conn, original.environment_id)
    job = _job(call.conn, env.id, str(original.job_id)) if original.job_id is not None else None
    credentials = public_part(body["userCredentials"], env.oauth_enabled, env.id)
    _check_workspace(call, env.id, bool(details.get("forceIgnoreWorkspaceStatus")))
    # Runtime parameters of the previous run are not kept (Coalesce's documented behaviour).
    parameters = _parameters(body.get("parameters"))
    run_id = _start(call, env, job, credentials, parameters, unfinished_nodes(original, call.now),
                    attempt=original.attempt + 1, rerun_of=original.id,
                    parallelism=details.get("parallelism", original.parallelism),
                    include=original.include_selector, exclude=original.exclude_selector,
                    force=bool(details.get("forceIgnoreWorkspaceStatus")))
    return Reply({"runCounter": run_id})


async def cancel_run(call: Call) -> Reply:
    body = call.body
    run = find_run(call.conn, Derived(T, call.now), int(body["runID"]))
    if run is None:
        raise ApiError(400, f"Run {body['runID']} not found.")
    if body.get("environmentID") is not None and body["environmentID"] != run.environment_id:
        raise ApiError(400, f"Run {run.id} not found in environment {body['environmentID']}.")
    if run.status in FINAL:
        raise ApiError(400, f"Run {run.id} is already {run.status} and cannot be canceled.")
    cancel(call.conn, T, run, call.now)
    return Reply(None, 204)


async def run_status(call: Call) -> Reply:
    run = find_run(call.conn, Derived(T, call.now), call.params["runCounter"])
    if run is None:
        raise ApiError(400, f"Run {call.params['runCounter']} not found.")
    return Reply({"runStatus": run.status, "runType": run.run_type, "runLink": call.url(f"/api/v1/runs/{run.id}")})


# --- runs ---------------------------------------------------------------------------------------------


async def list_runs(call: Call) -> Reply:
    p = call.params
    page = list_page(call.conn, Derived(T, call.now), p)
    document = run_detail if p.get("detail") else run_summary
    body: dict[str, Any] = {
        "limit": 25 if p.get("limit") is None else p["limit"],
        "orderByDirection": p.get("orderByDirection") or "desc",
        "orderBy": p.get("orderBy") or "id",
        "data": [document(row) for row in page.rows],
    }
    if page.next is not None:
        body["next"] = page.next
    return Reply(body)


async def get_run(call: Call) -> Reply:
    return Reply(run_detail(_run(call)))


async def list_run_results(call: Call) -> Reply:
    run = _run(call)
    nodes = {row.id: row for row in call.conn.execute(sa.select(T.nodes).where(T.nodes.c.id.in_(run.node_ids)))}
    return Reply({"data": run_results(run, nodes, call.now)})


# --- shared -------------------------------------------------------------------------------------------


def _run(call: Call) -> Any:
    run = find_run(call.conn, Derived(T, call.now), call.params["runID"])
    if run is None:
        raise ApiError(404, f"Run {call.params['runID']} not found.")
    return run


def _environment(conn: Connection, environment_id: str) -> Any:
    env = conn.execute(sa.select(T.environments).where(T.environments.c.id == environment_id)).first()
    if env is None:
        raise ApiError(400, f"Environment {environment_id} not found.")
    return env


def _job(conn: Connection, environment_id: str, job_id: str) -> Any:
    number = run_number(job_id)
    job = None
    if number is not None:
        job = conn.execute(sa.select(T.jobs).where(T.jobs.c.id == number,
                                                   T.jobs.c.environment_id == environment_id)).first()
    if job is None:
        raise ApiError(400, f"Job {job_id} not found in environment {environment_id}.")
    return job


def _nodes(conn: Connection, environment_id: str) -> list[Any]:
    n = T.nodes.c
    return list(conn.execute(sa.select(T.nodes).where(n.environment_id == environment_id).order_by(n.position, n.id)))


def _check_workspace(call: Call, environment_id: str, force: bool) -> None:
    """A refresh of an environment whose last deployment failed needs ``forceIgnoreWorkspaceStatus``."""
    if force:
        return
    d = Derived(T, call.now)
    r = T.runs.c
    last = call.conn.execute(
        sa.select(d.status.label("status")).where(
            r.environment_id == environment_id, r.run_type == "deploy", d.status.in_([COMPLETED, FAILED]))
        .order_by(r.end_at.desc(), r.id.desc()).limit(1)).first()
    if last is not None and last.status == FAILED:
        raise ApiError(400, f"The last deployment of environment {environment_id} failed; set "
                            "forceIgnoreWorkspaceStatus to refresh it anyway.")


def _parameters(value: Any) -> dict[str, Any]:
    """``parameters`` as an object; the spec types it as JSON text, and clients send an object: take both."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, dict):
            raise ApiError(400, "parameters must be a JSON object (or its JSON text).")
    return dict(value)


def _start(call: Call, env: Any, job: Any, credentials: PublicCredentials, parameters: dict[str, Any],
           node_ids: list[str], *, attempt: int, rerun_of: int | None, parallelism: int, include: str | None,
           exclude: str | None, force: bool) -> int:
    names = dict(call.conn.execute(sa.select(T.nodes.c.id, T.nodes.c.name).where(T.nodes.c.id.in_(node_ids))).all())
    defaults = RunDefaults.from_json(env.plan, job.plan if job else None)
    plan = plan_for_new_run(defaults, attempt, [NodeRef(i, names[i]) for i in node_ids], parallelism, call.effect)
    values = {
        "run_type": "refresh", "environment_id": env.id, "job_id": job.id if job else None, "rerun_of": rerun_of,
        "attempt": attempt, "include_selector": include, "exclude_selector": exclude, "parallelism": parallelism,
        "force_ignore": force, "runtime_parameters": {**env.runtime_parameters, **parameters},
        "auth_type": credentials.auth_type, "username": credentials.username, "role": credentials.role,
        "warehouse": credentials.warehouse, "node_ids": node_ids,
    }
    return write_run(call.conn, T, values, plan, call.now)


HANDLERS = {
    "Jobs_initiateRun": start_run,
    "Jobs_getStatusUpdates": run_status,
    "Jobs_triggerRerun": rerun,
    "Jobs_cancelJobRun": cancel_run,
    "Runs_listInformation": list_runs,
    "Runs_getRunDetails": get_run,
    "Runs_listResults": list_run_results,
}
