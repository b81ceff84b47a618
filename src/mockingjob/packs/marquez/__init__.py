"""Marquez (MarquezProject/marquez) API v1: namespaces, jobs and the runs of a job.

Mocks the run endpoints of Marquez's REST API (create a run, list a job's runs, get a run, mark it started,
completed, failed or aborted) and the namespace and job endpoints a client uses with them. Marquez records runs
rather than running them: a run changes state only when a client marks it. Dropwizard error bodies, no auth.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.errors import ApiError
from mockingjob.pack import Pack, Reply, Sample

from . import dropwizard, seed
from .handlers import HANDLERS
from .tables import TABLES


class MarquezPack(Pack):
    name = "marquez"
    title = "Marquez API v1 (namespaces, jobs, runs)"
    handlers = HANDLERS

    def tables(self) -> Sequence[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        seed.seed(conn, TABLES, self.fixtures_path, now)

    def render_error(self, error: ApiError) -> Reply:
        return dropwizard.render_error(error)

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        from .check import samples

        return samples(conn)


pack = MarquezPack()

__all__ = ["MarquezPack", "pack"]
