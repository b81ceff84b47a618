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

from mockingjob.kit import Call

from .documents import group_document
from .errors import not_found
from .model import GROUP_STATUS, GROUP_UPDATED, JOB_STATUS, JOB_UPDATED, Settings
from .tables import TABLES as T

_d, _f, _g, _j, _w = T.wrangled_datasets.c, T.flows.c, T.job_groups.c, T.jobs.c, T.write_settings.c
_i, _o = T.imported_datasets.c, T.output_objects.c
_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)

# A recipe as a run reads it: with when the imported dataset it reads was deleted, if it was.
_WITH_SOURCE = T.wrangled_datasets.outerjoin(T.imported_datasets, _i.id == _d.imported_dataset_id)
_RECIPE_ROWS = sa.select(T.wrangled_datasets, _i.deleted_at.label("source_deleted_at")).select_from(_WITH_SOURCE)
_DATASET = _RECIPE_ROWS.where(_d.id == sa.bindparam("id"), _d.deleted_at.is_(None))
_DATASETS = _RECIPE_ROWS.where(_d.id.in_(_IDS))
DATASET_AND_FLOW = (sa.select(_d.name, _f.name.label("flow")).join(T.flows, _f.id == _d.flow_id)
                    .where(_d.id == sa.bindparam("id")))
_DATASETS_WITH_FLOWS = (sa.select(T.wrangled_datasets, _f.name.label("flow_name"))
                        .join(T.flows, _f.id == _d.flow_id).where(_d.id.in_(_IDS)))
# A recipe with the settings of its latest run, if any, in one statement: the recipe and the run repeat on
# each write setting the run's file writers wrote. The subquery reads its own copy of the job groups.
_latest = T.job_groups.alias("latest")
_LATEST_RUN = (sa.select(_latest.c.id).where(_latest.c.dataset_id == sa.bindparam("id"))
               .order_by(_latest.c.created_at.desc(), _latest.c.id.desc()).limit(1).scalar_subquery())
_RECIPE = (_RECIPE_ROWS.add_columns(_g.id.label("last_run"), _g.execution, _g.profiler, _w.document)
           .select_from(_WITH_SOURCE.outerjoin(T.job_groups, _g.id == _LATEST_RUN)
                        .outerjoin(T.jobs, (_j.job_group_id == _g.id) & _j.write_setting_id.is_not(None))
                        .outerjoin(T.write_settings, _w.id == _j.write_setting_id))
           .where(_d.id == sa.bindparam("id"), _d.deleted_at.is_(None)).order_by(_j.position, _j.id))
# A recipe's live output object, with its write settings in order (the object repeats on each).
_OUTPUT = (sa.select(_o.id, _o.execution, _o.profiler, _w.id.label("setting_id"), _w.document)
           .select_from(T.output_objects.outerjoin(T.write_settings, _w.output_object_id == _o.id))
           .where(_o.dataset_id == sa.bindparam("id"), _o.deleted_at.is_(None)).order_by(_w.position, _w.id))
# What a job group's document shows (documents.group_document), and no more: every column costs on every row.
GROUPS = sa.select(_g.id, _g.dataset_id, _g.flow_run_id, _g.output_object_id, _g.ranfrom, _g.profiler,
                   _g.created_at, GROUP_STATUS.label("status"), GROUP_UPDATED.label("updated_at"))
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


def output_settings(conn: Connection, dataset_id: int) -> Settings | None:
    """The settings the recipe's output object defines, or None if it has none."""
    rows = conn.execute(_OUTPUT, {"id": dataset_id}).all()
    if not rows:
        return None
    first = rows[0]
    settings = [(row.setting_id, row.document) for row in rows if row.setting_id is not None]
    return Settings(first.execution, first.profiler, tuple(document for _, document in settings),
                    tuple(ident for ident, _ in settings), first.id)


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


def group_documents(call: Call, groups: Sequence[Any]) -> list[dict[str, Any]]:
    """The documents of these job groups, with what the request's ``embed`` asks for."""
    embed = {part.strip() for part in (call.params.get("embed") or "").split(",")}
    script_results = "jobs.scriptResults" in embed
    jobs = (jobs_of(call.conn, call.now, [group.id for group in groups]) if "jobs" in embed or script_results
            else None)
    datasets = (datasets_with_flows(call.conn, list(dict.fromkeys(group.dataset_id for group in groups)))
                if "wrangledDataset" in embed else {})
    return [group_document(group, jobs=None if jobs is None else jobs[group.id],
                           dataset=datasets.get(group.dataset_id), now=call.now, script_results=script_results)
            for group in groups]
