"""Marquez's lineage reads: the graph of jobs and datasets around a node (LineageService), the graph of fields
(ColumnLineageService), the runs upstream of a run (LineageDao.getUpstreamRuns), and search (SearchDao).

Node ids are Marquez's ``NodeId`` strings: ``job:<namespace>:<name>``, ``dataset:<namespace>:<name>``,
``datasetField:<namespace>:<dataset>:<field>``, ``run:<id>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .documents import latest_runs, run_document
from .errors import not_found
from .instants import format_instant
from .lineage import job_uuid
from .tables import TABLES as T

__all__ = ["column_lineage", "column_lineage_of", "lineage", "parse_node_id", "search", "upstream_runs"]

_d, _j, _r, _dv, _cl = T.datasets.c, T.jobs.c, T.runs.c, T.dataset_versions.c, T.column_lineage.c
_PARTS = {"job": 3, "dataset": 3, "datasetField": 4, "run": 2}
# NodeId.parts: where a namespace or name holds a colon, a colon before `//` or a digit is not a separator.
_SEPARATOR = re.compile(r":(?!//|\d+)")
_TYPE = re.compile(r"^(dataset|datasetField|job|run):")


def parse_node_id(text: str) -> tuple[str, list[str]]:
    """A node id's type and parts, as Marquez's ``NodeId`` splits them; one it cannot read is a 404, as JAX-RS
    answers a query parameter it cannot convert."""
    match = _TYPE.match(text)
    if match is None:
        raise not_found("HTTP 404 Not Found")
    kind, expected = match.group(1), _PARTS[match.group(1)]
    parts = re.split(r":|#", text)
    while parts and parts[-1] == "":  # Java's split drops trailing empty strings
        parts.pop()
    if len(parts) > expected:
        cuts = [m.start() for m in _SEPARATOR.finditer(text)][:expected - 1]
        if len(cuts) < expected - 1:
            raise not_found("HTTP 404 Not Found")
        bounds = [-1, *cuts]
        parts = [text[a + 1:b] for a, b in zip(bounds, cuts, strict=False)] + [text[cuts[-1] + 1:]]
    if len(parts) != expected or any(not part for part in parts[1:]):
        raise not_found("HTTP 404 Not Found")
    return kind, parts[1:]


def _shown_dataset(conn: Connection, namespace: str, name: str) -> Any:
    return conn.execute(sa.select(T.datasets).where(_d.namespace == namespace, _d.name == name,
                                                    _d.is_hidden.isnot(True))).first()


def _field_exists(conn: Connection, namespace: str, dataset: str, field: str) -> bool:
    rows = conn.execute(sa.select(_dv.fields).where(_dv.namespace == namespace, _dv.name == dataset)).scalars()
    found = _shown_dataset(conn, namespace, dataset)
    every = [*(rows or []), (found.fields if found else None) or []]
    return any(f.get("name") == field for fields in every for f in fields or [])


def _check_exists(conn: Connection, kind: str, parts: list[str]) -> None:
    """BaseResource.throwIfNotExists(NodeId)."""
    if kind == "job":
        if conn.execute(sa.select(_j.id).where(_j.namespace == parts[0], _j.name == parts[1],
                                               _j.is_hidden.isnot(True))).first() is None:
            raise not_found(f"Job '{parts[1]}' not found.")
    elif kind == "dataset":
        if _shown_dataset(conn, *parts) is None:
            raise not_found(f"Dataset '{parts[1]}' not found.")
    elif kind == "datasetField":
        if not _field_exists(conn, *parts):
            raise not_found(f"Field '{parts[2]}' not found for dataset '{parts[1]}'.")
    elif conn.execute(sa.select(_r.id).where(_r.id == parts[0].lower())).first() is None:
        raise not_found(f"Run '{parts[0].lower()}' not found.")


# --- the graph of jobs and datasets ----------------------------------------------------------------------

def _ids(datasets: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(str(d["namespace"]), str(d["name"])) for d in datasets}


def lineage(conn: Connection, node_id: str, depth: int) -> dict[str, Any]:
    """LineageService.lineage: the jobs within `depth` hops of the node's job, joined through the datasets they
    read and write (a hop from a job to any job that shares a dataset with it), and those datasets."""
    kind, parts = parse_node_id(node_id)
    _check_exists(conn, kind, parts)
    if kind in ("run", "datasetField"):
        raise not_found(f"Node '{node_id}' must be of type dataset or job!")
    # A job's place in the graph is what its current version read and wrote (job_versions_io_mapping).
    version = T.job_versions.c
    jobs = {row.id: row for row in conn.execute(
        sa.select(T.jobs, version.inputs.label("version_inputs"), version.outputs.label("version_outputs"))
        .outerjoin(T.job_versions, version.uuid == _j.current_version))}
    io = {job_id: (_ids(job.version_inputs or []), _ids(job.version_outputs or [])) for job_id, job in jobs.items()}
    if kind == "job":
        start = next(job_id for job_id, job in jobs.items()
                     if (job.namespace, job.name) == (parts[0], parts[1]) and not job.is_hidden)
    else:
        wanted = (parts[0], parts[1])
        # LineageDao.getJobFromInputOrOutput: the latest job to write it, else the latest to read it.
        writers = [j for j in jobs.values() if wanted in io[j.id][1]]
        readers = [j for j in jobs.values() if wanted in io[j.id][0]]
        chosen = max(writers or readers, key=lambda j: (j.updated_at, j.id), default=None)
        if chosen is None:
            return {"graph": [_orphan(conn, parts)]}
        start = chosen.id
    reached, frontier = {start}, {start}
    for _ in range(max(depth, 0)):
        touched = set().union(*(io[j][0] | io[j][1] for j in frontier)) if frontier else set()
        frontier = {j for j in jobs if j not in reached and (io[j][0] | io[j][1]) & touched}
        if not frontier:
            break
        reached |= frontier
    shown = [jobs[j] for j in reached if not jobs[j].is_hidden]
    wanted_datasets = set().union(*(io[j.id][0] | io[j.id][1] for j in shown)) if shown else set()
    datasets = {(row.namespace, row.name): row for row in conn.execute(
        sa.select(T.datasets).where(_d.is_hidden.isnot(True), sa.tuple_(_d.namespace, _d.name).in_(
            list(wanted_datasets))))} if wanted_datasets else {}
    if kind == "dataset" and (parts[0], parts[1]) not in datasets:
        return {"graph": [_orphan(conn, parts)]}
    nodes: dict[str, dict[str, Any]] = {}
    for key, row in datasets.items():
        nodes[_dataset_node_id(*key)] = _node(_dataset_node_id(*key), "DATASET", _dataset_data(row))
    for job in shown:
        inputs = [key for key in sorted(io[job.id][0]) if key in datasets]
        outputs = [key for key in sorted(io[job.id][1]) if key in datasets]
        job_id = f"job:{job.namespace}:{job.name}"
        node = nodes[job_id] = _node(job_id, "JOB", _job_data(conn, job, inputs, outputs))
        for key in inputs:
            edge = {"origin": _dataset_node_id(*key), "destination": job_id}
            node["inEdges"].append(edge)
            nodes[_dataset_node_id(*key)]["outEdges"].append(edge)
        for key in outputs:
            edge = {"origin": job_id, "destination": _dataset_node_id(*key)}
            node["outEdges"].append(edge)
            nodes[_dataset_node_id(*key)]["inEdges"].append(edge)
    return {"graph": _sorted_nodes(nodes)}


def _sorted_nodes(nodes: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Nodes by id, each one's edges by origin then destination, once each (Lineage.withSortedNodes)."""
    for node in nodes.values():
        for side in ("inEdges", "outEdges"):
            pairs = sorted({(edge["origin"], edge["destination"]) for edge in node[side]})
            node[side] = [{"origin": origin, "destination": destination} for origin, destination in pairs]
    return [nodes[key] for key in sorted(nodes)]


def _node(node_id: str, kind: str, data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "data": data, "inEdges": [], "outEdges": []}


def _dataset_node_id(namespace: str, name: str) -> str:
    return f"dataset:{namespace}:{name}"


def _orphan(conn: Connection, parts: list[str]) -> dict[str, Any]:
    """A dataset no job reads or writes: a node of its own (LineageService.toLineageWithOrphanDataset)."""
    row = _shown_dataset(conn, parts[0], parts[1])
    return _node(_dataset_node_id(parts[0], parts[1]), "DATASET", _dataset_data(row))


def _dataset_data(row: Any) -> dict[str, Any]:
    """``DatasetData``: a dataset as a lineage node carries it (no tags, facets or versions)."""
    return {
        "id": {"namespace": row.namespace, "name": row.name}, "type": row.type or "DB_TABLE", "name": row.name,
        "physicalName": row.physical_name or row.name, "createdAt": format_instant(row.created_at),
        "updatedAt": format_instant(row.updated_at), "namespace": row.namespace,
        "sourceName": row.source_name or "default", "fields": row.fields or [], "tags": [],
        "lastModifiedAt": format_instant(row.last_modified_at), "description": row.description,
        "lastLifecycleState": row.lifecycle_state,
    }


def _job_data(conn: Connection, job: Any, inputs: list[tuple[str, str]],
              outputs: list[tuple[str, str]]) -> dict[str, Any]:
    """``JobData``: a job as a lineage node carries it, with its current run."""
    runs = latest_runs(conn, job.id)
    latest = run_document(runs[0], job) if runs else None
    parent = job.parent_job_name
    return {
        "id": {"namespace": job.namespace, "name": job.name}, "type": job.type, "name": job.name,
        "simpleName": job.name[len(parent) + 1:] if parent and job.name.startswith(f"{parent}.") else job.name,
        "parentJobName": parent, "parentJobUuid": job_uuid(job.namespace, parent) if parent else None,
        "currentRunUuid": latest["id"] if latest else None,
        "createdAt": format_instant(job.created_at), "updatedAt": format_instant(job.updated_at),
        "namespace": job.namespace,
        "inputs": [{"namespace": ns, "name": name} for ns, name in inputs],
        "outputs": [{"namespace": ns, "name": name} for ns, name in outputs],
        "location": job.location, "description": job.description, "latestRun": latest,
    }


# --- the graph of fields -----------------------------------------------------------------------------------

def _latest_column_rows(conn: Connection, outputs: Iterable[tuple[str, str]] | None = None) -> list[Any]:
    """ColumnLineageDao's column_lineage_latest: for each output field and input field, the latest row (of the
    datasets `outputs` only, if given)."""
    latest: dict[tuple[Any, ...], Any] = {}
    statement = sa.select(T.column_lineage).order_by(_cl.updated_at)
    if outputs is not None:
        statement = statement.where(sa.tuple_(_cl.output_namespace, _cl.output_name).in_(list(outputs)))
    for row in conn.execute(statement):
        latest[(row.output_namespace, row.output_name, row.output_field,
                row.input_namespace, row.input_name, row.input_field)] = row
    return list(latest.values())


def column_lineage(conn: Connection, node_id: str, depth: int, downstream: bool) -> dict[str, Any]:
    """ColumnLineageService.lineage: the fields the node's fields were derived from, `depth` edges deep, and
    with `downstream` those derived from them too."""
    kind, parts = parse_node_id(node_id)
    if kind == "run":
        raise not_found("Could not find node")
    start = _start_fields(conn, kind, parts)
    if not start:
        raise not_found("Could not find node")
    shown = {(row.namespace, row.name) for row in conn.execute(
        sa.select(_d.namespace, _d.name).where(_d.is_hidden.isnot(True)))}
    rows = [row for row in _latest_column_rows(conn)
            if (row.output_namespace, row.output_name) in shown and (row.input_namespace, row.input_name) in shown]

    def output_of(row: Any) -> tuple[str, str, str]:
        return (row.output_namespace, row.output_name, row.output_field)

    def input_of(row: Any) -> tuple[str, str, str]:
        return (row.input_namespace, row.input_name, row.input_field)

    chosen = [row for row in rows if output_of(row) in start]
    seen, level = {id(row) for row in chosen}, chosen
    for _ in range(max(depth, 1) - 1):
        outputs_wanted = {input_of(row) for row in level}
        inputs_wanted = {output_of(row) for row in level} if downstream else set()
        level = [row for row in rows if id(row) not in seen
                 and (output_of(row) in outputs_wanted or input_of(row) in inputs_wanted)]
        if not level:
            break
        seen.update(id(row) for row in level)
        chosen.extend(level)
    return {"graph": _field_nodes(conn, chosen)}


def _start_fields(conn: Connection, kind: str, parts: list[str]) -> set[tuple[str, str, str]]:
    if kind == "datasetField":
        namespace, dataset, field = parts
        if _shown_dataset(conn, namespace, dataset) is None or not _field_exists(conn, namespace, dataset, field):
            return set()
        return {(namespace, dataset, field)}
    if kind == "dataset":
        if _shown_dataset(conn, *parts) is None:
            return set()
        return {(parts[0], parts[1], f["name"]) for fields in conn.execute(
            sa.select(_dv.fields).where(_dv.namespace == parts[0], _dv.name == parts[1])).scalars()
            for f in fields or []}
    # a job: the fields of the datasets its latest run wrote
    run = conn.execute(sa.select(T.runs).join_from(T.runs, T.jobs, _r.job_id == _j.id)
                       .where(_j.namespace == parts[0], _j.name == parts[1]).order_by(_r.created_at.desc(),
                                                                                     _r.seq.desc())).first()
    if run is None:
        return set()
    written = conn.execute(sa.select(_dv.namespace, _dv.name, _dv.fields).where(_dv.run_id == run.id)).all()
    return {(row.namespace, row.name, f["name"]) for row in written for f in row.fields or []}


def _field_types(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str, str], Any]:
    types: dict[tuple[str, str, str], Any] = {}
    for row in conn.execute(sa.select(_d.namespace, _d.name, _d.fields)):
        if (row.namespace, row.name) in keys:
            types.update({(row.namespace, row.name, f["name"]): f.get("type") for f in row.fields or []})
    return types


def _field_nodes(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    """ColumnLineageService.toLineage: a node for each output field, with the input fields it is derived from,
    and a node for each input field. An output node's ``inEdges`` start at itself, as Marquez writes them."""
    types = _field_types(conn, {(r.output_namespace, r.output_name) for r in rows})
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        grouped.setdefault((row.output_namespace, row.output_name, row.output_field), []).append(row)
    nodes: dict[str, dict[str, Any]] = {}
    for (namespace, dataset, field), inputs in grouped.items():
        inputs.sort(key=lambda r: (r.input_namespace, r.input_name, r.input_version, r.input_field))
        node_id = f"datasetField:{namespace}:{dataset}:{field}"
        input_fields = [{"namespace": r.input_namespace, "dataset": r.input_name, "datasetVersion": r.input_version,
                         "field": r.input_field, "transformationDescription": r.transformation_description,
                         "transformationType": r.transformation_type} for r in inputs]
        data = {"namespace": namespace, "dataset": dataset, "datasetVersion": inputs[-1].output_version,
                "field": field, "fieldType": types.get((namespace, dataset, field)),
                "transformationDescription": input_fields[0]["transformationDescription"],
                "transformationType": input_fields[0]["transformationType"], "inputFields": input_fields}
        node = nodes.setdefault(node_id, _node(node_id, "DATASET_FIELD", data))
        node["data"] = data
        for given in input_fields:
            input_id = f"datasetField:{given['namespace']}:{given['dataset']}:{given['field']}"
            source = nodes.setdefault(input_id, _node(input_id, "DATASET_FIELD", {
                "namespace": given["namespace"], "dataset": given["dataset"],
                "datasetVersion": given["datasetVersion"], "field": given["field"], "fieldType": "",
                "transformationDescription": None, "transformationType": None, "inputFields": []}))
            source["outEdges"].append({"origin": input_id, "destination": node_id})
            node["inEdges"].append({"origin": node_id, "destination": input_id})
    return _sorted_nodes(nodes)


def column_lineage_of(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Any]]:
    """The ``columnLineage`` of each dataset of `keys` (ColumnLineageService.enrichWithColumnLineage): each of its
    fields with the latest input fields it was derived from."""
    wanted = set(keys)
    if not wanted:
        return {}
    by_dataset: dict[tuple[str, str], dict[str, list[Any]]] = {}
    for row in _latest_column_rows(conn, wanted):
        if (row.output_namespace, row.output_name) in wanted:
            by_dataset.setdefault((row.output_namespace, row.output_name), {}).setdefault(
                row.output_field, []).append(row)
    result: dict[tuple[str, str], list[Any]] = {}
    for key, fields in by_dataset.items():
        result[key] = []
        for field, rows in fields.items():
            rows.sort(key=lambda r: (r.input_namespace, r.input_name, r.input_version, r.input_field))
            inputs = [{"namespace": r.input_namespace, "dataset": r.input_name, "field": r.input_field,
                       "transformationDescription": r.transformation_description,
                       "transformationType": r.transformation_type} for r in rows]
            result[key].append({"name": field, "inputFields": inputs,
                                "transformationDescription": inputs[0]["transformationDescription"],
                                "transformationType": inputs[0]["transformationType"]})
    return result


# --- the runs upstream of a run ------------------------------------------------------------------------------

def upstream_runs(conn: Connection, run_id: str, depth: int) -> dict[str, Any]:
    """LineageDao.getUpstreamRuns: the run, the dataset versions it read and the runs that wrote them, and so on
    `depth` runs deep, nearest first (then by job name)."""
    run_id = run_id.lower()
    if conn.execute(sa.select(_r.id).where(_r.id == run_id)).first() is None:
        raise not_found(f"Run '{run_id}' not found.")
    found: list[tuple[int, Any]] = []
    seen: set[str] = set()
    level, ids = 0, [run_id]
    while ids:
        rows = conn.execute(sa.select(T.runs, _j.namespace, _j.name).join_from(T.runs, T.jobs, _r.job_id == _j.id)
                            .where(_r.id.in_(ids))).all()
        seen.update(ids)
        found.extend((level, row) for row in rows)
        if level >= depth:
            break
        level += 1
        ids = sorted({producer for row in rows for producer in _producers(conn, row).values()
                      if producer is not None and producer not in seen})
    found.sort(key=lambda item: (item[0], item[1].name))
    return {"runs": [_upstream_run(conn, row) for _, row in found]}


def _producers(conn: Connection, run: Any) -> dict[tuple[str, str, str], str | None]:
    """The run that wrote each dataset version `run` read (None where no run did)."""
    read = {(v["namespace"], v["name"], v["version"]) for v in run.input_versions or []}
    if not read:
        return {}
    producers: dict[tuple[str, str, str], str | None] = dict.fromkeys(read)
    for row in conn.execute(sa.select(_dv.namespace, _dv.name, _dv.version, _dv.run_id).where(
            sa.tuple_(_dv.namespace, _dv.name, _dv.version).in_(list(read)))):
        producers[(row.namespace, row.name, row.version)] = row.run_id
    return producers


def _upstream_run(conn: Connection, run: Any) -> dict[str, Any]:
    version = None
    if run.job_version:
        version = conn.execute(sa.select(T.job_versions.c.uuid).where(
            T.job_versions.c.job_id == run.job_id, T.job_versions.c.version == run.job_version)).scalar()
    producers = _producers(conn, run)
    return {
        "job": {"namespace": run.namespace, "name": run.name, "version": version},
        "run": {"id": run.id, "start": format_instant(run.started_at), "end": format_instant(run.ended_at),
                "status": run.state},
        "inputs": [{"namespace": ns, "name": name, "version": v, "producedByRunId": producer}
                   for (ns, name, v), producer in sorted(producers.items())],
    }


# --- search ------------------------------------------------------------------------------------------------

def search(conn: Connection, q: str, *, kind: str | None, sort: str, limit: int, namespace: str | None,
           before: datetime | None, after: datetime | None) -> dict[str, Any]:
    """SearchDao.search: the datasets and jobs (not deleted) whose names hold `q`, in any case (``%`` and ``_``
    in it match as in SQL LIKE, as in Marquez), ``totalCount`` counting those answered."""
    pattern = f"%{q}%"

    def matching(kind_name: str, name: Any, namespace_column: Any, table: sa.Table,
                 joined: sa.FromClause | None = None) -> sa.Select[Any]:
        # The type as SQL text, not a bound value: PostgreSQL cannot type a bound value in a UNION's columns.
        kind_column = sa.literal_column(f"'{kind_name}'", sa.String).label("type")
        where: list[sa.ColumnElement[bool]] = [name.ilike(pattern), table.c.is_hidden.isnot(True)]
        if namespace is not None:
            where.append(namespace_column == namespace)
        if before is not None:
            where.append(table.c.updated_at < before)
        if after is not None:
            where.append(table.c.updated_at > after)
        statement = sa.select(kind_column, name, table.c.updated_at, namespace_column).where(*where)
        return statement.select_from(joined) if joined is not None else statement

    parts = []
    if kind in (None, "DATASET"):
        d, sl = T.datasets.c, T.dataset_symlinks.c
        parts.append(matching("DATASET", d.name, d.namespace, T.datasets))
        # a dataset is found by each of its other names too (datasets_view)
        parts.append(matching("DATASET", sl.name, sl.namespace, T.datasets, T.dataset_symlinks.join(
            T.datasets, (d.namespace == sl.target_namespace) & (d.name == sl.target_name))))
    if kind in (None, "JOB"):
        parts.append(matching("JOB", _j.name, _j.namespace, T.jobs))
    if not parts:
        return {"results": [], "totalCount": 0}
    union = sa.union_all(*parts).subquery()
    order = (union.c.updated_at.desc(), union.c.name) if sort == "UPDATE_AT" else (union.c.name, union.c.type)
    rows = conn.execute(sa.select(union).order_by(*order).limit(limit)).all()
    results = [{"type": row.type, "name": row.name, "updatedAt": format_instant(row.updated_at),
                "namespace": row.namespace, "nodeId": f"{row.type.lower()}:{row.namespace}:{row.name}"}
               for row in rows]
    return {"results": results, "totalCount": len(results)}
