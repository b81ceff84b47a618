"""A completed execution's products: the file rows Scale stores for each output its job type's manifest names.

Scale's ProductFileManager.upload_files records each output file with the execution that wrote it, the output's
name, the job's recipe (and node) and batch; JobManager.process_job_output then copies the ids into the job's
``output``. Here the rows are written when the attempt is planned, dated at its planned end, and listed only once
that execution has completed (see files.VISIBLE): the clock, not a timer, makes them appear.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import insert_all_returning_ids

from .tables import TABLES as T

DEFAULT_OUTPUT_SIZE = 50 * 1024 * 1024
_j, _jt, _ws = T.jobs.c, T.job_types.c, T.workspaces.c

_PRODUCING_JOB = (
    sa.select(_j.id, _j.recipe_id, _j.batch_id, _j.source_started, _j.source_ended, _j.source_sensor_class,
              _j.source_sensor, _j.source_collection, _j.source_task, _jt.id.label("job_type_id"),
              _jt.name.label("job_type_name"), _jt.version.label("job_type_version"), _jt.manifest,
              _jt.configuration, _jt.plan, T.recipes.c.recipe_type_id)
    .select_from(T.jobs.join(T.job_types, _jt.id == _j.job_type_id)
                 .outerjoin(T.recipes, T.recipes.c.id == _j.recipe_id))
    .where(_j.id == sa.bindparam("job_id"))
)
_WORKSPACES = sa.select(_ws.name, _ws.id, _ws.base_url).order_by(_ws.id)
_DELETE_PRODUCTS = T.files.delete().where(T.files.c.job_exe_id == sa.bindparam("exe_id"))


def _file_names(pattern: str, stem: str, count: int) -> list[str]:
    """`count` names matching an output's glob pattern (``*.tif``): the stem stands for its first wildcard."""
    stems = [stem] if count == 1 else [f"{stem}_{n}" for n in range(1, count + 1)]
    if "*" not in pattern:  # a literal name: the outputs differ by their paths
        return [pattern or stem] if count == 1 else [f"{n}_{pattern}" for n in range(1, count + 1)]
    return [pattern.replace("*", part, 1).replace("*", "").replace("?", "0") for part in stems]


def product_rows(job: Any, workspaces: dict[str, tuple[int, str | None]], exe_id: int, exe_num: int,
                 ended: datetime) -> list[dict[str, Any]]:
    """The file rows of the outputs of `job` (a row of `_PRODUCING_JOB`) written by its `exe_num`-th execution;
    `workspaces` gives each workspace's id and base URL by name."""
    interface = job.manifest.get("job", {}).get("interface", {})
    outputs = (interface.get("outputs") or {}).get("files") or []
    targets = job.configuration.get("output_workspaces") or {}
    size = int(job.plan.get("output_size", DEFAULT_OUTPUT_SIZE))
    rows = []
    for output in outputs:
        workspace_name = (targets.get("outputs") or {}).get(output["name"]) or targets.get("default")
        workspace_id, base_url = workspaces.get(workspace_name or "", next(iter(workspaces.values())))
        stem = f"{job.job_type_name}_{job.id:04d}_{exe_num}_{output['name']}"
        for file_name in _file_names(output.get("pattern", "*"), stem, 2 if output.get("multiple") else 1):
            media_type = output.get("mediaType") or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            path = "/".join((job.job_type_name, job.job_type_version, str(job.id), str(exe_num), output["name"],
                             file_name))
            rows.append({
                "file_name": file_name, "workspace_id": workspace_id, "media_type": media_type,
                "file_type": "PRODUCT", "file_size": size,
                "file_path": path,
                "data_type_tags": [], "countries": [], "created": ended, "last_modified": ended,
                "source_started": job.source_started, "source_ended": job.source_ended,
                "source_sensor_class": job.source_sensor_class, "source_sensor": job.source_sensor,
                "source_collection": job.source_collection, "source_task": job.source_task,
                "job_id": job.id, "job_exe_id": exe_id, "job_type_id": job.job_type_id, "job_output": output["name"],
                "recipe_id": job.recipe_id, "recipe_type_id": job.recipe_type_id,
                "recipe_node": job.job_type_name if job.recipe_id else None, "batch_id": job.batch_id,
                "is_superseded": False,
                "meta_data": {"url": f"{base_url.removesuffix('/')}/{path}" if base_url else None,
                              "job_name": job.job_type_name, "job_version": job.job_type_version,
                              "package_version": job.manifest.get("job", {}).get("packageVersion")},
            })
    return rows


def write_products(conn: Connection, job_id: int, exe_id: int, exe_num: int, ended: datetime) -> dict[str, Any]:
    """Store the products of a job's completing execution; answer the job's ``output`` that lists them."""
    job = conn.execute(_PRODUCING_JOB, {"job_id": job_id}).one()
    workspaces = {row.name: (row.id, row.base_url) for row in conn.execute(_WORKSPACES)}
    rows = product_rows(job, workspaces, exe_id, exe_num, ended)
    ids = insert_all_returning_ids(conn, T.files, rows, "file_path")
    return {"files": output_files(rows, ids), "json": job.plan.get("output_json", {})}


def output_files(rows: list[dict[str, Any]], ids: list[int]) -> dict[str, list[int]]:
    """A job's ``output.files``: each output's file ids, from its product rows and the ids they were given."""
    files: dict[str, list[int]] = {}
    for row, file_id in zip(rows, ids, strict=True):
        files.setdefault(row["job_output"], []).append(file_id)
    return files


def forget_products(conn: Connection, exe_id: int) -> None:
    """Drop the products planned for an execution that will not end as planned."""
    conn.execute(_DELETE_PRODUCTS, {"exe_id": exe_id})
