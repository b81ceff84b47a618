"""A Scale state file holding many jobs, built fast, for measuring list latency against the store's size.

The file is first created and seeded by ``mockingjob serve scale --state FILE`` itself (tables, fixtures,
clock, the "seeded" marks). Jobs are then added through SQLAlchemy Core with the Scale pack's own table
definitions, shaped like the rows ``seed._seed_job`` writes: one job row carrying its current attempt's
instants (its status is derived from them and the clock), one execution row, the input-file links.

Each added job copies the structure of a fixture job (job type, inputs, source, recipe, batch, event) and gets
a status (QUEUED, RUNNING, COMPLETED, FAILED or CANCELED) and instants of its own. A few thousand such jobs are
written row by row; the rest are copies of them under new ids, made by the database (INSERT ... SELECT), since
a million rows built in Python would take minutes. The list query evaluates every candidate row alike, so the
repeats change nothing it does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.core.clock import Clock
from mockingjob.core.store import Store
from mockingjob.packs.scale import tally
from mockingjob.packs.scale.tables import TABLES

DISTINCT_JOBS = 5_000
# The share of each status among the added jobs (out of 20).
STATUS_SLOTS = ("COMPLETED",) * 11 + ("FAILED",) * 3 + ("CANCELED",) * 2 + ("RUNNING",) * 2 + ("QUEUED",) * 2
# Jobs still queued or running finish hours from now, so that the store does not change while it is measured.
FAR = timedelta(hours=6)
HISTORY = timedelta(days=30)
# As in the fixtures: created 30 s before queued, source data from two hours to one hour before.
CREATED_BEFORE_QUEUED = timedelta(seconds=30)
SOURCE_START, SOURCE_END = timedelta(hours=2), timedelta(hours=1)
# Loading settings: no journal and no fsync (nothing here must survive a crash), and a page cache big enough
# (up to 2 GB) to keep a million rows in memory while their indexes are built.
LOAD_PRAGMAS = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-2000000",
                "PRAGMA temp_store=MEMORY")


@dataclass(frozen=True)
class Template:
    """A fixture job whose structure added jobs copy: its row and its input-file links."""

    row: dict[str, Any]
    inputs: list[tuple[str, int]]
    timeout: int
    error_id: int | None


@dataclass(frozen=True)
class Attempt:
    """The instants of a job's only attempt and how it ends (what ``_seed_job`` derives from a fixture)."""

    queued: datetime
    run_at: datetime | None
    end_at: datetime | None
    outcome: str
    error_id: int | None


@dataclass
class Rows:
    jobs: list[dict[str, Any]]
    exes: list[dict[str, Any]]
    inputs: list[dict[str, Any]]


def read_templates(conn: Connection) -> list[Template]:
    t = TABLES
    timeouts = dict(conn.execute(sa.select(t.job_types.c.id, t.job_types.c.timeout)).all())
    inputs: dict[int, list[tuple[str, int]]] = {}
    for job_id, name, file_id in conn.execute(sa.select(t.job_inputs)).all():
        inputs.setdefault(job_id, []).append((name, file_id))
    # A job type's own error when a fixture job of that type failed with one; "unknown" otherwise.
    failed = dict(conn.execute(sa.select(t.jobs.c.job_type_id, t.jobs.c.error_id).where(
        t.jobs.c.error_id.is_not(None))).all())
    unknown = conn.execute(sa.select(t.errors.c.id).where(t.errors.c.name == "unknown")).scalar_one()
    return [Template(dict(job), inputs.get(job["id"], []), timeouts[job["job_type_id"]],
                     failed.get(job["job_type_id"], unknown))
            for job in conn.execute(sa.select(t.jobs).order_by(t.jobs.c.id)).mappings()]


def random_attempt(rng: random.Random, now: datetime, error_id: int | None) -> Attempt:
    """An attempt in one of the five states at `now`, with durations like the fixtures'."""
    status = rng.choice(STATUS_SLOTS)
    wait = timedelta(seconds=rng.randint(5, 300))
    run = timedelta(seconds=rng.randint(30, 3600))
    if status == "QUEUED":
        return Attempt(now - wait, now + FAR, now + FAR + run, "COMPLETED", None)
    if status == "RUNNING":
        queued = now - wait - run
        return Attempt(queued, queued + wait, now + FAR, "COMPLETED", None)
    queued = now - HISTORY * rng.random() - wait - run
    if status == "CANCELED":  # canceled while queued: it never ran
        return Attempt(queued, None, queued + wait, "CANCELED", None)
    return Attempt(queued, queued + wait, queued + wait + run, status, error_id if status == "FAILED" else None)


def job_row(job_id: int, template: Template, attempt: Attempt, node_id: int) -> dict[str, Any]:
    return {
        **template.row, "id": job_id, "node_id": node_id, "error_id": attempt.error_id,
        "is_superseded": False, "superseded": None, "superseded_job_id": None, "superseded_by_job_id": None,
        "num_exes": 1, "created": attempt.queued - CREATED_BEFORE_QUEUED, "queued": attempt.queued,
        "run_at": attempt.run_at, "end_at": attempt.end_at, "outcome": attempt.outcome, "changed": None,
        "source_started": attempt.queued - SOURCE_START, "source_ended": attempt.queued - SOURCE_END,
    }


def exe_row(job_id: int, template: Template, attempt: Attempt, node_id: int) -> dict[str, Any]:
    return {
        "job_id": job_id, "exe_num": 1, "node_id": node_id, "error_id": attempt.error_id,
        "queued": attempt.queued, "run_at": attempt.run_at, "end_at": attempt.end_at, "outcome": attempt.outcome,
        "timeout": template.timeout, "input_file_size": template.row["input_file_size"],
    }


def distinct_rows(templates: list[Template], now: datetime, node_ids: list[int], first_id: int, count: int,
                  seed: int = 7) -> Rows:
    """`count` jobs with ids from `first_id`, cycling through the fixture jobs, each with a random attempt."""
    rng = random.Random(seed)
    rows = Rows([], [], [])
    for job_id in range(first_id, first_id + count):
        template = templates[job_id % len(templates)]
        attempt = random_attempt(rng, now, template.error_id)
        node_id = rng.choice(node_ids)
        rows.jobs.append(job_row(job_id, template, attempt, node_id))
        rows.exes.append(exe_row(job_id, template, attempt, node_id))
        rows.inputs += [{"job_id": job_id, "job_input": name, "file_id": file_id}
                        for name, file_id in template.inputs]
    return rows


def copy_statements() -> list[sa.Insert]:
    """INSERT ... SELECT statements that repeat the jobs with ids in [lo, hi) (and their executions and input
    links) under ids shifted by `shift`."""
    shift, lo, hi = (sa.bindparam(name, type_=sa.Integer) for name in ("shift", "lo", "hi"))
    statements = []
    for table, key in ((TABLES.jobs, "id"), (TABLES.job_exes, "job_id"), (TABLES.job_inputs, "job_id")):
        # The executions' own ids are left out: the database numbers the copies.
        columns = [c for c in table.columns if not (table is TABLES.job_exes and c.name == "id")]
        selected = [(c + shift).label(c.name) if c.name == key else c for c in columns]
        statements.append(table.insert().from_select(
            [c.name for c in columns], sa.select(*selected).where(table.c[key] >= lo, table.c[key] < hi)))
    return statements


def copy_blocks(first_id: int, block: int, count: int) -> Iterator[dict[str, int]]:
    """Parameters of `copy_statements` that fill ids first_id + block .. first_id + count - 1."""
    for start in range(block, count, block):
        size = min(block, count - start)
        yield {"shift": start, "lo": first_id, "hi": first_id + size}


def load(conn: Connection, rows: Rows, first_id: int, count: int, now: datetime) -> None:
    """Write the distinct rows, repeat them up to `count` jobs, with the jobs' indexes built once at the end."""
    indexes = [*TABLES.jobs.indexes, *TABLES.job_exes.indexes]
    for index in indexes:
        index.drop(conn, checkfirst=True)
    conn.execute(TABLES.jobs.insert(), rows.jobs)
    conn.execute(TABLES.job_exes.insert(), rows.exes)
    if rows.inputs:
        conn.execute(TABLES.job_inputs.insert(), rows.inputs)
    statements = copy_statements()
    for params in copy_blocks(first_id, len(rows.jobs), count):
        for statement in statements:
            conn.execute(statement, params)
    for index in indexes:
        index.create(conn)
    tally.rebuild(conn, now)  # the jobs were written past the pack's own writes, which keep it


def add_jobs(path: Path, total_jobs: int) -> int:
    """Bring the seeded Scale store at `path` up to `total_jobs` jobs; return how many were added."""
    store = Store(str(path))  # the project's own store, to read its clock
    try:
        now = Clock(store).now()
    finally:
        store.dispose()
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            for pragma in LOAD_PRAGMAS:
                conn.exec_driver_sql(pragma)
            templates = read_templates(conn)
            node_ids = list(conn.execute(sa.select(TABLES.nodes.c.id)).scalars())
            first_id = conn.execute(sa.select(sa.func.max(TABLES.jobs.c.id))).scalar_one() + 1
            existing = conn.execute(sa.select(sa.func.count()).select_from(TABLES.jobs)).scalar_one()
            count = max(0, total_jobs - existing)
            rows = distinct_rows(templates, now, node_ids, first_id, min(DISTINCT_JOBS, count))
            load(conn, rows, first_id, count, now)
            conn.commit()
    finally:
        engine.dispose()
    return count


def timed_add_jobs(path: Path, total_jobs: int) -> tuple[int, float]:
    """`add_jobs`, with the seconds it took."""
    start = time.perf_counter()
    added = add_jobs(path, total_jobs)
    return added, time.perf_counter() - start


def consolidate(path: Path) -> None:
    """Fold the write-ahead log a stopped server left behind into the file, so that the file alone is the store."""
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    finally:
        engine.dispose()
