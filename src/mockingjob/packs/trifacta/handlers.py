"""Handlers of the Trifacta v4 job group endpoints, one per operationId of ``specs/trifacta.yaml``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call, Operations, Reply

from . import datasets, flows, job_group_parts, outputs
from .documents import created_document, job_document
from .model import GROUP_UPDATED, cancel
from .queries import GROUPS, group_documents, group_row, group_status, jobs_of, recipe
from .runs import run_recipe
from .tables import TABLES as T

HANDLERS = Operations()

_DEFAULT_PAGE = 25


@HANDLERS
async def run_job_group(call: Call) -> Reply:
    body = call.body
    conn = call.conn
    target, previous = recipe(conn, body["wrangledDataset"]["id"])
    overrides = body.get("overrides") or {}
    # Older clients nest the run parameters inside the overrides.
    run_parameters = body.get("runParameters", overrides.get("runParameters"))
    # What was just written is what the client is told; nothing needs reading back.
    started = run_recipe(call, target, previous, overrides, ranfrom=body.get("ranfrom", "ui"),
                         run_parameters=run_parameters)
    return Reply(created_document(started.id, started.session_id, started.job_ids, started.edges), 201)


def _list_statement(field: str, descending: bool, limited: bool, by_node: bool) -> sa.Select[Any]:
    g = T.job_groups.c
    column = {"id": g.id, "createdAt": g.created_at, "updatedAt": GROUP_UPDATED}[field]
    query = GROUPS.order_by(column.desc() if descending else column.asc(), g.id.desc() if descending else g.id.asc())
    if by_node:  # a flow node is a recipe: its job groups are the runs of that recipe
        query = query.where(g.dataset_id.in_(sa.bindparam("nodes", expanding=True)))
    if limited:
        query = query.limit(sa.bindparam("limit", type_=sa.Integer()))
    return query.offset(sa.bindparam("offset", type_=sa.Integer()))


# One statement per order the spec offers, with and without a limit and a flow node filter; the page is bound
# when it runs.
_LISTS = {(field, descending, limited, by_node): _list_statement(field, descending, limited, by_node)
          for field in ("id", "createdAt", "updatedAt") for descending in (False, True) for limited in (False, True)
          for by_node in (False, True)}


@HANDLERS
async def list_job_groups(call: Call) -> Reply:
    p = call.params
    sort = p.get("sort") or "-createdAt"
    limited = not p.get("noLimit")
    nodes = p.get("flowNodeId")
    query = _LISTS[sort.lstrip("-"), sort.startswith("-"), limited, bool(nodes)]
    values: dict[str, Any] = {"now": call.now, "offset": p.get("offset") or 0}
    if nodes:
        values["nodes"] = list(nodes)
    if limited:
        values["limit"] = p.get("limit") or _DEFAULT_PAGE
    return Reply({"data": group_documents(call, call.conn.execute(query, values).all())})


@HANDLERS
async def get_job_group(call: Call) -> Reply:
    group = group_row(call.conn, call.now, call.params["id"])
    return Reply(group_documents(call, [group])[0])


@HANDLERS
async def get_job_group_status(call: Call) -> Reply:
    return Reply(group_status(call.conn, call.now, call.params["id"]))


@HANDLERS
async def get_job_group_jobs(call: Call) -> Reply:
    group_id = call.params["id"]
    jobs = jobs_of(call.conn, call.now, [group_id])[group_id]
    if not jobs:  # every job group has jobs: this one may not exist (a 404)
        group_status(call.conn, call.now, group_id)
    return Reply({"data": [job_document(job, call.now) for job in jobs]})


@HANDLERS
async def cancel_job_group(call: Call) -> Reply:
    group_id = call.params["id"]
    canceled = cancel(call.conn, group_id, call.now, group_status(call.conn, call.now, group_id))
    return Reply({"jobIds": canceled, "jobgroupId": group_id})


def _register(*modules: Operations) -> None:
    """The operations of the pack's other modules (flows, datasets, outputs, a job group's parts) join these."""
    for operations in modules:
        for operation_id, handler in operations.items():
            HANDLERS.add(operation_id, handler)


_register(flows.OPERATIONS, datasets.OPERATIONS, outputs.OPERATIONS, job_group_parts.OPERATIONS)
