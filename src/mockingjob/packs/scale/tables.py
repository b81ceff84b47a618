"""The Scale pack's tables.

A job keeps the plan of its current attempt as instants (``queued`` → ``run_at`` → ``end_at`` with
``outcome``); its status, ``started``, ``ended`` and ``last_modified`` are derived from them and the clock.
Every attempt is also a row of ``scale_job_exes``; an attempt becomes a visible execution once it runs.
"""

from __future__ import annotations

import sqlalchemy as sa

from mockingjob.kit import JSONText, PortableString, PortableText, TableSet, UtcDateTime

# Declared once per process: the pack builds its queries on these, and every store adds these same tables.
TABLES = TableSet("scale")

TABLES.table(
    "job_types",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(50), nullable=False),
    sa.Column("version", PortableString(50), nullable=False),
    sa.Column("title", PortableText()),  # from the manifest, which bounds no text
    sa.Column("description", PortableText()),
    sa.Column("icon_code", PortableString(20)),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("is_system", sa.Boolean, nullable=False),
    sa.Column("is_paused", sa.Boolean, nullable=False),
    sa.Column("is_published", sa.Boolean, nullable=False),
    sa.Column("unmet_resources", PortableString(250)),
    sa.Column("max_scheduled", sa.Integer),
    sa.Column("max_tries", sa.Integer, nullable=False),
    sa.Column("timeout", sa.Integer, nullable=False),
    sa.Column("revision_id", sa.Integer, nullable=False),
    sa.Column("revision_num", sa.Integer, nullable=False),
    sa.Column("docker_image", PortableString(250), nullable=False),
    sa.Column("manifest", JSONText, nullable=False),
    sa.Column("configuration", JSONText, nullable=False),
    sa.Column("resources", JSONText, nullable=False),
    sa.Column("plan", JSONText, nullable=False),
    sa.Column("tags", JSONText),  # the manifest's job.tags
    sa.Column("tag_text", PortableText()),  # the same, one per line, which the list's keyword also matches
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("deprecated", UtcDateTime),
    sa.Column("paused", UtcDateTime),
    sa.Column("last_modified", UtcDateTime, nullable=False),
    sa.UniqueConstraint("name", "version"),
)
# Every revision of a job type: one per manifest it was given (Scale's JobTypeRevision).
TABLES.table(
    "job_type_revisions",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_type_id", sa.ForeignKey("scale_job_types.id"), nullable=False),
    sa.Column("revision_num", sa.Integer, nullable=False),
    sa.Column("docker_image", PortableString(250), nullable=False),
    sa.Column("manifest", JSONText, nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.UniqueConstraint("job_type_id", "revision_num"),
)
TABLES.table(
    "errors",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(50), nullable=False, unique=True),
    sa.Column("title", PortableString(50)),
    sa.Column("description", PortableString(250)),
    sa.Column("job_type_name", PortableString(250)),
    sa.Column("category", PortableString(50), nullable=False),
    sa.Column("is_builtin", sa.Boolean, nullable=False),
    sa.Column("should_be_retried", sa.Boolean, nullable=False),
    sa.Column("created", UtcDateTime),
    sa.Column("last_modified", UtcDateTime),
)
TABLES.table(
    "nodes",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("hostname", PortableString(250), nullable=False),
    sa.Column("pause_reason", PortableString(250)),
    sa.Column("is_paused", sa.Boolean, nullable=False, default=False),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("deprecated", UtcDateTime),
    sa.Column("created", UtcDateTime),
    sa.Column("last_modified", UtcDateTime),
)
TABLES.table(
    "workspaces",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(50), nullable=False),
    sa.Column("title", PortableString(50)),
    sa.Column("description", PortableString(500)),
    sa.Column("base_url", PortableString(500)),
    sa.Column("is_active", sa.Boolean, nullable=False, default=True),
    sa.Column("json_config", JSONText),
    sa.Column("created", UtcDateTime),
    sa.Column("deprecated", UtcDateTime),
    sa.Column("last_modified", UtcDateTime),
)
TABLES.table(
    "files",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("file_name", PortableString(250), nullable=False, index=True),
    sa.Column("workspace_id", sa.ForeignKey("scale_workspaces.id"), nullable=False),
    sa.Column("media_type", PortableString(250), nullable=False),
    sa.Column("file_type", PortableString(50), nullable=False),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("file_path", PortableString(1000), nullable=False),
    sa.Column("data_type_tags", JSONText, nullable=False),
    sa.Column("countries", JSONText, nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("last_modified", UtcDateTime, nullable=False, index=True),
    sa.Column("data_started", UtcDateTime),
    sa.Column("data_ended", UtcDateTime),
    sa.Column("source_started", UtcDateTime),
    sa.Column("source_ended", UtcDateTime),
    sa.Column("source_sensor_class", PortableString(250)),
    sa.Column("source_sensor", PortableString(250)),
    sa.Column("source_collection", PortableString(250)),
    sa.Column("source_task", PortableString(250)),
    # A product's origin: the execution that wrote it, under which output, in which recipe and batch. It exists
    # (is listed) once that execution has completed, as Scale stores products at the end of a run.
    sa.Column("job_id", sa.Integer, index=True),
    sa.Column("job_exe_id", sa.Integer, index=True),
    sa.Column("job_type_id", sa.Integer),
    sa.Column("job_output", PortableString(250)),
    sa.Column("recipe_id", sa.Integer),
    sa.Column("recipe_type_id", sa.Integer),
    sa.Column("recipe_node", PortableString(250)),
    sa.Column("batch_id", sa.Integer),
    sa.Column("is_superseded", sa.Boolean, nullable=False, default=False),
    sa.Column("superseded", UtcDateTime),
    sa.Column("meta_data", JSONText),
)
TABLES.table(
    "events",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("type", PortableString(50), nullable=False),
    sa.Column("occurred", UtcDateTime, nullable=False),
)
TABLES.table(
    "recipe_types",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(50), nullable=False, unique=True),
    sa.Column("title", PortableString(50)),
    sa.Column("description", PortableString(500)),
    sa.Column("revision_num", sa.Integer, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("is_system", sa.Boolean, nullable=False),
    # {"input": ..., "nodes": {name: {"dependencies": [...], "input": ..., "node_type": {...}}}}: its job nodes
    # name the job types (name and version) it runs.
    sa.Column("definition", JSONText, nullable=False),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("deprecated", UtcDateTime),
    sa.Column("last_modified", UtcDateTime, nullable=False),
)
TABLES.table(
    "batches",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", PortableString(50)),
    sa.Column("description", PortableString(500)),
    sa.Column("recipe_type_id", sa.Integer),
    sa.Column("recipe_type_rev_id", sa.Integer),
    sa.Column("event_id", sa.Integer),
    sa.Column("is_superseded", sa.Boolean, nullable=False, default=False),
    sa.Column("root_batch_id", sa.Integer),
    sa.Column("superseded_batch_id", sa.Integer),
    sa.Column("is_creation_done", sa.Boolean, nullable=False, default=True),
    sa.Column("recipes_estimated", sa.Integer, nullable=False, default=0),
    sa.Column("definition", JSONText),
    sa.Column("configuration", JSONText),
    sa.Column("created", UtcDateTime, nullable=False),
    sa.Column("superseded", UtcDateTime),
    sa.Column("last_modified", UtcDateTime),
)
TABLES.table(
    "recipes",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recipe_type_id", sa.ForeignKey("scale_recipe_types.id"), nullable=False),
    sa.Column("recipe_type_rev_id", sa.Integer, nullable=False),
    sa.Column("event_id", sa.ForeignKey("scale_events.id"), nullable=False),
    sa.Column("batch_id", sa.ForeignKey("scale_batches.id")),
    sa.Column("recipe_id", sa.Integer),  # the recipe this one is a sub-recipe of
    sa.Column("root_recipe_id", sa.Integer),
    sa.Column("is_superseded", sa.Boolean, nullable=False, default=False),
    sa.Column("superseded", UtcDateTime),
    sa.Column("superseded_recipe_id", sa.Integer),
    sa.Column("superseded_by_recipe_id", sa.Integer),
    sa.Column("input", JSONText),
    sa.Column("input_file_size", sa.Float),
    sa.Column("created", UtcDateTime, nullable=False),
)
TABLES.table(
    "jobs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_type_id", sa.ForeignKey("scale_job_types.id"), nullable=False, index=True),
    sa.Column("job_type_rev_id", sa.Integer),  # the revision it was queued with, kept when its type changes
    sa.Column("event_id", sa.ForeignKey("scale_events.id"), nullable=False, index=True),
    sa.Column("recipe_id", sa.ForeignKey("scale_recipes.id"), index=True),
    sa.Column("batch_id", sa.ForeignKey("scale_batches.id"), index=True),
    sa.Column("node_id", sa.ForeignKey("scale_nodes.id"), index=True),
    sa.Column("error_id", sa.ForeignKey("scale_errors.id"), index=True),
    sa.Column("is_superseded", sa.Boolean, nullable=False),  # no index: nearly every job has False
    sa.Column("superseded", UtcDateTime, index=True),
    sa.Column("superseded_job_id", sa.Integer),
    sa.Column("superseded_by_job_id", sa.Integer),
    sa.Column("input", JSONText, nullable=False),
    sa.Column("output", JSONText, nullable=False),
    sa.Column("configuration", JSONText, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, index=True),
    sa.Column("max_tries", sa.Integer, nullable=False, index=True),
    sa.Column("num_exes", sa.Integer, nullable=False, index=True),
    sa.Column("input_file_size", sa.Float, index=True),
    sa.Column("source_started", UtcDateTime, index=True),
    sa.Column("source_ended", UtcDateTime, index=True),
    sa.Column("source_sensor_class", PortableString(250), index=True),
    sa.Column("source_sensor", PortableString(250), index=True),
    sa.Column("source_collection", PortableString(250), index=True),
    sa.Column("source_task", PortableString(250), index=True),
    sa.Column("created", UtcDateTime, nullable=False, index=True),
    # The current attempt's plan; see the module docstring.
    sa.Column("queued", UtcDateTime, index=True),
    sa.Column("run_at", UtcDateTime, index=True),
    sa.Column("end_at", UtcDateTime, index=True),
    sa.Column("outcome", PortableString(50), nullable=False),
    sa.Column("changed", UtcDateTime),
    # While the job type is paused, a job that has not started waits with no run planned (run_at, end_at NULL);
    # this keeps how long its run will take once the type is resumed.
    sa.Column("held_seconds", sa.Float),
    # A cancel cut the plan short (the job was queued or running): Scale leaves such a job's `ended` null.
    sa.Column("cut_short", sa.Boolean),
)


# Each stored column the job list filters or orders by has an index of its own (index=True). These serve
# the common combinations, as queries.py writes them: a final status is ``outcome IN (...) AND end_at <=
# now``, whose last_modified is end_at while `changed` is NULL; with one job type, or with any (several, or
# none: job_type_id comes last, so the filter is tested in the index). DESC columns let the usual
# newest-first order (ties broken by ascending id) be read straight off. The last one serves that order
# over jobs of every status.
def _index_combinations(jobs: sa.Table) -> None:
    c = jobs.c
    for name, *columns in (
        ("type_outcome_end", c.job_type_id, c.outcome, c.end_at),
        ("type_outcome_changed_end", c.job_type_id, c.outcome, c.changed, c.end_at.desc()),
        ("type_outcome_created", c.job_type_id, c.outcome, c.created.desc(), c.end_at),
        ("type_outcome", c.job_type_id, c.outcome),
        ("outcome_end", c.outcome, c.end_at, c.job_type_id),
        ("outcome_changed_end", c.outcome, c.changed, c.end_at.desc(), c.job_type_id),
        ("outcome_created", c.outcome, c.created.desc(), c.end_at, c.job_type_id),
        ("outcome", c.outcome),
        ("changed_end", c.changed, c.end_at.desc()),
    ):
        jobs.append_constraint(sa.Index(f"ix_scale_jobs_{name}", *columns))


_index_combinations(TABLES.jobs)

TABLES.table(
    "job_inputs",
    sa.Column("job_id", sa.ForeignKey("scale_jobs.id"), primary_key=True),
    sa.Column("job_input", PortableString(250), primary_key=True),
    sa.Column("file_id", sa.ForeignKey("scale_files.id"), primary_key=True),
)
TABLES.table(
    "job_exes",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.ForeignKey("scale_jobs.id"), nullable=False),
    sa.Column("exe_num", sa.Integer, nullable=False),
    sa.Column("node_id", sa.ForeignKey("scale_nodes.id"), nullable=False),
    sa.Column("error_id", sa.ForeignKey("scale_errors.id")),
    # Indexed for the answer memo: the next instant an execution changes state is a look-up (Pack.state_instants).
    sa.Column("queued", UtcDateTime, nullable=False, index=True),
    sa.Column("run_at", UtcDateTime, index=True),
    sa.Column("end_at", UtcDateTime, index=True),
    sa.Column("outcome", PortableString(50), nullable=False),
    sa.Column("timeout", sa.Integer, nullable=False),
    sa.Column("input_file_size", sa.Float),
    sa.UniqueConstraint("job_id", "exe_num"),
)
# How many jobs of each job type ended with each outcome by an instant: what the job list counts by (see
# tally.py). Every row holds the same instant.
TABLES.table(
    "job_tally",
    sa.Column("job_type_id", sa.ForeignKey("scale_job_types.id"), primary_key=True),
    sa.Column("outcome", PortableString(50), primary_key=True),
    sa.Column("jobs", sa.Integer, nullable=False),
    sa.Column("ended_by", UtcDateTime, nullable=False),
)
