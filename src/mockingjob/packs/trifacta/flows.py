"""Flows: creating, changing, deleting and copying them, running them, and the flow runs that follow.

Running a flow starts one job group per recipe of the flow that has an output object (each planned like
``POST /v4/jobGroups`` of that recipe) and records them as one flow run, whose status follows theirs.
Deleting a flow deletes its recipes and their output objects with it; job groups already run stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call, Operations, Reply, inserted_id

from .documents import (
    combined_status,
    created_document,
    flow_document,
    flow_run_document,
    updated_document,
)
from .errors import invalid
from .objects import embeds, find, listed, page
from .outputs import add_publication, add_write_setting
from .queries import GROUPS, group_documents, recipe
from .runs import run_recipe
from .tables import TABLES as T

OPERATIONS = Operations()

_f, _d, _o, _w, _p, _i = (T.flows.c, T.wrangled_datasets.c, T.output_objects.c, T.write_settings.c,
                          T.publications.c, T.imported_datasets.c)
_g = T.job_groups.c
_ALL_RECIPES = sa.select(T.wrangled_datasets).where(_d.flow_id == sa.bindparam("flow")).order_by(_d.id)
_LIVE_RECIPES = _ALL_RECIPES.where(_d.deleted_at.is_(None))
_RUN_BY_EXECUTION = sa.select(T.flow_runs.c.id).where(T.flow_runs.c.execution_id == sa.bindparam("execution"))
_GROUPS_OF_RUN = GROUPS.where(_g.flow_run_id == sa.bindparam("run")).order_by(_g.id)


def _flow_documents(call: Call, rows: Sequence[Any]) -> list[dict[str, Any]]:
    if not embeds(call) & {"flowNodes", "flowNodes.recipe"}:
        return [flow_document(row) for row in rows]
    nodes = _ALL_RECIPES if call.params.get("includeDeleted") else _LIVE_RECIPES
    return [flow_document(row, call.conn.execute(nodes, {"flow": row.id}).all()) for row in rows]


@OPERATIONS
async def list_flows(call: Call) -> Reply:
    rows, total = page(call, T.flows)
    return Reply(listed(_flow_documents(call, rows), total))


def _insert_flow(call: Call, name: str, description: str | None, folder: int | None) -> int:
    return inserted_id(call.conn.execute(T.flows.insert(), dict(
        name=name, description=description, folder_id=folder, created_at=call.now, updated_at=call.now)))


@OPERATIONS
async def create_flow(call: Call) -> Reply:
    body = call.body
    ident = _insert_flow(call, body["name"], body.get("description"), (body.get("folder") or {}).get("id"))
    return Reply(flow_document(find(call, T.flows, ident, "flow")), 201)


@OPERATIONS
async def get_flow(call: Call) -> Reply:
    return Reply(_flow_documents(call, [find(call, T.flows, call.params["id"], "flow")])[0])


@OPERATIONS
async def patch_flow(call: Call) -> Reply:
    ident = call.params["id"]
    find(call, T.flows, ident, "flow", include_deleted=False)
    changes: dict[str, Any] = {name: call.body[name] for name in ("name", "description") if name in call.body}
    if "folder" in call.body:
        changes["folder_id"] = (call.body["folder"] or {}).get("id")
    call.conn.execute(T.flows.update().where(_f.id == ident).values(**changes, updated_at=call.now))
    return Reply(updated_document(ident, call.now))


@OPERATIONS
async def delete_flow(call: Call) -> Reply:
    ident = call.params["id"]
    find(call, T.flows, ident, "flow", include_deleted=False)
    now = call.now
    recipes = sa.select(_d.id).where(_d.flow_id == ident, _d.deleted_at.is_(None)).scalar_subquery()
    outputs = sa.select(_o.id).where(_o.dataset_id.in_(recipes), _o.deleted_at.is_(None)).scalar_subquery()
    for owned in (T.write_settings, T.publications):
        call.conn.execute(owned.update().where(owned.c.output_object_id.in_(outputs), owned.c.deleted_at.is_(None))
                          .values(deleted_at=now, updated_at=now))
    call.conn.execute(T.output_objects.update().where(_o.id.in_(outputs)).values(deleted_at=now, updated_at=now))
    call.conn.execute(T.wrangled_datasets.update().where(_d.flow_id == ident, _d.deleted_at.is_(None))
                      .values(deleted_at=now, updated_at=now))
    call.conn.execute(T.flows.update().where(_f.id == ident).values(deleted_at=now, updated_at=now))
    return Reply(None, 204)


@OPERATIONS
async def copy_flow(call: Call) -> Reply:
    """A new flow with copies of the recipes (their dependencies on each other kept), output objects, write
    settings and publications; with ``copyDatasources``, of the imported datasets the recipes read too."""
    body = call.body or {}
    source = find(call, T.flows, call.params["id"], "flow", include_deleted=False)
    # The hook of one well-known client sends "" for what it was not given: "" keeps the original's.
    name = body.get("name") or f"Copy of {source.name}"
    description = body.get("description") or source.description
    ident = _insert_flow(call, name, description, source.folder_id)
    recipes = call.conn.execute(_LIVE_RECIPES, {"flow": source.id}).all()
    datasets = _copy_imported_datasets(call, recipes) if body.get("copyDatasources") else {}
    copies = {row.id: inserted_id(call.conn.execute(T.wrangled_datasets.insert(), dict(
        flow_id=ident, name=row.name, description=row.description,
        imported_dataset_id=datasets.get(row.imported_dataset_id, row.imported_dataset_id), depends_on=[],
        plan=row.plan, created_at=call.now, updated_at=call.now))) for row in recipes}
    # Once every copy has its id: a copy reads the copies of the recipes it read in the flow, and the same
    # recipes as before outside it.
    for row in recipes:
        if row.depends_on:
            call.conn.execute(T.wrangled_datasets.update().where(_d.id == copies[row.id]).values(
                depends_on=[copies.get(d, d) for d in row.depends_on]))
    _copy_outputs(call, copies)
    return Reply(flow_document(find(call, T.flows, ident, "flow")), 201)


def _copy_imported_datasets(call: Call, recipes: Sequence[Any]) -> dict[int, int]:
    wanted = sorted({row.imported_dataset_id for row in recipes if row.imported_dataset_id is not None})
    copies: dict[int, int] = {}
    for row in call.conn.execute(sa.select(T.imported_datasets).where(_i.id.in_(wanted)).order_by(_i.id)):
        copies[row.id] = inserted_id(call.conn.execute(T.imported_datasets.insert(), dict(
            name=row.name, description=row.description, uri=row.uri, has_structuring=row.has_structuring,
            deleted_at=row.deleted_at, created_at=call.now, updated_at=call.now)))
    return copies


def _copy_outputs(call: Call, recipes: dict[int, int]) -> None:
    outputs = call.conn.execute(sa.select(T.output_objects).where(
        _o.dataset_id.in_(list(recipes)), _o.deleted_at.is_(None)).order_by(_o.id)).all()
    for output in outputs:
        copy = inserted_id(call.conn.execute(T.output_objects.insert(), dict(
            dataset_id=recipes[output.dataset_id], execution=output.execution, profiler=output.profiler,
            is_adhoc=output.is_adhoc, created_at=call.now, updated_at=call.now)))
        for setting in call.conn.execute(sa.select(_w.document).where(_w.output_object_id == output.id)
                                         .order_by(_w.position, _w.id)):
            add_write_setting(call, copy, setting.document)
        for publication in call.conn.execute(sa.select(_p.document).where(_p.output_object_id == output.id)
                                             .order_by(_p.id)):
            add_publication(call, copy, publication.document)


@OPERATIONS
async def run_flow(call: Call) -> Reply:
    body = call.body or {}
    flow = find(call, T.flows, call.params["id"], "flow", include_deleted=False)
    execution_id = call.header("x-execution-id")
    if execution_id and call.conn.execute(_RUN_BY_EXECUTION, {"execution": execution_id}).first():
        return Reply(None, 304)
    with_outputs = sa.select(_o.dataset_id).where(_o.deleted_at.is_(None))
    recipes = call.conn.execute(_LIVE_RECIPES.where(_d.id.in_(with_outputs)), {"flow": flow.id}).all()
    chosen = body.get("wrangledDatasetIds")
    if chosen is not None:
        outside = sorted(set(chosen) - {row.id for row in recipes})
        if outside:
            raise invalid(f"wrangledDatasetIds {outside} are not recipes of flow {flow.id} with an output object",
                          field="wrangledDatasetIds")
        recipes = [row for row in recipes if row.id in set(chosen)]
    if not recipes:
        raise invalid(f"Flow {flow.id} has no outputs to run: create an output object for one of its recipes")
    overrides = body.get("overrides") or {}
    run_parameters = body.get("runParameters")
    run_id = inserted_id(call.conn.execute(T.flow_runs.insert(), dict(
        flow_id=flow.id, execution_id=execution_id or None, run_parameters=run_parameters, created_at=call.now)))
    started = []
    for row in recipes:
        target, previous = recipe(call.conn, row.id)
        started.append(run_recipe(call, target, previous, overrides.get(row.name) or {}, ranfrom="ui",
                                  run_parameters=run_parameters, flow_run_id=run_id))
    return Reply({"flowRunId": run_id, "data": [
        created_document(s.id, s.session_id, s.job_ids, s.edges) for s in started]}, 201)


def _run_groups(call: Call) -> tuple[Any, Sequence[Any]]:
    run = find(call, T.flow_runs, call.params["id"], "flowRun")
    return run, call.conn.execute(_GROUPS_OF_RUN, {"now": call.now, "run": run.id}).all()


@OPERATIONS
async def get_flow_run(call: Call) -> Reply:
    run, groups = _run_groups(call)
    return Reply(flow_run_document(run, max([run.created_at, *(group.updated_at for group in groups)])))


@OPERATIONS
async def get_flow_run_status(call: Call) -> Reply:
    _, groups = _run_groups(call)
    return Reply(combined_status([group.status for group in groups]))


@OPERATIONS
async def get_flow_run_job_groups(call: Call) -> Reply:
    _, groups = _run_groups(call)
    return Reply({"data": group_documents(call, groups)})
