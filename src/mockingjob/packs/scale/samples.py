"""Every document the Scale fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from . import logs
from .documents import execution_document, job_document, job_type_document
from .queries import EXES, EXES_WITH_LOG_SCRIPT, JOB_FROM, LIST_COLUMNS, input_files, job_details
from .tables import TABLES as T


def samples(conn: Connection, now: datetime) -> Iterator[Sample]:
    values = {"now": now}
    jobs = conn.execute(sa.select(*LIST_COLUMNS).select_from(JOB_FROM).order_by(T.jobs.c.id), values).all()
    files = input_files(conn, [job.id for job in jobs])
    for job in jobs:
        yield Sample("Job", job_document(job, now, files.get(job.id, {})), f"job {job.id} (list)")
        yield Sample("JobDetails", job_details(conn, now, job.id), f"job {job.id} (details)")
    for exe in conn.execute(EXES.order_by(T.job_exes.c.id), values):
        yield Sample("JobExecutionDetails", execution_document(exe, now, details=True), f"execution {exe.x_id}")
    for exe in conn.execute(EXES_WITH_LOG_SCRIPT.order_by(T.job_exes.c.id), values):
        for line in logs.lines(exe, now, "combined", None):
            yield Sample("LogLine", line, f"execution {exe.id} log")
    for jt in conn.execute(sa.select(T.job_types)).all():
        yield Sample("JobTypeDetails", job_type_document(jt, details=True), f"job type {jt.name} {jt.version}")
