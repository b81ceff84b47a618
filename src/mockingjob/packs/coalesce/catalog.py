"""What a client looks up to start a run: environments, their nodes, and the jobs of an environment or workspace.

The environments, nodes and jobs are the fixtures'; what an environment shows of its runs is derived from them
at the clock's now: its ``status`` (a deployment or refresh in flight, or how the last one ended), the jobs it is
running, the commit it last deployed. Unknown environments, nodes, workspaces and jobs are 404s in Coalesce's
shape, as the official spec documents for these endpoints (and as Coalesce's MCP client needs: it discovers jobs
by asking for job IDs one after the other, and takes a 404 as "no such job").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import NOW, ApiError, Call, Operations, Reply

from .documents import present, ts
from .model import COMPLETED, FAILED
from .paging import IdListing, Page
from .queries import run_number
from .tables import TABLES as T

OPERATIONS = Operations()

_e, _n, _j, _r, _u, _w = T.environments.c, T.nodes.c, T.jobs.c, T.runs.c, T.users.c, T.workspaces.c

# --- environments ---------------------------------------------------------------------------------------

_OF_ENV = _r.environment_id == _e.id
_IN_FLIGHT = _r.end_at > NOW  # every run has an end instant: the planned one, until it is reached


def _in_flight(run_type: str) -> Any:
    return sa.exists().where(_OF_ENV, _r.run_type == run_type, _IN_FLIGHT)


def _last_ended(column: Any, *conditions: Any) -> Any:
    """`column` of the environment's run that ended last among those meeting `conditions` (null if none)."""
    return (sa.select(column).where(_OF_ENV, _r.end_at <= NOW, *conditions)
            .order_by(_r.end_at.desc(), _r.id.desc()).limit(1).scalar_subquery())


# How the last deployment and the last refresh that completed or failed ended (a canceled run says nothing of
# the environment's health), said as "ended with that outcome", so that an index finds them; and the last
# completed deployment.
_FINISHED = sa.or_(_r.outcome == COMPLETED, _r.outcome == FAILED)
_DEPLOYED = (_r.run_type == "deploy", _r.outcome == COMPLETED)

# Environments with what they show of their runs at ``now`` (bind it).
ENVIRONMENTS = (
    sa.select(T.environments, _u.first_name, _u.last_name,
              _in_flight("deploy").label("deploying"), _in_flight("refresh").label("refreshing"),
              _last_ended(_r.outcome, _FINISHED, _r.run_type == "deploy").label("last_deploy"),
              _last_ended(_r.outcome, _FINISHED, _r.run_type == "refresh").label("last_refresh"),
              _last_ended(_r.deploy_commit, *_DEPLOYED).label("deployed_commit"),
              _last_ended(_r.end_at, *_DEPLOYED).label("deployed_at"))
    .join_from(T.environments, T.users, _u.id == _e.created_by)
)
_ENVIRONMENT_LIST = IdListing(ENVIRONMENTS, _e.id, numeric=True)
_ENVIRONMENT = ENVIRONMENTS.where(_e.id == sa.bindparam("environment_id"))
_ENVIRONMENT_EXISTS = sa.select(_e.id).where(_e.id == sa.bindparam("environment_id"))
# The jobs each environment is running, and the storage mappings its nodes use.
_RUNNING_JOBS = (sa.select(_r.environment_id, _r.job_id).distinct()
                 .where(_r.environment_id.in_(sa.bindparam("ids", expanding=True)), _r.job_id.is_not(None),
                        _r.end_at > NOW)
                 .order_by(_r.environment_id, _r.job_id))
_MAPPINGS = (sa.select(_n.environment_id, _n.location_name, _n.database, _n.schema).distinct()
             .where(_n.environment_id.in_(sa.bindparam("ids", expanding=True)))
             .order_by(_n.environment_id, _n.location_name))


def _status(row: Any) -> str:
    """The environment's health (the official spec's EnvironmentHealth) at the clock's now: a run in flight, or
    a failed last deployment (until one completes: refreshes need forceIgnoreWorkspaceStatus meanwhile), or a
    failed last refresh."""
    if row.deploying:
        return "Deploying"
    if row.refreshing:
        return "Refreshing"
    if row.last_deploy == FAILED:
        return "Failed Deploy"
    if row.last_refresh == FAILED:
        return "Failed Refresh"
    return "Waiting"


def shown(value: Any) -> str:
    """An ID from the request as an error names it: cut short, so that the answer does not grow with the path."""
    text = str(value)
    return text if len(text) <= 64 else text[:64] + "…"


def environment_summary(row: Any) -> dict[str, Any]:
    """An environment as the list shows it without ``detail``."""
    return present({
        "id": row.id,
        "name": row.name,
        "project": row.project,
        "description": row.description,
        "status": _status(row),
        "connectionAccount": row.connection_account,
        "defaultStorageMapping": row.default_storage_mapping,
        "oauthEnabled": row.oauth_enabled,
        "runTimeParameters": row.runtime_parameters,
        "tagColors": row.tag_colors,
        "createdAt": ts(row.created_at),
        "createdBy": present({"id": row.created_by, "firstName": row.first_name, "lastName": row.last_name}),
    })


def environment_detail(row: Any, running_jobs: list[int], mappings: dict[str, Any]) -> dict[str, Any]:
    """An environment with its full detail (``detail=true``, and Get Environment)."""
    doc = environment_summary(row)
    doc.update(present({
        "updatedAt": ts(max(row.created_at, row.deployed_at) if row.deployed_at is not None else row.created_at),
        "currentGitBranch": row.git_branch,
        "currentGitURL": row.git_url,
        "currentGitCommit": row.deployed_commit,
        "deployedCommit": row.deployed_commit,
        "currentlyRunningJobs": running_jobs,
        "currentMappings": mappings,
    }))
    return doc


def environment_documents(conn: Connection, rows: list[Any], now: datetime, detail: bool) -> list[dict[str, Any]]:
    """The documents of environment `rows` (of `ENVIRONMENTS` at `now`): summaries, or with their full detail,
    which needs two more statements for all of them."""
    if not detail:
        return [environment_summary(row) for row in rows]
    ids = [row.id for row in rows]
    running: dict[str, list[int]] = defaultdict(list)
    mappings: dict[str, dict[str, Any]] = defaultdict(dict)
    if ids:
        for env_id, job_id in conn.execute(_RUNNING_JOBS, {"ids": ids, "now": now}):
            running[env_id].append(job_id)
        for env_id, location, database, schema in conn.execute(_MAPPINGS, {"ids": ids}):
            mappings[env_id][location] = {"database": database, "schema": schema}
    return [environment_detail(row, running[row.id], mappings[row.id]) for row in rows]


def _listed(page: Page, documents: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {"data": documents}
    if page.next is not None:
        body["next"] = page.next
    return body


@OPERATIONS.named("Environments_listInformation")
async def list_environments(call: Call) -> Reply:
    page = _ENVIRONMENT_LIST.page(call.conn, call.params, {"now": call.now})
    return Reply(_listed(page, environment_documents(call.conn, page.rows, call.now, bool(call.params.get("detail")))))


@OPERATIONS.named("Environments_getInformation")
async def get_environment(call: Call) -> Reply:
    row = call.conn.execute(_ENVIRONMENT, {"environment_id": call.params["environmentID"], "now": call.now}).first()
    if row is None:
        raise ApiError(404, f"Environment {shown(call.params['environmentID'])} not found.")
    return Reply(environment_documents(call.conn, [row], call.now, detail=True)[0])


def _check_environment(call: Call) -> str:
    environment_id = str(call.params["environmentID"])
    if call.conn.execute(_ENVIRONMENT_EXISTS, {"environment_id": environment_id}).first() is None:
        raise ApiError(404, f"Environment {shown(environment_id)} not found.")
    return environment_id


# --- nodes ----------------------------------------------------------------------------------------------

_NODES = sa.select(T.nodes).where(_n.environment_id == sa.bindparam("environment_id"))
_NODE_LIST = IdListing(_NODES, _n.id)
_NODE = _NODES.where(_n.id == sa.bindparam("node_id"))


def node_summary(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "nodeType": row.node_type, "locationName": row.location_name,
            "database": row.database, "schema": row.schema}


def node_detail(row: Any) -> dict[str, Any]:
    """A node with its full detail (``detail=true``, and Get Node): the official BaseNode's fields."""
    return {**node_summary(row), "description": row.description}


@OPERATIONS.named("Nodes_list")
async def list_nodes(call: Call) -> Reply:
    environment_id = _check_environment(call)
    page = _NODE_LIST.page(call.conn, call.params, {"environment_id": environment_id})
    document = node_detail if call.params.get("detail") else node_summary
    return Reply(_listed(page, [document(row) for row in page.rows]))


@OPERATIONS.named("Nodes_getInformation")
async def get_node(call: Call) -> Reply:
    environment_id = _check_environment(call)
    row = call.conn.execute(_NODE, {"environment_id": environment_id, "node_id": call.params["nodeID"]}).first()
    if row is None:
        raise ApiError(404, f"Node {shown(call.params['nodeID'])} not found in environment {environment_id}.")
    return Reply(node_detail(row))


# --- jobs -----------------------------------------------------------------------------------------------

_JOBS_OF = {"environment": sa.select(T.jobs).where(_j.environment_id == sa.bindparam("owner_id")),
            "workspace": sa.select(T.jobs).where(_j.workspace_id == sa.bindparam("owner_id"))}
_JOB_LISTS = {owner: IdListing(query, _j.id, integer=True) for owner, query in _JOBS_OF.items()}
_JOB = {owner: query.where(_j.id == sa.bindparam("job_id")) for owner, query in _JOBS_OF.items()}
_WORKSPACE_EXISTS = sa.select(_w.id).where(_w.id == sa.bindparam("workspace_id"))


def job_document(row: Any) -> dict[str, Any]:
    """A job as Coalesce's clients read it: its ID (a string), name and node selectors ("" for none)."""
    return {"id": str(row.id), "name": row.name, "includeSelector": row.include_selector or "",
            "excludeSelector": row.exclude_selector or ""}


def _owner(call: Call, owner: str) -> str:
    if owner == "environment":
        return _check_environment(call)
    workspace_id = str(call.params["workspaceID"])
    if call.conn.execute(_WORKSPACE_EXISTS, {"workspace_id": workspace_id}).first() is None:
        raise ApiError(404, f"Workspace {shown(workspace_id)} not found.")
    return workspace_id


async def _list_jobs(call: Call, owner: str) -> Reply:
    owner_id = _owner(call, owner)
    page = _JOB_LISTS[owner].page(call.conn, call.params, {"owner_id": owner_id})
    return Reply(_listed(page, [job_document(row) for row in page.rows]))


async def _get_job(call: Call, owner: str) -> Reply:
    owner_id = _owner(call, owner)
    number = run_number(str(call.params["jobID"]))
    row = call.conn.execute(_JOB[owner], {"owner_id": owner_id, "job_id": number}).first() if number else None
    if row is None:
        raise ApiError(404, f"Job {shown(call.params['jobID'])} not found in {owner} {owner_id}.")
    return Reply(job_document(row))


@OPERATIONS.named("EnvironmentJobs_list")
async def list_environment_jobs(call: Call) -> Reply:
    return await _list_jobs(call, "environment")


@OPERATIONS.named("EnvironmentJobs_get")
async def get_environment_job(call: Call) -> Reply:
    return await _get_job(call, "environment")


@OPERATIONS.named("WorkspaceJobs_list")
async def list_workspace_jobs(call: Call) -> Reply:
    return await _list_jobs(call, "workspace")


@OPERATIONS.named("WorkspaceJobs_get")
async def get_workspace_job(call: Call) -> Reply:
    return await _get_job(call, "workspace")
