"""Scale v6 job services (ngageoint/scale, Django REST framework 3.9).

Mocks the nine job endpoints of the v6 REST API (list, queue, details, input files, executions, execution
details, cancel, requeue, execution logs) and what Scale's web UI and scripts call around a job: job types
(versions, names, details, revisions, status lists; registering, editing, pausing, validating), files (a
completed job's products among them), recipes, batches, nodes, workspaces, errors and the version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Answer, ApiError, Call, Pack, Reply, RunTimeline, Sample

from . import errors, recorded, recorded_folder, runs_view, samples, seed
from .handlers import HANDLERS
from .queries import job_type_name_version
from .tables import TABLES


class ScalePack(Pack):
    name = "scale"
    title = "Scale v6 job services"
    handlers = HANDLERS
    # Only writes declare security: reads are public, as with Scale's PUBLIC_READ_API.
    auth = errors.AUTH
    run_operations = frozenset({"queue_job", "requeue_jobs"})
    outcomes = ("COMPLETED", "FAILED")
    states = ("QUEUED", "RUNNING")
    failure_outcome = "FAILED"
    scenario_names = ("job_type", "job_type_version")

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, self.fixtures_path, now)

    def add_records(self, conn: Connection, records: Mapping[str, list[dict[str, Any]]],
                    now: datetime) -> dict[str, list[Any]]:
        """Every kind is addressed by its integer id: the answer lists the ids added."""
        return seed.add_records(conn, records, now)

    def records_from_answer(self, answer: Answer) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Every kind is identified by its integer id, the default `record_key`."""
        return recorded.records_from_answer(answer)

    def recorded_files(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        return recorded_folder.recorded_files(records)

    def scenario_fields(self, call: Call) -> Mapping[str, Any]:
        """Adds ``job_type`` (name) and ``job_type_version`` to the request's own fields."""
        fields = dict(super().scenario_fields(call))
        job_type_id = (call.body or {}).get("job_type_id") if isinstance(call.body, dict) else None
        if isinstance(job_type_id, int):
            found = job_type_name_version(call.conn, job_type_id)
            if found is not None:
                fields.update(job_type=found[0], job_type_version=found[1])
        return fields

    def error_document(self, status: int, message: str) -> Any:
        return errors.error_document(status, message)

    def error_reply(self, error: ApiError) -> Reply:
        return errors.error_reply(error)

    def run_timelines(self, conn: Connection, now: datetime, limit: int) -> Sequence[RunTimeline]:
        return runs_view.run_timelines(self.name, conn, now, limit)

    def state_instants(self) -> Sequence[sa.Column[datetime]]:
        # A job changes state at its own instants and its executions' (each indexed): the other tables' instants
        # are written when they happen. A store of a million jobs then finds the next change in a few look-ups.
        jobs, exes = TABLES.jobs.c, TABLES.job_exes.c
        return (jobs.queued, jobs.run_at, jobs.end_at, jobs.created, jobs.superseded, jobs.changed,
                exes.queued, exes.run_at, exes.end_at)

    def clock_bound(self, operation_id: str, query: bytes) -> bool:
        # A log grows while its execution runs; job type status counts back from now (three hours by default);
        # any time filter may be a duration counted back from now (`started=PT1H`).
        return operation_id in ("get_job_execution_log", "list_job_type_status") or b"=P" in query

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        return samples.samples(conn, now)


pack = ScalePack()

__all__ = ["ScalePack", "pack"]
