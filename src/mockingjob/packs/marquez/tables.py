"""The Marquez pack's tables.

A run stores its current state as Marquez does (``current_run_state``): Marquez records runs rather than running
them, so a run moves only when a client marks it, never with the clock. ``transitioned_at`` is the instant of
its latest transition, which decides a job's latest run.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.sql.schema import SchemaItem

from mockingjob.store import JSONText, PortableString, UtcDateTime

NAME = 1024


@dataclass(frozen=True)
class Tables:
    namespaces: sa.Table
    datasets: sa.Table
    jobs: sa.Table
    runs: sa.Table

    @property
    def all(self) -> list[sa.Table]:
        return [self.namespaces, self.datasets, self.jobs, self.runs]


def define(metadata: sa.MetaData) -> Tables:
    def table(name: str, *items: SchemaItem) -> sa.Table:
        return sa.Table(f"marquez_{name}", metadata, *items)

    namespaces = table(
        "namespaces",
        sa.Column("name", PortableString(NAME), primary_key=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("owner_name", PortableString(NAME), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("is_hidden", sa.Boolean, nullable=False),
    )
    datasets = table(
        "datasets",
        sa.Column("namespace", PortableString(NAME), primary_key=True),
        sa.Column("name", PortableString(NAME), primary_key=True),
    )
    jobs = table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace", sa.ForeignKey("marquez_namespaces.name"), nullable=False),
        sa.Column("name", PortableString(NAME), nullable=False),
        sa.Column("type", PortableString(20), nullable=False),
        sa.Column("location", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("context", JSONText, nullable=False),
        sa.Column("inputs", JSONText, nullable=False),
        sa.Column("outputs", JSONText, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("current_version", PortableString(36)),
        sa.UniqueConstraint("namespace", "name"),
    )
    runs = table(
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
        # A job's runs in the orders the API lists them: a page of runs (``started_at DESC NULLS LAST``, newest
        # created first) and a job's latest runs (latest transition first); read backwards, neither needs a sort.
        sa.Index("ix_marquez_runs_page", "job_id", "started_at", "created_at", "seq"),
        sa.Index("ix_marquez_runs_latest", "job_id", "transitioned_at", "seq"),
    )
    return Tables(namespaces, datasets, jobs, runs)


# Declared once per process: the pack builds its queries on these, and every store adds these same tables.
TABLES = define(sa.MetaData())
