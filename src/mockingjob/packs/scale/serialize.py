"""Scale's JSON documents (JobSerializerV6 and friends), built from rows and the clock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from mockingjob.timeutil import format_iso

from .tables import Tables


def ts(value: datetime | None) -> str | None:
    return format_iso(value)


def _by_id(conn: Connection, table: sa.Table, ids: Iterable[int | None]) -> dict[int, Row[Any]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in conn.execute(sa.select(table).where(table.c.id.in_(wanted)))}


def job_type_summary(jt: Row[Any]) -> dict[str, Any]:
    return {
        "id": jt.id, "name": jt.name, "version": jt.version, "title": jt.title, "description": jt.description,
        "is_active": jt.is_active, "is_system": jt.is_system, "is_paused": jt.is_paused,
        "is_published": jt.is_published, "icon_code": jt.icon_code, "unmet_resources": jt.unmet_resources,
    }


def job_type_document(jt: Row[Any], *, details: bool = False) -> dict[str, Any]:
    doc = {
        "id": jt.id, "name": jt.name, "version": jt.version, "title": jt.title, "description": jt.description,
        "icon_code": jt.icon_code, "is_active": jt.is_active, "is_paused": jt.is_paused,
        "is_system": jt.is_system, "is_published": jt.is_published, "max_scheduled": jt.max_scheduled,
        "revision_num": jt.revision_num, "docker_image": jt.docker_image, "unmet_resources": jt.unmet_resources,
        "created": ts(jt.created), "deprecated": None if jt.is_active else ts(jt.last_modified),
        "paused": ts(jt.last_modified) if jt.is_paused else None, "last_modified": ts(jt.last_modified),
    }
    if details:
        doc["manifest"] = jt.manifest
        doc["configuration"] = jt.configuration
    return doc


def error_document(err: Row[Any] | None) -> dict[str, Any] | None:
    if err is None:
        return None
    return {
        "id": err.id, "name": err.name, "title": err.title, "description": err.description,
        "job_type_name": err.job_type_name, "category": err.category, "is_builtin": err.is_builtin,
        "should_be_retried": err.should_be_retried,
    }


def _ran(run_at: datetime | None, now: datetime) -> bool:
    return run_at is not None and run_at <= now


class Documents:
    """Builds documents for a batch of job or execution rows with one query per related table."""

    def __init__(self, conn: Connection, t: Tables, now: datetime) -> None:
        self.conn, self.t, self.now = conn, t, now

    def _related(self, jobs: Sequence[Row[Any]]) -> dict[str, dict[int, Row[Any]]]:
        t, conn = self.t, self.conn
        return {
            "job_types": _by_id(conn, t.job_types, (j.job_type_id for j in jobs)),
            "events": _by_id(conn, t.events, (j.event_id for j in jobs)),
            "recipes": _by_id(conn, t.recipes, (j.recipe_id for j in jobs)),
            "batches": _by_id(conn, t.batches, (j.batch_id for j in jobs)),
            "nodes": _by_id(conn, t.nodes, (j.node_id for j in jobs)),
            "errors": _by_id(conn, t.errors, (j.error_id for j in jobs)),
        }

    def _input_files(self, job_ids: list[int]) -> dict[int, dict[str, list[str]]]:
        t = self.t
        query = (
            sa.select(t.job_inputs.c.job_id, t.job_inputs.c.job_input, t.files.c.file_name)
            .join(t.files, t.files.c.id == t.job_inputs.c.file_id)
            .where(t.job_inputs.c.job_id.in_(job_ids))
            .order_by(t.job_inputs.c.job_id, t.job_inputs.c.job_input, t.files.c.id)
        )
        files: dict[int, dict[str, list[str]]] = defaultdict(dict)
        for row in self.conn.execute(query):
            files[row.job_id].setdefault(row.job_input, []).append(row.file_name)
        return files

    def jobs(self, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
        """List documents; each row must carry the derived columns (status, started, ended, ...)."""
        rel = self._related(rows)
        inputs = self._input_files([r.id for r in rows])
        return [self._job(row, rel, inputs.get(row.id, {})) for row in rows]

    def _job(self, j: Row[Any], rel: dict[str, dict[int, Row[Any]]], input_files: dict[str, list[str]]
             ) -> dict[str, Any]:
        jt = rel["job_types"][j.job_type_id]
        event = rel["events"][j.event_id]
        recipe = rel["recipes"].get(j.recipe_id) if j.recipe_id else None
        batch = rel["batches"].get(j.batch_id) if j.batch_id else None
        node = rel["nodes"].get(j.node_id) if j.node_id and _ran(j.run_at, self.now) else None
        error = rel["errors"].get(j.error_id) if j.error_id and j.status == "FAILED" else None
        return {
            "id": j.id,
            "job_type": job_type_summary(jt),
            "job_type_rev": {"id": jt.revision_id, "job_type": {"id": jt.id}, "revision_num": jt.revision_num},
            "event": {"id": event.id, "type": event.type, "occurred": ts(event.occurred)},
            "ingest_event": None,
            "recipe": None if recipe is None else {
                "id": recipe.id, "recipe_type": recipe.recipe_type,
                "recipe_type_rev": {"id": recipe.recipe_type_rev_id}, "event": {"id": recipe.event_id},
            },
            "batch": None if batch is None else {
                "id": batch.id, "title": batch.title, "description": batch.description,
                "created": ts(batch.created),
            },
            "is_superseded": j.is_superseded,
            "superseded_job": {"id": j.superseded_job_id} if j.superseded_job_id else None,
            "status": j.status,
            "node": None if node is None else {"id": node.id, "hostname": node.hostname},
            "error": error_document(error),
            "max_tries": j.max_tries,
            "num_exes": j.num_exes,
            "input_file_size": j.input_file_size,
            "input_files": input_files,
            "source_started": ts(j.source_started),
            "source_ended": ts(j.source_ended),
            "source_sensor_class": j.source_sensor_class,
            "source_sensor": j.source_sensor,
            "source_collection": j.source_collection,
            "source_task": j.source_task,
            "created": ts(j.created),
            "queued": ts(j.queued),
            "started": ts(j.started),
            "ended": ts(j.ended),
            "last_status_change": ts(j.last_status_change),
            "superseded": ts(j.superseded),
            "last_modified": ts(j.last_modified),
        }

    def job_details(self, j: Row[Any], latest_exe: Row[Any] | None, superseding: dict[int, Row[Any]]
                    ) -> dict[str, Any]:
        rel = self._related([j])
        doc = self._job(j, rel, self._input_files([j.id]).get(j.id, {}))
        jt = rel["job_types"][j.job_type_id]

        def chain(job_id: int | None) -> dict[str, Any] | None:
            other = superseding.get(job_id) if job_id else None
            if other is None:
                return None
            other_type = _by_id(self.conn, self.t.job_types, [other.job_type_id])[other.job_type_id]
            return {"id": other.id, "job_type": job_type_summary(other_type), "status": other.status}

        doc.pop("ingest_event")
        doc["job_type_rev"] = {
            "id": jt.revision_id, "job_type": job_type_summary(jt), "revision_num": jt.revision_num,
            "docker_image": jt.docker_image, "created": ts(jt.created), "manifest": jt.manifest,
        }
        doc["superseded_job"] = chain(j.superseded_job_id)
        doc["superseded_by_job"] = chain(j.superseded_by_job_id)
        doc["resources"] = {"resources": jt.resources}
        doc["execution"] = None if latest_exe is None else self.executions([latest_exe], details=True)[0]
        doc["input"] = j.input
        doc["output"] = j.output if j.status == "COMPLETED" else {"files": {}, "json": {}}
        doc["configuration"] = j.configuration
        return doc

    def executions(self, rows: Sequence[Row[Any]], *, details: bool = False) -> list[dict[str, Any]]:
        """Execution documents; each row must carry ``status`` and ``job_type_id`` (joined from the job)."""
        t = self.t
        nodes = _by_id(self.conn, t.nodes, (x.node_id for x in rows))
        errors = _by_id(self.conn, t.errors, (x.error_id for x in rows))
        types = _by_id(self.conn, t.job_types, (x.job_type_id for x in rows))
        docs = []
        for x in rows:
            jt = types[x.job_type_id]
            node = nodes[x.node_id]
            final = x.end_at is not None and x.end_at <= self.now
            doc: dict[str, Any] = {
                "id": x.id,
                "status": x.status,
                "exe_num": x.exe_num,
                "cluster_id": cluster_id(x),
                "created": ts(x.queued),
                "queued": ts(x.queued),
                "started": ts(x.run_at),
                "ended": ts(x.end_at) if final else None,
                "job": {"id": x.job_id},
                "node": {"id": node.id, "hostname": node.hostname},
                "error": error_document(errors.get(x.error_id)) if x.status == "FAILED" else None,
                "job_type": job_type_summary(jt),
                "timeout": x.timeout,
                "input_file_size": x.input_file_size,
            }
            if details:
                doc["task_results"] = task_results(x, final)
                doc["resources"] = {"resources": jt.resources}
                doc["configuration"] = {"tasks": [{"type": "main", "args": jt.manifest.get("job", {})
                                                   .get("interface", {}).get("command", "")}]}
                doc["output"] = output_data(x.job_output) if x.status == "COMPLETED" else None
            docs.append(doc)
        return docs


def output_data(job_output: dict[str, Any]) -> dict[str, Any]:
    """An execution's output, as Scale lists it: one entry per file of each output of the job."""
    files = (job_output or {}).get("files", {})
    return {"output_data": [{"name": name, "file_id": file_id} for name, ids in files.items() for file_id in ids]}


def cluster_id(x: Row[Any]) -> str:
    return f"scale_job_{x.job_id:04d}_{x.id}x{x.exe_num}"


def task_results(x: Row[Any], final: bool) -> dict[str, Any]:
    ended = x.end_at if final else None
    return {
        "version": "1.0",
        "tasks": [{"task_id": f"{cluster_id(x)}_main", "type": "main", "was_launched": True,
                   "launched": ts(x.run_at), "was_started": True, "started": ts(x.run_at),
                   "was_timed_out": False, "ended": ts(ended), "status": x.status}],
    }
