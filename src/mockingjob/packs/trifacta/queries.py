"""Reads of the Trifacta pack: recipes with their dependencies, job groups and jobs with their derived state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .exceptions import not_found
from .model import Derived, Settings
from .tables import TABLES as T


def dataset(conn: Connection, dataset_id: int) -> Any:
    row = conn.execute(sa.select(T.datasets).where(T.datasets.c.id == dataset_id)).first()
    if row is None:
        raise not_found("wrangledDataset", dataset_id)
    return row


def chain(conn: Connection, target: Any) -> list[Any]:
    """`target` and every recipe it depends on, directly or not, in order of execution (dependencies first)."""
    rows = {target.id: target}
    pending = list(target.depends_on)
    while pending:
        wanted = [i for i in dict.fromkeys(pending) if i not in rows]
        pending = []
        for row in conn.execute(sa.select(T.datasets).where(T.datasets.c.id.in_(wanted))).all():
            rows[row.id] = row
            pending.extend(row.depends_on)
    ordered: list[Any] = []
    seen: set[int] = set()

    def visit(row: Any) -> None:
        if row.id in seen:
            return
        seen.add(row.id)  # fixtures are checked to be acyclic; this also stops a cycle from looping
        for dependency in sorted(row.depends_on):
            if dependency in rows:
                visit(rows[dependency])
        ordered.append(row)

    visit(target)
    return ordered


def last_settings(conn: Connection, dataset_id: int) -> Settings | None:
    """The settings of the most recent run of this recipe, or None if it has never been run."""
    g = T.job_groups.c
    row = conn.execute(sa.select(g.id, g.execution, g.profiler).where(g.dataset_id == dataset_id)
                       .order_by(g.created_at.desc(), g.id.desc()).limit(1)).first()
    if row is None:
        return None
    w = T.write_settings.c
    documents = conn.execute(sa.select(w.document).where(w.job_group_id == row.id)
                             .order_by(w.position, w.id)).scalars().all()
    return Settings(row.execution, row.profiler, tuple(documents))


def groups_query(d: Derived) -> sa.Select[Any]:
    return sa.select(T.job_groups, d.status.label("status"), d.updated.label("updated_at"))


def group_row(conn: Connection, d: Derived, group_id: int) -> Any:
    row = conn.execute(groups_query(d).where(T.job_groups.c.id == group_id)).first()
    if row is None:
        raise not_found("jobGroup", group_id)
    return row


def jobs_of(conn: Connection, d: Derived, group_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The jobs of each of these job groups, in order of execution."""
    j = T.jobs.c
    found: dict[int, list[Any]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return found
    query = (sa.select(T.jobs, d.job_status.label("status"), d.job_updated.label("updated_at"),
                       T.job_groups.c.execution)
             .join(T.job_groups, T.job_groups.c.id == j.job_group_id)
             .where(j.job_group_id.in_(group_ids)).order_by(j.job_group_id, j.position, j.id))
    for row in conn.execute(query):
        found[row.job_group_id].append(row)
    return found


def datasets_with_flows(conn: Connection, dataset_ids: Sequence[int]) -> dict[int, Any]:
    query = (sa.select(T.datasets, T.flows.c.name.label("flow_name"))
             .join(T.flows, T.flows.c.id == T.datasets.c.flow_id).where(T.datasets.c.id.in_(dataset_ids)))
    return {row.id: row for row in conn.execute(query)}
