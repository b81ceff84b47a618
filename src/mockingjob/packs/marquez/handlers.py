"""Handlers of the Marquez API, one per operationId of ``specs/marquez.yaml``.

Checks come in Marquez's order (JobResource / BaseResource): the namespace, then the job, then the run id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import UTC, ApiError, Call, Handler, Operations, PortableString, Reply

from . import graph, stats
from .documents import (
    dataset_document,
    dataset_version_document,
    job_document,
    job_version_document,
    latest_runs,
    latest_runs_of_jobs_page,
    namespace_document,
    run_document,
    source_document,
    tag_document,
)
from .errors import bad_request, not_found
from .event_kinds import missing
from .graph import column_lineage_of
from .instants import parse_instant
from .lineage import record_event
from .model import STATES, arg_text, insert_run, new_run_record, transition
from .queries import (
    ALL_JOBS_COUNT,
    ALL_JOBS_PAGE,
    DATASET,
    DATASETS_COUNT,
    DATASETS_NAMED,
    DATASETS_PAGE,
    INSERT_JOB,
    INSERT_NAMESPACE,
    JOB,
    JOB_FOR_NEW_RUN,
    JOB_FOR_RUNS,
    JOBS_PAGE,
    LINEAGE_EVENTS_ASC,
    LINEAGE_EVENTS_COUNT,
    LINEAGE_EVENTS_DESC,
    NAMESPACE,
    NAMESPACE_WITH_JOB_COUNT,
    NAMESPACES_PAGE,
    RUN_JOB_ID,
    RUN_WITH_JOB,
    RUNS_PAGE,
    SOURCE,
    SOURCES_PAGE,
    SYMLINK,
    TAGS_PAGE,
    UPDATE_JOB,
    UPDATE_NAMESPACE,
)
from .tables import TABLES as T
from .versions import dataset_version_hash

HANDLERS = Operations()

DEFAULT_LIMIT = 100

# How the database sees a name a client sends (see PortableString): datasets are matched as it matches them.
_as_stored = PortableString().process_bind_param


def _page(call: Call) -> dict[str, int]:
    limit = call.params.get("limit")
    offset = call.params.get("offset")
    return {"limit": DEFAULT_LIMIT if limit is None else int(limit), "offset": 0 if offset is None else int(offset)}


def _namespace(call: Call, statement: sa.Select[Any] = NAMESPACE) -> Any:
    name = call.params["namespace"]
    ns = call.conn.execute(statement, {"namespace": name}).first()
    if ns is None:
        raise not_found(f"Namespace '{name}' not found.")
    return ns


def _namespace_and_job(call: Call, statement: sa.Select[Any] = JOB, **params: Any) -> Any:
    """The row of `statement` (a `queries._job_lookup`) for the path's namespace and job, once the namespace
    is known to exist; its job columns are NULL when the job does not."""
    name = call.params["namespace"]
    row = call.conn.execute(statement, {"namespace": name, "job": call.params["job"], **params}).first()
    if row is None:
        raise not_found(f"Namespace '{name}' not found.")
    return row


def _job(call: Call, statement: sa.Select[Any] = JOB, **params: Any) -> Any:
    job = _namespace_and_job(call, statement, **params)
    if job.id is None or job.is_hidden:  # a deleted job is not found (jobs_view hides it)
        raise not_found(f"Job '{call.params['job']}' not found.")
    return job


def _run(call: Call) -> Any:
    """The run of the path's id, with its job's ``namespace`` and ``name``."""
    run_id = str(call.params["id"]).lower()
    run = call.conn.execute(RUN_WITH_JOB, {"run_id": run_id}).first()
    if run is None:
        raise not_found(f"Run '{run_id}' not found.")
    return run


# --- namespaces ----------------------------------------------------------------------------------------

@HANDLERS
async def put_namespace(call: Call) -> Reply:
    name, body, now = call.params["namespace"], call.body, call.now
    values = {"owner_name": body["ownerName"], "description": body.get("description"), "updated_at": now,
              "is_hidden": False}
    updated = call.conn.execute(UPDATE_NAMESPACE, {"namespace": name, **values}).rowcount
    if not updated:
        call.conn.execute(INSERT_NAMESPACE, {"name": name, "created_at": now, **values})
    # Read back: the store may keep a value other than the one sent (see PortableString).
    return Reply(namespace_document(_namespace(call)))


@HANDLERS
async def get_namespace(call: Call) -> Reply:
    return Reply(namespace_document(_namespace(call)))


@HANDLERS
async def delete_namespace(call: Call) -> Reply:
    # NamespaceResource.delete: its datasets and jobs hidden, then the namespace; answered as it was found.
    ns = _namespace(call)
    call.conn.execute(T.datasets.update().where(T.datasets.c.namespace == ns.name), {"is_hidden": True})
    call.conn.execute(T.jobs.update().where(T.jobs.c.namespace == ns.name), {"is_hidden": True})
    call.conn.execute(UPDATE_NAMESPACE, {"namespace": ns.name, "is_hidden": True})
    return Reply(namespace_document(ns))


@HANDLERS
async def list_namespaces(call: Call) -> Reply:
    rows = call.conn.execute(NAMESPACES_PAGE, _page(call))
    return Reply({"namespaces": [namespace_document(ns) for ns in rows]})


# --- jobs ----------------------------------------------------------------------------------------------

def _datasets(given: list[dict[str, str]], known: set[tuple[str | None, str | None]]) -> list[dict[str, str]]:
    """The datasets named, once each, in order; every one must be `known` to exist
    (BaseResource.throwIfDatasetsNotExist)."""
    seen: list[dict[str, str]] = []
    for item in given:
        dataset = {"namespace": item["namespace"], "name": item["name"]}
        if (_as_stored(dataset["namespace"], None), _as_stored(dataset["name"], None)) not in known:
            raise not_found(f"Dataset '{dataset['name']}' not found.")
        if dataset not in seen:
            seen.append(dataset)
    return seen


@HANDLERS
async def put_job(call: Call) -> Reply:
    namespace, name, body, now = call.params["namespace"], call.params["job"], call.body, call.now
    job = _namespace_and_job(call)
    if job.id is None:
        job = None
    if body.get("runId"):
        run_id = str(body["runId"]).lower()
        run_job_id = call.conn.execute(RUN_JOB_ID, {"run_id": run_id}).scalar()
        if run_job_id is None or job is None or run_job_id != job.id:
            raise not_found(f"Run '{run_id}' not found.")
    named = [(d["namespace"], d["name"]) for d in (*body["inputs"], *body["outputs"])]
    known = ({(row.namespace, row.name) for row in call.conn.execute(DATASETS_NAMED, {"keys": named})}
             if named else set())
    values = {
        "type": body["type"], "location": body.get("location"), "description": body.get("description"),
        "context": body.get("context") or {}, "inputs": _datasets(body["inputs"], known),
        "outputs": _datasets(body["outputs"], known), "updated_at": now, "is_hidden": False,
    }
    if job is None:
        call.conn.execute(INSERT_JOB, {"namespace": namespace, "name": name, "created_at": now, **values})
    else:
        call.conn.execute(UPDATE_JOB, {"job_id": job.id, **values})
    # Read back: the store may keep a name other than the one sent (see PortableString).
    job = _job(call)
    return Reply(job_document(job, latest_runs(call.conn, job.id)))


@HANDLERS
async def get_job(call: Call) -> Reply:
    job = _job(call)
    return Reply(job_document(job, latest_runs(call.conn, job.id)))


@HANDLERS
async def list_jobs(call: Call) -> Reply:
    ns = call.conn.execute(NAMESPACE_WITH_JOB_COUNT, {"namespace": call.params["namespace"]}).first()
    if ns is None:  # JobDao.findAll filters on the name: an unknown namespace has no jobs, it is no error
        return Reply({"jobs": [], "totalCount": 0})
    page = {"namespace": ns.name, "states": _run_states(call), **_page(call)}
    jobs = call.conn.execute(JOBS_PAGE, page).all()
    latest = latest_runs_of_jobs_page(call.conn, page) if jobs else {}
    return Reply({"jobs": [job_document(job, latest.get(job.id, [])) for job in jobs],
                  "totalCount": int(ns.job_count)})


def _run_states(call: Call) -> list[str]:
    """The run states a jobs list keeps, as Dropwizard reads them (`_fuzzy`); all when none."""
    return [state for state in map(_fuzzy, call.params.get("lastRunStates") or []) if state] or list(STATES)


@HANDLERS
async def list_all_jobs(call: Call) -> Reply:
    # JobResource.list without a namespace: every job; totalCount counts them all.
    page = {"states": _run_states(call), **_page(call)}
    jobs = call.conn.execute(ALL_JOBS_PAGE, page).all()
    latest = latest_runs_of_jobs_page(call.conn, page, every_namespace=True) if jobs else {}
    total = call.conn.execute(ALL_JOBS_COUNT).scalar_one()
    return Reply({"jobs": [job_document(job, latest.get(job.id, [])) for job in jobs], "totalCount": int(total)})


@HANDLERS
async def delete_job(call: Call) -> Reply:
    # JobResource.delete: the job as it was, then hidden (jobs_view leaves it out) until put again.
    job = _job(call)
    document = job_document(job, (), with_runs=False)
    call.conn.execute(UPDATE_JOB, {"job_id": job.id, "is_hidden": True})
    return Reply(document)


# --- runs ----------------------------------------------------------------------------------------------

def _instant(body: dict[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    return None if value is None else parse_instant(name, value)


def _run_exists(run_id: str, job: Any) -> ApiError:
    return bad_request(f"Run '{run_id}' already exists for '{job.name}' under namespace '{job.namespace}'.")


@HANDLERS
async def create_run(call: Call) -> Reply:
    body = call.body or {}
    given = str(body["id"]).lower() if body.get("id") else None
    job = _job(call, JOB_FOR_NEW_RUN, run_id=given)
    if given is not None and job.run_taken:
        raise _run_exists(given, job)
    run_id = given or str(uuid.uuid4())
    meta = {
        "nominalStartTime": _instant(body, "nominalStartTime"),
        "nominalEndTime": _instant(body, "nominalEndTime"),
        "args": {key: arg_text(value) for key, value in (body.get("args") or {}).items()},
    }
    record = new_run_record(job, run_id, call.now, meta)
    if not insert_run(call.conn, record):  # another request created a run with this id meanwhile
        raise _run_exists(run_id, job)
    # The document is the record just written (no column of a run is altered on the way into the store).
    run = SimpleNamespace(**record)
    return Reply(run_document(run, job), 201, {"Location": call.url(f"/api/v1/jobs/runs/{run_id}")})


@HANDLERS
async def list_runs(call: Call) -> Reply:
    job = _job(call, JOB_FOR_RUNS)
    rows = call.conn.execute(RUNS_PAGE, {"job_id": job.id, **_page(call)}).all()
    return Reply({"runs": [run_document(run, job) for run in rows], "totalCount": int(job.run_count)})


@HANDLERS
async def get_run(call: Call) -> Reply:
    run = _run(call)
    return Reply(run_document(run, run))


def _transition_to(state: str) -> Handler:
    async def mark(call: Call) -> Reply:
        run = _run(call)  # the run is looked up before `at` is read, as in Marquez's sub-resource locator
        at = parse_instant("at", call.params["at"]) if call.params.get("at") is not None else call.now
        changed = transition(call.conn, run, state, at)
        return Reply(run_document(SimpleNamespace(**{**run._asdict(), **changed}), run))

    mark.__name__ = f"mark_run_as_{state.lower()}"
    return mark


HANDLERS.add("start_run", _transition_to("RUNNING"))
HANDLERS.add("complete_run", _transition_to("COMPLETED"))
HANDLERS.add("fail_run", _transition_to("FAILED"))
HANDLERS.add("abort_run", _transition_to("ABORTED"))


# --- OpenLineage ---------------------------------------------------------------------------------------

# OpenLineageResource.getLineageEvents's defaults for its time window.
LATEST_EVENT_TIME = "2030-01-01T00:00:00+00:00"
EARLIEST_EVENT_TIME = "1970-01-01T00:00:00+00:00"

@HANDLERS
async def post_lineage(call: Call) -> Reply:
    # OpenLineageResource.create: a run event, or static lineage (a job or dataset event, told by its schemaURL).
    event = call.body
    lacking = missing(event)
    if lacking:  # the spec refuses it first; kept for a body that reaches here another way
        return Reply({"errors": [f"{name} must not be null" for name in lacking]}, 422)
    record_event(call.conn, event, parse_instant("eventTime", event["eventTime"]))
    return Reply(None, 201)


@HANDLERS
async def list_lineage_events(call: Call) -> Reply:
    before = parse_instant("before", call.params.get("before") or LATEST_EVENT_TIME)
    after = parse_instant("after", call.params.get("after") or EARLIEST_EVENT_TIME)
    newest_first = (call.params.get("sortDirection") or "desc") == "desc"
    window = {"before": before, "after": after}
    rows = call.conn.execute(LINEAGE_EVENTS_DESC if newest_first else LINEAGE_EVENTS_ASC,
                             {**window, **_page(call)}).all()
    total = call.conn.execute(LINEAGE_EVENTS_COUNT, window).scalar_one()
    return Reply({"events": [row.document for row in rows], "totalCount": int(total)})


# --- datasets ------------------------------------------------------------------------------------------

@HANDLERS
async def list_datasets(call: Call) -> Reply:
    ns = _namespace(call)
    page = {"namespace": ns.name, **_page(call)}
    rows = call.conn.execute(DATASETS_PAGE, page).all()
    total = call.conn.execute(DATASETS_COUNT, {"namespace": ns.name}).scalar_one()
    lineage_of = column_lineage_of(call.conn, [(row.namespace, row.name) for row in rows])
    return Reply({"datasets": [dataset_document(row, lineage_of.get((row.namespace, row.name), ()))
                               for row in rows], "totalCount": int(total)})


def _dataset(call: Call) -> Any:
    """The path's dataset, once its namespace is known to exist (DatasetResource's checks, in its order)."""
    ns = _namespace(call)
    dataset = call.conn.execute(DATASET, {"namespace": ns.name, "dataset": call.params["dataset"]}).first()
    if dataset is None:  # DatasetDao.findDatasetByName: by any of its names
        link = call.conn.execute(SYMLINK, {"namespace": ns.name, "dataset": call.params["dataset"]}).first()
        if link is not None:
            dataset = call.conn.execute(DATASET, {"namespace": link.target_namespace,
                                                  "dataset": link.target_name}).first()
    if dataset is None:
        raise not_found(f"Dataset '{call.params['dataset']}' not found.")
    return dataset


def _dataset_reply(call: Call, dataset: Any) -> Reply:
    """The dataset read back, with its column lineage (DatasetResource.getDataset)."""
    row = call.conn.execute(DATASET, {"namespace": dataset.namespace, "dataset": dataset.name}).one()
    lineage_of = column_lineage_of(call.conn, [(row.namespace, row.name)])
    return Reply(dataset_document(row, lineage_of.get((row.namespace, row.name), ())))


@HANDLERS
async def get_dataset(call: Call) -> Reply:
    return _dataset_reply(call, _dataset(call))


@HANDLERS
async def delete_dataset(call: Call) -> Reply:
    # DatasetResource.delete: hidden (an event naming it brings it back), answered as it was found.
    dataset = _dataset(call)
    document = dataset_document(dataset)
    call.conn.execute(T.datasets.update().where(_dataset_key(dataset)), {"is_hidden": True})
    return Reply(document)


def _dataset_key(dataset: Any) -> sa.ColumnElement[bool]:
    return (T.datasets.c.namespace == dataset.namespace) & (T.datasets.c.name == dataset.name)


@HANDLERS
async def list_dataset_versions(call: Call) -> Reply:
    # DatasetVersionDao.findAll: newest first.
    dataset = _dataset(call)
    page = _page(call)
    where = (T.dataset_versions.c.namespace == dataset.namespace) & (T.dataset_versions.c.name == dataset.name)
    newest_first = (T.dataset_versions.c.created_at.desc(), T.dataset_versions.c.uuid)
    rows = call.conn.execute(sa.select(T.dataset_versions).where(where).order_by(*newest_first)
                             .limit(page["limit"]).offset(page["offset"])).all()
    total = call.conn.execute(sa.select(sa.func.count()).select_from(T.dataset_versions).where(where)).scalar_one()
    return Reply({"versions": [_dataset_version_document(call, row, dataset) for row in rows],
                  "totalCount": int(total)})


def _dataset_version_document(call: Call, version: Any, dataset: Any) -> dict[str, Any]:
    run = call.conn.execute(RUN_WITH_JOB, {"run_id": version.run_id}).first() if version.run_id else None
    return dataset_version_document(version, dataset, run)


@HANDLERS
async def get_dataset_version(call: Call) -> Reply:
    # DatasetResource.getVersion looks the version up by its id alone, whichever dataset it is of.
    dataset = _dataset(call)
    version_id = str(call.params["version"]).lower()
    version = call.conn.execute(sa.select(T.dataset_versions).where(T.dataset_versions.c.uuid == version_id)).first()
    if version is None:
        raise not_found(f"Dataset version '{version_id}' not found.")
    owner = call.conn.execute(DATASET, {"namespace": version.namespace, "dataset": version.name}).first()
    return Reply(_dataset_version_document(call, version, owner or dataset))


# --- sources and tags ----------------------------------------------------------------------------------

@HANDLERS
async def put_source(call: Call) -> Reply:
    # SourceDao.upsert: type, URL and description replaced; created once.
    name, body, now = call.params["source"], call.body, call.now
    values = {"type": body["type"], "connection_url": body["connectionUrl"], "description": body.get("description"),
              "updated_at": now}
    if call.conn.execute(SOURCE, {"source": name}).first() is None:
        call.conn.execute(T.sources.insert(), {"name": name, "created_at": now, **values})
    else:
        call.conn.execute(T.sources.update().where(T.sources.c.name == name), values)
    return Reply(source_document(call.conn.execute(SOURCE, {"source": name}).one()))


@HANDLERS
async def get_source(call: Call) -> Reply:
    source = call.conn.execute(SOURCE, {"source": call.params["source"]}).first()
    if source is None:
        raise not_found(f"Source '{call.params['source']}' not found.")
    return Reply(source_document(source))


@HANDLERS
async def list_sources(call: Call) -> Reply:
    return Reply({"sources": [source_document(row) for row in call.conn.execute(SOURCES_PAGE, _page(call))]})


@HANDLERS
async def put_tag(call: Call) -> Reply:
    name, description = call.params["tag"], (call.body or {}).get("description")
    tags = T.tags
    if call.conn.execute(sa.select(tags.c.name).where(tags.c.name == name)).first() is None:
        call.conn.execute(tags.insert(), {"name": name, "description": description})
    else:
        call.conn.execute(tags.update().where(tags.c.name == name), {"description": description})
    return Reply(tag_document(call.conn.execute(sa.select(tags).where(tags.c.name == name)).one()))


@HANDLERS
async def list_tags(call: Call) -> Reply:
    return Reply({"tags": [tag_document(row) for row in call.conn.execute(TAGS_PAGE, _page(call))]})


@HANDLERS
async def get_run_facets(call: Call) -> Reply:
    # JobResource.getRunFacets: the facets the run's events carried, later ones over earlier ones.
    run = _run(call)
    kind = re.sub(r"\s+", "", str(call.params["type"])).upper()
    if kind == "DATASET":  # Marquez answers it with no entity
        return Reply(None, 204)
    facets = (run.facets if kind == "RUN" else run.job_facets) or {}
    return Reply({"runId": run.id, "facets": facets})


def _existing_tags(call: Call, names: list[str]) -> list[str]:
    # DatasetDao.updateTags maps a tag by selecting it from the tags: one that does not exist is left out.
    if not names:
        return []
    return sorted(call.conn.execute(sa.select(T.tags.c.name).where(T.tags.c.name.in_(names))).scalars())


@HANDLERS
async def put_dataset(call: Call) -> Reply:
    # DatasetResource.createOrUpdate: the namespace, the run (if named) and the source must exist.
    ns, body, now = _namespace(call), call.body, call.now
    if body.get("runId"):
        run_id = str(body["runId"]).lower()
        if call.conn.execute(RUN_JOB_ID, {"run_id": run_id}).first() is None:
            raise not_found(f"Run '{run_id}' not found.")
    if call.conn.execute(SOURCE, {"source": body["sourceName"]}).first() is None:
        raise not_found(f"Source '{body['sourceName']}' not found.")
    fields = [{"name": field["name"], "type": field.get("type"), "tags": _existing_tags(call, field.get("tags") or []),
               "description": field.get("description")} for field in body.get("fields") or []]
    values = {"type": body["type"], "physical_name": body["physicalName"], "source_name": body["sourceName"],
              "description": body.get("description"), "fields": fields,
              "tags": _existing_tags(call, body.get("tags") or []), "updated_at": now, "is_hidden": False}
    where = (T.datasets.c.namespace == ns.name) & (T.datasets.c.name == call.params["dataset"])
    if call.conn.execute(sa.select(T.datasets.c.name).where(where)).first() is None:
        call.conn.execute(T.datasets.insert(), {"namespace": ns.name, "name": call.params["dataset"], "facets": {},
                                                "created_at": now, "last_modified_at": None,
                                                "current_version": None, **values})
    else:
        call.conn.execute(T.datasets.update().where(where), values)
    # DatasetVersionDao.upsertDatasetVersion: what it says now is a version, made current (with no lifecycle
    # state), written by the run named.
    writer = str(body["runId"]).lower() if body.get("runId") else None
    version = dataset_version_hash(ns.name, body["sourceName"], call.params["dataset"], fields, None, writer)
    versions = T.dataset_versions.c
    key = sa.and_(versions.namespace == ns.name, versions.name == call.params["dataset"], versions.version == version)
    row_id = call.conn.execute(sa.select(versions.uuid).where(key)).scalar()
    if row_id is None:
        row_id = str(uuid.uuid4())
        call.conn.execute(T.dataset_versions.insert(), {
            "uuid": row_id, "version": version, "namespace": ns.name, "name": call.params["dataset"],
            "created_at": now, "run_id": writer, "fields": fields, "lifecycle_state": None, "facets": {}})
    call.conn.execute(T.datasets.update().where(where), {"current_version": row_id, "lifecycle_state": None})
    return Reply(dataset_document(call.conn.execute(DATASET, {"namespace": ns.name,
                                                              "dataset": call.params["dataset"]}).one()))


def _ensure_tag(call: Call, name: str) -> None:
    """TagDao.upsert: tagging with a tag that does not exist creates it, without a description."""
    if call.conn.execute(sa.select(T.tags.c.name).where(T.tags.c.name == name)).first() is None:
        call.conn.execute(T.tags.insert(), {"name": name, "description": None})


@HANDLERS
async def tag_dataset(call: Call) -> Reply:
    dataset = _dataset(call)
    _ensure_tag(call, call.params["tag"])
    tags = sorted({*(dataset.tags or []), call.params["tag"]})
    call.conn.execute(T.datasets.update().where(_dataset_key(dataset)), {"tags": tags})
    return _dataset_reply(call, dataset)


@HANDLERS
async def untag_dataset(call: Call) -> Reply:
    dataset = _dataset(call)
    tags = [tag for tag in dataset.tags or [] if tag != call.params["tag"]]
    call.conn.execute(T.datasets.update().where(_dataset_key(dataset)), {"tags": tags})
    return _dataset_reply(call, dataset)


def _field_tags(call: Call, change: Callable[[list[str], str], list[str]]) -> Reply:
    """DatasetFieldDao.updateTags / deleteDatasetFieldTag: a field's tags, in upper case, in the dataset's current
    version and its fields (the field matched in any case)."""
    dataset, field = _dataset(call), call.params["field"]
    versions = call.conn.execute(sa.select(T.dataset_versions.c.uuid, T.dataset_versions.c.fields).where(
        T.dataset_versions.c.namespace == dataset.namespace, T.dataset_versions.c.name == dataset.name)).all()
    if not any(f.get("name") == field for fields in [dataset.fields, *(v.fields for v in versions)]
               for f in fields or []):
        raise not_found(f"Field '{field}' not found for dataset '{dataset.name}'.")
    tag = call.params["tag"].upper()

    def changed(fields: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        return [{**f, "tags": change(list(f.get("tags") or []), tag)} if str(f.get("name")).lower() == field.lower()
                else f for f in fields or []]

    call.conn.execute(T.datasets.update().where(_dataset_key(dataset)), {"fields": changed(dataset.fields)})
    for version in versions:
        if version.uuid == dataset.current_version or change is _without:
            call.conn.execute(T.dataset_versions.update().where(T.dataset_versions.c.uuid == version.uuid),
                              {"fields": changed(version.fields)})
    return _dataset_reply(call, dataset)


def _with(tags: list[str], tag: str) -> list[str]:
    return tags if tag in tags else [*tags, tag]


def _without(tags: list[str], tag: str) -> list[str]:
    return [name for name in tags if name != tag]


@HANDLERS
async def tag_dataset_field(call: Call) -> Reply:
    _dataset(call)
    _ensure_tag(call, call.params["tag"].upper())
    return _field_tags(call, _with)


@HANDLERS
async def untag_dataset_field(call: Call) -> Reply:
    return _field_tags(call, _without)


# --- job versions and job tags -------------------------------------------------------------------------

@HANDLERS
async def list_job_versions(call: Call) -> Reply:
    # JobVersionDao.findAllJobVersions: newest first; Marquez gives no total.
    job = _job(call)
    page = _page(call)
    rows = call.conn.execute(sa.select(T.job_versions).where(T.job_versions.c.job_id == job.id).order_by(
        T.job_versions.c.created_at.desc(), T.job_versions.c.uuid).limit(page["limit"]).offset(page["offset"])).all()
    return Reply({"versions": [_job_version_document(call, row, job) for row in rows]})


def _job_version_document(call: Call, version: Any, job: Any) -> dict[str, Any]:
    run = (call.conn.execute(RUN_WITH_JOB, {"run_id": version.latest_run_id}).first()
           if version.latest_run_id else None)
    return job_version_document(version, job, run)


@HANDLERS
async def get_job_version(call: Call) -> Reply:
    job = _job(call)
    version_id = str(call.params["version"]).lower()
    version = call.conn.execute(sa.select(T.job_versions).where(
        T.job_versions.c.job_id == job.id, T.job_versions.c.version == version_id)).first()
    if version is None:
        raise not_found(f"Job version '{version_id}' not found.")
    return Reply(_job_version_document(call, version, job))


def _job_tags(call: Call, change: Callable[[list[str], str], list[str]]) -> Reply:
    # JobResource.updateJobTags / deleteJobTag: answered with the job as findJobByName reads it, without runs.
    job = _job(call)
    call.conn.execute(UPDATE_JOB, {"job_id": job.id, "tags": change(list(job.tags or []), call.params["tag"])})
    job = _job(call)
    return Reply(job_document(job, (), with_runs=False))


@HANDLERS
async def tag_job(call: Call) -> Reply:
    _job(call)
    _ensure_tag(call, call.params["tag"])
    return _job_tags(call, _with)


@HANDLERS
async def untag_job(call: Call) -> Reply:
    return _job_tags(call, _without)


# --- lineage reads and search ----------------------------------------------------------------------------

def _depth(call: Call) -> int:
    depth = call.params.get("depth")
    return 20 if depth is None else int(depth)


@HANDLERS
async def get_lineage(call: Call) -> Reply:
    return Reply(graph.lineage(call.conn, str(call.params["nodeId"]), _depth(call)))


@HANDLERS
async def get_column_lineage(call: Call) -> Reply:
    node_id, downstream = str(call.params["nodeId"]), bool(call.params.get("withDownstream"))
    if "#" in node_id and downstream:
        raise bad_request("Node version cannot be specified when withDownstream is true")
    return Reply(graph.column_lineage(call.conn, node_id.split("#", 1)[0], _depth(call), downstream))


@HANDLERS
async def get_upstream_run_lineage(call: Call) -> Reply:
    return Reply(graph.upstream_runs(call.conn, str(call.params["runId"]), _depth(call)))


def _fuzzy(value: Any) -> str | None:
    """An enum query parameter as Dropwizard reads it: any case, blanks dropped, `-` and `.` as `_`."""
    if value is None:
        return None
    return re.sub(r"\s+", "", str(value)).replace("-", "_").replace(".", "_").upper() or None


def _day(call: Call, name: str) -> datetime | None:
    value = call.params.get(name)
    if value is None:
        return None
    # A day past its month's end (02-30) is read as the days after it: Marquez fails on it (a 500).
    year, month, day = (int(part) for part in str(value).split("-"))
    return datetime(max(year, 1), month, 1, tzinfo=UTC) + timedelta(days=day - 1)  # (year 0 as 1)


@HANDLERS
async def search(call: Call) -> Reply:
    # SearchResource.search: the name must hold `q`; `filter` keeps datasets or jobs; `limit` 10 unless given.
    q = str(call.params["q"])
    if not q.strip():
        return Reply({"errors": ["query param q must not be blank"]}, 400)
    limit = call.params.get("limit")
    return Reply(graph.search(call.conn, q, kind=_fuzzy(call.params.get("filter")),
                        sort=_fuzzy(call.params.get("sort")) or "NAME", limit=10 if limit is None else int(limit),
                        namespace=call.params.get("namespace"), before=_day(call, "before"),
                        after=_day(call, "after")))


# --- the web UI's charts ---------------------------------------------------------------------------------

def _spans(call: Call) -> list[tuple[datetime, datetime, datetime]]:
    period = _fuzzy(call.params.get("period"))
    if period is None:
        raise bad_request("Invalid period")  # StatsResource answers a missing period so
    return stats.intervals(call.now, stats.zone(period, call.params.get("timezone")))


@HANDLERS
async def get_lineage_event_stats(call: Call) -> Reply:
    return Reply(stats.event_counts(call.conn, _spans(call)))


def _entity_stats(kind: str) -> Handler:
    async def count(call: Call) -> Reply:
        return Reply(stats.entity_counts(call.conn, kind, _spans(call)))

    count.__name__ = f"get_{kind[:-1]}_stats"
    return count


for _kind in ("jobs", "datasets", "sources"):
    HANDLERS.add(f"get_{_kind[:-1]}_stats", _entity_stats(_kind))
