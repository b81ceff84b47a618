"""Output objects, write settings and publications: what a run of a recipe writes, and where.

A recipe has at most one output object. Its write settings are the files a run writes (one file writer job
each) and its publications the tables; a run of the recipe uses them for whatever its overrides leave out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call, Operations, Reply, inserted_id

from .documents import (
    WRITE_SETTING_DEFAULTS,
    output_object_document,
    publication_document,
    write_setting_document,
)
from .errors import invalid
from .objects import by_parent, embeds, find, listed, page
from .tables import TABLES as T

OPERATIONS = Operations()

_o, _w, _p = T.output_objects.c, T.write_settings.c, T.publications.c
_PUBLICATION_FIELDS = ("path", "tableName", "targetType", "action", "connection")
_NEXT_POSITION = (sa.select(sa.func.coalesce(sa.func.max(_w.position) + 1, 0))
                  .where(_w.output_object_id == sa.bindparam("output")).scalar_subquery())


def _reference(body: dict[str, Any], flat: str, nested: str) -> int:
    """The id a body gives as ``<flat>: id`` or ``<nested>: {id}`` (either, not two different ones)."""
    given = {body[flat]} if flat in body else set()
    if nested in body:
        given.add(body[nested]["id"])
    if len(given) != 1:
        raise invalid(f"{flat} is required" if not given else f"{flat} and {nested}.id name different objects",
                      field=flat)
    return given.pop()


def _items(value: Any) -> list[dict[str, Any]]:
    """A nested list as clients send it: an array, or wrapped as ``{"data": [...]}``."""
    if value is None:
        return []
    return list(value["data"] if isinstance(value, dict) else value)


def add_write_setting(call: Call, output_id: int, given: dict[str, Any]) -> int:
    values = {name: given[name] for name in given if name not in ("outputObjectId", "outputObject")}
    return inserted_id(call.conn.execute(T.write_settings.insert().values(position=_NEXT_POSITION), dict(
        output=output_id, output_object_id=output_id, document={**WRITE_SETTING_DEFAULTS, **values},
        created_at=call.now, updated_at=call.now)))


def add_publication(call: Call, output_id: int, given: dict[str, Any]) -> int:
    document = {name: given[name] for name in _PUBLICATION_FIELDS if name in given}
    document.setdefault("connection", None)
    return inserted_id(call.conn.execute(T.publications.insert(), dict(
        output_object_id=output_id, document=document, created_at=call.now, updated_at=call.now)))


@OPERATIONS
async def create_output_object(call: Call) -> Reply:
    body, now = call.body, call.now
    node = _reference(body, "flowNodeId", "flowNode")
    find(call, T.wrangled_datasets, node, "wrangledDataset", include_deleted=False)
    existing = call.conn.execute(sa.select(_o.id).where(_o.dataset_id == node)).scalar()
    if existing is not None:
        raise invalid(f"Flow node {node} has an output object already (outputObject {existing}); a recipe has "
                      "one output object", field="flowNodeId")
    ident = inserted_id(call.conn.execute(T.output_objects.insert(), dict(
        dataset_id=node, execution=body["execution"], profiler=body["profiler"], is_adhoc=body.get("isAdhoc", True),
        created_at=now, updated_at=now)))
    for setting in _items(body.get("writeSettings")):
        add_write_setting(call, ident, setting)
    for publication in _items(body.get("publications")):
        add_publication(call, ident, publication)
    return Reply(output_object_document(find(call, T.output_objects, ident, "outputObject")), 201)


def _output_documents(call: Call, rows: Sequence[Any]) -> list[dict[str, Any]]:
    wanted = {name.lower() for name in embeds(call)}
    ids = [row.id for row in rows]
    settings = publications = None
    if "writesettings" in wanted:
        settings = by_parent(call.conn.execute(sa.select(T.write_settings).where(_w.output_object_id.in_(ids))
                                               .order_by(_w.position, _w.id)).all(), lambda w: w.output_object_id)
    if "publications" in wanted:
        publications = by_parent(call.conn.execute(sa.select(T.publications).where(_p.output_object_id.in_(ids))
                                                   .order_by(_p.id)).all(), lambda p: p.output_object_id)
    return [output_object_document(row, None if settings is None else settings.get(row.id, []),
                                   None if publications is None else publications.get(row.id, []))
            for row in rows]


@OPERATIONS
async def list_output_objects(call: Call) -> Reply:
    rows, total = page(call, T.output_objects)
    return Reply(listed(_output_documents(call, rows), total))


@OPERATIONS
async def get_output_object(call: Call) -> Reply:
    return Reply(_output_documents(call, [find(call, T.output_objects, call.params["id"], "outputObject")])[0])


@OPERATIONS
async def create_write_setting(call: Call) -> Reply:
    output = _reference(call.body, "outputObjectId", "outputObject")
    find(call, T.output_objects, output, "outputObject", include_deleted=False)
    ident = add_write_setting(call, output, call.body)
    return Reply(write_setting_document(find(call, T.write_settings, ident, "writeSetting")), 201)


@OPERATIONS
async def list_write_settings(call: Call) -> Reply:
    rows, total = page(call, T.write_settings)
    return Reply(listed([write_setting_document(row) for row in rows], total))


@OPERATIONS
async def get_write_setting(call: Call) -> Reply:
    return Reply(write_setting_document(find(call, T.write_settings, call.params["id"], "writeSetting")))


@OPERATIONS
async def create_publication(call: Call) -> Reply:
    output = _reference(call.body, "outputObjectId", "outputObject")
    find(call, T.output_objects, output, "outputObject", include_deleted=False)
    ident = add_publication(call, output, call.body)
    return Reply(publication_document(find(call, T.publications, ident, "publication")), 201)


@OPERATIONS
async def list_publications(call: Call) -> Reply:
    rows, total = page(call, T.publications)
    return Reply(listed([publication_document(row) for row in rows], total))


@OPERATIONS
async def get_publication(call: Call) -> Reply:
    return Reply(publication_document(find(call, T.publications, call.params["id"], "publication")))
