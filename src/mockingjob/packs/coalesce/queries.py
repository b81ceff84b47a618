"""Queries of the Coalesce pack: runs with their derived state, the list's filters, order and cursor, and what a
scenario is matched on (a run's environment and job, a job's name).

Every statement is built once (the list's once per combination of filters, order and cursor) and run with
bind parameters, the clock's instant included (``now``), so SQLAlchemy's compiled cache serves each request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import UTC, ApiError, parse_iso

from .documents import ts
from .model import ENDED, FINAL, NOW, STATUS
from .tables import TABLES as T

_r = T.runs.c


def _runs(*columns: Any) -> sa.Select[Any]:
    """Runs (with `columns` of theirs) joined to their environment and job, with their status at ``now``."""
    return (
        sa.select(*columns, STATUS.label("status"), ENDED.label("ended"),
                  T.environments.c.connection_account, T.jobs.c.name.label("job_name"))
        .join_from(T.runs, T.environments, T.environments.c.id == _r.environment_id)
        .outerjoin(T.jobs, T.jobs.c.id == _r.job_id)
    )


# Runs with all their columns (bind ``now``), for what is derived from their plan (results, rerun, cancel).
RUNS = _runs(T.runs)
# Only the columns a document shows (`run_summary`, `run_detail`): fewer values to convert for each row.
_SUMMARY_COLUMNS = (_r.id, _r.rerun_of, _r.queued_at, _r.run_type, _r.environment_id, _r.failure_reason,
                    _r.run_history, _r.user_id)
_SUMMARY = _runs(*_SUMMARY_COLUMNS)
_DETAIL = _runs(*_SUMMARY_COLUMNS, _r.parallelism, _r.node_ids, _r.deploy_commit, _r.deploy_commit_message,
                _r.include_selector, _r.exclude_selector, _r.job_id, _r.runtime_parameters, _r.auth_type,
                _r.username, _r.role, _r.warehouse, _r.force_ignore, _r.nodes_for_refresh)
_BY_ID = _r.id == sa.bindparam("run_id")
_RUN = RUNS.where(_BY_ID)
_RUN_DETAIL = _DETAIL.where(_BY_ID)


def find_run(conn: Connection, now: datetime, run_id: int, *, detail_only: bool = False) -> Any:
    """The run with this ID at `now`, or None; with `detail_only`, only what its detail document shows."""
    return conn.execute(_RUN_DETAIL if detail_only else _RUN, {"now": now, "run_id": run_id}).first()


MAX_ID = 2**31 - 1  # IDs are 32-bit integers; a larger number is compared as this one (no ID reaches it)


def run_number(text: str) -> int | None:
    """A run or job ID given as text (rerun's ``runDetails.runID``), or None if it cannot be one."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None


_RUN_SCOPE = sa.select(_r.environment_id, _r.job_id).where(_BY_ID)
_JOB_NAME = sa.select(T.jobs.c.name).where(T.jobs.c.id == sa.bindparam("job_id"))


def run_scope(conn: Connection, run_id: int) -> Any:
    """The ``environment_id`` and ``job_id`` of run `run_id`, or None if there is no such run."""
    return conn.execute(_RUN_SCOPE, {"run_id": run_id}).first()


def job_name(conn: Connection, job_id: int) -> str | None:
    """The name of job `job_id`, or None if there is no such job."""
    return conn.execute(_JOB_NAME, {"job_id": job_id}).scalar()


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next: int | str | None


_END_OF = sa.select(_r.end_at).where(_r.id == sa.bindparam("run_id"), _r.end_at <= NOW)


def _cursor(conn: Connection, now: datetime, value: str, order_by: str) -> Any:
    """The value `startingFrom` stands for in the `order_by` order: a date-time, or a run ID (which, ordering by
    end time, stands for that run's end time). None stands for "after every ended run": the end of a run that
    has not ended, or does not exist yet, is still to come."""
    if value.isdigit():
        if order_by != "runEndTime":
            return min(int(value), MAX_ID)  # run IDs follow start times, so an ID is a position in either order
        return conn.execute(_END_OF, {"run_id": min(int(value), MAX_ID), "now": now}).scalar()
    try:
        return parse_iso(value)
    except OverflowError:
        # A real instant just past year 9999 in UTC (9999-12-31T23:59-01:00) or before year 1: every stored
        # time lies on the near side of it.
        return _LATEST if value.rstrip()[-6:-5] == "-" else _EARLIEST
    except ValueError as exc:  # the pattern admits 29 February of every year; the calendar does not
        raise ApiError(400, f"startingFrom {value} is not a date in the calendar.") from exc


_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


# The column each order pages by; an unfinished run has no end time, so it is not listed by runEndTime.
_ORDER_COLUMNS = {"id": "id", "runStartTime": "queued_at", "runEndTime": "end_at"}
_NOTHING = "nothing"  # a cursor no run comes after


@cache
def _list_statement(detail: bool, run_type: bool, status: bool, final_status: bool, environment: bool,
                    order_by: str, descending: bool, cursor: str | None) -> sa.Select[Any]:
    """The list's statement for one combination of filters (present or not; a final status or another), order
    and cursor column (`_NOTHING` for none after it). The values are bound: ``now``, ``limit``, ``run_type``,
    ``status``, ``environment_id`` and ``cursor``."""
    query = _DETAIL if detail else _SUMMARY
    if run_type:
        query = query.where(_r.run_type == sa.bindparam("run_type"))
    if status:
        wanted = sa.bindparam("status", type_=_r.outcome.type)
        query = query.where(STATUS == wanted)  # noqa: SIM300 (STATUS is an SQL expression, not a constant)
        if final_status:
            # The same runs, said so that an index on the stored columns can find them: a run is in a final
            # state once it has ended, and that state is its outcome (no step before the end is named so).
            query = query.where(_r.outcome == wanted, _r.end_at <= NOW)
    if environment:
        query = query.where(_r.environment_id == sa.bindparam("environment_id"))
    column = getattr(_r, _ORDER_COLUMNS[order_by])
    if order_by == "runEndTime":
        query = query.where(column <= NOW)
    if cursor == _NOTHING:
        query = query.where(sa.false())
    elif cursor is not None:
        bound = getattr(_r, cursor)
        query = query.where(bound < sa.bindparam("cursor") if descending else bound > sa.bindparam("cursor"))
    ordering = [column.desc(), _r.id.desc()] if descending else [column.asc(), _r.id.asc()]
    return query.order_by(*ordering).limit(sa.bindparam("limit", type_=sa.Integer()))


def list_page(conn: Connection, now: datetime, p: dict[str, Any]) -> Page:
    """One page of the run list for the validated query parameters `p` (`detail` rows carry every column)."""
    order_by = p.get("orderBy") or "id"
    descending = (p.get("orderByDirection") or "desc") == "desc"
    limit = 25 if p.get("limit") is None else int(p["limit"])
    values: dict[str, Any] = {"now": now, "limit": limit + 1}
    if p.get("runType"):
        values["run_type"] = p["runType"]
    if p.get("runStatus"):
        values["status"] = p["runStatus"]
    if p.get("environmentID") is not None:
        values["environment_id"] = p["environmentID"]
    cursor_column: str | None = None
    if p.get("startingFrom") is not None:
        cursor = _cursor(conn, now, str(p["startingFrom"]), order_by)
        if cursor is None:  # after every ended run: all of them come before it, none after
            cursor_column = None if descending else _NOTHING
        else:
            # A run ID pages by ID, a date-time by start time, except in the end-time order (always a date-time).
            if order_by == "id" and isinstance(cursor, datetime):
                cursor_column = "queued_at"
            elif order_by == "runStartTime" and not isinstance(cursor, datetime):
                cursor_column = "id"
            else:
                cursor_column = _ORDER_COLUMNS[order_by]
            values["cursor"] = cursor
    statement = _list_statement(bool(p.get("detail")), "run_type" in values, "status" in values,
                                values.get("status") in FINAL, "environment_id" in values, order_by, descending,
                                cursor_column)
    rows = list(conn.execute(statement, values))
    more = len(rows) > limit
    rows = rows[:limit]
    following: int | str | None = None
    if more and rows:
        last = rows[-1]
        # Runs listed by end time have ended, so their `ended` is their end time.
        following = last.id if order_by == "id" else ts(last.queued_at if order_by == "runStartTime" else last.ended)
    return Page(rows, following)
