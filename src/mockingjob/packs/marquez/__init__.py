"""Marquez (MarquezProject/marquez) API v1: namespaces, jobs and the runs of a job.

Mocks the run endpoints of Marquez's REST API (create a run, list a job's runs, get a run, mark it started,
completed, failed or aborted) and the namespace and job endpoints a client uses with them. Marquez records runs
rather than running them: a run changes state only when a client marks it. Dropwizard error bodies, no auth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import ApiError, Pack, Reply, Sample

from . import errors, samples, seed
from .handlers import HANDLERS
from .tables import TABLES


class MarquezPack(Pack):
    name = "marquez"
    title = "Marquez API v1 (namespaces, jobs, runs)"
    handlers = HANDLERS

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, self.fixtures_path, now)

    def error_document(self, status: int, message: str) -> Any:
        return errors.error_document(status, message)

    def error_reply(self, error: ApiError) -> Reply:
        return errors.error_reply(error)

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        return samples.samples(conn)


pack = MarquezPack()

__all__ = ["MarquezPack", "pack"]
