"""OpenLineage run events as Marquez records them (``OpenLineageDao.updateMarquezModel``).

An event names its job and run: the job's namespace and the datasets' namespaces are created (owner
``anonymous``) if they are new, the job is created or updated from its facets, the run is created for the job if
it is new, and the event's type moves the run: ``COMPLETE``, ``FAIL`` and ``ABORT`` finish it at the event's
time, any other type (``START``, ``RUNNING``, ``OTHER``, one Marquez does not know) starts it then. Events are
applied in the order they arrive, whatever their times, as Marquez applies them: the last one sets the state.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .model import insert_run, new_run_record, transition
from .tables import TABLES as T

__all__ = ["OWNER", "record_event", "run_state"]

OWNER = "anonymous"
"""The owner of a namespace an event creates (``OpenLineageDao.DEFAULT_NAMESPACE_OWNER``)."""

_n, _d, _j, _r, _s = T.namespaces.c, T.datasets.c, T.jobs.c, T.runs.c, T.sources.c
DEFAULT_SOURCE = "default"
"""The source of a dataset whose events name none (``OpenLineageDao.DEFAULT_SOURCE_NAME``)."""
_DONE = {"complete": "COMPLETED", "abort": "ABORTED", "fail": "FAILED"}


def run_state(event_type: str) -> str:
    """``OpenLineageDao.getRunState``: the state an event type puts a run in, read in any case."""
    return _DONE.get(event_type.lower(), "RUNNING")


def _ensure_namespace(conn: Connection, name: str, now: datetime) -> None:
    if conn.execute(sa.select(_n.name).where(_n.name == name)).first() is None:
        conn.execute(T.namespaces.insert(), {"name": name, "created_at": now, "updated_at": now,
                                             "owner_name": OWNER, "description": None, "is_hidden": False})


def _ensure_source(conn: Connection, dataset: dict[str, Any], now: datetime) -> None:
    """The source a dataset's ``dataSource`` facet names, or the ``default`` one: created if new, its URL kept up
    to date (SourceDao.upsert / upsertOrDefault; the type is always POSTGRESQL, as OpenLineageDao.getSourceType
    says)."""
    facet = (dataset.get("facets") or {}).get("dataSource")
    given: dict[str, Any] = facet if isinstance(facet, dict) and facet.get("name") else {}
    named = bool(given)
    name = str(given["name"]) if named else DEFAULT_SOURCE
    url = str(given.get("uri") or "")
    found = conn.execute(sa.select(_s.name).where(_s.name == name)).first()
    if found is None:
        conn.execute(T.sources.insert(), {"name": name, "type": "POSTGRESQL", "connection_url": url,
                                          "description": None, "created_at": now, "updated_at": now})
    elif named:
        conn.execute(T.sources.update().where(_s.name == name), {"connection_url": url, "updated_at": now})


def _fields(schema: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A ``schema`` facet's fields as Marquez lists a dataset's fields."""
    return [{"name": field.get("name"), "type": field.get("type"), "tags": [],
             "description": field.get("description")}
            for field in (schema or {}).get("fields") or [] if isinstance(field, dict) and field.get("name")]


def _dataset_values(dataset: dict[str, Any]) -> dict[str, Any]:
    """What a dataset's facets say of it (``OpenLineageDao.upsertLineageDataset``); only what they say."""
    facets = dataset.get("facets") or {}
    values: dict[str, Any] = {}
    if isinstance(facets.get("dataSource"), dict) and facets["dataSource"].get("name"):
        values["source_name"] = facets["dataSource"]["name"]
    if isinstance(facets.get("documentation"), dict) and facets["documentation"].get("description"):
        values["description"] = facets["documentation"]["description"]
    if isinstance(facets.get("schema"), dict):
        values["fields"] = _fields(facets["schema"])
    return values


def _dataset_ids(datasets: list[dict[str, Any]] | None, conn: Connection, now: datetime, *,
                 written: str | None = None) -> list[dict[str, str]]:
    """The datasets an event names, each recorded (with its namespace) or updated from its facets. `written`: the
    run that has just written them, which gives each a new version modified now."""
    ids = []
    for dataset in datasets or []:
        namespace, name = dataset["namespace"], dataset["name"]
        _ensure_namespace(conn, namespace, now)
        values = _dataset_values(dataset)
        _ensure_source(conn, dataset, now)
        values["facets"] = dataset.get("facets") or {}
        if written is not None:
            values["last_modified_at"] = now
            values["current_version"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{name}/{written}"))
        where = (_d.namespace == namespace) & (_d.name == name)
        found = conn.execute(sa.select(_d.facets).where(where)).first()
        if found is None:
            conn.execute(T.datasets.insert(), {"namespace": namespace, "name": name, "type": "DB_TABLE",
                                               "source_name": "default", "description": None, "fields": [],
                                               "created_at": now, "last_modified_at": None,
                                               "current_version": None, **values, "updated_at": now})
        else:
            values["facets"] = {**(found.facets or {}), **values["facets"]}
            conn.execute(T.datasets.update().where(where), {**values, "updated_at": now, "is_hidden": False})
        ids.append({"namespace": namespace, "name": name})
    return ids


def _job_values(job: dict[str, Any]) -> dict[str, Any]:
    """What an event's job facets say of the job (``OpenLineageDao.buildJobFromEvent``)."""
    facets = job.get("facets") or {}
    values: dict[str, Any] = {}
    processing = (facets.get("jobType") or {}).get("processingType")
    if processing is not None:
        values["type"] = "STREAM" if str(processing).upper() == "STREAMING" else "BATCH"
    location = (facets.get("sourceCodeLocation") or {}).get("url")
    if location is not None:
        values["location"] = location
    description = (facets.get("documentation") or {}).get("description")
    if description is not None:
        values["description"] = description
    return values


def _job(conn: Connection, event: dict[str, Any], now: datetime) -> Any:
    job = event["job"]
    namespace, name = job["namespace"], job["name"]
    _ensure_namespace(conn, namespace, now)
    values = _job_values(job)
    written = str(event["run"]["runId"]).lower() if run_state(str(event.get("eventType") or "")) == "COMPLETED" \
        else None
    inputs = _dataset_ids(event.get("inputs"), conn, now)
    outputs = _dataset_ids(event.get("outputs"), conn, now, written=written)
    if inputs:
        values["inputs"] = inputs
    if outputs:
        values["outputs"] = outputs
    found = conn.execute(sa.select(T.jobs).where(_j.namespace == namespace, _j.name == name)).first()
    if found is None:
        conn.execute(T.jobs.insert(), {"namespace": namespace, "name": name, "type": "BATCH", "location": None,
                                       "description": None, "context": {}, "inputs": [], "outputs": [],
                                       "created_at": now, "updated_at": now, "is_hidden": False, **values})
    elif values or found.is_hidden:  # an event about a deleted job brings it back (JobDao.upsertJob)
        conn.execute(T.jobs.update().where(_j.id == found.id), {**values, "updated_at": now, "is_hidden": False})
    return conn.execute(sa.select(T.jobs).where(_j.namespace == namespace, _j.name == name)).one()


def record_event(conn: Connection, event: dict[str, Any], event_time: datetime,
                 nominal: tuple[datetime | None, datetime | None]) -> None:
    """Apply one run event to the model and keep it, as sent, in the event log."""
    job = _job(conn, event, event_time)
    run_id = str(event["run"]["runId"]).lower()
    run = conn.execute(sa.select(T.runs).where(_r.id == run_id)).first()
    if run is None:
        meta: dict[str, Any] = {"nominalStartTime": nominal[0], "nominalEndTime": nominal[1], "args": {}}
        insert_run(conn, new_run_record(job, run_id, event_time, meta))
        run = conn.execute(sa.select(T.runs).where(_r.id == run_id)).one()
    # A run named again under another job stays with the job it was created for (RunDao.upsert keeps it).
    if event.get("eventType") is not None:
        transition(conn, run, run_state(str(event["eventType"])), event_time)
    conn.execute(T.lineage_events.insert(), {"event_time": event_time, "run_id": run_id, "document": event})
