"""Every statement the Marquez pack runs, built once at import and executed with bind parameters.

A statement object reused across requests keeps its memoised cache key, so SQLAlchemy finds the compiled form
in its cache at almost no cost; building a fresh ``select()`` per request would redo that work every time.
Statements are built on the pack's tables (`TABLES`), declared once per process and added to every store.

Bind parameters compared with a column take that column's type (``PortableString``, ``UtcDateTime``), so values
are processed exactly as in a comparison written with a literal.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa

from .tables import TABLES as T

__all__ = [
    "ALL_JOBS_COUNT",
    "ALL_JOBS_PAGE",
    "DATASET",
    "DATASETS_COUNT",
    "DATASETS_NAMED",
    "DATASETS_PAGE",
    "INSERT_JOB",
    "INSERT_NAMESPACE",
    "INSERT_RUN",
    "JOB",
    "JOBS_PAGE",
    "JOB_BY_ID",
    "JOB_FOR_NEW_RUN",
    "JOB_FOR_RUNS",
    "LATEST_RUNS",
    "LATEST_RUNS_COUNT",
    "LATEST_RUNS_OF_ALL_JOBS_PAGE",
    "LATEST_RUNS_OF_JOBS_PAGE",
    "LINEAGE_EVENTS_ASC",
    "LINEAGE_EVENTS_COUNT",
    "LINEAGE_EVENTS_DESC",
    "NAMESPACE",
    "NAMESPACES_PAGE",
    "NAMESPACE_WITH_JOB_COUNT",
    "RUNS_PAGE",
    "RUN_JOB_ID",
    "RUN_WITH_JOB",
    "SOURCE",
    "SOURCES_PAGE",
    "SYMLINK",
    "TAGS_PAGE",
    "UPDATE_JOB",
    "UPDATE_NAMESPACE",
    "UPDATE_RUN",
]

LATEST_RUNS_COUNT: Final = 10
"""How many of a job's runs its document lists (``latestRuns``)."""

_n, _d, _j, _r = T.namespaces.c, T.datasets.c, T.jobs.c, T.runs.c
_limit = sa.bindparam("limit", type_=sa.Integer)
_offset = sa.bindparam("offset", type_=sa.Integer)

# RunDao.findByLatestJob: a job's most recently changed runs first (served by ix_marquez_runs_latest).
_LATEST_ORDER = (_r.transitioned_at.desc(), _r.seq.desc())

# --- namespaces ----------------------------------------------------------------------------------------

NAMESPACE = sa.select(T.namespaces).where(_n.name == sa.bindparam("namespace"))
NAMESPACES_PAGE = sa.select(T.namespaces).order_by(_n.name).limit(_limit).offset(_offset)
_shown_job = _j.is_hidden.isnot(True)  # jobs_view: WHERE is_hidden IS FALSE
_shown_dataset = _d.is_hidden.isnot(True)
NAMESPACE_WITH_JOB_COUNT = sa.select(
    _n.name,
    sa.select(sa.func.count()).select_from(T.jobs).where(_j.namespace == _n.name, _shown_job).scalar_subquery()
    .label("job_count"),
).where(_n.name == sa.bindparam("namespace"))
UPDATE_NAMESPACE = T.namespaces.update().where(_n.name == sa.bindparam("namespace"))
"""Executed with the columns to set as parameters, besides ``namespace``."""
INSERT_NAMESPACE = T.namespaces.insert()

# --- jobs ----------------------------------------------------------------------------------------------


def _job_lookup(*columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """The namespace :namespace with its job :job joined on: one query answers both of Marquez's checks.

    No row: no such namespace. A row whose job columns are NULL: the namespace exists, the job does not.
    """
    job_of_namespace = sa.and_(_j.namespace == _n.name, _j.name == sa.bindparam("job"))
    return (sa.select(_n.name.label("namespace_name"), *columns)
            .select_from(T.namespaces.outerjoin(T.jobs, job_of_namespace))
            .where(_n.name == sa.bindparam("namespace")))


_jv = T.job_versions.c
_VERSION_IO = (
    sa.select(_jv.inputs).where(_jv.uuid == _j.current_version).scalar_subquery().label("version_inputs"),
    sa.select(_jv.outputs).where(_jv.uuid == _j.current_version).scalar_subquery().label("version_outputs"),
)
"""The inputs and outputs of a job's current version, which its document shows where there are any."""
JOB = _job_lookup(*T.jobs.c, *_VERSION_IO)
JOB_FOR_RUNS = _job_lookup(
    _j.id, _j.namespace, _j.name, _j.is_hidden,
    sa.select(sa.func.count()).select_from(T.runs).where(_r.job_id == _j.id).scalar_subquery().label("run_count"),
)
"""For listing a job's runs: the job's key and how many runs it has (``totalCount``)."""
JOB_FOR_NEW_RUN = _job_lookup(
    _j.id, _j.namespace, _j.name, _j.context, _j.is_hidden,
    sa.exists().where(_r.id == sa.bindparam("run_id")).label("run_taken"),
)
"""For creating a run: what its record takes from the job, and whether :run_id is taken."""
JOB_BY_ID = sa.select(T.jobs).where(_j.id == sa.bindparam("job_id"))


def _jobs_page(*columns: sa.ColumnElement[Any], every_namespace: bool = False) -> sa.Select[Any]:
    # JobDao.findAll: a job whose current run is in one of :states, or that has no run.
    current_state = (sa.select(_r.state).where(_r.job_id == _j.id).order_by(*_LATEST_ORDER).limit(1)
                     .scalar_subquery())
    in_states = sa.or_(current_state.in_(sa.bindparam("states", expanding=True)), current_state.is_(None))
    chosen = sa.and_(in_states, _shown_job) if every_namespace else sa.and_(
        _j.namespace == sa.bindparam("namespace"), in_states, _shown_job)
    return (sa.select(*columns).where(chosen)
            .order_by(_j.updated_at.desc(), _j.name).limit(_limit).offset(_offset))


JOBS_PAGE = _jobs_page(*T.jobs.c, *_VERSION_IO)
"""A page of the jobs of :namespace (:limit, :offset) whose latest run is in one of :states (or that have none)."""
UPDATE_JOB = T.jobs.update().where(_j.id == sa.bindparam("job_id"))
"""Executed with the columns to set as parameters, besides ``job_id``."""
INSERT_JOB = T.jobs.insert()
DATASETS_NAMED = (sa.select(_d.namespace, _d.name)
                  .where(sa.tuple_(_d.namespace, _d.name).in_(sa.bindparam("keys", expanding=True))))
"""The datasets among :keys, a list of (namespace, name) pairs."""

# --- runs ----------------------------------------------------------------------------------------------

RUN_WITH_JOB = (sa.select(T.runs, _j.namespace, _j.name)
                .join_from(T.runs, T.jobs, _r.job_id == _j.id)
                .where(_r.id == sa.bindparam("run_id")))
"""A run with its job's namespace and name, all a run document needs of its job."""
RUN_JOB_ID = sa.select(_r.job_id).where(_r.id == sa.bindparam("run_id"))
LATEST_RUNS = (sa.select(T.runs).where(_r.job_id == sa.bindparam("job_id"))
               .order_by(*_LATEST_ORDER).limit(LATEST_RUNS_COUNT))

_rank = sa.func.row_number().over(partition_by=_r.job_id, order_by=_LATEST_ORDER).label("rank")


def _latest_runs_of(page: sa.Select[Any]) -> sa.Select[Any]:
    ranked = sa.select(T.runs, _rank).where(_r.job_id.in_(page)).subquery()
    return (sa.select(*(ranked.c[column.key] for column in T.runs.c)).where(ranked.c.rank <= LATEST_RUNS_COUNT)
            .order_by(ranked.c.job_id, ranked.c.rank))


LATEST_RUNS_OF_JOBS_PAGE = _latest_runs_of(_jobs_page(_j.id))
ALL_JOBS_PAGE = _jobs_page(*T.jobs.c, *_VERSION_IO, every_namespace=True)
"""`JOBS_PAGE` over every namespace (GET /api/v1/jobs)."""
LATEST_RUNS_OF_ALL_JOBS_PAGE = _latest_runs_of(_jobs_page(_j.id, every_namespace=True))
ALL_JOBS_COUNT = sa.select(sa.func.count()).select_from(T.jobs).where(_shown_job)
"""`LATEST_RUNS` of every job on a page of `JOBS_PAGE` (same parameters) at once, grouped by job."""

# Marquez's order: ``started_at DESC NULLS LAST``, then newest created. Spelled with NULLS LAST (PostgreSQL, and
# SQLite since 3.30) rather than a CASE on NULL, so that SQLite reads ix_marquez_runs_page in order, unsorted.
RUNS_PAGE = (sa.select(T.runs).where(_r.job_id == sa.bindparam("job_id"))
             .order_by(_r.started_at.desc().nulls_last(), _r.created_at.desc(), _r.seq.desc())
             .limit(_limit).offset(_offset))
UPDATE_RUN = T.runs.update().where(_r.id == sa.bindparam("run_id"))
"""Executed with the columns to set as parameters, besides ``run_id``."""
INSERT_RUN = T.runs.insert().values(seq=sa.select(sa.func.coalesce(sa.func.max(_r.seq), 0) + 1).scalar_subquery())
"""A new run, numbered after every other (its ``seq``) by the INSERT itself, never from an earlier read."""

# --- OpenLineage events ------------------------------------------------------------------------------------

_e = T.lineage_events.c
# Run events only (static ones are kept but never listed: OpenLineageDao's _event_type = 'RUN_EVENT').
_window = sa.and_(_e.event_time < sa.bindparam("before"), _e.event_time >= sa.bindparam("after"), _e.kind.is_(None))
LINEAGE_EVENTS_DESC = (sa.select(_e.document).where(_window).order_by(_e.event_time.desc(), _e.id.desc())
                       .limit(_limit).offset(_offset))
"""OpenLineageDao.getAllLineageEventsDesc: events with :after <= time < :before, newest first."""
LINEAGE_EVENTS_ASC = (sa.select(_e.document).where(_window).order_by(_e.event_time, _e.id)
                      .limit(_limit).offset(_offset))
# OpenLineageDao.getAllLineageTotalCount counts events of every kind, those it does not list too.
LINEAGE_EVENTS_COUNT = sa.select(sa.func.count()).select_from(T.lineage_events).where(
    _e.event_time < sa.bindparam("before"), _e.event_time >= sa.bindparam("after"))

# --- datasets ----------------------------------------------------------------------------------------------

_sl = T.dataset_symlinks.c
_OTHER_COLUMNS = [column for column in T.datasets.c if column.key not in ("namespace", "name")]
_IN_NAMESPACE = sa.union_all(
    sa.select(_d.namespace, _d.name, *_OTHER_COLUMNS).where(_d.namespace == sa.bindparam("namespace"),
                                                            _shown_dataset),
    # datasets_view: a dataset is also in the namespace of each of its other names, under that name
    sa.select(_sl.namespace, _sl.name, *_OTHER_COLUMNS)
    .join_from(T.dataset_symlinks, T.datasets, (_d.namespace == _sl.target_namespace) & (_d.name == _sl.target_name))
    .where(_sl.namespace == sa.bindparam("namespace"), _shown_dataset),
).subquery()
DATASETS_PAGE = (sa.select(_IN_NAMESPACE).order_by(_IN_NAMESPACE.c.name).limit(_limit).offset(_offset))
"""DatasetDao.findAll: a page of the datasets of :namespace, by name (those named there by a symlink too)."""
DATASETS_COUNT = sa.select(sa.func.count()).select_from(_IN_NAMESPACE)
SYMLINK = sa.select(T.dataset_symlinks).where(_sl.namespace == sa.bindparam("namespace"),
                                               _sl.name == sa.bindparam("dataset"))
"""The dataset :dataset of :namespace names by another name, if it is a symlink."""
DATASET = sa.select(T.datasets).where(_d.namespace == sa.bindparam("namespace"), _d.name == sa.bindparam("dataset"),
                                     _shown_dataset)

# --- sources and tags --------------------------------------------------------------------------------------

_s, _t = T.sources.c, T.tags.c
SOURCE = sa.select(T.sources).where(_s.name == sa.bindparam("source"))
SOURCES_PAGE = sa.select(T.sources).order_by(_s.name).limit(_limit).offset(_offset)
"""SourceDao.findAll: by name."""
TAGS_PAGE = sa.select(T.tags).order_by(_t.name).limit(_limit).offset(_offset)
