"""Handlers of the Scale v6 job services, one per operationId of ``specs/scale.yaml``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mockingjob.errors import ApiError
from mockingjob.pack import Call, Reply
from mockingjob.store import PortableString

from . import logs
from .drf import NOT_FOUND, bad_parameter, flag, paginate, parse_timestamp, time_range
from .model import Derived, JobPlan, cancel, plan_attempt
from .queries import body_filters, exes_query, exes_with_log_script, filtered, job_details, job_row, jobs_query, ordered
from .serialize import Documents, job_type_document
from .tables import TABLES as T

# --- jobs ----------------------------------------------------------------------------------------------

async def list_jobs(call: Call) -> Reply:
    d = Derived(T, call.now)
    p = call.params
    query = filtered(jobs_query(d), p, d)
    source_started, source_ended = time_range(p, call.now, "source_started", "source_ended")
    if source_started:
        query = query.where(T.jobs.c.source_started >= source_started)
    if source_ended:
        query = query.where(T.jobs.c.source_ended <= source_ended)
    envelope, rows = paginate(call, ordered(query, p.get("order"), d), call.conn)
    return Reply({**envelope, "results": Documents(call.conn, T, call.now).jobs(rows)})


async def queue_job(call: Call) -> Reply:
    body = call.body
    conn, now = call.conn, call.now
    jt = conn.execute(sa.select(T.job_types).where(T.job_types.c.id == body["job_type_id"])).first()
    if jt is None:
        raise ApiError(404, NOT_FOUND)
    data = body.get("input") or {}
    files = data.get("files") or {}
    _check_input(jt, data)
    file_ids = sorted({fid for ids in files.values() for fid in ids})
    sizes = dict(conn.execute(sa.select(T.files.c.id, T.files.c.file_size).where(T.files.c.id.in_(file_ids))).all())
    missing = [fid for fid in file_ids if fid not in sizes]
    if missing:
        raise bad_parameter(f"Invalid job data: file(s) {missing} do not exist")
    size_mib = round(sum(sizes.values()) / (1024 * 1024), 2) if sizes else 0.0
    plan = JobPlan.from_json(jt.plan)
    event_id = _new_id(conn.execute(T.events.insert().values(type="USER", occurred=now)))
    configuration = {**jt.configuration, **(body.get("configuration") or {})}
    job_id = _new_id(conn.execute(T.jobs.insert().values(
        job_type_id=jt.id, event_id=event_id, is_superseded=False,
        input={"files": files, "json": data.get("json") or {}},
        output=jt.plan.get("output", {"files": {}, "json": {}}), configuration=configuration,
        priority=configuration.get("priority", 100), max_tries=jt.max_tries, num_exes=0,
        input_file_size=size_mib, created=now, outcome="COMPLETED",
    )))
    for input_name, ids in files.items():
        for fid in sorted(set(ids)):
            conn.execute(T.job_inputs.insert().values(job_id=job_id, job_input=input_name, file_id=fid))
    plan_attempt(conn, T, job_id, 1, plan, now, _pick_node(call, job_id), _error_id(call, plan), jt.timeout,
                 size_mib, call.effect)
    d = Derived(T, now)
    doc = job_details(call.conn, d, job_row(call, d, job_id))
    return Reply(doc, 201, {"Location": call.url(f"/v6/jobs/{job_id}/")})


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The id the database gave the row just inserted."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _check_input(jt: Any, data: dict[str, Any]) -> None:
    """The job type's Seed interface decides which inputs are required (Scale's DataV6 validation)."""
    interface = jt.manifest.get("job", {}).get("interface", {}).get("inputs", {})
    for spec_file in interface.get("files", []):
        given = (data.get("files") or {}).get(spec_file["name"])
        if spec_file.get("required", True) and not given:
            raise bad_parameter(f"Invalid job data: Required input '{spec_file['name']}' was not provided")
        if given and len(given) > 1 and not spec_file.get("multiple", False):
            raise bad_parameter(f"Invalid job data: Input '{spec_file['name']}' does not accept multiple files")
    for spec_json in interface.get("json", []):
        if spec_json.get("required", True) and spec_json["name"] not in (data.get("json") or {}):
            raise bad_parameter(f"Invalid job data: Required input '{spec_json['name']}' was not provided")


def _pick_node(call: Call, seed: int) -> int:
    """Spread executions over the cluster's nodes, deterministically."""
    nodes = call.conn.execute(sa.select(T.nodes.c.id).order_by(T.nodes.c.id)).scalars().all()
    return nodes[seed % len(nodes)]


def _error_id(call: Call, plan: JobPlan) -> int | None:
    """The error a failure of this attempt reports: the scenario's (an error name, or a category for the first
    error of it), else the job type's plan's, else Scale's "unknown" error."""
    e = T.errors.c
    wanted = call.effect.failure
    if wanted:
        found = call.conn.execute(
            sa.select(e.id).where(sa.or_(e.name == wanted, e.category == wanted.upper())).order_by(
                sa.case((e.name == wanted, 0), else_=1), e.id)
        ).scalar()
        if found is None:
            raise bad_parameter(f"Scenario failure {wanted!r} is neither the name nor the category of an error")
        return int(found)
    name = plan.error or "unknown"
    return call.conn.execute(sa.select(e.id).where(e.name == name)).scalar()


async def get_job(call: Call) -> Reply:
    d = Derived(T, call.now)
    return Reply(job_details(call.conn, d, job_row(call, d, call.params["job_id"])))


async def cancel_jobs(call: Call) -> Reply:
    d = Derived(T, call.now)
    query = filtered(jobs_query(d), body_filters(call, d), d)
    ids = [row.id for row in call.conn.execute(query.with_only_columns(T.jobs.c.id))]
    cancel(call.conn, T, d, ids)
    return Reply(None, 202)


async def requeue_jobs(call: Call) -> Reply:
    d = Derived(T, call.now)
    query = filtered(jobs_query(d), body_filters(call, d), d)
    query = query.where(d.status.in_(["FAILED", "CANCELED"]), T.jobs.c.is_superseded.is_(False))
    rows = call.conn.execute(query.with_only_columns(T.jobs.c.id, T.jobs.c.num_exes, T.jobs.c.input_file_size,
                                                     T.jobs.c.max_tries, T.job_types.c.plan,
                                                     T.job_types.c.timeout)).all()
    priority = (call.body or {}).get("priority")
    for row in rows:
        plan = JobPlan.from_json(row.plan)
        values: dict[str, Any] = {"max_tries": row.max_tries + 1}
        if priority is not None:
            values["priority"] = priority
        call.conn.execute(T.jobs.update().where(T.jobs.c.id == row.id).values(**values))
        plan_attempt(call.conn, T, row.id, row.num_exes + 1, plan, call.now,
                     _pick_node(call, row.id + row.num_exes), _error_id(call, plan), row.timeout,
                     row.input_file_size, call.effect)
    return Reply(None, 202)


async def list_job_input_files(call: Call) -> Reply:
    p = call.params
    f = T.files.c
    started, ended = time_range(p, call.now)
    field = p.get("time_field") or "last_modified"
    low, high = {"source": (f.source_started, f.source_ended), "data": (f.data_started, f.data_ended)}.get(
        field, (f.last_modified, f.last_modified))
    query = (sa.select(T.files, T.workspaces.c.name.label("workspace_name"))
             .join(T.workspaces, T.workspaces.c.id == f.workspace_id)
             .where(f.id.in_(sa.select(T.job_inputs.c.file_id).where(T.job_inputs.c.job_id == p["job_id"]))))
    if started:
        query = query.where(low >= started)
    if ended:
        query = query.where(high <= ended)
    if p.get("file_name"):
        query = query.where(f.file_name == p["file_name"])
    if p.get("job_input"):
        query = query.where(f.id.in_(sa.select(T.job_inputs.c.file_id).where(
            T.job_inputs.c.job_id == p["job_id"], T.job_inputs.c.job_input == p["job_input"])))
    envelope, rows = paginate(call, query.order_by(f.last_modified, f.id), call.conn)
    return Reply({**envelope, "results": [_file_document(row) for row in rows]})


def _file_document(f: Any) -> dict[str, Any]:
    from .serialize import ts

    return {
        "id": f.id, "file_name": f.file_name, "workspace": {"id": f.workspace_id, "name": f.workspace_name},
        "data_type_tags": f.data_type_tags, "media_type": f.media_type, "file_type": f.file_type,
        "file_size": f.file_size, "file_path": f.file_path, "is_deleted": False,
        "url": f"http://scale.example.com/workspaces/{f.workspace_name}/{f.file_path}",
        "created": ts(f.created), "deleted": None, "data_started": ts(f.data_started),
        "data_ended": ts(f.data_ended), "source_started": ts(f.source_started),
        "source_ended": ts(f.source_ended), "source_sensor_class": f.source_sensor_class,
        "source_sensor": f.source_sensor, "source_collection": f.source_collection,
        "source_task": f.source_task, "last_modified": ts(f.last_modified), "geometry": None,
        "center_point": None, "countries": f.countries, "job_type": None, "job": None, "job_exe": None,
        "job_output": None, "recipe_type": None, "recipe": None, "recipe_node": None, "batch": None,
        "is_superseded": False, "superseded": None,
    }


# --- executions ----------------------------------------------------------------------------------------

async def list_job_executions(call: Call) -> Reply:
    d = Derived(T, call.now)
    p = call.params
    x = T.exes.c
    query = exes_query(d).where(x.job_id == p["job_id"])
    if p.get("status"):
        query = query.where(d.exe_status.in_(p["status"]))
    if p.get("node_id"):
        query = query.where(x.node_id.in_(p["node_id"]))
    if p.get("error_id"):
        query = query.where(d.exe_status == "FAILED", x.error_id.in_(p["error_id"]))
    if p.get("error_category"):
        query = query.where(d.exe_status == "FAILED", x.error_id.in_(
            sa.select(T.errors.c.id).where(T.errors.c.category.in_(p["error_category"]))))
    envelope, rows = paginate(call, query.order_by(x.exe_num.desc()), call.conn)
    return Reply({**envelope, "results": Documents(call.conn, T, call.now).executions(rows)})


async def get_job_execution(call: Call) -> Reply:
    d = Derived(T, call.now)
    row = call.conn.execute(exes_query(d).where(
        T.exes.c.job_id == call.params["job_id"], T.exes.c.exe_num == call.params["exe_num"])).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(Documents(call.conn, T, call.now).executions([row], details=True)[0])


async def get_job_execution_log(call: Call) -> Reply:
    d = Derived(T, call.now)
    row = call.conn.execute(exes_with_log_script(d).where(T.exes.c.id == call.params["job_exe_id"])).first()
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


# --- job types -----------------------------------------------------------------------------------------

async def list_job_types(call: Call) -> Reply:
    p = call.params
    jt = T.job_types.c
    versions = sa.select(T.job_types)
    for keyword in p.get("keyword") or []:
        like = f"%{keyword.lower()}%"
        versions = versions.where(sa.or_(*(sa.func.lower(column, type_=PortableString()).like(like)
                                           for column in (jt.name, jt.title, jt.description))))
    if p.get("id"):
        versions = versions.where(jt.id.in_(p["id"]))
    for name in ("is_active", "is_system"):
        if p.get(name) is not None:
            versions = versions.where(jt[name] == flag(p[name]))
    names = sa.select(jt.name).distinct().where(jt.id.in_(versions.with_only_columns(jt.id)))
    envelope, rows = paginate(call, names.order_by(jt.name), call.conn)
    results = []
    for row in rows:
        all_versions = call.conn.execute(sa.select(T.job_types).where(jt.name == row.name).order_by(jt.id)).all()
        latest = all_versions[-1]
        results.append({"name": row.name, "title": latest.title, "description": latest.description,
                        "icon_code": latest.icon_code, "versions": [v.version for v in all_versions],
                        "latest_version": latest.version})
    return Reply({**envelope, "results": results})


async def list_job_type_versions(call: Call) -> Reply:
    jt = T.job_types.c
    query = sa.select(T.job_types).where(jt.name == call.params["name"])
    if call.params.get("is_active") is not None:
        query = query.where(jt.is_active == flag(call.params["is_active"]))
    envelope, rows = paginate(call, query.order_by(jt.id), call.conn)
    return Reply({**envelope, "results": [job_type_document(row) for row in rows]})


async def get_job_type(call: Call) -> Reply:
    jt = T.job_types.c
    row = call.conn.execute(sa.select(T.job_types).where(
        jt.name == call.params["name"], jt.version == call.params["version"])).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(job_type_document(row, details=True))


HANDLERS = {fn.__name__: fn for fn in (
    list_jobs, queue_job, get_job, cancel_jobs, requeue_jobs, list_job_input_files, list_job_executions,
    get_job_execution, get_job_execution_log, list_job_types, list_job_type_versions, get_job_type,
)}
