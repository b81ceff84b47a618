"""The Trifacta pack's tables.

Flows hold wrangled datasets (recipes); a recipe reads an imported dataset or the output of another recipe. A
recipe may have one output object, which holds write settings (files) and publications (tables). Running a
recipe creates a job group with one row per job; running a flow creates a flow run and a job group per output.
Deleting marks a row deleted (``deleted_at``): it is still read with ``includeDeleted``. Every job group and
job keeps the instants it enters its states (``created_at`` → ``run_at`` → ``end_at`` with ``outcome``); their
status and progress are derived from those instants and the clock, so nothing runs in the background.
"""

from __future__ import annotations

import sqlalchemy as sa

from mockingjob.kit import JSONText, PortableString, TableSet, UtcDateTime

# Declared once per process: the pack builds its queries on these, and every store adds these same tables.
TABLES = TableSet("trifacta")

TABLES.table(
    "flows",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(255), nullable=False),
    sa.Column("description", PortableString(1000)),
    sa.Column("folder_id", sa.Integer),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
)
TABLES.table(
    "imported_datasets",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(255), nullable=False),
    sa.Column("description", PortableString(1000)),
    sa.Column("uri", PortableString(2048), nullable=False),
    sa.Column("has_structuring", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
)
TABLES.table(
    "wrangled_datasets",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("flow_id", sa.ForeignKey("trifacta_flows.id"), nullable=False),
    sa.Column("name", PortableString(255), nullable=False),
    sa.Column("description", PortableString(1000)),
    # The imported dataset this recipe reads, if it reads one (and not another recipe's output).
    sa.Column("imported_dataset_id", sa.ForeignKey("trifacta_imported_datasets.id")),
    # Ids of the recipes whose outputs this one reads; their recipes run first.
    sa.Column("depends_on", JSONText, nullable=False),
    # How jobs of this recipe behave (durations, a failure, its columns), read from the fixture.
    sa.Column("plan", JSONText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
    sa.Index("ix_trifacta_wrangled_datasets_flow", "flow_id", "id"),
)
TABLES.table(
    "output_objects",
    sa.Column("id", sa.Integer, primary_key=True),
    # The recipe (flow node) whose results this defines: one per recipe (it goes only with its recipe).
    sa.Column("dataset_id", sa.ForeignKey("trifacta_wrangled_datasets.id"), nullable=False, unique=True),
    sa.Column("execution", PortableString(100), nullable=False),
    sa.Column("profiler", sa.Boolean, nullable=False),
    sa.Column("is_adhoc", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("deleted_at", UtcDateTime),
)
TABLES.table(
    "publications",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("output_object_id", sa.ForeignKey("trifacta_output_objects.id"), nullable=False),
    # The publication as the client gave it (path, tableName, targetType, action, connection).
    sa.Column("document", JSONText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Deleted with its output object.
    sa.Column("deleted_at", UtcDateTime),
    sa.Index("ix_trifacta_publications_output", "output_object_id", "id"),
)
TABLES.table(
    "flow_runs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("flow_id", sa.ForeignKey("trifacta_flows.id"), nullable=False),
    # The caller's x-execution-id: a retried request with the same id runs nothing again.
    sa.Column("execution_id", PortableString(255), unique=True),
    sa.Column("run_parameters", JSONText),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
TABLES.table(
    "job_groups",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", PortableString(36), nullable=False),
    sa.Column("dataset_id", sa.ForeignKey("trifacta_wrangled_datasets.id"), nullable=False),
    sa.Column("flow_run_id", sa.ForeignKey("trifacta_flow_runs.id")),
    # The output object whose publications this run writes, if the run used one.
    sa.Column("output_object_id", sa.ForeignKey("trifacta_output_objects.id")),
    sa.Column("ranfrom", PortableString(255)),
    sa.Column("execution", PortableString(255), nullable=False),
    sa.Column("profiler", sa.Boolean, nullable=False),
    sa.Column("run_parameters", JSONText),
    # [[source job id, target job id], ...]
    sa.Column("edges", JSONText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("run_at", UtcDateTime),
    sa.Column("end_at", UtcDateTime),
    sa.Column("outcome", PortableString(20), nullable=False),
    # Lists in order of creation (ties broken by id), and a recipe's latest run.
    sa.Index("ix_trifacta_job_groups_created", "created_at", "id"),
    sa.Index("ix_trifacta_job_groups_latest", "dataset_id", "created_at", "id"),
    sa.Index("ix_trifacta_job_groups_flow_run", "flow_run_id", "id"),
)
TABLES.table(
    "write_settings",
    sa.Column("id", sa.Integer, primary_key=True),
    # Whose setting it is: an output object's (created through the API or the fixtures), or the run's own,
    # given in its overrides.
    sa.Column("output_object_id", sa.ForeignKey("trifacta_output_objects.id")),
    sa.Column("job_group_id", sa.ForeignKey("trifacta_job_groups.id")),
    sa.Column("position", sa.Integer, nullable=False),
    # The setting as the client gave it (with defaults filled in), replayed by later runs.
    sa.Column("document", JSONText, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Deleted with its output object (a job group's own are never deleted).
    sa.Column("deleted_at", UtcDateTime),
    # A job group's or an output object's settings in order.
    sa.Index("ix_trifacta_write_settings_group", "job_group_id", "position", "id"),
    sa.Index("ix_trifacta_write_settings_output", "output_object_id", "position", "id"),
)
TABLES.table(
    "jobs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_group_id", sa.ForeignKey("trifacta_job_groups.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("job_type", PortableString(20), nullable=False),
    sa.Column("dataset_id", sa.ForeignKey("trifacta_wrangled_datasets.id"), nullable=False),
    sa.Column("write_setting_id", sa.ForeignKey("trifacta_write_settings.id")),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("run_at", UtcDateTime),
    sa.Column("end_at", UtcDateTime),
    sa.Column("outcome", PortableString(20), nullable=False),
    sa.Column("error_message", PortableString(1000)),
    # The jobs of job groups in order of execution.
    sa.Index("ix_trifacta_jobs_group", "job_group_id", "position", "id"),
)
