"""Every document the Marquez fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from .documents import (
    dataset_document,
    dataset_version_document,
    job_document,
    job_version_document,
    latest_runs,
    namespace_document,
    run_document,
    source_document,
)
from .graph import column_lineage_of
from .queries import RUN_WITH_JOB
from .tables import TABLES as T


def samples(conn: Connection) -> Iterator[Sample]:
    for ns in conn.execute(sa.select(T.namespaces).order_by(T.namespaces.c.name)):
        yield Sample("Namespace", namespace_document(ns), f"namespace {ns.name}")
    for source in conn.execute(sa.select(T.sources).order_by(T.sources.c.name)):
        yield Sample("Source", source_document(source), f"source {source.name}")
    jobs = {job.id: job for job in conn.execute(sa.select(T.jobs).order_by(T.jobs.c.id))}
    for job in jobs.values():
        yield Sample("Job", job_document(job, latest_runs(conn, job.id)), f"job {job.namespace}/{job.name}")
    for run in conn.execute(sa.select(T.runs).order_by(T.runs.c.id)):
        yield Sample("Run", run_document(run, jobs[run.job_id]), f"run {run.id}")
    for version in conn.execute(sa.select(T.job_versions).order_by(T.job_versions.c.uuid)):
        latest = conn.execute(RUN_WITH_JOB, {"run_id": version.latest_run_id}).first()
        yield Sample("JobVersion", job_version_document(version, jobs[version.job_id], latest),
                     f"job version {version.uuid}")
    datasets = {(d.namespace, d.name): d for d in conn.execute(sa.select(T.datasets))}
    lineage = column_lineage_of(conn, datasets)
    for key, dataset in sorted(datasets.items()):
        yield Sample("Dataset", dataset_document(dataset, lineage.get(key, ())), f"dataset {key[0]}/{key[1]}")
    for version in conn.execute(sa.select(T.dataset_versions).order_by(T.dataset_versions.c.uuid)):
        writer = conn.execute(RUN_WITH_JOB, {"run_id": version.run_id}).first() if version.run_id else None
        yield Sample("DatasetVersion", dataset_version_document(version, datasets[(version.namespace, version.name)],
                                                                writer), f"dataset version {version.uuid}")
