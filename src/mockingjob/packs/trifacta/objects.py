"""Reading the v4 API's objects by id and a page at a time, as every object endpoint does.

A deleted object is read only when the request says ``includeDeleted=true``; otherwise it does not exist. A
list is ``{"data": [...]}``: 25 at a time unless ``limit`` or ``noLimit`` says otherwise, from ``offset``, in
the order ``sort`` names, with the total before paging as ``count`` when ``includeCount=true``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from mockingjob.kit import Call

from .errors import not_found

DEFAULT_PAGE = 25
_SORT_COLUMNS = {"id": "id", "createdAt": "created_at", "updatedAt": "updated_at"}


def _live(table: sa.Table, include_deleted: bool) -> sa.ColumnElement[bool]:
    if include_deleted or "deleted_at" not in table.c:
        return sa.true()
    return table.c.deleted_at.is_(None)


def find(call: Call, table: sa.Table, ident: int, kind: str, *, include_deleted: bool | None = None) -> Any:
    """The row of `table` with id `ident`, or a 404 naming `kind`."""
    if include_deleted is None:
        include_deleted = bool(call.params.get("includeDeleted"))
    row = call.conn.execute(sa.select(table).where(table.c.id == ident, _live(table, include_deleted))).first()
    if row is None:
        raise not_found(kind, ident)
    return row


def page(call: Call, table: sa.Table, *, where: sa.ColumnElement[bool] | None = None,
         default_sort: str = "id") -> tuple[Sequence[Any], int | None]:
    """One page of `table`'s rows as the request asks, and their total if it asks for it."""
    p = call.params
    query = sa.select(table).where(_live(table, bool(p.get("includeDeleted"))))
    if where is not None:
        query = query.where(where)
    total = None
    if p.get("includeCount"):
        total = call.conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    sort = p.get("sort") or default_sort
    column, descending = table.c[_SORT_COLUMNS[sort.lstrip("-")]], sort.startswith("-")
    query = query.order_by(column.desc() if descending else column.asc(),
                           table.c.id.desc() if descending else table.c.id.asc())
    if not p.get("noLimit"):
        query = query.limit(p.get("limit") or DEFAULT_PAGE)
    return call.conn.execute(query.offset(p.get("offset") or 0)).all(), total


def listed(documents: list[dict[str, Any]], total: int | None) -> dict[str, Any]:
    return {"data": documents} if total is None else {"data": documents, "count": total}


def embeds(call: Call) -> set[str]:
    """The names ``embed`` lists (the spec has checked them)."""
    return {part.strip() for part in (call.params.get("embed") or "").split(",") if part.strip()}


def by_parent(rows: Sequence[Any], key: Callable[[Any], int]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped
