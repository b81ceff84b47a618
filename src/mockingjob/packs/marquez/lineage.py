"""OpenLineage events as Marquez records them (``OpenLineageDao.updateMarquezModel`` and its static-lineage kin).

A run event names its job and run: the namespaces are created (owner ``anonymous``) if they are new; the job is
created or updated from its facets (a job that is a step of a parent run's job is named ``parent.step``); the
datasets it read and wrote are created or updated from their facets, each with a version; the run is created for
the job if it is new and gathers the dataset versions, run facets and job facets its events send; and the event's
type moves the run: ``COMPLETE``, ``FAIL`` and ``ABORT`` finish it at the event's time (recording the job version
it ran), any other type (``START``, ``RUNNING``, ``OTHER``, one Marquez does not know) starts it then. Events are
applied in the order they arrive, whatever their times, as Marquez applies them: the last one sets the state.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .errors import bad_request
from .event_kinds import event_kind
from .instants import format_instant, parse_instant
from .model import DONE, insert_run, new_run_record, transition
from .tables import NAME
from .tables import TABLES as T
from .versions import dataset_version_hash, record_job_version

__all__ = ["OWNER", "job_uuid", "namespace_name", "record_event", "run_state", "run_uuid"]

OWNER = "anonymous"
"""The owner of a namespace an event creates (``OpenLineageDao.DEFAULT_NAMESPACE_OWNER``)."""
DEFAULT_SOURCE = "default"
"""The source of a dataset whose events name none (``OpenLineageDao.DEFAULT_SOURCE_NAME``)."""

_n, _d, _j, _r, _s = T.namespaces.c, T.datasets.c, T.jobs.c, T.runs.c, T.sources.c
_dv, _cl, _sl = T.dataset_versions.c, T.column_lineage.c, T.dataset_symlinks.c
_DONE = {"complete": "COMPLETED", "abort": "ABORTED", "fail": "FAILED"}
# Facets Marquez files as a read's or a write's rather than the dataset's (DatasetFacetsDao.Type).
_INPUT_FACETS = ("dataQualityMetrics", "dataQualityAssertions")
_OUTPUT_FACETS = ("outputStatistics",)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def run_state(event_type: str) -> str:
    """``OpenLineageDao.getRunState``: the state an event type puts a run in, read in any case."""
    return _DONE.get(event_type.lower(), "RUNNING")


def record_event(conn: Connection, event: dict[str, Any], event_time: datetime) -> None:
    """Apply one event, of any kind, that carries what its kind must (`event_kinds.missing` finds nothing)."""
    kind = event_kind(event)
    if kind == "JOB_EVENT":
        record_job_event(conn, event, event_time)
    elif kind == "DATASET_EVENT":
        record_dataset_event(conn, event, event_time)
    else:
        record_run_event(conn, event, event_time)


def job_uuid(namespace: str, name: str) -> str:
    """The UUID by which a job's steps name it (``parentJobUuid``): Marquez's is random; this one is derived from
    the job's namespace and name, so it is the same in every replica and after a restart."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"marquez:job:{namespace}:{name}"))


def namespace_name(given: str) -> str:
    """OpenLineageDao.formatNamespaceName: a namespace name with `_` for each character a name may not have."""
    return re.sub(r"[^a-zA-Z0-9:/\-_.@+]", "_", given)


def run_uuid(given: str) -> str:
    """A run's id: the one given if it is a UUID, else a name-based UUID of it (OpenLineageDao.runToUuid)."""
    if _UUID.match(given):
        return given.lower()
    return str(uuid.UUID(bytes=hashlib.md5(given.encode("utf-8")).digest(), version=3))


def _facets(part: Any) -> dict[str, Any]:
    facets = part.get("facets") if isinstance(part, dict) else None
    return dict(facets) if isinstance(facets, dict) else {}


def _facet(facets: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A facet that is an object, or none: facets other than those the spec names are kept, never read."""
    facet = facets.get(name)
    return facet if isinstance(facet, dict) else {}


def _upsert(conn: Connection, table: sa.Table, where: sa.ColumnElement[bool], new: Mapping[str, Any],
            changed: Mapping[str, Any]) -> None:
    """Update the row `where` selects with `changed`, or insert `new` and `changed` when there is none. (A row
    another worker inserts meanwhile makes the INSERT fail, and the request is tried again whole.)"""
    if not conn.execute(table.update().where(where), dict(changed)).rowcount:
        conn.execute(table.insert(), {**new, **changed})


def _ensure_namespace(conn: Connection, name: str, now: datetime) -> None:
    if conn.execute(sa.select(_n.name).where(_n.name == name)).first() is None:
        conn.execute(T.namespaces.insert(), {"name": name, "created_at": now, "updated_at": now,
                                             "owner_name": OWNER, "description": None, "is_hidden": False})


def _source(conn: Connection, facets: Mapping[str, Any], now: datetime) -> str:
    """The source a dataset's ``dataSource`` facet names, or the ``default`` one: created if new, its URL kept up
    to date (SourceDao.upsert / upsertOrDefault; the type is always POSTGRESQL, as OpenLineageDao.getSourceType
    says). Returns its name."""
    facet = _facet(facets, "dataSource")
    given: Mapping[str, Any] = facet if facet.get("name") else {}
    name = str(given["name"]) if given else DEFAULT_SOURCE
    url = str(given.get("uri") or "")
    if conn.execute(sa.select(_s.name).where(_s.name == name)).first() is None:
        conn.execute(T.sources.insert(), {"name": name, "type": "POSTGRESQL", "connection_url": url,
                                          "description": None, "created_at": now, "updated_at": now})
    elif given:
        conn.execute(T.sources.update().where(_s.name == name), {"connection_url": url, "updated_at": now})
    return name


def _fields(facets: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A ``schema`` facet's fields as Marquez lists a dataset's fields."""
    given = _facet(facets, "schema").get("fields")
    given = given if isinstance(given, list) else None
    return [{"name": field.get("name"), "type": field.get("type"), "tags": [],
             "description": field.get("description")}
            for field in given or [] if isinstance(field, dict) and field.get("name")]


def _lifecycle(facets: Mapping[str, Any]) -> str:
    return str(_facet(facets, "lifecycleStateChange").get("lifecycleStateChange") or "")


def _dataset(conn: Connection, dataset: Mapping[str, Any], now: datetime, *, run_id: str | None,
             written: bool) -> dict[str, Any]:
    """Record one dataset an event names (OpenLineageDao.upsertLineageDataset) and return the version the event
    read or wrote, as a run lists it: ``{namespace, name, version, uuid, facets}``.

    The dataset's description, source and DROP state are what this event says (each event replaces them); an
    event un-deletes it. A write, or a first read, records the version its facets describe; a later read reads the
    dataset's current version. A first read makes its version current; a write's becomes current when its run
    completes.
    """
    given, name = str(dataset["namespace"]), str(dataset["name"])
    namespace = namespace_name(given)
    facets = _facets(dataset)
    _ensure_namespace(conn, namespace, now)
    source = _source(conn, facets, now)
    lifecycle = _lifecycle(facets)
    where = (_d.namespace == namespace) & (_d.name == name)
    found = conn.execute(sa.select(_d.current_version).where(where)).first()
    values = {  # DatasetDao.upsert: the source a dataset was first recorded with stays its source
        "is_deleted": lifecycle.upper() == "DROP", "is_hidden": False, "updated_at": now,
        "description": _facet(facets, "documentation").get("description"),
    }
    fields = _fields(facets)
    _symlinks(conn, facets, namespace, name, now)
    if found is None:
        conn.execute(T.datasets.insert(), {"namespace": namespace, "name": name, "type": "DB_TABLE",
                                           "source_name": source, "facets": {},
                                           "fields": fields, "created_at": now, "last_modified_at": None,
                                           "current_version": None, "lifecycle_state": None, **values})
    else:
        conn.execute(T.datasets.update().where(where), values)
    current = found.current_version if found else None
    kept = (_INPUT_FACETS, "inputFacets") if not written else (_OUTPUT_FACETS, "outputFacets")
    run_facets = {key: facets[key] for key in kept[0] if key in facets}
    run_facets.update(_facet(dataset, kept[1]))
    # The version's facets: the dataset's as sent, and a read's own (DatasetFacetsDao files them by version).
    version_facets = {**facets, **(run_facets if not written else {})}
    if not written and current is not None:
        version = conn.execute(sa.select(_dv.uuid, _dv.version, _dv.facets).where(_dv.uuid == current)).one()
        if run_facets:
            merged = {**(version.facets or {}), **run_facets}
            conn.execute(T.dataset_versions.update().where(_dv.uuid == current), {"facets": merged})
            conn.execute(T.datasets.update().where(where), {"facets": _shown(merged)})
        return {"namespace": namespace, "name": name, "version": version.version, "uuid": version.uuid,
                "facets": run_facets}
    version_hash = dataset_version_hash(namespace, source, name, fields, lifecycle, run_id if written else None)
    key = (_dv.namespace == namespace) & (_dv.name == name) & (_dv.version == version_hash)
    row = conn.execute(sa.select(_dv.uuid, _dv.facets).where(key)).first()
    if row is None:
        row_id = str(uuid.uuid4())
        conn.execute(T.dataset_versions.insert(), {
            "uuid": row_id, "version": version_hash, "namespace": namespace, "name": name, "created_at": now,
            "run_id": run_id if written else None, "fields": fields, "lifecycle_state": lifecycle,
            "facets": version_facets})
    else:
        row_id = row.uuid
        version_facets = {**(row.facets or {}), **version_facets}
        conn.execute(T.dataset_versions.update().where(key), {"facets": version_facets})
    if current is None and not written:
        conn.execute(T.datasets.update().where(where), {"current_version": row_id, "fields": fields,
                                                        "lifecycle_state": lifecycle,
                                                        "facets": _shown(version_facets)})
    elif current == row_id:
        conn.execute(T.datasets.update().where(where), {"facets": _shown(version_facets)})
    return {"namespace": namespace, "name": name, "version": version_hash, "uuid": row_id, "facets": run_facets}


def _symlinks(conn: Connection, facets: Mapping[str, Any], namespace: str, name: str, now: datetime) -> None:
    """The other names the ``symlinks`` facet gives a dataset, each in its namespace (made if new), as
    OpenLineageDao.upsertLineageDataset records them; a name another dataset has is left to it."""
    identifiers = _facet(facets, "symlinks").get("identifiers")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, dict) or not identifier.get("namespace") or not identifier.get("name"):
            continue
        link = (namespace_name(str(identifier["namespace"])), str(identifier["name"]))
        if link == (namespace, name) or max(map(len, link)) > NAME or conn.execute(
                sa.select(_d.name).where(_d.namespace == link[0], _d.name == link[1])).first() is not None:
            continue
        _ensure_namespace(conn, link[0], now)
        where = (_sl.namespace == link[0]) & (_sl.name == link[1])
        _upsert(conn, T.dataset_symlinks, where, {"namespace": link[0], "name": link[1]},
                {"target_namespace": namespace, "target_name": name})


def _shown(facets: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset's facets: its current version's, but for those of a write (DatasetDao: type dataset, input or
    unknown)."""
    return {key: value for key, value in facets.items() if key not in _OUTPUT_FACETS}


def _column_lineage(conn: Connection, output: Mapping[str, Any], written: Mapping[str, Any],
                    read: list[dict[str, Any]], now: datetime) -> None:
    """ColumnLineageDao.upsertColumnLineageRow: an output's ``columnLineage`` facet, for the fields this event's
    schema of it has, from the fields of the versions the run read that have them; others are left out, as
    Marquez leaves them out. The description and type are the output field's."""
    given = _facet(_facets(output), "columnLineage").get("fields")
    schema = {field["name"] for field in _fields(_facets(output))}
    if not isinstance(given, dict) or not schema:
        return
    versions = {(d["namespace"], d["name"]): d["uuid"] for d in read}
    read_fields = {(row.namespace, row.name): {f.get("name") for f in row.fields or []} for row in conn.execute(
        sa.select(_dv.namespace, _dv.name, _dv.fields).where(_dv.uuid.in_(list(versions.values()))))}
    for field, lineage in given.items():
        if field not in schema or not isinstance(lineage, dict):
            continue
        sources = lineage.get("inputFields")
        for source in sources if isinstance(sources, list) else []:
            pair = ((namespace_name(str(source.get("namespace"))), source.get("name"))
                    if isinstance(source, dict) else None)
            if pair is None or source.get("field") not in read_fields.get(pair, set()):
                continue
            key = {"output_version": written["uuid"], "output_field": field, "input_version": versions[pair],
                   "input_field": source["field"]}
            where = sa.and_(*(T.column_lineage.c[column] == value for column, value in key.items()))
            _upsert(conn, T.column_lineage, where, {
                **key, "output_namespace": written["namespace"], "output_name": written["name"],
                "input_namespace": pair[0], "input_name": pair[1], "created_at": now,
            }, {"transformation_description": lineage.get("transformationDescription"),
                "transformation_type": lineage.get("transformationType"), "updated_at": now})


def _job_values(job: Mapping[str, Any]) -> dict[str, Any]:
    """What an event says of its job (``OpenLineageDao.buildJobFromEvent``): each event replaces the type, the
    location and the description, with nothing where it says nothing."""
    facets = _facets(job)
    processing = _facet(facets, "jobType").get("processingType")
    return {
        "type": "STREAM" if str(processing or "").upper() == "STREAMING" else "BATCH",
        "location": _facet(facets, "sourceCodeLocation").get("url"),
        "description": _facet(facets, "documentation").get("description"),
        "is_hidden": False,
    }


def _upsert_job(conn: Connection, namespace: str, name: str, values: Mapping[str, Any], now: datetime) -> Any:
    """Create or update a job (JobDao.upsertJob: an event brings a deleted job back) and return its row."""
    where = (_j.namespace == namespace) & (_j.name == name)
    _upsert(conn, T.jobs, where, {"namespace": namespace, "name": name, "context": {}, "inputs": [], "outputs": [],
                                  "created_at": now, "facets": {}, "tags": []},
            {**values, "updated_at": now})
    return conn.execute(sa.select(T.jobs).where(where)).one()


def _parent(conn: Connection, event: Mapping[str, Any], now: datetime) -> tuple[Any, str] | None:
    """The job and run of the run this event's run is a step of (``parent`` run facet), made if new:
    OpenLineageDao.findParentJobRow and createParentJobRunRecord. Marquez makes a parent it has not heard of in
    the namespace of the step's job, with the step's type and location, in the state the step's event gives."""
    facets = _facets(event.get("run"))
    facet = _facet(facets, "parent") or _facet(facets, "parentRun")
    if not facet:
        return None
    child = event["job"]
    given_job, given_run = dict(facet["job"]), str(facet["run"]["runId"])
    given_job["namespace"] = namespace_name(str(given_job["namespace"]))
    parent_name = str(given_job["name"])
    if parent_name == child["name"]:
        parent_name = parent_name.rsplit(".", 1)[0]
    dag = str(given_job["name"]).rsplit(".", 1)[0]
    run_id = given_run.lower() if _UUID.match(given_run) else str(
        uuid.uuid3(uuid.NAMESPACE_URL, f"{given_job['namespace']}.{dag}.{given_run}"))
    found = conn.execute(sa.select(_r.id, _j.namespace, _j.name).join_from(T.runs, T.jobs, _r.job_id == _j.id)
                         .where(_r.id == run_id)).first()
    if found is not None and (found.namespace, found.name) == (given_job["namespace"], parent_name):
        job = conn.execute(sa.select(T.jobs).where(_j.namespace == found.namespace, _j.name == found.name)).one()
        return job, run_id
    if found is not None:  # the id is another job's run: the parent's is derived from it
        run_id = str(uuid.uuid3(uuid.NAMESPACE_URL, f"{given_job['namespace']}.{parent_name}.{run_id}"))
    namespace = namespace_name(str(child["namespace"]))
    _ensure_namespace(conn, namespace, now)
    values = _job_values(child)
    job = _upsert_job(conn, namespace, parent_name, {**values, "description": None}, now)
    if conn.execute(sa.select(_r.id).where(_r.id == run_id)).first() is None:
        record = new_run_record(job, run_id, now, {"args": {}, **_nominal(event)})
        if event.get("eventType") is not None:  # in the step's state; no job version is recorded for it
            state = run_state(str(event["eventType"]))
            record.update(state=state, **({"ended_at": now} if state in DONE else {"started_at": now}))
        insert_run(conn, record)
    return job, run_id


def _nominal(event: Mapping[str, Any]) -> dict[str, Any]:
    nominal = _facet(_facets(event.get("run")), "nominalTime")
    return {key: parse_instant(key, nominal[key]) for key in ("nominalStartTime", "nominalEndTime")
            if nominal.get(key) is not None}


def _run_args(event: Mapping[str, Any]) -> dict[str, str]:
    """OpenLineageDao.createRunArgs: a run's arguments, from its nominal time and parent facets."""
    facets, args = _facets(event.get("run")), {}
    nominal = _facet(facets, "nominalTime")
    if nominal.get("nominalStartTime") is not None:
        args["nominal_start_time"] = _zoned_text(nominal["nominalStartTime"])
        if nominal.get("nominalEndTime") is not None:
            args["nominal_end_time"] = _zoned_text(nominal["nominalEndTime"])
    parent = _facet(facets, "parent") or _facet(facets, "parentRun")
    if parent:
        args.update(run_id=str(parent["run"]["runId"]), name=str(parent["job"]["name"]),
                    namespace=str(parent["job"]["namespace"]))
    return args


def _zoned_text(value: Any) -> str:
    """A time as Java's ``ZonedDateTime.toString`` writes it (``2026-03-02T12:00Z``: no seconds when they are
    zero), in UTC."""
    text = format_instant(parse_instant("nominalTime", value)) or ""
    return text.replace(":00Z", "Z") if re.search(r"T\d\d:\d\d:00Z$", text) else text


def _merge_versions(known: list[dict[str, Any]] | None, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A run's dataset versions with those of another event: each version once, its facets merged."""
    merged = {(v["namespace"], v["name"], v["version"]): dict(v) for v in known or []}
    for version in new:
        key = (version["namespace"], version["name"], version["version"])
        merged[key] = {**version, "facets": {**merged.get(key, {}).get("facets", {}), **version["facets"]}}
    return list(merged.values())


def record_run_event(conn: Connection, event: dict[str, Any], event_time: datetime) -> None:
    """Apply one run event to the model and keep it, as sent, in the event log."""
    parent = _parent(conn, event, event_time)
    given = event["job"]
    namespace, name = namespace_name(str(given["namespace"])), str(given["name"])
    _ensure_namespace(conn, namespace, event_time)
    values = _job_values(given)
    if parent is not None:  # a step is named after its parent: `parent.step`
        parent_job = parent[0]
        simple = name[len(parent_job.name) + 1:] if name.startswith(f"{parent_job.name}.") else name
        name = f"{parent_job.name}.{simple}"
        if len(name) > NAME:  # Marquez's jobs.name would refuse it (a database error)
            raise bad_request(f"Job name '{name[:64]}…' is longer than {NAME} characters")
        values["parent_job_name"] = parent_job.name
    run_id = run_uuid(str(event["run"]["runId"]))
    state = run_state(str(event["eventType"])) if event.get("eventType") is not None else None
    reads = [_dataset(conn, d, event_time, run_id=run_id, written=False) for d in event.get("inputs") or []]
    writes = [_dataset(conn, d, event_time, run_id=run_id, written=True) for d in event.get("outputs") or []]
    values["inputs"] = [{"namespace": d["namespace"], "name": d["name"]} for d in reads]  # current_inputs
    job = _upsert_job(conn, namespace, name, values, event_time)
    run = conn.execute(sa.select(T.runs).where(_r.id == run_id)).first()
    if run is None:
        meta = {"args": _run_args(event), "parentRunId": parent[1] if parent else None, **_nominal(event)}
        insert_run(conn, new_run_record(job, run_id, event_time, meta))
        run = conn.execute(sa.select(T.runs).where(_r.id == run_id)).one()
    # A run named again under another job stays with the job it was created for (RunDao.upsert keeps it).
    run_facets = _facets(event.get("run"))
    if "parentRun" in run_facets:  # stored under the name the spec gives it
        run_facets.setdefault("parent", run_facets.pop("parentRun"))
    run_facets.pop("spark_unknown", None)
    read = _merge_versions(run.input_versions, reads)
    changes: dict[str, Any] = {"input_versions": read, "output_versions": _merge_versions(run.output_versions, writes),
               "facets": {**(run.facets or {}), **run_facets},
               "job_facets": {**(run.job_facets or {}), **_facets(given)}}
    conn.execute(T.runs.update().where(_r.id == run_id), changes)
    for output, written in zip(event.get("outputs") or [], writes, strict=True):
        _column_lineage(conn, output, written, read, event_time)
    streaming = values["type"] == "STREAM"
    if streaming and state is not None and (reads or writes or state not in DONE):
        # OpenLineageDao.updateMarquezOnStreamingJob: a streaming job never finishes, so every event versions it.
        job_row = conn.execute(sa.select(T.jobs).where(_j.id == job.id)).one()
        row_id, version = record_job_version(conn, job_row, run_id, read, changes["output_versions"], event_time)
        same = job_row.current_version == row_id
        facets = {**((job_row.facets or {}) if same else {}), **changes["job_facets"]}
        conn.execute(T.jobs.update().where(_j.id == job.id), {"current_version": row_id, "facets": facets})
        conn.execute(T.runs.update().where(_r.id == run_id), {"job_version": version})
    if state is not None:
        run = conn.execute(sa.select(T.runs).where(_r.id == run_id)).one()
        transition(conn, run, state, event_time, by_event=True)
        if state == "COMPLETED" or streaming:
            # OpenLineageService: the versions it wrote become their datasets' current ones (of a dataset written
            # in several versions, the one this event says, else the latest)
            latest = {(v["namespace"], v["name"]): v for v in [*changes["output_versions"], *writes]}
            _make_current(conn, list(latest.values()), event_time)
    _log(conn, event, event_time, run_id, None)


def _make_current(conn: Connection, written: list[dict[str, Any]], now: datetime) -> None:
    for version in written:
        row = conn.execute(sa.select(_dv.fields, _dv.lifecycle_state, _dv.facets).where(
            _dv.uuid == version["uuid"])).one()
        conn.execute(T.datasets.update().where((_d.namespace == version["namespace"]) & (_d.name == version["name"])),
                     {"current_version": version["uuid"], "fields": row.fields, "lifecycle_state": row.lifecycle_state,
                      "facets": _shown(row.facets or {}), "updated_at": now})


def _log(conn: Connection, event: dict[str, Any], at: datetime, run_id: str, kind: str | None) -> None:
    conn.execute(T.lineage_events.insert(), {"event_time": at, "run_id": run_id, "document": event, "kind": kind})


def record_job_event(conn: Connection, event: dict[str, Any], event_time: datetime) -> None:
    """A job event (static lineage, OpenLineageDao JobEvent): the job and its datasets, with no run; the job's
    version is the one its inputs and outputs make, and its facets are the event's."""
    given = event["job"]
    namespace, name = namespace_name(str(given["namespace"])), str(given["name"])
    _ensure_namespace(conn, namespace, event_time)
    reads = [_dataset(conn, d, event_time, run_id=None, written=False) for d in event.get("inputs") or []]
    writes = [_dataset(conn, d, event_time, run_id=None, written=True) for d in event.get("outputs") or []]
    job = _upsert_job(conn, namespace, name, _job_values(given), event_time)
    row_id, _ = record_job_version(conn, job, None, reads, writes, job.created_at)
    conn.execute(T.jobs.update().where(_j.id == job.id), {
        "current_version": row_id, "facets": _facets(given), "updated_at": job.created_at,
        "inputs": [{"namespace": d["namespace"], "name": d["name"]} for d in reads]})
    _log(conn, event, event_time, "", "JOB_EVENT")


def record_dataset_event(conn: Connection, event: dict[str, Any], event_time: datetime) -> None:
    """A dataset event (static lineage, OpenLineageDao DatasetEvent): the dataset, with a version made current
    at once."""
    written = _dataset(conn, event["dataset"], event_time, run_id=None, written=True)
    _make_current(conn, [written], event_time)
    _log(conn, event, event_time, "", "DATASET_EVENT")
