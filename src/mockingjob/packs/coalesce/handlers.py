"""Handlers of the Coalesce runs and scheduler endpoints, one per operationId of ``specs/coalesce.yaml``; the
environments, nodes and jobs a client looks up are catalog.py's, and join these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import ApiError, Call, Operations, Reply

from . import catalog
from .credentials import PublicCredentials, public_part
from .documents import run_detail, run_summary
from .model import COMPLETED, FAILED, FINAL, NOW, STATUS, NodeRef, RunDefaults, cancel, plan_for_new_run, write_run
from .queries import find_run, list_page, run_number
from .results import run_results, unfinished_nodes
from .selectors import select
from .tables import TABLES as T
from .users import user_of

HANDLERS = Operations()

DEFAULT_PARALLELISM = 16

# Statements are built once and run with bind parameters, so SQLAlchemy's compiled cache serves every request.
_e, _j, _n, _r = T.environments.c, T.jobs.c, T.nodes.c, T.runs.c
_ENVIRONMENT_NODES = (sa.select(T.nodes).where(_n.environment_id == sa.bindparam("environment_id"))
                      .order_by(_n.position, _n.id))
_NODES = sa.select(T.nodes).where(_n.id.in_(sa.bindparam("ids", expanding=True)))
_NODE_NAMES = sa.select(_n.id, _n.name).where(_n.id.in_(sa.bindparam("ids", expanding=True)))
# The status of an environment's last deployment that completed or failed. A run is in either state exactly
# when it has ended with that outcome: said so, an index finds it.
_LAST_DEPLOYMENT = (
    sa.select(_r.outcome)
    .where(_r.environment_id == _e.id, _r.run_type == "deploy", _r.end_at <= NOW,
           sa.or_(_r.outcome == COMPLETED, _r.outcome == FAILED))  # not IN (…): rewritten on every execution
    .order_by(_r.end_at.desc(), _r.id.desc()).limit(1).scalar_subquery()
)
# An environment and, in the same round trip, the job asked for (if it is the environment's) and its last
# deployment's status.
_ENVIRONMENT = (
    sa.select(T.environments, _LAST_DEPLOYMENT.label("last_deployment"), _j.id.label("job_id"), _j.include_selector,
              _j.exclude_selector, _j.plan.label("job_plan"))
    .outerjoin(T.jobs, sa.and_(_j.id == sa.bindparam("job_id"), _j.environment_id == _e.id))
    .where(_e.id == sa.bindparam("environment_id"))
)
# What runStatus shows, without the columns only the detail needs (joined like every run read, see RUNS).
_RUN_STATUS = (sa.select(_r.id, _r.run_type, STATUS.label("status"))
               .join_from(T.runs, T.environments, _e.id == _r.environment_id).where(_r.id == sa.bindparam("run_id")))

# --- scheduler ----------------------------------------------------------------------------------------


@HANDLERS.named("Jobs_initiateRun")
async def start_run(call: Call) -> Reply:
    body = call.body
    details = body["runDetails"]
    env, job = _environment(call, details["environmentID"], details.get("jobID"))
    credentials = public_part(body.get("userCredentials"), env.oauth_enabled, env.id)
    _check_workspace(env, bool(details.get("forceIgnoreWorkspaceStatus")))
    parameters = _parameters(body.get("parameters"))
    include = details.get("includeNodesSelector", job.include_selector if job else None)
    exclude = details.get("excludeNodesSelector", job.exclude_selector if job else None)
    try:
        nodes = select(_nodes(call.conn, env.id), include, exclude)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    run_id = _start(call, env, job, credentials, parameters, [NodeRef(n.id, n.name) for n in nodes], attempt=1,
                    rerun_of=None, history=[], selected=len(nodes),
                    parallelism=details.get("parallelism", DEFAULT_PARALLELISM), include=include, exclude=exclude,
                    force=bool(details.get("forceIgnoreWorkspaceStatus")))
    return Reply({"runCounter": run_id})


@HANDLERS.named("Jobs_triggerRerun")
async def rerun(call: Call) -> Reply:
    body = call.body
    details = body["runDetails"]
    number = run_number(str(details["runID"]))
    original = find_run(call.conn, call.now, number) if number is not None else None
    if original is None:
        raise ApiError(400, f"Run {details['runID']} not found.")
    if original.run_type != "refresh" or original.status not in (FAILED, "canceled"):
        raise ApiError(400, f"Run {original.id} is a {original.status} {original.run_type} run; only failed or "
                            "canceled refresh runs can be rerun.")
    env, job = _environment(call, original.environment_id,
                            str(original.job_id) if original.job_id is not None else None)
    credentials = public_part(body["userCredentials"], env.oauth_enabled, env.id)
    _check_workspace(env, bool(details.get("forceIgnoreWorkspaceStatus")))
    # Runtime parameters of the previous run are not kept (Coalesce's documented behaviour).
    parameters = _parameters(body.get("parameters"))
    node_ids = unfinished_nodes(original, call.now)
    names = dict(call.conn.execute(_NODE_NAMES, {"ids": node_ids}).all())
    run_id = _start(call, env, job, credentials, parameters, [NodeRef(i, names[i]) for i in node_ids],
                    attempt=original.attempt + 1, rerun_of=original.id,
                    history=[*original.run_history, original.id], selected=original.nodes_for_refresh,
                    parallelism=details.get("parallelism", original.parallelism),
                    include=original.include_selector, exclude=original.exclude_selector,
                    force=bool(details.get("forceIgnoreWorkspaceStatus")))
    return Reply({"runCounter": run_id})


@HANDLERS.named("Jobs_cancelJobRun")
async def cancel_run(call: Call) -> Reply:
    body = call.body
    run = find_run(call.conn, call.now, int(body["runID"]))
    if run is None:
        raise ApiError(400, f"Run {body['runID']} not found.")
    if body.get("environmentID") is not None and body["environmentID"] != run.environment_id:
        raise ApiError(400, f"Run {run.id} not found in environment {body['environmentID']}.")
    if run.status in FINAL:
        raise ApiError(400, f"Run {run.id} is already {run.status} and cannot be canceled.")
    cancel(call.conn, run, call.now)
    return Reply(None, 204)


@HANDLERS.named("Jobs_getStatusUpdates")
async def run_status(call: Call) -> Reply:
    run = call.conn.execute(_RUN_STATUS, {"now": call.now, "run_id": call.params["runCounter"]}).first()
    if run is None:
        raise ApiError(400, f"Run {call.params['runCounter']} not found.")
    return Reply({"runStatus": run.status, "runType": run.run_type, "runLink": call.url(f"/api/v1/runs/{run.id}")})


# --- runs ---------------------------------------------------------------------------------------------


@HANDLERS.named("Runs_listInformation")
async def list_runs(call: Call) -> Reply:
    p = call.params
    page = list_page(call.conn, call.now, p)
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


@HANDLERS.named("Runs_getRunDetails")
async def get_run(call: Call) -> Reply:
    return Reply(run_detail(_run(call, detail_only=True)))


@HANDLERS.named("Runs_listResults")
async def list_run_results(call: Call) -> Reply:
    run = _run(call)
    nodes = {row.id: row for row in call.conn.execute(_NODES, {"ids": run.node_ids})}
    return Reply({"data": run_results(run, nodes, call.now)})


# --- shared -------------------------------------------------------------------------------------------


def _run(call: Call, *, detail_only: bool = False) -> Any:
    run = find_run(call.conn, call.now, call.params["runID"], detail_only=detail_only)
    if run is None:
        raise ApiError(404, f"Run {call.params['runID']} not found.")
    return run


@dataclass(frozen=True)
class _Job:
    id: int
    include_selector: str | None
    exclude_selector: str | None
    plan: dict[str, Any]


def _environment(call: Call, environment_id: str, job_id: str | None) -> tuple[Any, _Job | None]:
    """The environment (with ``last_deployment``, the status of its last deployment) and, if `job_id` is
    given, its job of that ID."""
    number = run_number(job_id) if job_id is not None else None
    env = call.conn.execute(_ENVIRONMENT, {"environment_id": environment_id, "job_id": number, "now": call.now}
                            ).first()
    if env is None:
        raise ApiError(400, f"Environment {environment_id} not found.")
    if job_id is None:
        return env, None
    if env.job_id is None:
        raise ApiError(400, f"Job {job_id} not found in environment {env.id}.")
    return env, _Job(env.job_id, env.include_selector, env.exclude_selector, env.job_plan)


def _nodes(conn: Connection, environment_id: str) -> list[Any]:
    return list(conn.execute(_ENVIRONMENT_NODES, {"environment_id": environment_id}))


def _check_workspace(env: Any, force: bool) -> None:
    """A refresh of an environment whose last deployment failed needs ``forceIgnoreWorkspaceStatus``."""
    if not force and env.last_deployment == FAILED:
        raise ApiError(400, f"The last deployment of environment {env.id} failed; set "
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


def _start(call: Call, env: Any, job: _Job | None, credentials: PublicCredentials, parameters: dict[str, Any],
           nodes: list[NodeRef], *, attempt: int, rerun_of: int | None, history: list[int], selected: int | None,
           parallelism: int, include: str | None, exclude: str | None, force: bool) -> int:
    defaults = RunDefaults.from_json(env.plan, job.plan if job else None)
    plan = plan_for_new_run(defaults, attempt, nodes, parallelism, call.effect)
    values = {
        "run_type": "refresh", "environment_id": env.id, "job_id": job.id if job else None, "rerun_of": rerun_of,
        "attempt": attempt, "run_history": history, "user_id": user_of(call), "nodes_for_refresh": selected,
        "include_selector": include, "exclude_selector": exclude, "parallelism": parallelism,
        "force_ignore": force, "runtime_parameters": {**env.runtime_parameters, **parameters},
        "auth_type": credentials.auth_type, "username": credentials.username, "role": credentials.role,
        "warehouse": credentials.warehouse, "node_ids": [node.id for node in nodes],
    }
    return write_run(call.conn, values, plan, call.now)


def _register(*modules: Operations) -> None:
    """The operations of the pack's other modules join these."""
    for operations in modules:
        for operation_id, handler in operations.items():
            HANDLERS.add(operation_id, handler)


_register(catalog.OPERATIONS)
