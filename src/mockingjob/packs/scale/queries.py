"""Queries of the Scale pack: jobs and executions with their derived state, filters, ordering, documents.

Statements are built once — at import, or once per *shape* of request (which filters and orders it uses) —
and run with bind parameters, the clock's instant included (`model.NOW`). A reused statement object keeps
its cache key, so each request costs SQLAlchemy a dictionary lookup instead of building and compiling SQL.

A job document needs its job type, event, recipe, batch, node and error: the job statements join them in
(outer joins on the foreign keys, so the job stays the driving table and an index can walk the order).
Filters on final statuses are written as ``outcome IN (...) AND end_at <= now`` (what such a status means)
and such jobs ordered by stored columns where they equal the derived ones, so that the indexes of tables.py
serve the common lists without reading every job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from mockingjob.kit import ApiError, Call, UtcDateTime, seconds_between

from .documents import execution_document, job_details_document
from .errors import NOT_FOUND, bad_parameter
from .model import (
    ENDED,
    EXE_STATUS,
    EXE_VISIBLE,
    FINAL_MODIFIED,
    LAST_MODIFIED,
    NOW,
    PLAN_ENDED,
    PLAN_ENDED_OPAQUE,
    STARTED,
    STATUS,
    UNENDED_STATES,
    ended_with,
)
from .params import flag, time_range
from .tables import TABLES as T
from .tally import final_status_count

j, x = T.jobs.c, T.job_exes.c
JT = T.job_types
REV = T.job_type_revisions
EXE_NODE, EXE_ERROR = T.nodes.alias("exe_node"), T.errors.alias("exe_error")


def _labeled(table: sa.FromClause, prefix: str, names: Iterable[str]) -> list[sa.Label[Any]]:
    return [table.c[name].label(f"{prefix}_{name}") for name in names]


def _ids(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, expanding=True)


_ERROR_COLUMNS = ("id", "name", "title", "description", "job_type_name", "category", "is_builtin",
                  "should_be_retried")
JOB_TYPE_SUMMARY = _labeled(JT, "jt", ("id", "name", "version", "title", "description", "is_active", "is_system",
                                       "is_paused", "is_published", "icon_code", "unmet_resources"))
# What a job's list document shows (documents.job_document reads these labels).
LIST_COLUMNS = [
    *(j[name] for name in (
        "id", "job_type_id", "event_id", "recipe_id", "batch_id", "node_id", "error_id", "is_superseded",
        "superseded", "superseded_job_id", "max_tries", "num_exes", "input_file_size", "source_started",
        "source_ended", "source_sensor_class", "source_sensor", "source_collection", "source_task", "created",
        "queued", "run_at")),
    STATUS.label("status"), STARTED.label("started"), ENDED.label("ended"), LAST_MODIFIED.label("last_modified"),
    *JOB_TYPE_SUMMARY, *_labeled(REV, "rv", ("id", "revision_num")),
    *_labeled(T.events, "ev", ("id", "type", "occurred")),
    *_labeled(T.recipes, "rc", ("id", "recipe_type_rev_id", "event_id")),
    *_labeled(T.recipe_types, "rt", ("id", "name", "title", "description", "revision_num")),
    *_labeled(T.batches, "bt", ("id", "title", "description", "created")),
    *_labeled(T.nodes, "nd", ("id", "hostname")),
    *_labeled(T.errors, "er", _ERROR_COLUMNS),
]
JOB_FROM = (
    T.jobs.outerjoin(JT, JT.c.id == j.job_type_id)
    .outerjoin(REV, REV.c.id == j.job_type_rev_id)
    .outerjoin(T.events, T.events.c.id == j.event_id)
    .outerjoin(T.recipes, T.recipes.c.id == j.recipe_id)
    .outerjoin(T.recipe_types, T.recipe_types.c.id == T.recipes.c.recipe_type_id)
    .outerjoin(T.batches, T.batches.c.id == j.batch_id)
    .outerjoin(T.nodes, T.nodes.c.id == j.node_id)
    .outerjoin(T.errors, T.errors.c.id == j.error_id)
)

# What an execution document shows (documents.execution_document reads these labels): the execution and its
# status, its node and error; also its job's output and job type, which a job's details already carry.
_EXE_OWN = [
    *_labeled(T.job_exes, "x", ("id", "job_id", "exe_num", "queued", "run_at", "end_at", "timeout", "input_file_size")),
    EXE_STATUS.label("x_status"),
    *_labeled(EXE_NODE, "xn", ("id", "hostname")), *_labeled(EXE_ERROR, "xe", _ERROR_COLUMNS),
]
_JOB_TYPE_DETAILS = _labeled(JT, "jt", ("resources", "manifest"))
EXE_COLUMNS = [*_EXE_OWN, j.output, *JOB_TYPE_SUMMARY, *_JOB_TYPE_DETAILS]


def _with_exe_related(source: sa.FromClause) -> sa.FromClause:
    return (source.outerjoin(EXE_NODE, EXE_NODE.c.id == x.node_id)
            .outerjoin(EXE_ERROR, EXE_ERROR.c.id == x.error_id))


EXES: sa.Select[Any] = (
    sa.select(*EXE_COLUMNS)
    .select_from(_with_exe_related(T.job_exes.join(T.jobs, j.id == x.job_id).outerjoin(JT, JT.c.id == j.job_type_id)))
    .where(EXE_VISIBLE)
)

# --- a job's details ------------------------------------------------------------------------------------

# Scale's ``get_details`` shows the execution numbered ``num_exes`` (once it runs) while the job is
# QUEUED/RUNNING/FAILED/COMPLETED; documents.py checks the status.
_DETAILS: sa.Select[Any] = (
    sa.select(*LIST_COLUMNS, j.superseded_by_job_id, j.input, j.output, j.configuration,
              *_labeled(REV, "rv", ("docker_image", "created", "manifest")), *_JOB_TYPE_DETAILS, *_EXE_OWN)
    .select_from(_with_exe_related(JOB_FROM.outerjoin(
        T.job_exes, sa.and_(x.job_id == j.id, x.exe_num == j.num_exes, EXE_VISIBLE))))
    .where(j.id == sa.bindparam("job_id"))
)
# The jobs a job superseded or was superseded by: their id, job type and status.
_CHAIN: sa.Select[Any] = (
    sa.select(j.id, STATUS.label("status"), *JOB_TYPE_SUMMARY)
    .select_from(T.jobs.outerjoin(JT, JT.c.id == j.job_type_id))
    .where(j.id.in_(_ids("ids")))
)
_INPUT_FILES = (
    sa.select(T.job_inputs.c.job_id, T.job_inputs.c.job_input, T.files.c.file_name)
    .join(T.files, T.files.c.id == T.job_inputs.c.file_id)
    .where(T.job_inputs.c.job_id.in_(_ids("ids")))
    .order_by(T.job_inputs.c.job_id, T.job_inputs.c.job_input, T.files.c.id)
)


def input_files(conn: Connection, job_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Each job's input names and the names of their files."""
    files: dict[int, dict[str, list[str]]] = defaultdict(dict)
    if job_ids:
        for row in conn.execute(_INPUT_FILES, {"ids": job_ids}):
            files[row.job_id].setdefault(row.job_input, []).append(row.file_name)
    return files


def job_details(conn: Connection, now: datetime, job_id: int) -> dict[str, Any]:
    """The details document of a job; 404 if there is none."""
    row = conn.execute(_DETAILS, {"now": now, "job_id": job_id}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    chain_ids = [i for i in (row.superseded_job_id, row.superseded_by_job_id) if i]
    chain = {r.id: r for r in conn.execute(_CHAIN, {"now": now, "ids": chain_ids})} if chain_ids else {}
    return job_details_document(row, now, input_files(conn, [row.id]).get(row.id, {}), chain)


# --- job filters (the list, cancel and requeue) ----------------------------------------------------------

_IN_FILTERS: dict[str, ColumnElement[Any]] = {
    "source_sensor_class": j.source_sensor_class, "source_sensor": j.source_sensor,
    "source_collection": j.source_collection, "source_task": j.source_task, "job_id": j.id,
    "job_type_id": j.job_type_id, "batch_id": j.batch_id, "recipe_id": j.recipe_id, "error_id": j.error_id,
}
_DIRECT_ORDER = {
    "id", "is_superseded", "max_tries", "num_exes", "priority", "input_file_size", "source_started",
    "source_ended", "source_sensor_class", "source_sensor", "source_collection", "source_task", "created",
    "queued", "superseded",
}
_OF_ERROR_CATEGORY = j.error_id.in_(sa.select(T.errors.c.id).where(T.errors.c.category.in_(_ids("error_category"))))


@dataclass(frozen=True)
class JobShape:
    """Which filters a job query applies; a statement is built once per shape."""

    lists: tuple[str, ...] = ()
    """Names of `_IN_FILTERS` given (and "job_type_name")."""
    status: str | None = None
    """"ended" for statuses an ended plan reports (indexable), "any" otherwise."""
    error_category: bool = False
    is_superseded: bool = False
    started: bool = False
    ended: bool = False
    source_started: bool = False
    source_ended: bool = False
    requeue: bool = False
    """Only FAILED/CANCELED jobs that are not superseded (what requeue acts on)."""

    @property
    def tallied(self) -> bool:
        """It filters by final statuses, and maybe job types, and nothing else: the tally counts it."""
        return (self.status == "ended" and self.lists in ((), ("job_type_id",))
                and replace(self, lists=(), status=None) == JobShape())

    @property
    def ended_only(self) -> bool:
        """Every job it matches has an ended plan (``end_at <= now``), so its status is its outcome."""
        return self.status == "ended" or self.error_category or self.requeue

    def conditions(self, form: Literal["range", "walk", "plain"] = "range") -> list[ColumnElement[bool]]:
        """The WHERE clause. A final status is tested as a range of end_at ("range", to count or to walk
        end_at), as an outcome with "the plan has ended" hidden from the planner ("walk", to walk another
        order; see model.PLAN_ENDED_OPAQUE), or as the derived status itself, and a job type name on the joined
        job types ("plain": the jobs come in the order the database finds them, as they always did)."""
        where: list[ColumnElement[bool]] = []
        plain = form == "plain"
        # Equal to LAST_MODIFIED on jobs whose plan has ended, without the clock.
        modified = FINAL_MODIFIED if self.ended_only else LAST_MODIFIED
        if self.started:
            where.append(modified >= sa.bindparam("started", type_=UtcDateTime()))
        if self.ended:
            where.append(modified <= sa.bindparam("ended", type_=UtcDateTime()))
        for name in self.lists:
            if name == "job_type_name" and plain:
                where.append(JT.c.name.in_(_ids(name)))
            elif name == "job_type_name":
                where.append(j.job_type_id.in_(sa.select(JT.c.id).where(JT.c.name.in_(_ids(name)))))
            else:
                where.append(_IN_FILTERS[name].in_(_ids(name)))
        if self.status == "ended" and not plain:
            where.append(ended_with(_ids("status"), sargable=form == "range"))
        elif self.status:
            where.append(STATUS.in_(_ids("status")))
        if self.error_category:
            failed = STATUS == "FAILED" if plain else ended_with(["FAILED"], sargable=form == "range")
            where += [failed, _OF_ERROR_CATEGORY]
        if self.is_superseded:
            where.append(j.is_superseded == sa.bindparam("is_superseded"))
        if self.source_started:
            where.append(j.source_started >= sa.bindparam("source_started", type_=UtcDateTime()))
        if self.source_ended:
            where.append(j.source_ended <= sa.bindparam("source_ended", type_=UtcDateTime()))
        if self.requeue:
            where += [STATUS.in_(["FAILED", "CANCELED"]), j.is_superseded.is_(False)]
        return where

    def order_column(self, field: str) -> ColumnElement[Any]:
        if field in _DIRECT_ORDER:
            return j[field]
        ended = self.ended_only
        return {
            "job_type": JT.c.name,
            "job_type_rev": j.job_type_rev_id,
            "event": j.event_id,
            "recipe": j.recipe_id,
            "batch": j.batch_id,
            "node": j.node_id,
            "error": j.error_id,
            # On ended plans these equal stored columns (or the clock-free FINAL_MODIFIED).
            "status": j.outcome if ended else STATUS,
            "started": STARTED,
            "ended": ENDED,  # not end_at: a job canceled before it finished has none
            "last_status_change": FINAL_MODIFIED if ended else LAST_MODIFIED,
            "last_modified": FINAL_MODIFIED if ended else LAST_MODIFIED,
            "duration": DURATION,
            # The web UI's error columns: Scale (Django 1.11) orders by the joined error table's column.
            "error.category": sa.case((STATUS == "FAILED", T.errors.c.category), else_=sa.null()),
            "error.title": sa.case((STATUS == "FAILED", T.errors.c.title), else_=sa.null()),
        }[field]


@dataclass(frozen=True)
class JobQuery:
    """A job filter's shape and the values bound to it."""

    shape: JobShape
    values: dict[str, Any]


def job_filter(p: dict[str, Any], now: datetime, *, requeue: bool = False, source_times: bool = False
               ) -> JobQuery:
    """The filters shared by the job list (query names) and cancel/requeue (body names, see `body_filters`)."""
    values: dict[str, Any] = {"now": now}
    started, ended = time_range(p, now)
    source_started = source_ended = None
    if source_times:
        source_started, source_ended = time_range(p, now, "source_started", "source_ended")
    lists = []
    for name in (*_IN_FILTERS, "job_type_name"):
        given = p.get(name)
        if name == "source_task":
            given = (given or []) + (p.get("source_tasks") or [])
        if given:
            lists.append(name)
            values[name] = list(given)
    status = None
    if p.get("status"):
        statuses = list(p["status"])
        values["status"] = statuses
        status = "any" if UNENDED_STATES & set(statuses) else "ended"
    if p.get("error_category"):
        values["error_category"] = list(p["error_category"])
    if p.get("is_superseded") is not None:
        values["is_superseded"] = flag(p["is_superseded"])
    for name, value in (("started", started), ("ended", ended), ("source_started", source_started),
                        ("source_ended", source_ended)):
        if value:
            values[name] = value
    shape = JobShape(tuple(lists), status, bool(p.get("error_category")), p.get("is_superseded") is not None,
                     bool(started), bool(ended), bool(source_started), bool(source_ended), requeue)
    return JobQuery(shape, values)


_LIMIT = sa.bindparam("limit", type_=sa.Integer())
_OFFSET = sa.bindparam("offset", type_=sa.Integer())


def _direction(column: ColumnElement[Any], descending: bool) -> ColumnElement[Any]:
    return column.desc() if descending else column.asc()


@lru_cache(maxsize=1024)
def _list_statements(shape: JobShape, order: tuple[str, ...]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The job list's count and page statements for one shape and order (LIMIT and OFFSET bound too)."""
    count = sa.select(sa.func.count()).select_from(T.jobs).where(*shape.conditions())
    if shape.tallied:
        count = final_status_count(bool(shape.lists), count)
    page = sa.select(*LIST_COLUMNS).select_from(JOB_FROM)
    if len(order) == 1 and order[0].lstrip("-") in ("last_modified", "last_status_change"):
        page = page.where(j.id.in_(_by_last_modified(shape, order[0].startswith("-"))))
    else:
        page = page.where(*shape.conditions("walk")).limit(_LIMIT).offset(_OFFSET)
    return count, page.order_by(*_order_clauses(shape, order), j.id.asc())


# A job's run time, once it has ended having started (Scale's ``ended - started``; NULL otherwise).
DURATION: ColumnElement[float] = sa.case((sa.and_(ENDED.is_not(None), j.run_at <= NOW),
                                          seconds_between(j.end_at, j.run_at)), else_=sa.null())


def _order_clauses(shape: JobShape, order: tuple[str, ...]) -> list[ColumnElement[Any]]:
    """The ORDER BY of the job list, as JobManager.filter_jobs_v6 builds it: a first key of ``duration`` or
    ``job_type`` is the only key (Scale drops the rest); jobs without a duration come last either way, as
    PostgreSQL sorts the NULLs of Scale's ascending ``ended - started`` (or ``started - ended``)."""
    first = order[0]
    if first.lstrip("-") == "duration":
        return [DURATION.is_(None), _direction(DURATION, first.startswith("-"))]
    if first.lstrip("-") == "job_type":
        order = (first,)
    return [_direction(shape.order_column(item.lstrip("-")), item.startswith("-")) for item in order]


def _by_last_modified(shape: JobShape, descending: bool) -> sa.Select[Any]:
    """The ids of the page of jobs `shape` matches, ordered by last modification (then id).

    LAST_MODIFIED depends on the clock, so no index holds it. But for a job whose plan has ended it is end_at
    while `changed` is NULL (jobs never canceled after they ended: nearly all of them), which one does. So the
    jobs are split in three: ended and unchanged (walked by end_at), ended and changed (few, found by
    `changed`), not ended (in flight: sorted, the one part whose cost grows with their number); the first
    ``offset + limit`` of each, merged, give exactly the page.
    """
    top = _LIMIT + _OFFSET
    ended = () if shape.ended_only else (PLAN_ENDED,)
    parts = [
        (j.end_at, [*shape.conditions("range"), *ended, j.changed.is_(None)]),
        # The end is hidden from the planner here, so that it finds these few jobs by `changed`.
        (FINAL_MODIFIED, [*shape.conditions("walk"), *(() if shape.ended_only else (PLAN_ENDED_OPAQUE,)),
                          j.changed.is_not(None)]),
    ]
    if not shape.ended_only:
        parts.append((LAST_MODIFIED, [*shape.conditions("walk"), sa.or_(j.end_at > NOW, j.end_at.is_(None))]))
    arms = []
    for key, where in parts:
        arm = sa.select(j.id.label("id"), key.label("k")).where(*where).order_by(
            _direction(key, descending), j.id.asc()).limit(top)
        arms.append(arm.subquery().select())  # SQLite takes ORDER BY/LIMIT in a compound only in a subquery
    merged = sa.union_all(*arms).subquery("merged")
    return (sa.select(merged.c.id).order_by(_direction(merged.c.k, descending), merged.c.id.asc())
            .limit(_LIMIT).offset(_OFFSET))


def list_statements(query: JobQuery, order: list[str] | None) -> tuple[sa.Select[Any], sa.Select[Any]]:
    return _list_statements(query.shape, tuple(order or ["last_modified"]))


@lru_cache(maxsize=256)
def _cancel_statement(shape: JobShape) -> sa.Select[Any]:
    return sa.select(j.id).where(*shape.conditions())


@lru_cache(maxsize=256)
def _requeue_statement(shape: JobShape) -> sa.Select[Any]:
    return (sa.select(j.id, j.job_type_id, j.outcome, j.end_at, j.num_exes, j.input_file_size, j.max_tries,
                      JT.c.plan, JT.c.timeout, JT.c.is_paused)
            .select_from(T.jobs.join(JT, JT.c.id == j.job_type_id)).where(*shape.conditions("plain")))


def matching_ids(conn: Connection, query: JobQuery) -> list[int]:
    """The ids of the jobs `query` matches (what cancel acts on)."""
    return list(conn.execute(_cancel_statement(query.shape), query.values).scalars())


def requeue_rows(conn: Connection, query: JobQuery) -> Sequence[Row[Any]]:
    """The FAILED/CANCELED, not superseded jobs `query` matches, with what requeue needs of them."""
    return conn.execute(_requeue_statement(query.shape), query.values).all()


_JOB_TYPE_NAME_VERSION = sa.select(JT.c.name, JT.c.version).where(JT.c.id == sa.bindparam("id"))
_JOB_TYPE_BY_NAME_VERSION = sa.select(JT.c.id).where(JT.c.name == sa.bindparam("name"),
                                                     JT.c.version == sa.bindparam("version"))


def job_type_name_version(conn: Connection, job_type_id: int) -> tuple[str, str] | None:
    """The name and version of a job type, if there is one with this id."""
    row = conn.execute(_JOB_TYPE_NAME_VERSION, {"id": job_type_id}).first()
    return None if row is None else (row.name, row.version)


FILTER_FIELDS = ("started", "ended", "status", "job_ids", "job_type_ids", "job_types", "job_type_names",
                 "batch_ids", "recipe_ids", "error_categories", "error_ids", "is_superseded", "priority")


def filter_fields(call: Call) -> dict[str, Any]:
    """A cancel/requeue request's fields as Scale's ``_get_param`` reads them: each from the query string when it
    is given there, else from the body."""
    body = call.body or {}
    given = {name: call.params[name] for name in FILTER_FIELDS if call.params.get(name) not in (None, [])}
    return {**{name: body.get(name) for name in FILTER_FIELDS}, **given}


def body_filters(call: Call) -> dict[str, Any]:
    """Translate the cancel/requeue fields into the list filter's names."""
    body = filter_fields(call)
    p: dict[str, Any] = {k: body.get(k) for k in ("started", "ended", "is_superseded")}
    p["status"] = [body["status"]] if body.get("status") else None
    renames = {"job_ids": "job_id", "job_type_ids": "job_type_id", "job_type_names": "job_type_name",
               "batch_ids": "batch_id", "recipe_ids": "recipe_id", "error_categories": "error_category",
               "error_ids": "error_id"}
    for body_name, name in renames.items():
        if body.get(body_name):
            p[name] = [int(v) for v in body[body_name]] if name == "error_id" else body[body_name]
    type_ids = list(p.get("job_type_id") or [])
    for job_type in body.get("job_types") or []:
        found = call.conn.execute(_JOB_TYPE_BY_NAME_VERSION,
                                  {"name": job_type["name"], "version": job_type["version"]}).scalar()
        if found is None:
            raise bad_parameter(
                f"Job Type with name: {job_type['name']} and version: {job_type['version']} does not exist")
        type_ids.append(found)
    if body.get("job_types"):
        p["job_type_id"] = type_ids
    return p


# --- executions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExeShape:
    """Which filters an execution list applies."""

    status: bool = False
    node_id: bool = False
    error_id: bool = False
    error_category: bool = False


@lru_cache(maxsize=64)
def exe_list_statements(shape: ExeShape) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The count and page statements of a job's execution list, newest first."""
    failed = EXE_STATUS == "FAILED"
    where: list[ColumnElement[bool]] = [x.job_id == sa.bindparam("job_id")]
    if shape.status:
        where.append(EXE_STATUS.in_(_ids("status")))
    if shape.node_id:
        where.append(x.node_id.in_(_ids("node_id")))
    if shape.error_id:
        where += [failed, x.error_id.in_(_ids("error_id"))]
    if shape.error_category:
        where += [failed, x.error_id.in_(sa.select(T.errors.c.id).where(T.errors.c.category.in_(
            _ids("error_category"))))]
    page = EXES.where(*where)
    count = sa.select(sa.func.count()).select_from(page.subquery())
    return count, page.order_by(x.exe_num.desc()).limit(sa.bindparam("limit", type_=sa.Integer())).offset(
        sa.bindparam("offset", type_=sa.Integer()))


_EXECUTION = EXES.where(x.job_id == sa.bindparam("job_id"), x.exe_num == sa.bindparam("exe_num"))


def execution(conn: Connection, now: datetime, job_id: int, exe_num: int) -> dict[str, Any]:
    row = conn.execute(_EXECUTION, {"now": now, "job_id": job_id, "exe_num": exe_num}).first()
    if row is None:
        raise ApiError(404, NOT_FOUND)
    return execution_document(row, now, details=True)


# What logs.lines reads: the execution, its job type's plan (the log script), node and error.
EXES_WITH_LOG_SCRIPT: sa.Select[Any] = (
    sa.select(T.job_exes, JT.c.plan, T.nodes.c.hostname, T.errors.c.description.label("error_description"))
    .select_from(T.job_exes.join(T.jobs, j.id == x.job_id).join(JT, JT.c.id == j.job_type_id)
                 .join(T.nodes, T.nodes.c.id == x.node_id).outerjoin(T.errors, T.errors.c.id == x.error_id))
    .where(EXE_VISIBLE)
)
EXE_WITH_LOG_SCRIPT = EXES_WITH_LOG_SCRIPT.where(x.id == sa.bindparam("exe_id"))
