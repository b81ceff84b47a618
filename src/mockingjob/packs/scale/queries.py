"""Queries of the Scale pack: jobs and executions with their derived state, filters, ordering, documents."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.errors import ApiError
from mockingjob.pack import Call

from .drf import NOT_FOUND, bad_parameter, flag, time_range
from .model import Derived
from .serialize import Documents
from .tables import TABLES as T


def jobs_query(d: Derived) -> sa.Select[Any]:
    j = T.jobs.c
    return sa.select(
        T.jobs,
        d.status.label("status"),
        d.started.label("started"),
        d.ended.label("ended"),
        d.last_status_change.label("last_status_change"),
        d.last_modified.label("last_modified"),
    ).select_from(T.jobs.join(T.job_types, T.job_types.c.id == j.job_type_id))


_DIRECT_ORDER = {
    "id", "is_superseded", "max_tries", "num_exes", "priority", "input_file_size", "source_started",
    "source_ended", "source_sensor_class", "source_sensor", "source_collection", "source_task", "created",
    "queued", "superseded",
}


def _order_column(field: str, d: Derived) -> Any:
    j = T.jobs.c
    if field in _DIRECT_ORDER:
        return j[field]
    return {
        "job_type": T.job_types.c.name,
        "job_type_rev": T.job_types.c.revision_id,
        "event": j.event_id,
        "recipe": j.recipe_id,
        "batch": j.batch_id,
        "node": j.node_id,
        "error": j.error_id,
        "status": d.status,
        "started": d.started,
        "ended": d.ended,
        "last_status_change": d.last_status_change,
        "last_modified": d.last_modified,
    }[field]


def ordered(query: sa.Select[Any], order: list[str] | None, d: Derived) -> sa.Select[Any]:
    clauses = []
    for item in order or ["last_modified"]:
        column = _order_column(item.lstrip("-"), d)
        clauses.append(column.desc() if item.startswith("-") else column.asc())
    return query.order_by(*clauses, T.jobs.c.id.asc())


def filtered(query: sa.Select[Any], p: dict[str, Any], d: Derived) -> sa.Select[Any]:
    """Apply the filters shared by the job list (query names) and cancel/requeue (body names)."""
    j = T.jobs.c
    started, ended = time_range(p, d.now)
    if started:
        query = query.where(d.last_modified >= started)
    if ended:
        query = query.where(d.last_modified <= ended)
    lists = {
        "source_sensor_class": j.source_sensor_class, "source_sensor": j.source_sensor,
        "source_collection": j.source_collection, "job_id": j.id, "job_type_id": j.job_type_id,
        "job_type_name": T.job_types.c.name, "batch_id": j.batch_id, "recipe_id": j.recipe_id,
        "error_id": j.error_id,
    }
    for name, column in lists.items():
        if p.get(name):
            query = query.where(column.in_(p[name]))
    tasks = (p.get("source_task") or []) + (p.get("source_tasks") or [])
    if tasks:
        query = query.where(j.source_task.in_(tasks))
    if p.get("status"):
        query = query.where(d.status.in_(p["status"]))
    if p.get("error_category"):
        failed = sa.select(T.errors.c.id).where(T.errors.c.category.in_(p["error_category"]))
        query = query.where(d.status == "FAILED", j.error_id.in_(failed))
    if p.get("is_superseded") is not None:
        query = query.where(j.is_superseded == flag(p["is_superseded"]))
    return query


def body_filters(call: Call, d: Derived) -> dict[str, Any]:
    """Translate the cancel/requeue body into the list filter's names."""
    body = call.body or {}
    p: dict[str, Any] = {k: body.get(k) for k in ("started", "ended", "is_superseded")}
    p["status"] = [body["status"]] if body.get("status") else None
    renames = {"job_ids": "job_id", "job_type_ids": "job_type_id", "job_type_names": "job_type_name",
               "batch_ids": "batch_id", "recipe_ids": "recipe_id", "error_categories": "error_category",
               "error_ids": "error_id"}
    for body_name, name in renames.items():
        if body.get(body_name):
            p[name] = [int(v) for v in body[body_name]] if name == "error_id" else body[body_name]
    type_ids = list(p.get("job_type_id") or [])
    for job_type in body.get("job_types") or []:
        found = call.conn.execute(sa.select(T.job_types.c.id).where(
            T.job_types.c.name == job_type["name"], T.job_types.c.version == job_type["version"])).scalar()
        if found is None:
            raise bad_parameter(
                f"Job Type with name: {job_type['name']} and version: {job_type['version']} does not exist")
        type_ids.append(found)
    if body.get("job_types"):
        p["job_type_id"] = type_ids
    return p


def job_row(call: Call, d: Derived, job_id: int) -> Any:
    row = call.conn.execute(jobs_query(d).where(T.jobs.c.id == job_id)).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return row


def exes_query(d: Derived) -> sa.Select[Any]:
    return (
        sa.select(T.exes, d.exe_status.label("status"), T.jobs.c.job_type_id,
                  T.jobs.c.output.label("job_output"))
        .join(T.jobs, T.jobs.c.id == T.exes.c.job_id)
        .where(d.exe_visible)
    )


def latest_execution(conn: Connection, d: Derived, row: Any) -> Any:
    """Scale's ``get_details``: the execution numbered ``num_exes``, shown only while the job is
    QUEUED/RUNNING/FAILED/COMPLETED (a canceled job, or a requeued one not yet running again, has none)."""
    if row.status not in ("QUEUED", "RUNNING", "FAILED", "COMPLETED"):
        return None
    return conn.execute(exes_query(d).where(T.exes.c.job_id == row.id, T.exes.c.exe_num == row.num_exes)).first()


def exes_with_log_script(d: Derived) -> sa.Select[Any]:
    """Visible executions with what their logs are derived from: the job type's plan, the node, the error."""
    return (exes_query(d).add_columns(T.job_types.c.plan, T.nodes.c.hostname,
                                      T.errors.c.description.label("error_description"))
            .join(T.job_types, T.job_types.c.id == T.jobs.c.job_type_id)
            .join(T.nodes, T.nodes.c.id == T.exes.c.node_id)
            .outerjoin(T.errors, T.errors.c.id == T.exes.c.error_id))


def job_details(conn: Connection, d: Derived, row: Any) -> dict[str, Any]:
    """The details document of job `row` (a row of `jobs_query`)."""
    latest = latest_execution(conn, d, row)
    chain_ids = [i for i in (row.superseded_job_id, row.superseded_by_job_id) if i]
    chain = {}
    if chain_ids:
        chain = {r.id: r for r in conn.execute(jobs_query(d).where(T.jobs.c.id.in_(chain_ids)))}
    return Documents(conn, T, d.now).job_details(row, latest, chain)
