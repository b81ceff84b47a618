"""The Coalesce pack's tables.

A run keeps the instants it enters each state (``queued_at`` → ``init_at`` → ``render_at`` → ``run_at`` →
``end_at`` with ``outcome``); its status and end time are derived from them and the clock. Its nodes are
processed in batches of ``parallelism``, each batch taking ``node_seconds``, so per-node results are derived
the same way. Snowflake secrets are never stored: only the auth type, username, role and warehouse.

Users, workspaces, environments, their nodes and jobs come from the fixtures and change with nothing a client
does; what an environment shows of its runs (its status, the jobs it is running) is derived from the runs.
"""

from __future__ import annotations

import sqlalchemy as sa

from mockingjob.kit import JSONText, PortableString, TableSet, UtcDateTime

# Declared once per process: the pack builds its queries on these, and every store adds these same tables.
TABLES = TableSet("coalesce")

TABLES.table(
    "users",
    sa.Column("id", PortableString(64), primary_key=True),
    sa.Column("first_name", PortableString(250)),
    sa.Column("last_name", PortableString(250)),
)
TABLES.table(
    "workspaces",
    sa.Column("id", PortableString(64), primary_key=True),
    sa.Column("name", PortableString(250), nullable=False),
    sa.Column("project", PortableString(64), nullable=False),
)
TABLES.table(
    "environments",
    sa.Column("id", PortableString(64), primary_key=True),
    sa.Column("name", PortableString(250), nullable=False),
    sa.Column("description", PortableString(2000)),
    sa.Column("project", PortableString(64), nullable=False),
    sa.Column("connection_account", PortableString(250), nullable=False),
    sa.Column("oauth_enabled", sa.Boolean, nullable=False),
    sa.Column("runtime_parameters", JSONText, nullable=False),
    sa.Column("tag_colors", JSONText),
    sa.Column("default_storage_mapping", PortableString(250)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.ForeignKey("coalesce_users.id"), nullable=False),
    sa.Column("git_branch", PortableString(250)),
    sa.Column("git_url", PortableString(1000)),
    sa.Column("plan", JSONText, nullable=False),
)
TABLES.table(
    "nodes",
    sa.Column("id", PortableString(64), primary_key=True),
    sa.Column("environment_id", sa.ForeignKey("coalesce_environments.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", PortableString(250), nullable=False),
    sa.Column("description", PortableString(2000), nullable=False),
    sa.Column("location_name", PortableString(250), nullable=False),
    sa.Column("node_type", PortableString(50), nullable=False),
    sa.Column("database", PortableString(250), nullable=False),
    sa.Column("schema", PortableString(250), nullable=False),
)
TABLES.table(
    "jobs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("environment_id", sa.ForeignKey("coalesce_environments.id"), nullable=False, index=True),
    sa.Column("workspace_id", sa.ForeignKey("coalesce_workspaces.id"), nullable=False, index=True),
    sa.Column("name", PortableString(250), nullable=False),
    sa.Column("include_selector", PortableString()),
    sa.Column("exclude_selector", PortableString()),
    sa.Column("plan", JSONText, nullable=False),
)
TABLES.table(
    "runs",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_type", PortableString(20), nullable=False),
    sa.Column("environment_id", sa.ForeignKey("coalesce_environments.id"), nullable=False),
    sa.Column("job_id", sa.ForeignKey("coalesce_jobs.id")),
    sa.Column("rerun_of", sa.Integer),
    sa.Column("attempt", sa.Integer, nullable=False),
    # The runs this one reruns, the first first (a rerun of a rerun names both); [] for a first run.
    sa.Column("run_history", JSONText, nullable=False),
    # Who started it: the user of the bearer token (a fixture run's `user`).
    sa.Column("user_id", PortableString(64), nullable=False),
    sa.Column("include_selector", PortableString()),
    sa.Column("exclude_selector", PortableString()),
    sa.Column("parallelism", sa.Integer, nullable=False),
    sa.Column("force_ignore", sa.Boolean, nullable=False),
    sa.Column("deploy_commit", PortableString(64)),
    sa.Column("deploy_commit_message", PortableString(1000)),
    sa.Column("runtime_parameters", JSONText, nullable=False),
    # The credentials' public half; secrets never reach the store.
    sa.Column("auth_type", PortableString(20), nullable=False),
    sa.Column("username", PortableString(256)),
    sa.Column("role", PortableString(256)),
    sa.Column("warehouse", PortableString(256)),
    sa.Column("node_ids", JSONText, nullable=False),
    # How many nodes the run's selection picks (a rerun: its first run's), beside the nodes it runs (node_ids).
    sa.Column("nodes_for_refresh", sa.Integer),
    sa.Column("node_seconds", sa.Float, nullable=False),
    sa.Column("fail_node_id", PortableString(64)),
    sa.Column("failure_reason", PortableString(2000)),
    sa.Column("queued_at", UtcDateTime, nullable=False, index=True),
    sa.Column("init_at", UtcDateTime),
    sa.Column("render_at", UtcDateTime),
    sa.Column("run_at", UtcDateTime),
    sa.Column("end_at", UtcDateTime, index=True),
    sa.Column("outcome", PortableString(20), nullable=False),
    # The list's filters and orders (start and end time above; id is the key): an environment's runs in ID
    # order; of a type, by end time (also the last deployment every refresh checks); runs of a type in ID
    # order; runs in a final state, which is their outcome once ended.
    sa.Index("ix_coalesce_runs_environment", "environment_id", "id"),
    sa.Index("ix_coalesce_runs_environment_type", "environment_id", "run_type", "end_at"),
    sa.Index("ix_coalesce_runs_type", "run_type", "id"),
    sa.Index("ix_coalesce_runs_outcome", "outcome", "end_at"),
)
