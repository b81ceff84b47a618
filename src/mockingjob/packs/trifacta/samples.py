"""Every document the Trifacta fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from .documents import created_document, group_document, job_document
from .queries import GROUPS, datasets_with_flows, jobs_of
from .tables import TABLES as T


def samples(conn: Connection, now: datetime) -> Iterator[Sample]:
    query = GROUPS.add_columns(T.job_groups.c.session_id, T.job_groups.c.edges).order_by(T.job_groups.c.id)
    groups = conn.execute(query, {"now": now}).all()
    jobs = jobs_of(conn, now, [g.id for g in groups])
    datasets = datasets_with_flows(conn, [g.dataset_id for g in groups])
    for group in groups:
        label = f"job group {group.id}"
        yield Sample("JobGroup", group_document(group, now=now), label)
        yield Sample("JobGroup", group_document(group, jobs=jobs[group.id], dataset=datasets[group.dataset_id],
                                                now=now), f"{label} (embedded)")
        yield Sample("JobGroupStatus", group.status, f"{label} status")
        created = created_document(group.id, group.session_id, [job.id for job in jobs[group.id]], group.edges)
        yield Sample("JobGroupCreated", created, f"{label} (as created)")
        for job in jobs[group.id]:
            yield Sample("Job", job_document(job, now), f"{label} job {job.id}")
