"""A whole mockingjob pack in one module: a made-up task runner whose tasks queue, run and finish on the clock.

Served by ``mockingjob serve tasks`` once this package is installed with the entry point::

    [project.entry-points."mockingjob.packs"]
    tasks = "taskrunner:pack"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import (
    ApiError,
    Call,
    Operations,
    Pack,
    Phase,
    Plan,
    PortableString,
    RelativeTimes,
    Reply,
    Sample,
    TableSet,
    Timeline,
    TokenAuth,
    UtcDateTime,
    format_iso,
    insert_rows,
    inserted_id,
    load_fixtures,
)

HERE = Path(__file__).parent

# --- tables: declared once per process; every store creates the ones it lacks ------------------------------
TABLES = TableSet("tasks")
TABLES.table(
    "tasks",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", PortableString(100), nullable=False),
    sa.Column("queued_at", UtcDateTime, nullable=False),
    sa.Column("running_at", UtcDateTime, nullable=False),
    sa.Column("ended_at", UtcDateTime, nullable=False),
    sa.Column("outcome", PortableString(20), nullable=False),
)
T = TABLES.tasks


# --- the lifecycle: stored instants, the state derived from the clock ---------------------------------------
def plan(seconds: float) -> Plan:
    return Plan((Phase("QUEUED", 1), Phase("RUNNING", seconds)), "SUCCEEDED")


def timeline(row: Any) -> Timeline:
    return Timeline((("QUEUED", row.queued_at), ("RUNNING", row.running_at), (row.outcome, row.ended_at)))


def document(row: Any, now: datetime) -> dict[str, Any]:
    steps = timeline(row)
    ended = steps.entered(row.outcome, now)
    return {"id": row.id, "name": row.name, "state": steps.state_at(now), "queuedAt": format_iso(row.queued_at),
            "endedAt": format_iso(ended)}


def values(name: str, run: Timeline) -> dict[str, Any]:
    (_, queued), (_, running), (outcome, ended) = run.steps
    return {"name": name, "queued_at": queued, "running_at": running, "ended_at": ended, "outcome": outcome}


# --- handlers: one per operationId of spec.yaml ---------------------------------------------------------
HANDLERS = Operations()


@HANDLERS
async def list_tasks(call: Call) -> Reply:
    rows = call.conn.execute(sa.select(T).order_by(T.c.queued_at.desc(), T.c.id.desc()))
    return Reply({"tasks": [document(row, call.now) for row in rows]})


@HANDLERS
async def start_task(call: Call) -> Reply:
    # A scenario or a `Prefer: outcome=FAILED` header reaches the handler as call.effect.
    run = call.effect.apply(plan(call.body.get("seconds", 5))).schedule(call.now)
    task_id = inserted_id(call.conn.execute(T.insert(), values(call.body["name"], run)))
    row = call.conn.execute(sa.select(T).where(T.c.id == task_id)).one()
    return Reply(document(row, call.now), 201, {"Location": call.url(f"/tasks/{task_id}")})


@HANDLERS
async def get_task(call: Call) -> Reply:
    row = call.conn.execute(sa.select(T).where(T.c.id == call.params["taskId"])).first()
    if row is None:
        raise ApiError(404, f"no task {call.params['taskId']}")
    return Reply(document(row, call.now))


# --- the pack ------------------------------------------------------------------------------------------
class TaskRunnerPack(Pack):
    name = "tasks"
    title = "Task runner"
    spec_file = HERE / "spec.yaml"
    fixtures_folder = HERE / "fixtures"
    handlers = HANDLERS
    auth = TokenAuth("Bearer", 401, {"default": "a bearer token is required"})
    run_operations = frozenset({"start_task"})
    outcomes = ("SUCCEEDED", "FAILED")
    states = ("QUEUED", "RUNNING")
    failure_outcome = "FAILED"

    def tables(self) -> list[sa.Table]:
        return TABLES.all

    def seed(self, conn: Connection, now: datetime) -> None:
        at = RelativeTimes(now, str(self.fixtures_path))
        rows = []
        for task in load_fixtures(self.fixtures_path, ["tasks"])["tasks"]:
            run = Plan((Phase("QUEUED", 1), Phase("RUNNING", task["seconds"])), task["outcome"])
            rows.append({"id": task["id"], **values(task["name"], run.schedule(at(task["queued"]) or now))})
        insert_rows(conn, T, rows)

    def error_document(self, status: int, message: str) -> Mapping[str, str]:
        return {"error": message}

    def samples(self, conn: Connection, now: datetime) -> Iterable[Sample]:
        for row in conn.execute(sa.select(T)):
            yield Sample("Task", document(row, now), f"task {row.id}")


pack = TaskRunnerPack()
