"""Imported datasets (the files a flow reads) and wrangled datasets (recipes): creating, reading, deleting.

A recipe reads either an imported dataset or the output of another recipe; in the second case that recipe runs
first whenever this one runs. A recipe is also its flow's node: its id is the ``flowNodeId`` of its output
object and of its job groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call, Operations, Reply, inserted_id

from .documents import (
    default_dataset_name,
    imported_dataset_document,
    output_object_document,
    wrangled_dataset_document,
)
from .errors import invalid
from .objects import by_parent, embeds, find, listed, page
from .tables import TABLES as T

OPERATIONS = Operations()

_i, _d, _o = T.imported_datasets.c, T.wrangled_datasets.c, T.output_objects.c


@OPERATIONS
async def create_imported_dataset(call: Call) -> Reply:
    body, now = call.body, call.now
    uri = body["uri"]
    ident = inserted_id(call.conn.execute(T.imported_datasets.insert(), dict(
        name=body.get("name") or default_dataset_name(uri), description=body.get("description"), uri=uri,
        has_structuring=bool(body.get("detectStructure", False)), created_at=now, updated_at=now)))
    row = find(call, T.imported_datasets, ident, "importedDataset")
    return Reply(imported_dataset_document(row), 201)


@OPERATIONS
async def list_imported_datasets(call: Call) -> Reply:
    rows, total = page(call, T.imported_datasets)
    return Reply(listed([imported_dataset_document(row) for row in rows], total))


@OPERATIONS
async def get_imported_dataset(call: Call) -> Reply:
    return Reply(imported_dataset_document(find(call, T.imported_datasets, call.params["id"], "importedDataset")))


@OPERATIONS
async def delete_imported_dataset(call: Call) -> Reply:
    """Deletes the dataset; recipes that read it stay, and fail when they next run."""
    ident = call.params["id"]
    find(call, T.imported_datasets, ident, "importedDataset", include_deleted=False)
    call.conn.execute(T.imported_datasets.update().where(_i.id == ident, _i.deleted_at.is_(None))
                      .values(deleted_at=call.now, updated_at=call.now))
    return Reply(None, 204)


def _one_source(body: dict[str, Any]) -> tuple[str, int]:
    sources = [(name, body[name]["id"]) for name in ("importedDataset", "wrangledDataset") if name in body]
    if len(sources) != 1:
        raise invalid("A wrangled dataset needs exactly one primary input: importedDataset or wrangledDataset",
                      field="importedDataset")
    return sources[0]


@OPERATIONS
async def create_wrangled_dataset(call: Call) -> Reply:
    body, now = call.body, call.now
    source, source_id = _one_source(body)
    flow = find(call, T.flows, body["flow"]["id"], "flow", include_deleted=False)
    if source == "importedDataset":
        find(call, T.imported_datasets, source_id, "importedDataset", include_deleted=False)
        imported, depends_on = source_id, []
    else:
        find(call, T.wrangled_datasets, source_id, "wrangledDataset", include_deleted=False)
        imported, depends_on = None, [source_id]
    ident = inserted_id(call.conn.execute(T.wrangled_datasets.insert(), dict(
        flow_id=flow.id, name=body["name"], description=body.get("description"), imported_dataset_id=imported,
        depends_on=depends_on, plan={}, created_at=now, updated_at=now)))
    return Reply(wrangled_dataset_document(find(call, T.wrangled_datasets, ident, "wrangledDataset")), 201)


def wrangled_documents(call: Call, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The documents of these recipes, each with its output object if ``embed=outputObjects`` asks for it."""
    if "outputObjects" not in embeds(call):
        return [wrangled_dataset_document(row) for row in rows]
    outputs = by_parent(call.conn.execute(sa.select(T.output_objects).where(
        _o.dataset_id.in_([row.id for row in rows]), _o.deleted_at.is_(None)).order_by(_o.id)).all(),
        lambda output: output.dataset_id)
    return [wrangled_dataset_document(row, [output_object_document(o) for o in outputs.get(row.id, [])])
            for row in rows]


@OPERATIONS
async def list_wrangled_datasets(call: Call) -> Reply:
    rows, total = page(call, T.wrangled_datasets)
    return Reply(listed(wrangled_documents(call, rows), total))


@OPERATIONS
async def get_wrangled_dataset(call: Call) -> Reply:
    return Reply(wrangled_documents(call, [find(call, T.wrangled_datasets, call.params["id"], "wrangledDataset")])[0])
