"""Handlers of the Scale v6 job services, one per operationId of ``specs/scale.yaml``, each registered on
`HANDLERS` under its function's name, which is its operationId.

Statements are built once (here, or per request shape in queries.py) and run with bind parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import ApiError, Call, Operations, PortableString, Reply, UtcDateTime, inserted_id

from . import catalog, files, job_types, logs, recipes
from .documents import execution_document, file_document, job_document
from .errors import NOT_FOUND, InvalidJobData, bad_parameter
from .files import FILE_FROM, FILES, VISIBLE
from .model import JobPlan, cancel, plan_attempt
from .params import paginate, parse_timestamp, time_range
from .queries import (
    EXE_WITH_LOG_SCRIPT,
    ExeShape,
    body_filters,
    exe_list_statements,
    execution,
    filter_fields,
    input_files,
    job_details,
    job_filter,
    list_statements,
    matching_ids,
    requeue_rows,
)
from .tables import TABLES as T
from .tally import tally_changes

HANDLERS = Operations()

jt, f, e = T.job_types.c, T.files.c, T.errors.c

# --- jobs ----------------------------------------------------------------------------------------------


@HANDLERS
async def list_jobs(call: Call) -> Reply:
    p = call.params
    query = job_filter(p, call.now, source_times=True)
    count, page = list_statements(query, p.get("order"))
    envelope, rows = paginate(call, call.conn, page, count, query.values)
    files = input_files(call.conn, [row.id for row in rows])
    return Reply({**envelope, "results": [job_document(row, call.now, files.get(row.id, {})) for row in rows]})


_JOB_TYPE = sa.select(T.job_types).where(jt.id == sa.bindparam("id"))
_FILE_SIZES = (sa.select(f.id, f.file_size).select_from(FILE_FROM)
               .where(f.id.in_(sa.bindparam("ids", expanding=True)), VISIBLE))
_INSERT_EVENT = T.events.insert()
_INSERT_JOB = T.jobs.insert()
_INSERT_INPUT = T.job_inputs.insert()
# Scale's scheduler offers work to active nodes that are not paused: those first, in id order. When a client
# has paused or retired every node, the plan still needs one (the mock does not model a job waiting for a
# node): the active ones, then any.
_NODES_BY_AVAILABILITY = (sa.select(T.nodes.c.id, T.nodes.c.is_active, T.nodes.c.is_paused)
                          .order_by(T.nodes.c.id))
_ERROR_NAMED = sa.select(e.id).where(e.name == sa.bindparam("name"))
_ERROR_NAMED_OR_OF_CATEGORY = (
    sa.select(e.id).where(sa.or_(e.name == sa.bindparam("name"), e.category == sa.bindparam("category")))
    .order_by(sa.case((e.name == sa.bindparam("name"), 0), else_=1), e.id)
)


@HANDLERS
async def queue_job(call: Call) -> Reply:
    body = call.body
    conn, now = call.conn, call.now
    job_type = conn.execute(_JOB_TYPE, {"id": body["job_type_id"]}).first()
    if job_type is None:
        raise ApiError(404, NOT_FOUND)
    data = body.get("input") or {}
    files = data.get("files") or {}
    _check_input(job_type, data)
    file_ids = sorted({fid for ids in files.values() for fid in ids})
    sizes = dict(conn.execute(_FILE_SIZES, {"ids": file_ids, "now": now}).all()) if file_ids else {}
    missing = [fid for fid in file_ids if fid not in sizes]
    if missing:
        raise InvalidJobData(f"file(s) {missing} do not exist")
    size_mib = round(sum(sizes.values()) / (1024 * 1024), 2) if sizes else 0.0
    plan = JobPlan.from_json(job_type.plan)
    event_id = inserted_id(conn.execute(_INSERT_EVENT, {"type": "USER", "occurred": now}))
    configuration = {**job_type.configuration, **(body.get("configuration") or {})}
    job_id = inserted_id(conn.execute(_INSERT_JOB, {
        "job_type_id": job_type.id, "job_type_rev_id": job_type.revision_id, "event_id": event_id,
        "is_superseded": False,
        "input": {"files": files, "json": data.get("json") or {}},
        "output": {"files": {}, "json": job_type.plan.get("output_json", {})}, "configuration": configuration,
        "priority": configuration.get("priority", 100), "max_tries": job_type.max_tries, "num_exes": 0,
        "input_file_size": size_mib, "created": now, "outcome": "COMPLETED",
    }))
    links = [{"job_id": job_id, "job_input": name, "file_id": fid}
             for name, ids in files.items() for fid in sorted(set(ids))]
    if links:
        conn.execute(_INSERT_INPUT, links)
    planned = plan_attempt(conn, job_id, 1, plan, now, _pick_node(call, job_id), _error_id(call, plan),
                           job_type.timeout, size_mib, call.effect, job_type.is_paused)
    assert planned is not None  # nobody else knows the job yet
    with tally_changes(conn) as tally:
        tally.add(job_type.id, *planned)
    return Reply(job_details(conn, now, job_id), 201, {"Location": call.url(f"/v6/jobs/{job_id}/")})


def _check_input(job_type: Any, data: dict[str, Any]) -> None:
    """The job type's Seed interface decides which inputs are required (Scale's DataV6 validation)."""
    interface = job_type.manifest.get("job", {}).get("interface", {}).get("inputs", {})
    for spec_file in interface.get("files", []):
        given = (data.get("files") or {}).get(spec_file["name"])
        if spec_file.get("required", True) and not given:
            raise InvalidJobData(f"Required input '{spec_file['name']}' was not provided")
        if given and len(given) > 1 and not spec_file.get("multiple", False):
            raise InvalidJobData(f"Input '{spec_file['name']}' does not accept multiple files")
    for spec_json in interface.get("json", []):
        if spec_json.get("required", True) and spec_json["name"] not in (data.get("json") or {}):
            raise InvalidJobData(f"Required input '{spec_json['name']}' was not provided")


def _pick_node(call: Call, seed: int) -> int:
    """Spread executions over the cluster's available nodes, deterministically."""
    nodes = call.conn.execute(_NODES_BY_AVAILABILITY).all()
    for usable in (lambda n: n.is_active and not n.is_paused, lambda n: n.is_active, lambda n: True):
        chosen = [node.id for node in nodes if usable(node)]
        if chosen:
            return chosen[seed % len(chosen)]
    raise ApiError(500, "the fixtures define no node")


def _error_id(call: Call, plan: JobPlan) -> int | None:
    """The error a failure of this attempt reports: the scenario's (an error name, or a category for the first
    error of it), else the job type's plan's, else Scale's "unknown" error."""
    wanted = call.effect.failure
    if wanted:
        found = call.conn.execute(_ERROR_NAMED_OR_OF_CATEGORY, {"name": wanted, "category": wanted.upper()}).scalar()
        if found is None:
            raise bad_parameter(f"Scenario failure {wanted!r} is neither the name nor the category of an error")
        return int(found)
    return call.conn.execute(_ERROR_NAMED, {"name": plan.error or "unknown"}).scalar()


@HANDLERS
async def get_job(call: Call) -> Reply:
    return Reply(job_details(call.conn, call.now, call.params["job_id"]))


@HANDLERS
async def cancel_jobs(call: Call) -> Reply:
    query = job_filter(body_filters(call), call.now)
    cancel(call.conn, call.now, matching_ids(call.conn, query))
    return Reply(None, 202)


@HANDLERS
async def requeue_jobs(call: Call) -> Reply:
    query = job_filter(body_filters(call), call.now, requeue=True)
    priority = filter_fields(call)["priority"]
    with tally_changes(call.conn) as tally:
        for row in requeue_rows(call.conn, query):
            plan = JobPlan.from_json(row.plan)
            values: dict[str, Any] = {"max_tries": row.max_tries + 1}
            if priority is not None:
                values["priority"] = priority
            planned = plan_attempt(call.conn, row.id, row.num_exes + 1, plan, call.now,
                                   _pick_node(call, row.id + row.num_exes), _error_id(call, plan), row.timeout,
                                   row.input_file_size, call.effect, row.is_paused, **values)
            # None for a job another request requeued meanwhile: it stays as that one planned (and tallied) it.
            if planned is not None:
                tally.move(row.job_type_id, (row.outcome, row.end_at), planned)
    return Reply(None, 202)


@dataclass(frozen=True)
class _FileShape:
    time_field: str
    started: bool
    ended: bool
    file_name: bool
    job_input: bool


@lru_cache(maxsize=64)
def _input_file_statements(shape: _FileShape) -> tuple[sa.Select[Any], sa.Select[Any]]:
    low, high = {"source": (f.source_started, f.source_ended), "data": (f.data_started, f.data_ended)}.get(
        shape.time_field, (f.last_modified, f.last_modified))
    inputs = T.job_inputs.c
    query = FILES.where(f.id.in_(sa.select(inputs.file_id).where(inputs.job_id == sa.bindparam("job_id"))))
    if shape.started:
        query = query.where(low >= sa.bindparam("started", type_=UtcDateTime()))
    if shape.ended:
        query = query.where(high <= sa.bindparam("ended", type_=UtcDateTime()))
    if shape.file_name:
        query = query.where(f.file_name == sa.bindparam("file_name", type_=PortableString()))
    if shape.job_input:
        query = query.where(f.id.in_(sa.select(inputs.file_id).where(
            inputs.job_id == sa.bindparam("job_id"),
            inputs.job_input == sa.bindparam("job_input", type_=PortableString()))))
    count = sa.select(sa.func.count()).select_from(query.subquery())
    page = query.order_by(f.last_modified, f.id).limit(sa.bindparam("limit", type_=sa.Integer())).offset(
        sa.bindparam("offset", type_=sa.Integer()))
    return count, page


@HANDLERS
async def list_job_input_files(call: Call) -> Reply:
    p = call.params
    started, ended = time_range(p, call.now)
    shape = _FileShape(p.get("time_field") or "last_modified", bool(started), bool(ended), bool(p.get("file_name")),
                       bool(p.get("job_input")))
    values = {"now": call.now, "job_id": p["job_id"], "started": started, "ended": ended,
              "file_name": p.get("file_name"), "job_input": p.get("job_input")}
    count, page = _input_file_statements(shape)
    envelope, rows = paginate(call, call.conn, page, count, values)
    return Reply({**envelope, "results": [file_document(row) for row in rows]})


# --- executions ----------------------------------------------------------------------------------------


@HANDLERS
async def list_job_executions(call: Call) -> Reply:
    p = call.params
    values: dict[str, Any] = {"now": call.now, "job_id": p["job_id"]}
    for name in ("status", "node_id", "error_id", "error_category"):
        if p.get(name):
            values[name] = list(p[name])
    shape = ExeShape(*(bool(p.get(name)) for name in ("status", "node_id", "error_id", "error_category")))
    count, page = exe_list_statements(shape)
    envelope, rows = paginate(call, call.conn, page, count, values)
    return Reply({**envelope, "results": [execution_document(row, call.now) for row in rows]})


@HANDLERS
async def get_job_execution(call: Call) -> Reply:
    return Reply(execution(call.conn, call.now, call.params["job_id"], call.params["exe_num"]))


@HANDLERS
async def get_job_execution_log(call: Call) -> Reply:
    row = call.conn.execute(EXE_WITH_LOG_SCRIPT, {"now": call.now, "exe_id": call.params["job_exe_id"]}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    since = parse_timestamp("started", call.params["started"], call.now) if call.params.get("started") else None
    # DRF's ?format= overrides the Accept header.
    media = "application/json" if call.params.get("format") == "json" else logs.negotiate(call.header("accept"))
    lines = logs.lines(row, call.now, call.params["log_id"], since)
    if not lines:
        return Reply(None, 204)
    if media == "text/plain":
        return Reply("".join(line["message"] + "\n" for line in lines), media_type="text/plain")
    return Reply(lines)


def _register(*modules: Operations) -> None:
    """The operations of the pack's other modules (job types, files, recipes, batches, …) join these."""
    for operations in modules:
        for operation_id, handler in operations.items():
            HANDLERS.add(operation_id, handler)


_register(job_types.OPERATIONS, files.OPERATIONS, catalog.OPERATIONS, recipes.OPERATIONS)
