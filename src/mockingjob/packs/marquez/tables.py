"""The Marquez pack's tables.

A run stores its current state as Marquez does (``current_run_state``): Marquez records runs rather than running
them, so a run moves only when a client marks it, never with the clock. ``transitioned_at`` is the instant of
its latest transition, which decides a job's latest run.
"""

from __future__ import annotations

import sqlalchemy as sa

from mockingjob.kit import JSONText, PortableString, PortableText, TableSet, UtcDateTime

__all__ = ["NAME", "TABLES"]

NAME = 1024

# Declared once per process: the pack builds its queries on these, and every store adds these same tables.
TABLES = TableSet("marquez")

TABLES.table(
    "namespaces",
    sa.Column("name", PortableString(NAME), primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("owner_name", PortableString(NAME), nullable=False),
    sa.Column("description", PortableText),
    sa.Column("is_hidden", sa.Boolean, nullable=False),
)
TABLES.table(
    "datasets",
    sa.Column("namespace", PortableString(NAME), primary_key=True),
    sa.Column("name", PortableString(NAME), primary_key=True),
    # What lineage events and fixtures say of a dataset (Marquez's datasets, sources and dataset versions);
    # added to a store made before they were, so each may be NULL there (documents.dataset_document).
    sa.Column("type", PortableString(20)),
    sa.Column("source_name", PortableString(NAME)),
    sa.Column("description", PortableText),
    sa.Column("fields", JSONText),
    sa.Column("facets", JSONText),
    sa.Column("created_at", UtcDateTime),
    sa.Column("updated_at", UtcDateTime),
    sa.Column("last_modified_at", UtcDateTime),
    sa.Column("current_version", PortableString(36)),
    sa.Column("is_hidden", sa.Boolean),  # deleted with its namespace (NULL: as false)
    sa.Column("physical_name", PortableText),  # NULL: the name
    sa.Column("tags", JSONText),  # the names of its tags (NULL: none)
    sa.Column("lifecycle_state", PortableText),  # of its current version (``lastLifecycleState``)
    sa.Column("is_deleted", sa.Boolean),  # its latest event said DROP (``deleted``; NULL: as false)
)
TABLES.table(
    "jobs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("namespace", sa.ForeignKey("marquez_namespaces.name"), nullable=False),
    sa.Column("name", PortableString(NAME), nullable=False),
    sa.Column("type", PortableString(20), nullable=False),
    sa.Column("location", sa.Text),
    sa.Column("description", PortableText),
    sa.Column("context", JSONText, nullable=False),
    sa.Column("inputs", JSONText, nullable=False),
    sa.Column("outputs", JSONText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("current_version", PortableString(36)),
    # Deleted (DELETE job or its namespace): Marquez hides a job, and a PUT or an event brings it back.
    # Added to a store made before it: NULL there, as false.
    sa.Column("is_hidden", sa.Boolean),
    # What OpenLineage events say of a job (added later, so NULL where older stores have none): the facets of
    # its current version, the names of its tags, and the job it is a step of (``parentJobName``).
    sa.Column("facets", JSONText),
    sa.Column("tags", JSONText),
    sa.Column("parent_job_name", PortableString(NAME)),
    sa.UniqueConstraint("namespace", "name"),
)
TABLES.table(
    "runs",
    sa.Column("id", PortableString(36), primary_key=True),
    # The order runs were recorded in: breaks ties between runs created or changed at the same instant.
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("job_id", sa.ForeignKey("marquez_jobs.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("nominal_start_time", UtcDateTime),
    sa.Column("nominal_end_time", UtcDateTime),
    sa.Column("state", PortableString(20), nullable=False),
    sa.Column("transitioned_at", UtcDateTime, nullable=False),
    sa.Column("started_at", UtcDateTime, index=True),
    sa.Column("ended_at", UtcDateTime),
    sa.Column("args", JSONText, nullable=False),
    sa.Column("context", JSONText, nullable=False),
    sa.Column("job_version", PortableString(36)),
    # What its OpenLineage events said (NULL for runs made through the run endpoints): the dataset versions it
    # read and wrote (``{namespace, name, version, facets}``), its run facets and job facets merged in event
    # order, and the run it is a step of.
    sa.Column("input_versions", JSONText),
    sa.Column("output_versions", JSONText),
    sa.Column("facets", JSONText),
    sa.Column("job_facets", JSONText),
    sa.Column("parent_run_id", PortableString(36)),
    # A job's runs in the orders the API lists them: a page of runs (``started_at DESC NULLS LAST``, newest
    # created first) and a job's latest runs (latest transition first); read backwards, neither needs a sort.
    sa.Index("ix_marquez_runs_page", "job_id", "started_at", "created_at", "seq"),
    sa.Index("ix_marquez_runs_latest", "job_id", "transitioned_at", "seq"),
)
TABLES.table(
    "lineage_events",
    # The OpenLineage events received, as sent: GET /api/v1/events/lineage lists them (OpenLineageDao).
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_time", UtcDateTime, nullable=False, index=True),
    sa.Column("run_id", PortableString(36), nullable=False),
    sa.Column("document", JSONText, nullable=False),
    # NULL: a run event; JOB_EVENT or DATASET_EVENT: static lineage (kept, never listed, as in Marquez).
    sa.Column("kind", PortableString(20)),
)
TABLES.table(
    "dataset_versions",
    # DatasetVersionDao: `uuid` names the row (a dataset's currentVersion, the versions API), `version` is the
    # hash of what the version says (a run's inputDatasetVersions and outputDatasetVersions).
    sa.Column("uuid", PortableString(36), primary_key=True),
    sa.Column("version", PortableString(36), nullable=False),
    sa.Column("namespace", PortableString(NAME), nullable=False),
    sa.Column("name", PortableString(NAME), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("run_id", PortableString(36)),  # the run that wrote it (``createdByRun``)
    sa.Column("fields", JSONText, nullable=False),
    sa.Column("lifecycle_state", PortableText),
    sa.Column("facets", JSONText, nullable=False),
    sa.UniqueConstraint("namespace", "name", "version"),
    sa.Index("ix_marquez_dataset_versions_created", "namespace", "name", "created_at"),
)
TABLES.table(
    "job_versions",
    # JobVersionDao: `uuid` names the row (a job's currentVersion), `version` is the hash of the job's namespace,
    # name, inputs, outputs and location (the versions API, a run's jobVersion).
    sa.Column("uuid", PortableString(36), primary_key=True),
    sa.Column("version", PortableString(36), nullable=False),
    sa.Column("job_id", sa.ForeignKey("marquez_jobs.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("location", sa.Text),
    sa.Column("inputs", JSONText, nullable=False),
    sa.Column("outputs", JSONText, nullable=False),
    sa.Column("latest_run_id", PortableString(36)),
    sa.UniqueConstraint("job_id", "version"),
)
TABLES.table(
    "column_lineage",
    # ColumnLineageDao: one row per output field of a dataset version and input field it was derived from.
    sa.Column("output_version", PortableString(36), primary_key=True),
    sa.Column("output_field", PortableText, primary_key=True),  # field names are as long as a schema says
    sa.Column("input_version", PortableString(36), primary_key=True),
    sa.Column("input_field", PortableText, primary_key=True),
    sa.Column("output_namespace", PortableString(NAME), nullable=False),
    sa.Column("output_name", PortableString(NAME), nullable=False),
    sa.Column("input_namespace", PortableString(NAME), nullable=False),
    sa.Column("input_name", PortableString(NAME), nullable=False),
    sa.Column("transformation_description", PortableText),
    sa.Column("transformation_type", PortableText),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
TABLES.table(
    "sources",
    # Where datasets live (SourceDao): made by PUT /api/v1/sources/{source} and by lineage events.
    sa.Column("name", PortableString(NAME), primary_key=True),
    sa.Column("type", PortableString(NAME), nullable=False),
    sa.Column("connection_url", sa.Text, nullable=False),
    sa.Column("description", PortableText),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
TABLES.table(
    "tags",
    sa.Column("name", PortableString(NAME), primary_key=True),
    sa.Column("description", PortableText),
)
TABLES.table(
    "dataset_symlinks",
    # Other names of a dataset (the `symlinks` facet: a table's name beside its files' path), DatasetSymlinkDao:
    # the dataset is listed, found and searched under each of them too.
    sa.Column("namespace", PortableString(NAME), primary_key=True),
    sa.Column("name", PortableString(NAME), primary_key=True),
    sa.Column("target_namespace", PortableString(NAME), nullable=False),
    sa.Column("target_name", PortableString(NAME), nullable=False),
)
