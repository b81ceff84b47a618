"""Loading the Scale fixtures (``fixtures/scale/*.yaml``) into the store.

Fixture times are written relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago,
``PT5M`` = in five minutes), so a freshly started mock always has recent history and runs still in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, RelativeTimes, insert_rows, load_fixtures, parse_duration

from . import tally
from .tables import TABLES as T

FILES = ("errors", "nodes", "workspaces", "files", "events", "recipes", "batches", "job_types", "jobs")


def _seconds(value: Any, where: str) -> timedelta:
    try:
        return parse_duration(str(value)) if isinstance(value, str) else timedelta(seconds=float(value))
    except ValueError as exc:
        raise FixtureError(f"{where}: bad duration {value!r}") from exc


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    data = load_fixtures(folder, FILES)
    at = RelativeTimes(now, str(folder))
    try:
        errors_by_name = {e["name"]: e["id"] for e in data["errors"]}
        insert_rows(conn, T.errors, data["errors"])
        insert_rows(conn, T.nodes, data["nodes"])
        insert_rows(conn, T.workspaces, data["workspaces"])
        insert_rows(conn, T.files, ({**f, **{k: at(f.get(k)) for k in (
            "created", "last_modified", "data_started", "data_ended", "source_started", "source_ended")}}
                                    for f in data["files"]))
        insert_rows(conn, T.events, ({**e, "occurred": at(e["occurred"])} for e in data["events"]))
        insert_rows(conn, T.recipes, data["recipes"])
        insert_rows(conn, T.batches, ({**b, "created": at(b["created"])} for b in data["batches"]))
        types = {jt["id"]: jt for jt in data["job_types"]}
        insert_rows(conn, T.job_types, ({**jt, "created": at(jt["created"]),
                                         "last_modified": at(jt.get("last_modified", jt["created"]))}
                                        for jt in data["job_types"]))
        jobs: list[dict[str, Any]] = []
        exes: list[dict[str, Any]] = []
        inputs: list[dict[str, Any]] = []
        for job in data["jobs"]:
            _job_rows(job, types, errors_by_name, at, jobs, exes, inputs)
        insert_rows(conn, T.jobs, jobs)  # before their executions and inputs, which refer to them
        insert_rows(conn, T.job_exes, exes)
        insert_rows(conn, T.job_inputs, inputs)
        tally.rebuild(conn, now)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc}") from exc


def _job_rows(job: dict[str, Any], types: dict[int, dict[str, Any]], errors_by_name: dict[str, int],
              at: RelativeTimes, jobs: list[dict[str, Any]], exes: list[dict[str, Any]],
              inputs: list[dict[str, Any]]) -> None:
    """Append one fixture job's rows: the job, its executions and its input files."""
    where = f"jobs.yaml job {job.get('id')}"
    jt = types[job["job_type"]]
    attempts = job["attempts"]
    own_exes = []
    for number, attempt in enumerate(attempts, start=1):
        queued = at(attempt["queued"])
        assert queued is not None
        run_at = None if attempt.get("wait") is None else queued + _seconds(attempt["wait"], where)
        end_at = None
        if attempt.get("ended") is not None:
            end_at = at(attempt["ended"])
        elif run_at is not None and attempt.get("run") is not None:
            end_at = run_at + _seconds(attempt["run"], where)
        error = errors_by_name[attempt["error"]] if attempt.get("error") else None
        own_exes.append({
            "job_id": job["id"], "exe_num": number, "node_id": attempt.get("node", 1), "error_id": error,
            "queued": queued, "run_at": run_at, "end_at": end_at, "outcome": attempt.get("outcome", "COMPLETED"),
            "timeout": jt["timeout"], "input_file_size": job.get("input_file_size"),
        })
    last = own_exes[-1]
    source = job.get("source", {})
    jobs.append(dict(
        id=job["id"], job_type_id=jt["id"], event_id=job["event"], recipe_id=job.get("recipe"),
        batch_id=job.get("batch"), node_id=last["node_id"], error_id=last["error_id"],
        is_superseded=bool(job.get("superseded")), superseded=at(job.get("superseded")),
        superseded_job_id=job.get("superseded_job"), superseded_by_job_id=job.get("superseded_by_job"),
        input=job.get("input", {"files": {}, "json": {}}), output=job.get("output", {"files": {}, "json": {}}),
        configuration=job.get("configuration", jt["configuration"]), priority=job.get("priority", 100),
        max_tries=job.get("max_tries", jt["max_tries"]), num_exes=len(own_exes),
        input_file_size=job.get("input_file_size"),
        source_started=at(source.get("started")), source_ended=at(source.get("ended")),
        source_sensor_class=source.get("sensor_class"), source_sensor=source.get("sensor"),
        source_collection=source.get("collection"), source_task=source.get("task"),
        created=at(job.get("created", attempts[0]["queued"])),
        queued=last["queued"], run_at=last["run_at"], end_at=last["end_at"], outcome=last["outcome"],
        changed=at(job.get("changed")),
    ))
    exes.extend(own_exes)
    inputs.extend({"job_id": job["id"], "job_input": input_name, "file_id": file_id}
                  for input_name, file_ids in job.get("input", {}).get("files", {}).items() for file_id in file_ids)
