"""Every document the Trifacta fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from .documents import (
    created_document,
    flow_document,
    group_document,
    imported_dataset_document,
    job_document,
    output_object_document,
    publication_document,
    wrangled_dataset_document,
    write_setting_document,
)
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
    yield from _objects(conn)


def _all(conn: Connection, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    return list(conn.execute(sa.select(table).order_by(table.c.id)).all())


def _objects(conn: Connection) -> Iterator[Sample]:
    recipes = _all(conn, T.wrangled_datasets)
    settings, publications = _all(conn, T.write_settings), _all(conn, T.publications)
    for flow in _all(conn, T.flows):
        nodes = [row for row in recipes if row.flow_id == flow.id]
        yield Sample("Flow", flow_document(flow, nodes), f"flow {flow.id}")
    for dataset in _all(conn, T.imported_datasets):
        yield Sample("ImportedDataset", imported_dataset_document(dataset), f"imported dataset {dataset.id}")
    for recipe in recipes:
        yield Sample("WrangledDatasetDocument", wrangled_dataset_document(recipe), f"wrangled dataset {recipe.id}")
    for output in _all(conn, T.output_objects):
        owned = [row for row in settings if row.output_object_id == output.id]
        tables = [row for row in publications if row.output_object_id == output.id]
        yield Sample("OutputObject", output_object_document(output, owned, tables), f"output object {output.id}")
    for setting in settings:
        yield Sample("WriteSettingDocument", write_setting_document(setting), f"write setting {setting.id}")
    for publication in publications:
        yield Sample("Publication", publication_document(publication), f"publication {publication.id}")
