"""Reads of the Trifacta pack: recipes with their dependencies, job groups and jobs with their derived state.

Every statement is built once, here, with bind parameters for its values (the clock's instant is ``now``), so
that a request only binds values and SQLAlchemy finds the statement compiled already.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .errors import not_found
from .model import GROUP_STATUS, GROUP_UPDATED, JOB_STATUS, JOB_UPDATED, Settings
from .tables import TABLES as T

_d, _f, _g, _j, _w = T.wrangled_datasets.c, T.flows.c, T.job_groups.c, T.jobs.c, T.write_settings.c
_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)

_DATASET = sa.select(T.wrangled_datasets).where(_d.id == sa.bindparam("id"))
_DATASETS = sa.select(T.wrangled_datasets).where(_d.id.in_(_IDS))
DATASET_AND_FLOW = (sa.select(_d.name, _f.name.label("flow")).join(T.flows, _f.id == _d.flow_id)
                    .where(_d.id == sa.bindparam("id")))
_DATASETS_WITH_FLOWS = (sa.select(T.wrangled_datasets, _f.name.label("flow_name"))
                        .join(T.flows, _f.id == _d.flow_id).where(_d.id.in_(_IDS)))
# A recipe with the settings of its latest run, if any, in one statement: the recipe and the run repeat on
# each of the run's write settings. The subquery reads its own copy of the job groups.
_latest = T.job_groups.alias("latest")
_LATEST_RUN = (sa.select(_latest.c.id).where(_latest.c.dataset_id == sa.bindparam("id"))
               .order_by(_latest.c.created_at.desc(), _latest.c.id.desc()).limit(1).scalar_subquery())
_RECIPE = (sa.select(T.wrangled_datasets, _g.id.label("last_run"), _g.execution, _g.profiler, _w.document)
           .select_from(T.wrangled_datasets.outerjoin(T.job_groups, _g.id == _LATEST_RUN)
                        .outerjoin(T.write_settings, _w.job_group_id == _g.id))
           .where(_d.id == sa.bindparam("id")).order_by(_w.position, _w.id))
# What a job group's document shows (documents.group_document), and no more: every column costs on every row.
GROUPS = sa.select(_g.id, _g.dataset_id, _g.ranfrom, _g.profiler, _g.created_at, GROUP_STATUS.label("status"),
                   GROUP_UPDATED.label("updated_at"))
_GROUP = GROUPS.where(_g.id == sa.bindparam("id"))
_GROUP_STATUS = sa.select(GROUP_STATUS).where(_g.id == sa.bindparam("id"))
_JOBS = (sa.select(T.jobs, JOB_STATUS.label("status"), JOB_UPDATED.label("updated_at"), _g.execution)
         .join(T.job_groups, _g.id == _j.job_group_id)
         .where(_j.job_group_id.in_(_IDS)).order_by(_j.job_group_id, _j.position, _j.id))


def dataset(conn: Connection, dataset_id: int) -> Any:
    row = conn.execute(_DATASET, {"id": dataset_id}).first()
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
        if not wanted:
            break
        for row in conn.execute(_DATASETS, {"ids": wanted}).all():
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


def recipe(conn: Connection, dataset_id: int) -> tuple[Any, Settings | None]:
    """The recipe (wrangled dataset) and the settings of its most recent run, or None if it has never been run."""
    rows = conn.execute(_RECIPE, {"id": dataset_id}).all()
    if not rows:
        raise not_found("wrangledDataset", dataset_id)
    first = rows[0]
    if first.last_run is None:
        return first, None
    documents = tuple(row.document for row in rows if row.document is not None)
    return first, Settings(first.execution, first.profiler, documents)


def group_row(conn: Connection, now: datetime, group_id: int) -> Any:
    row = conn.execute(_GROUP, {"now": now, "id": group_id}).first()
    if row is None:
        raise not_found("jobGroup", group_id)
    return row


def group_status(conn: Connection, now: datetime, group_id: int) -> str:
    status: str | None = conn.execute(_GROUP_STATUS, {"now": now, "id": group_id}).scalar()
    if status is None:
        raise not_found("jobGroup", group_id)
    return status


def jobs_of(conn: Connection, now: datetime, group_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The jobs of each of these job groups, in order of execution."""
    found: dict[int, list[Any]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return found
    for row in conn.execute(_JOBS, {"now": now, "ids": list(group_ids)}):
        found[row.job_group_id].append(row)
    return found


def datasets_with_flows(conn: Connection, dataset_ids: Sequence[int]) -> dict[int, Any]:
    if not dataset_ids:
        return {}
    return {row.id: row for row in conn.execute(_DATASETS_WITH_FLOWS, {"ids": list(dataset_ids)})}
