"""Marquez (MarquezProject/marquez) API v1: OpenLineage events in, and the read API its clients and web UI use.

OpenLineage run, job and dataset events (``POST /api/v1/lineage``) record namespaces, jobs with their versions,
runs, datasets with their versions, sources and column lineage, as Marquez's OpenLineageDao does; the read API
serves them back (jobs, runs, datasets, versions, tags, the lineage graph, column lineage, upstream runs,
search). The older run endpoints (create a run, mark it started, completed, failed or aborted) work on the same
runs. Marquez records runs rather than running them: a run changes state only when a client or an event marks
it. Dropwizard error bodies, no auth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import Answer, ApiError, Pack, Reply, RunTimeline, Sample

from . import errors, recorded, runs_view, samples, seed
from .handlers import HANDLERS
from .tables import TABLES


class MarquezPack(Pack):
    name = "marquez"
    title = "Marquez API v1 (OpenLineage, namespaces, jobs, runs, datasets, lineage)"
    handlers = HANDLERS
    # Dropwizard's gzip handler decompresses a request body sent with Content-Encoding: gzip (openlineage-python's
    # HTTP transport sends one when told to compress).
    request_encodings = frozenset({"gzip"})

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, self.fixtures_path, now)

    def add_records(self, conn: Connection, records: Mapping[str, list[dict[str, Any]]],
                    now: datetime) -> dict[str, list[Any]]:
        # The seeding's own code: added records look as fixtures do. A dataset's or job's namespace and a job's
        # datasets must exist (as Marquez's PUT endpoints require); an event makes what it names, as
        # POST /api/v1/lineage does.
        return seed.add(conn, records, now)

    def error_document(self, status: int, message: str) -> Any:
        return errors.error_document(status, message)

    def error_reply(self, error: ApiError) -> Reply:
        return errors.error_reply(error)

    def records_from_answer(self, answer: Answer) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        return recorded.records_from_answer(answer)

    def recorded_files(self, records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        # Events are applied in the files' order, and a job's runs are gathered by id while recording.
        return recorded.recorded_files(records)

    def record_key(self, kind: str, record: Mapping[str, Any]) -> Any:
        # Marquez names datasets and jobs by namespace and name, events by the run and step they tell.
        return recorded.record_key(kind, record)

    def run_timelines(self, conn: Connection, now: datetime, limit: int) -> Sequence[RunTimeline]:
        return runs_view.run_timelines(self.name, conn, now, limit)

    def clock_bound(self, operation_id: str, query: bytes) -> bool:
        # The stats count in periods that end now.
        return operation_id.endswith("_stats")

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        return samples.samples(conn)


pack = MarquezPack()

__all__ = ["MarquezPack", "pack"]
