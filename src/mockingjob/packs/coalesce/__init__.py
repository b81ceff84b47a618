"""Coalesce API (coalesce.io), runs and scheduler endpoints.

Mocks starting a refresh run (``/scheduler/startRun``), following it (``runStatus``), canceling and rerunning
it, and the run list, run details and per-node results of ``/api/v1/runs``, after Coalesce API 1.0.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.requests import Request

from mockingjob.errors import ApiError
from mockingjob.pack import Call, Pack, Reply, Sample

from . import errors, seed
from .handlers import HANDLERS
from .model import COMPLETED, FAILED, INITIALIZING, RENDERING, RUNNING, WAITING
from .queries import run_number
from .tables import TABLES

# Built once: a statement reused is served from SQLAlchemy's compiled cache.
_RUN_SCOPE = (sa.select(TABLES.runs.c.environment_id, TABLES.runs.c.job_id)
              .where(TABLES.runs.c.id == sa.bindparam("id")))
_JOB_NAME = sa.select(TABLES.jobs.c.name).where(TABLES.jobs.c.id == sa.bindparam("id"))


class CoalescePack(Pack):
    name = "coalesce"
    title = "Coalesce API: runs and scheduler"
    handlers = HANDLERS
    run_operations = frozenset({"Jobs_initiateRun", "Jobs_triggerRerun"})
    outcomes = (COMPLETED, FAILED)
    states = (WAITING, INITIALIZING, RENDERING, RUNNING)
    failure_outcome = FAILED
    scenario_names = ("environment", "job", "jobName")

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, TABLES, self.fixtures_path, now)

    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        errors.authenticate(request.headers.get("authorization"), tokens)

    def scenario_fields(self, call: Call) -> Mapping[str, Any]:
        """Adds ``environment`` (its ID), ``job`` (its ID) and ``jobName`` to the request's own fields; a
        rerun is matched by the environment and job of the run it reruns."""
        fields = dict(super().scenario_fields(call))
        details = call.body.get("runDetails") if isinstance(call.body, dict) else None
        if not isinstance(details, dict):
            return fields
        environment, job = details.get("environmentID"), details.get("jobID")
        if isinstance(details.get("runID"), str):
            number = run_number(details["runID"])
            run = call.conn.execute(_RUN_SCOPE, {"id": number}).first() if number is not None else None
            if run is not None:
                environment, job = run.environment_id, run.job_id
        if environment is not None:
            fields["environment"] = environment
        if job is not None:
            fields["job"] = job
            number = run_number(str(job))
            name = call.conn.execute(_JOB_NAME, {"id": number}).scalar() if number is not None else None
            if name is not None:
                fields["jobName"] = name
        return fields

    def render_error(self, error: ApiError) -> Reply:
        return errors.render_error(error)

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        from .check import samples

        return samples(conn, now)


pack = CoalescePack()

__all__ = ["CoalescePack", "pack"]
