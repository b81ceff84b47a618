"""Declaring a pack's tables: once per process, on a MetaData of the pack's own, named after the pack."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["TableSet"]


class TableSet:
    """A pack's tables, each reachable by its short name (``TABLES.jobs``), all of them in `all`.

    >>> TABLES = TableSet("scale")
    >>> jobs = TABLES.table("jobs", sa.Column("id", sa.Integer, primary_key=True))   # "scale_jobs"

    Every store of the process uses the same Table objects (Core tables are not tied to a database): the
    store creates the missing ones, and a reset clears them, children first.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.metadata = sa.MetaData()
        self._tables: dict[str, sa.Table] = {}

    def table(self, name: str, *items: Any, **options: Any) -> sa.Table:
        """Declare the table ``<prefix>_<name>``; foreign keys name other tables by their full names."""
        if name in self._tables:
            raise ValueError(f"table {name!r} is declared already")
        declared = self._tables[name] = sa.Table(f"{self.prefix}_{name}", self.metadata, *items, **options)
        return declared

    def __getattr__(self, name: str) -> sa.Table:
        try:
            return self.__dict__["_tables"][name]
        except KeyError:
            raise AttributeError(f"{self.__dict__.get('prefix')!r} has no table {name!r}") from None

    @property
    def all(self) -> list[sa.Table]:
        """Every table, in the order declared."""
        return list(self._tables.values())
