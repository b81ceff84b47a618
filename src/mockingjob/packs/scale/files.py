"""Scale's files (``/v6/files/``): the source files of the fixtures and the products of completed executions.

A product's row is written when its execution is planned (products.py); `VISIBLE` keeps it out of every answer
until that execution has completed, at the clock's now.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from mockingjob.kit import NOW, ApiError, Call, Operations, Reply

from .documents import file_document
from .errors import NOT_FOUND
from .listing import Filter, Listing
from .params import time_range
from .tables import TABLES as T

OPERATIONS = Operations()

f = T.files.c
_PRODUCER = T.job_exes.alias("producer")
_FILE_JOB_TYPE, _FILE_RECIPE_TYPE, _FILE_BATCH = T.job_types.alias("file_jt"), T.recipe_types.alias("file_rt"), \
    T.batches.alias("file_bt")
# A source file, or a product whose execution has completed by now.
VISIBLE: ColumnElement[bool] = sa.or_(f.job_exe_id.is_(None),
                                      sa.and_(_PRODUCER.c.outcome == "COMPLETED", _PRODUCER.c.end_at <= NOW))
FILE_FROM = (
    T.files.join(T.workspaces, T.workspaces.c.id == f.workspace_id)
    .outerjoin(_PRODUCER, _PRODUCER.c.id == f.job_exe_id)
    .outerjoin(_FILE_JOB_TYPE, _FILE_JOB_TYPE.c.id == f.job_type_id)
    .outerjoin(_FILE_RECIPE_TYPE, _FILE_RECIPE_TYPE.c.id == f.recipe_type_id)
    .outerjoin(_FILE_BATCH, _FILE_BATCH.c.id == f.batch_id)
)
FILE_COLUMNS: list[Any] = [
    T.files, T.workspaces.c.name.label("workspace_name"), T.workspaces.c.base_url.label("workspace_base_url"),
    *(_FILE_JOB_TYPE.c[name].label(f"jt_{name}") for name in (
        "id", "name", "version", "title", "description", "is_active", "is_system", "is_paused", "is_published",
        "icon_code", "unmet_resources")),
    *(_FILE_RECIPE_TYPE.c[name].label(f"rt_{name}") for name in ("id", "name", "title", "description", "revision_num")),
    *(_FILE_BATCH.c[name].label(f"bt_{name}") for name in ("id", "title", "description", "created")),
]
FILES: sa.Select[Any] = sa.select(*FILE_COLUMNS).select_from(FILE_FROM).where(VISIBLE)

_LISTING = Listing(
    FILES,
    filters={
        "countries": Filter(f.countries, "holds-any"),
        "data_started": Filter(f.data_started, "min"), "data_ended": Filter(f.data_ended, "max"),
        "created_started": Filter(f.created, "min"), "created_ended": Filter(f.created, "max"),
        "source_started": Filter(f.source_started, "min"), "source_ended": Filter(f.source_ended, "max"),
        "modified_started": Filter(f.last_modified, "min"), "modified_ended": Filter(f.last_modified, "max"),
        "source_sensor_class": Filter(f.source_sensor_class, "in"), "file_type": Filter(f.file_type, "in"),
        "source_sensor": Filter(f.source_sensor, "in"), "source_collection": Filter(f.source_collection, "in"),
        "source_task": Filter(f.source_task, "in"), "job_type_id": Filter(f.job_type_id, "in"),
        "job_type_name": Filter(_FILE_JOB_TYPE.c.name, "in"), "job_id": Filter(f.job_id, "in"),
        "file_name": Filter(f.file_name, "in"), "file_name_search": Filter(f.file_name, "contains"),
        "job_output": Filter(f.job_output, "in"), "recipe_id": Filter(f.recipe_id, "in"),
        "recipe_type_id": Filter(f.recipe_type_id, "in"), "recipe_node": Filter(f.recipe_node, "in"),
        "batch_id": Filter(f.batch_id, "in"), "media_type": Filter(f.media_type, "in"),
    },
    orders={name: f[name] for name in (
        "id", "file_name", "file_type", "media_type", "file_size", "file_path", "created", "last_modified",
        "data_started", "data_ended", "source_started", "source_ended", "source_sensor_class", "source_sensor",
        "source_collection", "source_task", "job_output", "recipe_node", "is_superseded", "superseded")},
    default_order=("last_modified",),
    tiebreak=f.id,
    lowered=frozenset({"file_name", "file_type", "media_type", "file_path"}),
)
_FILE = FILES.where(f.id == sa.bindparam("file_id"))


@OPERATIONS
async def list_files(call: Call) -> Reply:
    for kind in ("data", "created", "source", "modified"):  # FilesView checks each range
        time_range(call.params, call.now, f"{kind}_started", f"{kind}_ended")
    return Reply(_LISTING.page(call, file_document))


@OPERATIONS
async def get_file(call: Call) -> Reply:
    row = call.conn.execute(_FILE, {"now": call.now, "file_id": call.params["file_id"]}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return Reply({**file_document(row), "meta_data": row.meta_data or {}})
