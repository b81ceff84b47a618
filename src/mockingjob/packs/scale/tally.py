"""The job tally: how many jobs of each job type had ended with each outcome by one instant, ``ended_by``.

Counting what a job list matches is the one part of a page whose cost grows with the store: in a million jobs,
one job type and one final status can match a hundred thousand. A list filtered by nothing but final statuses
and job types (what a client polling for finished work asks) is counted from the tally instead: its sum,
corrected by the jobs whose plans end between ``ended_by`` and the clock's now, which an index finds as a
range. The tally is rebuilt, and ``ended_by`` moved to now, whenever the jobs are seeded or loaded in bulk.

Every write that adds a job or changes its outcome or end changes the tally in the same transaction. The
rebuild gives a row to every job type and every outcome its jobs can reach, so a write only ever adds to a
row that exists (two workers never race to insert one), and each transaction writes its rows in key order
(two writers never wait on each other in a cycle). A store without tally rows (written before the tally
existed) is counted from the jobs, as before, until it is reset.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import NOW

from .tables import TABLES as T

# Scale's statuses that only an ended plan reports: every outcome a job can hold, besides those its job type's
# plan or a fixture names.
FINAL_STATUSES = ("PENDING", "BLOCKED", "FAILED", "COMPLETED", "CANCELED")

_t, _j = T.job_tally.c, T.jobs.c

_ENDED_BY = sa.select(_t.ended_by).limit(1)
_ADD = T.job_tally.update().where(_t.job_type_id == sa.bindparam("job_type_id_"),
                                  _t.outcome == sa.bindparam("outcome_")).values(
    jobs=_t.jobs + sa.bindparam("added", type_=sa.Integer()))


class TallyChanges:
    """What one transaction changes of jobs' outcomes and ends, written to the tally by `write`."""

    def __init__(self) -> None:
        self._changes: list[tuple[int, tuple[str, datetime | None] | None, tuple[str, datetime | None]]] = []

    def add(self, job_type_id: int, outcome: str, end_at: datetime | None) -> None:
        """A new job of this type, planned to end at `end_at` with `outcome`."""
        self._changes.append((job_type_id, None, (outcome, end_at)))

    def move(self, job_type_id: int, old: tuple[str, datetime | None], new: tuple[str, datetime | None]) -> None:
        """A job of this type went from one (outcome, end) to another."""
        if old != new:
            self._changes.append((job_type_id, old, new))

    def write(self, conn: Connection) -> None:
        """Add to the tally what changed at or before its instant, row by row in key order."""
        changes, self._changes = self._changes, []
        ended_by = conn.execute(_ENDED_BY).scalar() if changes else None
        if ended_by is None:  # nothing changed, or a store without a tally
            return
        added: Counter[tuple[int, str]] = Counter()
        for job_type_id, old, new in changes:
            for (outcome, end_at), sign in ((old, -1), (new, 1)) if old else ((new, 1),):
                if end_at is not None and end_at <= ended_by:
                    added[(job_type_id, outcome)] += sign
        rows = [{"job_type_id_": job_type_id, "outcome_": outcome, "added": jobs}
                for (job_type_id, outcome), jobs in sorted(added.items()) if jobs]
        if rows:
            conn.execute(_ADD, rows)


@contextmanager
def tally_changes(conn: Connection) -> Iterator[TallyChanges]:
    """Changes to the tally, written when the block ends without an error (on an error the transaction is
    rolled back, the jobs' writes with it)."""
    changes = TallyChanges()
    yield changes
    changes.write(conn)


_JOB_TYPE_IDS = sa.select(T.job_types.c.id)
_PLANS = sa.select(T.job_types.c.plan)
_ENDED_BY_TYPE_AND_OUTCOME = (sa.select(_j.job_type_id, _j.outcome, sa.func.count())
                              .where(_j.end_at <= sa.bindparam("ended_by")).group_by(_j.job_type_id, _j.outcome))
_OUTCOMES = sa.select(_j.outcome).distinct()


def rebuild(conn: Connection, now: datetime) -> None:
    """Count the jobs ended by `now` again, into a row for every job type and every outcome its jobs can reach."""
    counted = {(job_type_id, outcome): jobs for job_type_id, outcome, jobs
               in conn.execute(_ENDED_BY_TYPE_AND_OUTCOME, {"ended_by": now})}
    outcomes = {*FINAL_STATUSES, *conn.execute(_OUTCOMES).scalars()}
    for plan in conn.execute(_PLANS).scalars():
        outcomes.update((plan or {}).get("outcomes", ()))
    conn.execute(T.job_tally.delete())
    rows = [{"job_type_id": job_type_id, "outcome": outcome, "jobs": counted.get((job_type_id, outcome), 0),
             "ended_by": now}
            for job_type_id in conn.execute(_JOB_TYPE_IDS).scalars() for outcome in sorted(outcomes)]
    if rows:
        conn.execute(T.job_tally.insert(), rows)


_TALLIED = sa.select(_t.outcome, _t.ended_by).distinct()


def add_job_type(conn: Connection, job_type_id: int) -> None:
    """Give a new job type its rows, one for each outcome the tally counts (none yet ended)."""
    rows = [{"job_type_id": job_type_id, "outcome": outcome, "jobs": 0, "ended_by": ended_by}
            for outcome, ended_by in conn.execute(_TALLIED)]
    if rows:
        conn.execute(T.job_tally.insert(), rows)


def _ids(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, expanding=True)


def final_status_count(by_job_type: bool, from_jobs: sa.Select[Any]) -> sa.Select[Any]:
    """How many jobs have one of the final statuses bound to ``status`` (and, `by_job_type`, one of the job
    types bound to ``job_type_id``) at ``now``: those the tally counts, plus those ending after its instant and
    by now, less those ending after now and by its instant (when the clock was set back). `from_jobs` counts
    the same from the jobs, for a store without a tally."""
    tallied = [_t.outcome.in_(_ids("status"))]
    planned = [_j.outcome.in_(_ids("status"))]
    if by_job_type:
        tallied.append(_t.job_type_id.in_(_ids("job_type_id")))
        planned.append(_j.job_type_id.in_(_ids("job_type_id")))
    rows = sa.select(sa.func.count()).select_from(T.job_tally).where(*tallied).scalar_subquery()
    total = sa.select(sa.func.coalesce(sa.func.sum(_t.jobs), 0)).where(*tallied).scalar_subquery()
    ended_by = _ENDED_BY.scalar_subquery()

    def ending(after: Any, by: Any) -> Any:
        return sa.select(sa.func.count()).select_from(T.jobs).where(
            *planned, _j.end_at > after, _j.end_at <= by).scalar_subquery()

    return sa.select(sa.case((rows > 0, total + ending(ended_by, NOW) - ending(NOW, ended_by)),
                             else_=from_jobs.scalar_subquery()))
