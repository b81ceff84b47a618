"""Every document the Coalesce fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from . import catalog
from .documents import run_detail, run_summary
from .queries import RUNS
from .results import run_results
from .tables import TABLES as T


def samples(conn: Connection, now: datetime) -> Iterator[Sample]:
    nodes = {row.id: row for row in conn.execute(sa.select(T.nodes))}
    # Now, and later, when the runs in flight have moved on or finished.
    for at in (now, now + timedelta(minutes=30)):
        for run in conn.execute(RUNS.order_by(T.runs.c.id), {"now": at}):
            label = f"run {run.id} at {at.isoformat()}"
            yield Sample("RunSummary", run_summary(run), f"{label} (list)")
            yield Sample("RunInfo", run_detail(run), f"{label} (detail)")
            yield Sample("RunResultsResponse", {"data": run_results(run, nodes, at)}, f"{label} (results)")
        environments = list(conn.execute(catalog.ENVIRONMENTS, {"now": at}))
        for document in catalog.environment_documents(conn, environments, at, detail=True):
            yield Sample("Environment", document, f"environment {document['id']} at {at.isoformat()}")
        for document in catalog.environment_documents(conn, environments, at, detail=False):
            yield Sample("EnvironmentSummary", document, f"environment {document['id']} at {at.isoformat()} (list)")
    for node in nodes.values():
        yield Sample("NodeSummary", catalog.node_summary(node), f"node {node.id} (list)")
        yield Sample("Node", catalog.node_detail(node), f"node {node.id}")
    for job in conn.execute(sa.select(T.jobs)):
        yield Sample("Job", catalog.job_document(job), f"job {job.id}")
