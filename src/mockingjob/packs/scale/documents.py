"""Scale's JSON documents (JobSerializerV6 and friends), built from rows and the clock.

Job and execution rows carry their related rows' columns under a prefix (``jt_`` job type, ``ev_`` event,
``rc_`` recipe, ``bt_`` batch, ``nd_`` node, ``er_`` error, ``x_``/``xn_``/``xe_`` execution with its node
and error); see the column lists of queries.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Row

from mockingjob.kit import UTC, format_iso

_ERROR_FIELDS = ("id", "name", "title", "description", "job_type_name", "category", "is_builtin",
                 "should_be_retried")
# Scale's get_details shows the latest execution only for jobs in these states.
_SHOWS_EXECUTION = frozenset({"QUEUED", "RUNNING", "FAILED", "COMPLETED"})


def ts(value: datetime | None) -> str | None:
    """`format_iso`, with a short cut for the aware UTC values every UtcDateTime column gives."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value.isoformat()[:-6] + "Z"  # drop "+00:00"
    return format_iso(value)


def job_type_summary(jt: Row[Any]) -> dict[str, Any]:
    """JobTypeBaseSerializerV6, from a job type row."""
    return {"id": jt.id, "name": jt.name, "version": jt.version, "title": jt.title, "description": jt.description,
            "is_active": jt.is_active, "is_system": jt.is_system, "is_paused": jt.is_paused,
            "is_published": jt.is_published, "icon_code": jt.icon_code, "unmet_resources": jt.unmet_resources}


def job_type_document(jt: Row[Any], *, details: bool = False) -> dict[str, Any]:
    """JobTypeSerializerV6 (or, `details`, JobTypeDetailsSerializerV6 without its recipe types)."""
    doc = {
        **job_type_summary(jt), "max_scheduled": jt.max_scheduled, "max_tries": jt.max_tries,
        "revision_num": jt.revision_num, "docker_image": jt.docker_image, "created": ts(jt.created),
        "deprecated": ts(jt.deprecated), "paused": ts(jt.paused), "last_modified": ts(jt.last_modified),
    }
    if details:
        doc["manifest"] = jt.manifest
        doc["configuration"] = shown_configuration(jt.configuration, jt.manifest)
    return doc


def file_document(f: Row[Any]) -> dict[str, Any]:
    """ScaleFileSerializerV6, from a file row with its workspace's ``workspace_name`` and ``workspace_base_url``,
    and its product origin's job type (``jt_*``), recipe type (``rt_*``) and batch (``bt_*``) if it has one."""
    base_url = f.workspace_base_url
    url = f"{base_url.removesuffix('/')}/{f.file_path.removeprefix('/')}" if base_url and f.file_path else None
    return {
        "id": f.id, "file_name": f.file_name, "workspace": {"id": f.workspace_id, "name": f.workspace_name},
        "data_type_tags": f.data_type_tags, "media_type": f.media_type, "file_type": f.file_type,
        "file_size": f.file_size, "file_path": f.file_path, "is_deleted": False, "url": url,
        "created": ts(f.created), "deleted": None, "data_started": ts(f.data_started),
        "data_ended": ts(f.data_ended), "source_started": ts(f.source_started),
        "source_ended": ts(f.source_ended), "source_sensor_class": f.source_sensor_class,
        "source_sensor": f.source_sensor, "source_collection": f.source_collection,
        "source_task": f.source_task, "last_modified": ts(f.last_modified), "geometry": None,
        "center_point": None, "countries": f.countries,
        "job_type": _job_type_summary(f) if f.jt_id is not None else None,
        "job": {"id": f.job_id} if f.job_id else None,
        "job_exe": {"id": f.job_exe_id} if f.job_exe_id else None,
        "job_output": f.job_output, "recipe_type": recipe_type_summary(f, "rt"),
        "recipe": {"id": f.recipe_id} if f.recipe_id else None, "recipe_node": f.recipe_node,
        "batch": None if f.bt_id is None else {
            "id": f.bt_id, "title": f.bt_title, "description": f.bt_description, "created": ts(f.bt_created)},
        "is_superseded": f.is_superseded, "superseded": ts(f.superseded),
    }


def recipe_type_summary(r: Row[Any], prefix: str) -> dict[str, Any] | None:
    """RecipeTypeBaseSerializerV6, from the columns `r` carries under `prefix`."""
    if getattr(r, f"{prefix}_id") is None:
        return None
    return {name: getattr(r, f"{prefix}_{name}") for name in ("id", "name", "title", "description", "revision_num")}


def _job_type_summary(r: Row[Any]) -> dict[str, Any]:
    return {
        "id": r.jt_id, "name": r.jt_name, "version": r.jt_version, "title": r.jt_title,
        "description": r.jt_description, "is_active": r.jt_is_active, "is_system": r.jt_is_system,
        "is_paused": r.jt_is_paused, "is_published": r.jt_is_published, "icon_code": r.jt_icon_code,
        "unmet_resources": r.jt_unmet_resources,
    }


def error_summary(r: Row[Any], prefix: str) -> dict[str, Any] | None:
    """The error whose columns `r` carries under `prefix`, if the outer join found one."""
    if getattr(r, f"{prefix}_id") is None:
        return None
    return {name: getattr(r, f"{prefix}_{name}") for name in _ERROR_FIELDS}


def _ran(run_at: datetime | None, now: datetime) -> bool:
    return run_at is not None and run_at <= now


def job_document(j: Row[Any], now: datetime, input_files: dict[str, list[str]]) -> dict[str, Any]:
    """A job's list document, from a row of ``queries.LIST_COLUMNS``."""
    return {
        "id": j.id,
        "job_type": _job_type_summary(j),
        "job_type_rev": {"id": j.rv_id, "job_type": {"id": j.jt_id}, "revision_num": j.rv_revision_num},
        "event": {"id": j.ev_id, "type": j.ev_type, "occurred": ts(j.ev_occurred)},
        "ingest_event": None,
        "recipe": None if not j.recipe_id or j.rc_id is None else {
            "id": j.rc_id, "recipe_type": recipe_type_summary(j, "rt"),
            "recipe_type_rev": {"id": j.rc_recipe_type_rev_id}, "event": {"id": j.rc_event_id},
        },
        "batch": None if not j.batch_id or j.bt_id is None else {
            "id": j.bt_id, "title": j.bt_title, "description": j.bt_description, "created": ts(j.bt_created),
        },
        "is_superseded": j.is_superseded,
        "superseded_job": {"id": j.superseded_job_id} if j.superseded_job_id else None,
        "status": j.status,
        # Scale's cancel clears the job's node (update_jobs_to_canceled).
        "node": {"id": j.nd_id, "hostname": j.nd_hostname}
        if j.node_id and j.nd_id is not None and _ran(j.run_at, now) and j.status != "CANCELED" else None,
        "error": error_summary(j, "er") if j.error_id and j.status == "FAILED" else None,
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
        "last_status_change": ts(j.last_modified),
        "superseded": ts(j.superseded),
        "last_modified": ts(j.last_modified),
    }


def job_details_document(j: Row[Any], now: datetime, input_files: dict[str, list[str]],
                         chain: dict[int, Row[Any]]) -> dict[str, Any]:
    """A job's details document, from a row of ``queries._DETAILS``; `chain` holds the jobs it superseded or
    was superseded by (rows with ``id``, ``status`` and the job type summary)."""
    doc = job_document(j, now, input_files)

    def linked(job_id: int | None) -> dict[str, Any] | None:
        other = chain.get(job_id) if job_id else None
        if other is None:
            return None
        return {"id": other.id, "job_type": _job_type_summary(other), "status": other.status}

    doc["job_type_rev"] = {
        "id": j.rv_id, "job_type": _job_type_summary(j), "revision_num": j.rv_revision_num,
        "docker_image": j.rv_docker_image, "created": ts(j.rv_created), "manifest": j.rv_manifest,
    }
    doc["superseded_job"] = linked(j.superseded_job_id)
    doc["superseded_by_job"] = linked(j.superseded_by_job_id)
    doc["resources"] = {"resources": j.jt_resources}
    shown = j.status in _SHOWS_EXECUTION and j.x_id is not None
    doc["execution"] = execution_document(j, now, details=True) if shown else None
    doc["input"] = j.input
    doc["output"] = j.output if j.status == "COMPLETED" else {"files": {}, "json": {}}
    doc["configuration"] = shown_configuration(j.configuration, j.rv_manifest or j.jt_manifest)
    return doc


def shown_configuration(configuration: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """A job (type)'s configuration as Scale shows it: without its schema ``version`` (rest_util.
    strip_schema_version) and without the settings the manifest marks secret (remove_secret_settings)."""
    secret = {setting.get("name") for setting in manifest.get("job", {}).get("interface", {}).get("settings") or []
              if setting.get("secret")}
    shown = {key: value for key, value in configuration.items() if key != "version"}
    if secret and isinstance(shown.get("settings"), dict):
        shown["settings"] = {name: value for name, value in shown["settings"].items() if name not in secret}
    return shown


def execution_document(x: Row[Any], now: datetime, *, details: bool = False) -> dict[str, Any]:
    """An execution's document, from a row carrying ``queries.EXE_COLUMNS``."""
    final = x.x_end_at is not None and x.x_end_at <= now
    cluster = cluster_id(x.x_job_id, x.x_id, x.x_exe_num)
    doc: dict[str, Any] = {
        "id": x.x_id,
        "status": x.x_status,
        "exe_num": x.x_exe_num,
        "cluster_id": cluster,
        "created": ts(x.x_queued),
        "queued": ts(x.x_queued),
        "started": ts(x.x_run_at),
        "ended": ts(x.x_end_at) if final else None,
        "job": {"id": x.x_job_id},
        "node": {"id": x.xn_id, "hostname": x.xn_hostname},
        "error": error_summary(x, "xe") if x.x_status == "FAILED" else None,
        "job_type": _job_type_summary(x),
        "timeout": x.x_timeout,
        "input_file_size": x.x_input_file_size,
    }
    if details:
        doc["task_results"] = task_results(cluster, x.x_run_at, x.x_end_at if final else None, x.x_status)
        doc["resources"] = {"resources": x.jt_resources}
        doc["configuration"] = {"tasks": [{"type": "main", "args": x.jt_manifest.get("job", {})
                                           .get("interface", {}).get("command", "")}]}
        doc["output"] = output_data(x.output) if x.x_status == "COMPLETED" else None
    return doc


def output_data(job_output: dict[str, Any]) -> dict[str, Any]:
    """An execution's output, as Scale lists it: one entry per file of each output of the job."""
    files = (job_output or {}).get("files", {})
    return {"output_data": [{"name": name, "file_id": file_id} for name, ids in files.items() for file_id in ids]}


def cluster_id(job_id: int, exe_id: int, exe_num: int) -> str:
    return f"scale_job_{job_id:04d}_{exe_id}x{exe_num}"


def task_results(cluster: str, run_at: datetime | None, ended: datetime | None, status: str) -> dict[str, Any]:
    return {
        "version": "1.0",
        "tasks": [{"task_id": f"{cluster}_main", "type": "main", "was_launched": True,
                   "launched": ts(run_at), "was_started": True, "started": ts(run_at),
                   "was_timed_out": False, "ended": ts(ended), "status": status}],
    }
