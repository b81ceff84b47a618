"""Scale v6 job services (ngageoint/scale, Django REST framework 3.9).

Mocks the nine job endpoints of the v6 REST API (list, queue, details, input files, executions, execution
details, cancel, requeue, execution logs) and the job type endpoints a client needs to find a job type id.
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

from . import drf, seed
from .handlers import HANDLERS
from .tables import TABLES

_JOB_TYPE_NAME = sa.select(TABLES.job_types.c.name, TABLES.job_types.c.version).where(
    TABLES.job_types.c.id == sa.bindparam("id"))


class ScalePack(Pack):
    name = "scale"
    title = "Scale v6 job services"
    handlers = HANDLERS
    run_operations = frozenset({"queue_job", "requeue_jobs"})
    outcomes = ("COMPLETED", "FAILED")
    states = ("QUEUED", "RUNNING")
    failure_outcome = "FAILED"
    scenario_names = ("job_type", "job_type_version")

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, TABLES, self.fixtures_path, now)

    def authenticate(self, request: Request, security: list[dict[str, list[str]]], tokens: frozenset[str]) -> None:
        # Only writes declare security: reads are public, as with Scale's PUBLIC_READ_API.
        drf.authenticate(request.headers.get("authorization"), tokens)

    def scenario_fields(self, call: Call) -> Mapping[str, Any]:
        """Adds ``job_type`` (name) and ``job_type_version`` to the request's own fields."""
        fields = dict(super().scenario_fields(call))
        job_type_id = (call.body or {}).get("job_type_id") if isinstance(call.body, dict) else None
        if isinstance(job_type_id, int):
            row = call.conn.execute(_JOB_TYPE_NAME, {"id": job_type_id}).first()
            if row is not None:
                fields.update(job_type=row.name, job_type_version=row.version)
        return fields

    def render_error(self, error: ApiError) -> Reply:
        return drf.render_error(error)

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        from .check import samples

        return samples(conn, now)


pack = ScalePack()

__all__ = ["ScalePack", "pack"]
