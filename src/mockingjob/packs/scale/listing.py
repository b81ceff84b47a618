"""Scale's plain list views: a queryset filtered by the query parameters given, ordered, paginated.

A `Listing` names, for one view, the column each filter parameter tests and how (Scale's ``__in``, ``__gte``,
``__lte``, ``__icontains``, equality) and the columns ``order`` may name. Its statements are built once per shape
of request (which filters are given, which order), like the job list's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from mockingjob.kit import Call, PortableString, UtcDateTime

from .params import flag, page_envelope, paginate, parse_timestamp

Test = Literal["in", "min", "max", "eq", "flag", "contains", "holds-any"]


def like_escaped(text: str) -> str:
    """`text` matched literally by a LIKE with ``escape="\\"`` (Django's ``icontains`` escapes so)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Filter:
    """How a query parameter filters: ``in`` a list, ``min``/``max`` a time, ``eq``/``flag`` a value, ``contains``
    a text (any case), ``holds-any`` one of a list of strings in a JSON list column."""

    column: ColumnElement[Any]
    test: Test


@dataclass
class Listing:
    """One list view: its rows (`select`), filters (query parameter → `Filter`), orderable fields and default order.

    Ascending orders on `lowered` fields compare lower-cased, as Scale's ``alphabetize`` does; descending ones do
    not (alphabetize never sees the ``-`` form). The id breaks ties, so that pages never overlap.
    """

    select: sa.Select[Any]
    filters: Mapping[str, Filter]
    orders: Mapping[str, ColumnElement[Any]]
    default_order: tuple[str, ...]
    tiebreak: ColumnElement[Any]
    lowered: frozenset[str] = frozenset()
    extra_where: Sequence[ColumnElement[bool]] = ()
    _built: dict[tuple[frozenset[tuple[str, int]], tuple[str, ...]], tuple[sa.Select[Any], sa.Select[Any]]] = field(
        default_factory=dict)

    def _condition(self, name: str, count: int) -> ColumnElement[bool]:
        f = self.filters[name]
        if f.test == "in":
            return f.column.in_(sa.bindparam(name, expanding=True))
        if f.test == "min":
            return f.column >= sa.bindparam(name, type_=UtcDateTime())
        if f.test == "max":
            return f.column <= sa.bindparam(name, type_=UtcDateTime())
        lowered = sa.func.lower(f.column, type_=PortableString())
        if f.test == "contains":
            return lowered.like(sa.bindparam(name, type_=PortableString()), escape="\\")
        if f.test == "holds-any":
            return sa.or_(*(lowered.like(sa.bindparam(f"{name}_{n}", type_=PortableString())) for n in range(count)))
        return f.column == sa.bindparam(name)

    def statements(self, given: frozenset[tuple[str, int]], order: tuple[str, ...]
                   ) -> tuple[sa.Select[Any], sa.Select[Any]]:
        """The count and page statements for the filters `given` (name, number of values) and `order`."""
        key = (given, order)
        if key not in self._built:
            query = self.select.where(*self.extra_where, *(self._condition(name, n) for name, n in sorted(given)))
            count = sa.select(sa.func.count()).select_from(query.subquery())
            clauses = []
            for item in order:
                name, descending = item.lstrip("-"), item.startswith("-")
                column = self.orders[name]
                if name in self.lowered and not descending:
                    column = sa.func.lower(column, type_=PortableString())
                clauses.append(column.desc() if descending else column.asc())
            page = (query.order_by(*clauses, self.tiebreak.asc())
                    .limit(sa.bindparam("limit", type_=sa.Integer()))
                    .offset(sa.bindparam("offset", type_=sa.Integer())))
            self._built[key] = (count, page)
        return self._built[key]

    def values(self, call: Call) -> tuple[frozenset[tuple[str, int]], dict[str, Any]]:
        """The filters the request gives (name, number of values) and their bind values."""
        values: dict[str, Any] = {"now": call.now}
        given = set()
        for name, f in self.filters.items():
            value = call.params.get(name)
            if value is None or value == [] or (value == "" and f.test == "eq"):  # Scale reads "" as not given
                continue
            count = 1
            if f.test in ("min", "max"):
                values[name] = parse_timestamp(name, value, call.now)
            elif f.test == "flag":
                values[name] = flag(value)
            elif f.test == "contains":
                values[name] = f"%{like_escaped(value.lower())}%"
            elif f.test == "holds-any":  # the quoted JSON string of each
                count = len(value)
                values.update({f"{name}_{n}": f'%"{item.lower()}"%' for n, item in enumerate(value)})
            else:
                values[name] = list(value) if isinstance(value, list) else value
            given.add((name, count))
        return frozenset(given), values

    def page(self, call: Call, document: Callable[[Any], Any]) -> dict[str, Any]:
        """The requested page of documents."""
        given, values = self.values(call)
        order = tuple(call.params.get("order") or self.default_order)
        count, page = self.statements(given, order)
        envelope, rows = paginate(call, call.conn, page, count, values)
        return {**envelope, "results": [document(row) for row in rows]}


def page_of(call: Call, items: Sequence[Any]) -> dict[str, Any]:
    """A DRF page of a list computed in full (small collections whose fields derive from the clock)."""
    envelope, page = page_envelope(call, len(items))
    return {**envelope, "results": list(items[page])}
