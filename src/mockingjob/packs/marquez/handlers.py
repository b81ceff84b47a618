"""Handlers of the Marquez API, one per operationId of ``specs/marquez.yaml``.

Checks come in Marquez's order (JobResource / BaseResource): the namespace, then the job, then the run id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mockingjob.pack import Call, Handler, Reply

from .documents import (
    find_job,
    find_run,
    job_by_id,
    job_document,
    latest_runs,
    namespace_document,
    next_run_seq,
    run_document,
    runs_page,
)
from .dropwizard import bad_request, not_found, parse_instant
from .model import arg_text, new_run_record, transition
from .tables import TABLES as T

DEFAULT_LIMIT = 100


def _page(call: Call) -> tuple[int, int]:
    limit = call.params.get("limit")
    offset = call.params.get("offset")
    return (DEFAULT_LIMIT if limit is None else int(limit)), (0 if offset is None else int(offset))


def _namespace(call: Call) -> Any:
    name = call.params["namespace"]
    ns = call.conn.execute(sa.select(T.namespaces).where(T.namespaces.c.name == name)).first()
    if ns is None:
        raise not_found(f"Namespace '{name}' not found.")
    return ns


def _job(call: Call) -> Any:
    _namespace(call)
    job = find_job(call.conn, T, call.params["namespace"], call.params["job"])
    if job is None:
        raise not_found(f"Job '{call.params['job']}' not found.")
    return job


def _run(call: Call) -> Any:
    run_id = str(call.params["id"]).lower()
    run = find_run(call.conn, T, run_id)
    if run is None:
        raise not_found(f"Run '{run_id}' not found.")
    return run


# --- namespaces ----------------------------------------------------------------------------------------

async def put_namespace(call: Call) -> Reply:
    name, body, now = call.params["namespace"], call.body, call.now
    n = T.namespaces.c
    values = {"owner_name": body["ownerName"], "description": body.get("description"), "updated_at": now,
              "is_hidden": False}
    updated = call.conn.execute(T.namespaces.update().where(n.name == name).values(**values)).rowcount
    if not updated:
        call.conn.execute(T.namespaces.insert().values(name=name, created_at=now, **values))
    return Reply(namespace_document(_namespace(call)))


async def get_namespace(call: Call) -> Reply:
    return Reply(namespace_document(_namespace(call)))


async def list_namespaces(call: Call) -> Reply:
    limit, offset = _page(call)
    rows = call.conn.execute(sa.select(T.namespaces).order_by(T.namespaces.c.name).limit(limit).offset(offset))
    return Reply({"namespaces": [namespace_document(ns) for ns in rows]})


# --- jobs ----------------------------------------------------------------------------------------------

def _datasets(call: Call, given: list[dict[str, str]]) -> list[dict[str, str]]:
    """The datasets named, once each, in order; every one must exist (BaseResource.throwIfDatasetsNotExist)."""
    seen: list[dict[str, str]] = []
    for item in given:
        dataset = {"namespace": item["namespace"], "name": item["name"]}
        d = T.datasets.c
        exists = call.conn.execute(sa.select(d.name).where(d.namespace == dataset["namespace"],
                                                            d.name == dataset["name"])).first()
        if exists is None:
            raise not_found(f"Dataset '{dataset['name']}' not found.")
        if dataset not in seen:
            seen.append(dataset)
    return seen


async def put_job(call: Call) -> Reply:
    namespace, name, body, now = call.params["namespace"], call.params["job"], call.body, call.now
    _namespace(call)
    job = find_job(call.conn, T, namespace, name)
    if body.get("runId"):
        run_id = str(body["runId"]).lower()
        run = find_run(call.conn, T, run_id)
        if run is None or job is None or run.job_id != job.id:
            raise not_found(f"Run '{run_id}' not found.")
    values = {
        "type": body["type"], "location": body.get("location"), "description": body.get("description"),
        "context": body.get("context") or {}, "inputs": _datasets(call, body["inputs"]),
        "outputs": _datasets(call, body["outputs"]), "updated_at": now,
    }
    if job is None:
        call.conn.execute(T.jobs.insert().values(namespace=namespace, name=name, created_at=now, **values))
    else:
        call.conn.execute(T.jobs.update().where(T.jobs.c.id == job.id).values(**values))
    job = find_job(call.conn, T, namespace, name)
    return Reply(job_document(job, latest_runs(call.conn, T, job.id)))


async def get_job(call: Call) -> Reply:
    job = _job(call)
    return Reply(job_document(job, latest_runs(call.conn, T, job.id)))


async def list_jobs(call: Call) -> Reply:
    namespace = _namespace(call).name
    limit, offset = _page(call)
    j = T.jobs.c
    jobs = call.conn.execute(sa.select(T.jobs).where(j.namespace == namespace).order_by(j.name, j.id)
                             .limit(limit).offset(offset)).all()
    total = call.conn.execute(sa.select(sa.func.count()).select_from(T.jobs).where(j.namespace == namespace))
    return Reply({"jobs": [job_document(job, latest_runs(call.conn, T, job.id)) for job in jobs],
                  "totalCount": int(total.scalar_one())})


# --- runs ----------------------------------------------------------------------------------------------

def _instant(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    return None if value is None else parse_instant(name, value)


async def create_run(call: Call) -> Reply:
    job = _job(call)
    body = call.body or {}
    run_id = str(body["id"]).lower() if body.get("id") else str(uuid.uuid4())
    if body.get("id") and find_run(call.conn, T, run_id) is not None:
        raise bad_request(f"Run '{run_id}' already exists for '{job.name}' under namespace '{job.namespace}'.")
    meta = {
        "nominalStartTime": _instant(body, "nominalStartTime"),
        "nominalEndTime": _instant(body, "nominalEndTime"),
        "args": {key: arg_text(value) for key, value in (body.get("args") or {}).items()},
    }
    record = new_run_record(job, run_id, next_run_seq(call.conn, T), call.now, meta)
    call.conn.execute(T.runs.insert().values(**record))
    run = find_run(call.conn, T, run_id)
    return Reply(run_document(run, job), 201, {"Location": call.url(f"/api/v1/jobs/runs/{run_id}")})


async def list_runs(call: Call) -> Reply:
    job = _job(call)
    limit, offset = _page(call)
    rows, total = runs_page(call.conn, T, job.id, limit, offset)
    return Reply({"runs": [run_document(run, job) for run in rows], "totalCount": total})


async def get_run(call: Call) -> Reply:
    run = _run(call)
    return Reply(run_document(run, job_by_id(call.conn, T, run.job_id)))


def _transition_to(state: str) -> Handler:
    async def mark(call: Call) -> Reply:
        run = _run(call)  # the run is looked up before `at` is read, as in Marquez's sub-resource locator
        at = parse_instant("at", call.params["at"]) if call.params.get("at") is not None else call.now
        job = job_by_id(call.conn, T, run.job_id)
        transition(call.conn, T, run, job, state, at)
        return Reply(run_document(find_run(call.conn, T, run.id), job_by_id(call.conn, T, run.job_id)))

    mark.__name__ = f"mark_run_as_{state.lower()}"
    return mark


HANDLERS: dict[str, Handler] = {
    "put_namespace": put_namespace,
    "get_namespace": get_namespace,
    "list_namespaces": list_namespaces,
    "put_job": put_job,
    "get_job": get_job,
    "list_jobs": list_jobs,
    "create_run": create_run,
    "list_runs": list_runs,
    "get_run": get_run,
    "start_run": _transition_to("RUNNING"),
    "complete_run": _transition_to("COMPLETED"),
    "fail_run": _transition_to("FAILED"),
    "abort_run": _transition_to("ABORTED"),
}
