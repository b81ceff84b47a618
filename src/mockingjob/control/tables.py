"""The control plane's tables, beside the engine's settings in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.store import JSONText, PortableString, UtcDateTime

__all__ = ["ControlTables", "claim"]

# Ids are never reused (SQLite AUTOINCREMENT; sequences elsewhere): a journal id marks a point in time, and
# "fault 3" in the journal means one fault. A journal id grows without bound; BigInteger everywhere but SQLite,
# whose rowid alias must be INTEGER.
_JOURNAL_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rule_columns() -> list[sa.Column[object]]:
    """Columns shared by scenarios and faults: what they apply to, and how many more times."""
    return [
        sa.Column("api", sa.String(64), nullable=True),
        sa.Column("operation", sa.String(200), nullable=True),
        sa.Column("remaining", sa.Integer, nullable=True),  # None: applies until removed
        sa.Column("origin", sa.String(16), nullable=False),  # "startup" (configured) or "admin"
        sa.Column("created", UtcDateTime, nullable=False),
    ]


@dataclass(frozen=True)
class ControlTables:
    scenarios: sa.Table
    faults: sa.Table
    journal: sa.Table
    secrets: sa.Table
    """Digests of secret values clients sent lately, which later answers (served by any worker) may repeat."""

    @classmethod
    def define(cls, metadata: sa.MetaData) -> ControlTables:
        scenarios = sa.Table(
            "mockingjob_scenarios", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            *_rule_columns(),
            sa.Column("match", JSONText, nullable=False),
            sa.Column("effect", JSONText, nullable=False),
            sqlite_autoincrement=True,
        )
        faults = sa.Table(
            "mockingjob_faults", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            *_rule_columns(),
            sa.Column("spec", JSONText, nullable=False),
            sqlite_autoincrement=True,
        )
        journal = sa.Table(
            "mockingjob_journal", metadata,
            sa.Column("id", _JOURNAL_ID, primary_key=True, autoincrement=True),
            sa.Column("at", UtcDateTime, nullable=False),
            # Filters compare these with whatever a client sends (NULs included): portable comparisons.
            sa.Column("api", PortableString(64), nullable=True),
            sa.Column("operation", PortableString(200), nullable=True),
            sa.Column("method", sa.String(16), nullable=False),
            sa.Column("path", PortableString, nullable=False),
            sa.Column("query", PortableString, nullable=False),
            sa.Column("status", sa.Integer, nullable=True),  # None: the connection was dropped
            sa.Column("latency_ms", sa.Float, nullable=False),
            sa.Column("request_headers", JSONText, nullable=False),
            sa.Column("request_body", PortableString, nullable=True),
            sa.Column("response_body", PortableString, nullable=True),
            sa.Column("fault", sa.String(200), nullable=True),
            sa.Column("scenario", sa.Integer, nullable=True),
            sa.Column("effect", JSONText, nullable=True),
            sa.Column("warnings", JSONText, nullable=True),  # lint findings; None: none
            sqlite_autoincrement=True,
        )
        secrets = sa.Table(
            "mockingjob_secrets", metadata,
            sa.Column("id", _JOURNAL_ID, primary_key=True, autoincrement=True),
            # A salted digest, never the value (see `recording.Recorder`).
            sa.Column("digest", sa.String(64), nullable=False, unique=True),
            sqlite_autoincrement=True,
        )
        return cls(scenarios, faults, journal, secrets)


def claim(conn: Connection, table: sa.Table, row: Any) -> bool:
    """Use one of a rule's remaining applications; False if other requests have used them all up first.

    The decrement is conditional, so concurrent workers cannot apply a rule more times than it was given.
    """
    if row.remaining is None:
        return True
    used = conn.execute(table.update().where(table.c.id == row.id, table.c.remaining >= 1)
                        .values(remaining=table.c.remaining - 1)).rowcount
    if not used:
        return False
    conn.execute(table.delete().where(table.c.id == row.id, table.c.remaining <= 0))
    return True
