"""Every document the Scale fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.pack import Sample

from . import logs
from .handlers import _exes_query, _jobs_query, latest_execution
from .model import Derived
from .serialize import Documents, job_type_document
from .tables import TABLES as T


def samples(conn: Connection, now: datetime) -> Iterator[Sample]:
    d = Derived(T, now)
    docs = Documents(conn, T, now)
    jobs = conn.execute(_jobs_query(d).order_by(T.jobs.c.id)).all()
    for job, doc in zip(jobs, docs.jobs(jobs), strict=True):
        yield Sample("Job", doc, f"job {job.id} (list)")
        latest = latest_execution(conn, d, job)
        chain_ids = [i for i in (job.superseded_job_id, job.superseded_by_job_id) if i]
        chain = {r.id: r for r in conn.execute(_jobs_query(d).where(T.jobs.c.id.in_(chain_ids)))}
        yield Sample("JobDetails", docs.job_details(job, latest, chain), f"job {job.id} (details)")
    exes = conn.execute(
        _exes_query(d).add_columns(T.job_types.c.plan, T.nodes.c.hostname)
        .join(T.job_types, T.job_types.c.id == T.jobs.c.job_type_id)
        .join(T.nodes, T.nodes.c.id == T.exes.c.node_id)
        .order_by(T.exes.c.id)).all()
    for exe, doc in zip(exes, docs.executions(exes, details=True), strict=True):
        yield Sample("JobExecutionDetails", doc, f"execution {exe.id}")
        for line in logs.lines(exe, now, "combined", None):
            yield Sample("LogLine", line, f"execution {exe.id} log")
    for jt in conn.execute(sa.select(T.job_types)).all():
        yield Sample("JobTypeDetails", job_type_document(jt, details=True), f"job type {jt.name} {jt.version}")
