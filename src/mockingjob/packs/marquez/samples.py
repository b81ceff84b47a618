"""Every document the Marquez fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from .documents import job_document, latest_runs, namespace_document, run_document
from .tables import TABLES as T


def samples(conn: Connection) -> Iterator[Sample]:
    for ns in conn.execute(sa.select(T.namespaces).order_by(T.namespaces.c.name)):
        yield Sample("Namespace", namespace_document(ns), f"namespace {ns.name}")
    jobs = {job.id: job for job in conn.execute(sa.select(T.jobs).order_by(T.jobs.c.id))}
    for job in jobs.values():
        yield Sample("Job", job_document(job, latest_runs(conn, job.id)), f"job {job.namespace}/{job.name}")
    for run in conn.execute(sa.select(T.runs).order_by(T.runs.c.id)):
        yield Sample("Run", run_document(run, jobs[run.job_id]), f"run {run.id}")
