"""Trifacta / Alteryx Designer Cloud / Google Cloud Dataprep, API v4: job groups.

Mocks ``POST /v4/jobGroups`` (run a recipe, with or without overrides) and the endpoints a client follows it
with: the job group, its status, its jobs, the list of job groups, and cancel. A job group runs the recipes
its recipe depends on, the recipe itself, one file writer per write setting and, with profiling on, a profile
job, one after the other on the mock's clock.
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
from .queries import DATASET_AND_FLOW
from .tables import TABLES


class TrifactaPack(Pack):
    name = "trifacta"
    title = "Trifacta / Designer Cloud v4 job groups"
    handlers = HANDLERS
    auth = errors.AUTH
    run_operations = frozenset({"run_job_group", "run_flow"})
    outcomes = ("Complete", "Failed")
    # "Created": the wait before the first job starts; "InProgress": all the jobs together.
    states = ("Created", "InProgress")
    failure_outcome = "Failed"
    scenario_names = ("dataset", "dataset_name", "flow")
    path_case_note = ("Designer Cloud reads its paths in any case: its own Python SDK calls /v4/jobgroups/{id}/status, "
                      "its v4 reference writes /v4/outputobjects and /v4/writesettings; the documented spelling is "
                      "camelCase (/v4/jobGroups)")

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, self.fixtures_path, now)

    def add_records(self, conn: Connection, records: Mapping[str, list[dict[str, Any]]],
                    now: datetime) -> dict[str, list[Any]]:
        """Flows, imported and wrangled datasets, output objects and job groups, as in the fixture files: checked
        and written exactly as seeding does (`seed.add`); an added job group is planned like a fixture run."""
        return dict(seed.add_records(conn, records, now))

    def records_from_answer(self, answer: Answer) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        """Flows, datasets, output objects and job groups, as the fixture files give them (`recorded`)."""
        return recorded.records_from_answer(answer)

    def recorded_files(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """In seeding order, job groups completed, the stand-in flow left out once no recipe is in it."""
        return recorded_files.recorded_files(records)

    def scenario_fields(self, call: Call) -> Mapping[str, Any]:
        """Adds ``dataset`` (the recipe's id), ``dataset_name`` and ``flow`` (its flow's name)."""
        fields = dict(super().scenario_fields(call))
        target = call.body.get("wrangledDataset") if isinstance(call.body, dict) else None
        ident = target.get("id") if isinstance(target, dict) else None
        if isinstance(ident, int) and not isinstance(ident, bool):
            row = call.conn.execute(DATASET_AND_FLOW, {"id": ident}).first()
            fields["dataset"] = ident
            if row is not None:
                fields.update(dataset_name=row.name, flow=row.flow)
        return fields

    def error_document(self, status: int, message: str) -> Any:
        return errors.error_document(status, message)

    def error_reply(self, error: ApiError) -> Reply:
        return errors.error_reply(error)

    def run_timelines(self, conn: Connection, now: datetime, limit: int) -> Sequence[RunTimeline]:
        return runs_view.run_timelines(self.name, conn, now, limit)

    def clock_bound(self, operation_id: str, query: bytes) -> bool:
        # A running job's percentComplete and lastHeartbeatAt move with every instant: its documents, and those
        # of job groups embedding their jobs, do too.
        return operation_id == "get_job_group_jobs" or b"jobs" in query

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        return samples.samples(conn, now)


pack = TrifactaPack()

__all__ = ["TrifactaPack", "pack"]
