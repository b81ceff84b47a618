"""Every document the Scale fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.pack import Sample

from . import logs
from .model import Derived
from .queries import exes_with_log_script, job_details, jobs_query
from .serialize import Documents, job_type_document
from .tables import TABLES as T


def samples(conn: Connection, now: datetime) -> Iterator[Sample]:
    d = Derived(T, now)
    docs = Documents(conn, T, now)
    jobs = conn.execute(jobs_query(d).order_by(T.jobs.c.id)).all()
    for job, doc in zip(jobs, docs.jobs(jobs), strict=True):
        yield Sample("Job", doc, f"job {job.id} (list)")
        yield Sample("JobDetails", job_details(conn, d, job), f"job {job.id} (details)")
    exes = conn.execute(exes_with_log_script(d).order_by(T.exes.c.id)).all()
    for exe, doc in zip(exes, docs.executions(exes, details=True), strict=True):
        yield Sample("JobExecutionDetails", doc, f"execution {exe.id}")
        for line in logs.lines(exe, now, "combined", None):
            yield Sample("LogLine", line, f"execution {exe.id} log")
    for jt in conn.execute(sa.select(T.job_types)).all():
        yield Sample("JobTypeDetails", job_type_document(jt, details=True), f"job type {jt.name} {jt.version}")
