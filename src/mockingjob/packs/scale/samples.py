"""Every document the Scale fixtures produce, for validation against the spec's schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Sample

from . import logs
from .catalog import error_document, node_document, shown_workspace_configuration, workspace_document
from .documents import execution_document, file_document, job_document, job_type_document
from .files import FILES
from .job_types import details
from .queries import EXES, EXES_WITH_LOG_SCRIPT, JOB_FROM, LIST_COLUMNS, input_files, job_details
from .recipes import JOB_TYPES, all_batches, all_recipes
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
    job_types = conn.execute(JOB_TYPES).all()
    for jt in job_types:
        yield Sample("JobType", job_type_document(jt), f"job type {jt.name} {jt.version}")
        yield Sample("JobTypeDetails", details(conn, jt), f"job type {jt.name} {jt.version} (details)")
    for f in conn.execute(FILES.order_by(T.files.c.id), values):
        yield Sample("ScaleFileDetails", {**file_document(f), "meta_data": f.meta_data or {}}, f"file {f.id}")
    for error in conn.execute(sa.select(T.errors)):
        yield Sample("ErrorRecord", error_document(error), f"error {error.name}")
    for node in conn.execute(sa.select(T.nodes)):
        yield Sample("Node", node_document(node), f"node {node.hostname}")
    for workspace in conn.execute(sa.select(T.workspaces)):
        yield Sample("WorkspaceDetails", {**workspace_document(workspace),
                                          "configuration": shown_workspace_configuration(workspace.json_config)},
                     f"workspace {workspace.name}")
    recipes = all_recipes(conn, now)
    for recipe in recipes.values():
        yield Sample("Recipe", recipe.document(recipes), f"recipe {recipe.row.id}")
        yield Sample("RecipeDetails", recipe.details(recipes, job_types), f"recipe {recipe.row.id} (details)")
    batches = all_batches(conn, now)
    for batch in batches.values():
        yield Sample("Batch", batch.document(batches), f"batch {batch.row.id}")
        yield Sample("BatchDetails", batch.details(batches), f"batch {batch.row.id} (details)")
