"""What a job group read and wrote: its inputs, its outputs, its publications and its profile.

Outputs appear as the run produces them on the clock: a file once its file writer job has completed, a table
once the whole job group has. A profile exists once the profile job has completed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import ApiError, Call, Operations, Reply

from .documents import imported_dataset_document, publication_document
from .queries import group_row, jobs_of
from .tables import TABLES as T

OPERATIONS = Operations()

_d, _i, _w, _p = T.wrangled_datasets.c, T.imported_datasets.c, T.write_settings.c, T.publications.c


def _group_and_jobs(call: Call) -> tuple[Any, list[Any]]:
    group = group_row(call.conn, call.now, call.params["id"])
    return group, jobs_of(call.conn, call.now, [group.id])[group.id]


@OPERATIONS
async def get_job_group_inputs(call: Call) -> Reply:
    """The imported datasets the job group's recipes read."""
    _, jobs = _group_and_jobs(call)
    recipes = [job.dataset_id for job in jobs if job.job_type == "wrangle"]
    rows = call.conn.execute(sa.select(T.imported_datasets).join(T.wrangled_datasets, _d.imported_dataset_id == _i.id)
                             .where(_d.id.in_(recipes)).distinct().order_by(_i.id)).all()
    return Reply({"data": [imported_dataset_document(row) for row in rows]})


def _publications(call: Call, group: Any) -> Sequence[Any]:
    if group.output_object_id is None:
        return []
    return call.conn.execute(sa.select(T.publications).where(_p.output_object_id == group.output_object_id)
                             .order_by(_p.id)).all()


@OPERATIONS
async def get_job_group_outputs(call: Call) -> Reply:
    group, jobs = _group_and_jobs(call)
    writers = [job for job in jobs if job.job_type == "filewriter"]
    settings = {row.id: row for row in call.conn.execute(sa.select(T.write_settings).where(
        _w.id.in_([job.write_setting_id for job in writers])))}
    files = [{"uri": settings[job.write_setting_id].document["path"], "fileType": "FILE",
              "isPrimaryOutput": number == 0, "writeSetting": {"id": job.write_setting_id}}
             for number, job in enumerate(writers) if job.status == "Complete"]
    tables = [{"tableName": row.document["tableName"], "path": list(row.document["path"]),
               "targetType": row.document["targetType"], "action": row.document["action"],
               "publication": {"id": row.id}}
              for row in (_publications(call, group) if group.status == "Complete" else [])]
    return Reply({"files": files, "tables": tables})


@OPERATIONS
async def get_job_group_publications(call: Call) -> Reply:
    group = group_row(call.conn, call.now, call.params["id"])
    return Reply({"data": [publication_document(row) for row in _publications(call, group)]})


# The profiler's verdict on a column's values.
_CHECKS = ("VALID", "INVALID", "EMPTY")


@OPERATIONS
async def get_job_group_profile(call: Call) -> Reply:
    """The profile of the recipe's results, from its columns as its plan describes them."""
    group, jobs = _group_and_jobs(call)
    profile = next((job for job in jobs if job.job_type == "profile"), None)
    if profile is None or profile.status != "Complete":
        why = "was run without profiling" if profile is None else "has no completed profile job"
        raise ApiError(400, f"Profiling data not found: job group {group.id} {why}",
                       code="ProfilingDataNotFoundException")
    plan = call.conn.execute(sa.select(_d.plan).where(_d.id == group.dataset_id)).scalar_one()
    columns: dict[str, Any] = plan.get("columns") or {}
    return Reply({
        "profilerTypeCheckHistograms": {
            name: [{"key": check, "count": int((spec.get("counts") or {}).get(check, 0))} for check in _CHECKS]
            for name, spec in columns.items()},
        "profilerValidValueHistograms": {name: _top_values(spec) for name, spec in columns.items()},
        "profilerRules": {},
        "columnTypes": {name: [spec.get("type", "String")] for name, spec in columns.items()},
    })


def _top_values(column: dict[str, Any]) -> dict[str, Any]:
    """A column's most frequent values, as the profiler reports a categorical column."""
    top = [{"key": str(value), "count": int(count)} for value, count in (column.get("top") or {}).items()]
    return {"topk": top, "k": len(top), "c": sum(item["count"] for item in top), "ub": False}
