"""The request journal: the recent API requests, bounded, for a test to see what its client sent.

Entries are written after the response has gone out, already redacted (see `redact`). The journal keeps the
newest `size` entries; older ones are pruned now and then, and never returned.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.store import Store
from ..core.timeutil import format_iso
from .tables import ControlTables

__all__ = ["JournalFilter", "JournalWriter", "count", "entries", "to_json"]

_PRUNE_EVERY = 64
_BATCH = 256
SHARED_DELAY = 0.02
"""Seconds an entry waits, at most, before a worker sharing the store writes it (with those that came meanwhile)."""


@dataclass(frozen=True)
class JournalFilter:
    api: str | None = None
    operation: str | None = None
    status: int | None = None
    status_class: int | None = None
    """1-5: every status of that hundred (5 for 5xx); 0: dropped connections (no status)."""
    method: str | None = None
    since: int | None = None
    """Only entries with a greater id."""
    path: str | None = None
    """Only requests whose path starts with this."""

    def where(self, table: sa.Table, newest: int, size: int) -> list[sa.ColumnElement[bool]]:
        clauses: list[sa.ColumnElement[bool]] = [table.c.id > newest - size]
        if self.api is not None:
            clauses.append(table.c.api == self.api)
        if self.operation is not None:
            clauses.append(table.c.operation == self.operation)
        if self.status is not None:
            clauses.append(table.c.status == self.status)
        if self.status_class == 0:
            clauses.append(table.c.status.is_(None))
        elif self.status_class is not None:
            clauses.append(table.c.status.between(self.status_class * 100, self.status_class * 100 + 99))
        if self.method is not None:
            clauses.append(table.c.method == self.method.upper())
        if self.since is not None:
            clauses.append(table.c.id > self.since)
        if self.path is not None:
            clauses.append(table.c.path.startswith(self.path, autoescape=True))
        return clauses


class JournalWriter:
    """Writes entries after their answers have gone out.

    In a private store (one process, in memory) entries wait in memory and are written in batches: when a batch
    fills, and always before anything reads the journal (`flush`). Never from a timer: the store's one
    connection must not be used by a callback while another thread (a test's reset, say) holds it. With a
    shared store (a pool of connections) they wait `SHARED_DELAY` at most, on the event loop's timer, so that one
    transaction writes what several requests journaled; a worker about to read the journal waits as long
    (`settled`), so that it sees what every worker had journaled before.
    """

    def __init__(self, store: Store, tables: ControlTables, size: int) -> None:
        self.store, self.table, self.size = store, tables.journal, size
        self.pending: list[dict[str, Any]] = []
        self.closed = False
        self._due: asyncio.TimerHandle | None = None
        self._insert = self.table.insert()
        self._newest = sa.select(sa.func.max(self.table.c.id))
        self._prune = self.table.delete().where(self.table.c.id <= sa.bindparam("oldest_kept") - 1)

    def add(self, **entry: Any) -> None:
        self.pending.append(entry)
        if len(self.pending) >= _BATCH:
            self.flush()
        elif not self.store.private and self._due is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # journaled outside a server (a test calling the app directly): at once
                self.flush()
                return
            self._due = loop.call_later(SHARED_DELAY, self.flush)

    async def settled(self) -> None:
        """Write what waits here; with a shared store, also wait until every other worker has written what it
        had journaled by now."""
        self.flush()
        if not self.store.private:
            await asyncio.sleep(2 * SHARED_DELAY)

    def close(self) -> None:
        self.flush()
        self.closed = True

    def flush(self) -> None:
        if self._due is not None:
            self._due.cancel()
            self._due = None
        if not self.pending or self.closed:
            return
        entries, self.pending = self.pending, []
        with self.store.begin() as conn:
            conn.execute(self._insert, entries)
            newest = int(conn.execute(self._newest).scalar() or 0)
            if newest // _PRUNE_EVERY != (newest - len(entries)) // _PRUNE_EVERY:
                conn.execute(self._prune, {"oldest_kept": newest - self.size + 1})


def _newest(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0)


def entries(conn: Connection, tables: ControlTables, size: int, where: JournalFilter, *, limit: int,
            newest_first: bool = True) -> list[Any]:
    table = tables.journal
    order = table.c.id.desc() if newest_first else table.c.id.asc()
    query = sa.select(table).where(*where.where(table, _newest(conn, table), size)).order_by(order).limit(limit)
    return list(conn.execute(query).all())


def entry(conn: Connection, tables: ControlTables, size: int, entry_id: int) -> Any | None:
    table = tables.journal
    return conn.execute(
        sa.select(table).where(table.c.id == entry_id, table.c.id > _newest(conn, table) - size)
    ).first()


def count(conn: Connection, tables: ControlTables, size: int, where: JournalFilter) -> int:
    table = tables.journal
    query = sa.select(sa.func.count()).select_from(table).where(*where.where(table, _newest(conn, table), size))
    return int(conn.execute(query).scalar() or 0)


def clear(conn: Connection, tables: ControlTables, api: str | None = None) -> None:
    table = tables.journal
    conn.execute(table.delete() if api is None else table.delete().where(table.c.api == api))


def to_json(row: Any) -> dict[str, Any]:
    at: datetime = row.at
    return {
        "id": row.id,
        "at": format_iso(at, digits=3),
        "api": row.api,
        "operation": row.operation,
        "method": row.method,
        "path": row.path,
        "query": row.query,
        "status": row.status,
        "latencyMs": round(row.latency_ms, 3),
        "requestHeaders": row.request_headers,
        "requestBody": row.request_body,
        "responseBody": row.response_body,
        "fault": row.fault,
        "scenario": row.scenario,
        "effect": row.effect,
        "warnings": row.warnings or [],
    }
