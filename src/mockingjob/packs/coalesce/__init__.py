"""Coalesce API (coalesce.io), runs and scheduler endpoints.

Mocks starting a refresh run (``/scheduler/startRun``), following it (``runStatus``), canceling and rerunning
it, and the run list, run details and per-node results of ``/api/v1/runs``, after Coalesce API 1.0.0; and what
a client looks up first: environments and their nodes (``/api/v1/environments``), and the jobs of an
environment or workspace that Coalesce's own clients read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Answer, ApiError, Call, Pack, Reply, RunTimeline, Sample

from . import errors, recorded, recorded_files, runs_view, samples, seed
from .handlers import HANDLERS
from .model import COMPLETED, FAILED, INITIALIZING, RENDERING, RUNNING, WAITING
from .queries import job_name, run_number, run_scope
from .tables import TABLES


class CoalescePack(Pack):
    name = "coalesce"
    title = "Coalesce API: runs and scheduler"
    handlers = HANDLERS
    auth = errors.AUTH
    run_operations = frozenset({"Jobs_initiateRun", "Jobs_triggerRerun"})
    outcomes = (COMPLETED, FAILED)
    states = (WAITING, INITIALIZING, RENDERING, RUNNING)
    failure_outcome = FAILED
    scenario_names = ("environment", "job", "jobName")

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, self.fixtures_path, now)

    def add_records(self, conn: Connection, records: Mapping[str, list[dict[str, Any]]],
                    now: datetime) -> dict[str, list[Any]]:
        """Adds users, workspaces, environments, nodes, jobs and runs, by the same code as seeding: a run is
        planned as a fixture run is. Jobs are answered by their ID as text, as the jobs endpoints address them."""
        return seed.add_to_server(conn, self.fixtures_path, records, now)

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
            run = run_scope(call.conn, number) if number is not None else None
            if run is not None:
                environment, job = run.environment_id, run.job_id
        if environment is not None:
            fields["environment"] = environment
        if job is not None:
            fields["job"] = job
            number = run_number(str(job))
            name = job_name(call.conn, number) if number is not None else None
            if name is not None:
                fields["jobName"] = name
        return fields

    def error_document(self, status: int, message: str) -> Any:
        return errors.error_document(status, message)

    def error_reply(self, error: ApiError) -> Reply:
        return errors.error_reply(error)

    def records_from_answer(self, answer: Answer) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Users, workspaces, environments, nodes, jobs and runs, as the catalog and runs answers tell them, and
        the run a startRun made; a run is planned to be, at the answer's instant, as it was answered."""
        return recorded.records_from_answer(answer)

    def recorded_files(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Without the stand-ins no record refers to any more, each kind in ID order (the order nodes are
        processed in): the same files whatever order the client asked in."""
        return recorded_files.recorded_files(records)

    def run_timelines(self, conn: Connection, now: datetime, limit: int) -> Sequence[RunTimeline]:
        return runs_view.run_timelines(self.name, conn, now, limit)

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        return samples.samples(conn, now)


pack = CoalescePack()

__all__ = ["CoalescePack", "pack"]
