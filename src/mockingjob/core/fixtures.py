"""Reading a pack's fixtures: YAML lists of records, and times relative to the moment of seeding.

Every pack seeds from ``fixtures/<api>/<name>.yaml`` files holding a list of records each. Parsed files are
kept by content (`resources.read_yaml`: every reset seeds again, and YAML parsing is the slow part); callers
get their own copy to change. A time in a fixture is either absolute ISO-8601 or an ISO-8601 duration
relative to the seeding instant (``-P2DT3H`` is two days and three hours before), so a fresh mock always has
recent history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from .errors import FixtureError
from .resources import read_yaml
from .timeutil import parse_duration, parse_iso

__all__ = ["RelativeTimes", "insert_rows", "load_fixtures"]

Records = dict[str, list[dict[str, Any]]]


def load_fixtures(folder: Path, names: Sequence[str]) -> Records:
    """The records of ``folder/<name>.yaml`` for each of `names`, a copy of their own for the caller to change;
    FixtureError says what is wrong."""
    data: Records = {}
    for name in names:
        path = folder / f"{name}.yaml"
        try:
            items = read_yaml(path) or []
        except (OSError, yaml.YAMLError) as exc:
            raise FixtureError(f"{path}: {exc}") from exc
        if not isinstance(items, list):
            raise FixtureError(f"{path}: expected a list of records")
        data[name] = items
    return data


class RelativeTimes:
    """Turns a fixture's time (ISO-8601, or a duration from `now`) into a datetime; None stays None."""

    def __init__(self, now: datetime, where: str) -> None:
        self.now, self.where = now, where

    def __call__(self, value: Any) -> datetime | None:
        if value is None:
            return None
        text = str(value)
        try:
            if text.lstrip("+-").startswith("P"):
                return self.now + parse_duration(text)
            return parse_iso(text)
        except ValueError as exc:
            raise FixtureError(f"{self.where}: bad time {value!r}: {exc}") from exc


def insert_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert `rows` with one executemany per set of keys, in their order within each set.

    One statement for many rows seeds much faster than a statement per row. Rows are grouped by their keys
    because an executemany compiles its statement from the first row's: a key only later rows have would be
    dropped, and a key they lack would be an error.
    """
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        conn.execute(table.insert(), group)
