"""Queries of the Coalesce pack: runs with their derived state, the list's filters, order and cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.errors import ApiError
from mockingjob.timeutil import parse_iso

from .documents import ts
from .model import Derived
from .tables import TABLES as T


def runs_query(d: Derived) -> sa.Select[Any]:
    r = T.runs.c
    return (
        sa.select(T.runs, d.status.label("status"), d.ended.label("ended"),
                  T.environments.c.connection_account, T.jobs.c.name.label("job_name"))
        .join(T.environments, T.environments.c.id == r.environment_id)
        .outerjoin(T.jobs, T.jobs.c.id == r.job_id)
    )


def find_run(conn: Connection, d: Derived, run_id: int) -> Any:
    """The run with this ID, or None."""
    return conn.execute(runs_query(d).where(T.runs.c.id == run_id)).first()


MAX_ID = 2**31 - 1  # IDs are 32-bit integers; a larger number is compared as this one (no ID reaches it)


def run_number(text: str) -> int | None:
    """A run or job ID given as text (rerun's ``runDetails.runID``), or None if it cannot be one."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next: int | str | None


def _cursor(conn: Connection, d: Derived, value: str, order_by: str) -> Any:
    """The value `startingFrom` stands for in the `order_by` order: a date-time, or a run ID (which, ordering by
    end time, stands for that run's end time). None stands for "after every ended run": the end of a run that
    has not ended, or does not exist yet, is still to come."""
    r = T.runs.c
    if value.isdigit():
        if order_by != "runEndTime":
            return min(int(value), MAX_ID)  # run IDs follow start times, so an ID is a position in either order
        return conn.execute(sa.select(r.end_at).where(r.id == min(int(value), MAX_ID), r.end_at <= d.now)).scalar()
    try:
        return parse_iso(value)
    except ValueError as exc:  # the pattern admits 29 February of every year; the calendar does not
        raise ApiError(400, f"startingFrom {value} is not a date in the calendar.") from exc


def list_page(conn: Connection, d: Derived, p: dict[str, Any]) -> Page:
    """One page of the run list for the validated query parameters `p`."""
    r = T.runs.c
    order_by = p.get("orderBy") or "id"
    descending = (p.get("orderByDirection") or "desc") == "desc"
    limit = 25 if p.get("limit") is None else int(p["limit"])
    query = runs_query(d)
    if p.get("runType"):
        query = query.where(r.run_type == p["runType"])
    if p.get("runStatus"):
        query = query.where(d.status == p["runStatus"])
    if p.get("environmentID") is not None:
        query = query.where(r.environment_id == p["environmentID"])
    # A run is paged by its own field; an unfinished run has no end time, so it is not listed by runEndTime.
    column = {"id": r.id, "runStartTime": r.queued_at, "runEndTime": r.end_at}[order_by]
    if order_by == "runEndTime":
        query = query.where(r.end_at <= d.now)
    if p.get("startingFrom") is not None:
        cursor = _cursor(conn, d, str(p["startingFrom"]), order_by)
        if cursor is None:  # after every ended run: all of them come before it, none after
            if not descending:
                query = query.where(sa.false())
        elif order_by == "id" and isinstance(cursor, datetime):
            query = query.where(r.queued_at < cursor if descending else r.queued_at > cursor)
        elif order_by == "runStartTime" and not isinstance(cursor, datetime):
            query = query.where(r.id < cursor if descending else r.id > cursor)
        else:
            query = query.where(column < cursor if descending else column > cursor)
    ordering = [column.desc(), r.id.desc()] if descending else [column.asc(), r.id.asc()]
    rows = list(conn.execute(query.order_by(*ordering).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    following: int | str | None = None
    if more and rows:
        last = rows[-1]
        following = last.id if order_by == "id" else ts(last.queued_at if order_by == "runStartTime" else last.end_at)
    return Page(rows, following)
