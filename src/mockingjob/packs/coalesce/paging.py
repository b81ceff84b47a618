"""Paging the lists of environments, nodes and jobs by their ID, as Coalesce's own client pages them.

The official spec gives these lists no paging parameters, but Coalesce's MCP client pages an environment's nodes
as it pages runs (``limit``, ``orderBy=id``, then ``startingFrom`` set to the ``next`` of the page before), and
its environment and job list tools pass on ``limit``, ``startingFrom``, ``orderBy`` and ``orderByDirection``.
Without ``limit`` a list is whole. ``startingFrom`` is exclusive, and need not be an ID
that exists: it is a position in the order.

Each list's statement is built once per shape of request (direction, cursor or not, limit or not) and run with
bind parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .queries import MAX_ID


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next: str | None


@dataclass
class IdListing:
    """A list ordered by an ID: `select` (its own filters bound by name), and how the ID orders.

    `numeric` IDs are digit strings (environments) ordered as numbers: by length, then as text, which needs no
    cast; `integer` IDs (jobs, whose ``startingFrom`` the spec holds to digits) are ordered as they are; any other
    ID (a node's UUID) as text.
    """

    select: sa.Select[Any]
    id_column: ColumnElement[Any]
    numeric: bool = False
    integer: bool = False
    _built: dict[tuple[bool, bool, bool], sa.Select[Any]] = field(default_factory=dict)

    def _after(self, descending: bool) -> ColumnElement[bool]:
        cursor: ColumnElement[Any] = sa.bindparam("cursor")

        def later(value: ColumnElement[Any], bound: ColumnElement[Any]) -> ColumnElement[bool]:
            return value < bound if descending else value > bound

        if self.numeric:
            length = sa.func.length(self.id_column)
            cursor_length = sa.bindparam("cursor_length", type_=sa.Integer())
            return sa.or_(later(length, cursor_length), sa.and_(length == cursor_length, later(self.id_column, cursor)))
        return later(self.id_column, cursor)

    def _statement(self, descending: bool, cursor: bool, limited: bool) -> sa.Select[Any]:
        shape = (descending, cursor, limited)
        if shape not in self._built:
            query = self.select
            if cursor:
                query = query.where(self._after(descending))
            keys = [sa.func.length(self.id_column), self.id_column] if self.numeric else [self.id_column]
            query = query.order_by(*(key.desc() if descending else key.asc() for key in keys))
            if limited:
                query = query.limit(sa.bindparam("limit", type_=sa.Integer()))
            self._built[shape] = query
        return self._built[shape]

    def page(self, conn: Connection, params: dict[str, Any], values: dict[str, Any]) -> Page:
        """One page for the validated query parameters `params`; `values` binds the list's own filters."""
        descending = (params.get("orderByDirection") or "asc") == "desc"
        limit = params.get("limit")
        values = dict(values)
        cursor = params.get("startingFrom")
        if cursor is not None:
            if self.integer:  # the spec admits only digits here
                values["cursor"] = min(int(cursor), MAX_ID)
            else:
                values["cursor"] = str(cursor)
                values["cursor_length"] = len(str(cursor))
        if limit is not None:
            values["limit"] = int(limit) + 1
        rows = list(conn.execute(self._statement(descending, cursor is not None, limit is not None), values))
        following = None
        if limit is not None and len(rows) > int(limit):
            rows = rows[:int(limit)]
            following = str(rows[-1].id) if rows else None
        return Page(rows, following)
