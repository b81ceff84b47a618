"""Loading the Scale fixtures (``fixtures/scale/*.yaml``) into the store.

Fixture times are written relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago,
``PT5M`` = in five minutes), so a freshly started mock always has recent history and runs still in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, RelativeTimes, insert_rows, load_fixtures, parse_duration

from . import tally
from .products import output_files, product_rows
from .tables import TABLES as T

FILES = ("errors", "nodes", "workspaces", "files", "events", "recipe_types", "batches", "recipes", "job_types",
         "jobs")


def _timed(rows: list[dict[str, Any]], at: RelativeTimes, *names: str) -> list[dict[str, Any]]:
    """`rows` with the times under `names` read relative to the moment of seeding."""
    return [{**row, **{name: at(row.get(name)) for name in names if name in row}} for row in rows]


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
        insert_rows(conn, T.errors, _timed(data["errors"], at, "created", "last_modified"))
        insert_rows(conn, T.nodes, _timed(data["nodes"], at, "deprecated", "created", "last_modified"))
        insert_rows(conn, T.workspaces, _timed(data["workspaces"], at, "deprecated", "created", "last_modified"))
        insert_rows(conn, T.files, _timed(data["files"], at, "created", "last_modified", "data_started", "data_ended",
                                          "source_started", "source_ended"))
        insert_rows(conn, T.events, _timed(data["events"], at, "occurred"))
        insert_rows(conn, T.recipe_types, _timed(data["recipe_types"], at, "created", "deprecated", "last_modified"))
        insert_rows(conn, T.batches, _timed(data["batches"], at, "created", "superseded", "last_modified"))
        insert_rows(conn, T.recipes, _timed(data["recipes"], at, "created", "superseded"))
        types = {jt["id"]: _job_type_row(jt, at) for jt in data["job_types"]}
        insert_rows(conn, T.job_types, types.values())
        insert_rows(conn, T.job_type_revisions, (rev for jt in types.values() for rev in _revisions(jt)))
        jobs: list[dict[str, Any]] = []
        exes: list[dict[str, Any]] = []
        inputs: list[dict[str, Any]] = []
        # A job of a recipe belongs to the recipe's batch, as Scale's batches create their recipes' jobs.
        recipe_batches = {r["id"]: r.get("batch_id") for r in data["recipes"]}
        for job in data["jobs"]:
            batch = job.get("batch") or recipe_batches.get(job.get("recipe"))
            _job_rows({**job, "batch": batch}, types, errors_by_name, at, jobs, exes, inputs)
        for number, exe in enumerate(exes, start=1):
            exe["id"] = number
        _products(conn, jobs, exes, types, data)
        insert_rows(conn, T.jobs, jobs)  # before their executions and inputs, which refer to them
        insert_rows(conn, T.job_exes, exes)
        insert_rows(conn, T.job_inputs, inputs)
        tally.rebuild(conn, now)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc}") from exc


def _job_type_row(jt: dict[str, Any], at: RelativeTimes) -> dict[str, Any]:
    created = at(jt["created"])
    modified = at(jt.get("last_modified", jt["created"]))
    return {**jt, "created": created, "last_modified": modified,
            "deprecated": None if jt["is_active"] else modified, "paused": modified if jt["is_paused"] else None,
            "tags": jt["manifest"].get("job", {}).get("tags", []),
            "tag_text": "\n".join(jt["manifest"].get("job", {}).get("tags", []))}


def _revisions(jt: dict[str, Any]) -> list[dict[str, Any]]:
    """A job type's revisions 1 … revision_num, the last one its current ``revision_id``, dated from its creation
    to its last change."""
    count = jt["revision_num"]
    span = jt["last_modified"] - jt["created"]
    return [{"id": jt["revision_id"] - (count - number), "job_type_id": jt["id"], "revision_num": number,
             "docker_image": jt["docker_image"], "manifest": jt["manifest"],
             "created": jt["created"] + (span * (number - 1) / (count - 1) if count > 1 else timedelta(0))}
            for number in range(1, count + 1)]


def _products(conn: Connection, jobs: list[dict[str, Any]], exes: list[dict[str, Any]],
              types: dict[int, dict[str, Any]], data: dict[str, Any]) -> None:
    """The products of every completed fixture execution, and each job's ``output`` listing its last one's.

    Their ids follow the fixture files' (given here: a database's id sequence is moved past the fixtures'
    ids only once the seeding is done)."""
    workspaces = {w["name"]: (w["id"], w.get("base_url")) for w in data["workspaces"]}
    next_id = max((f["id"] for f in data["files"]), default=0) + 1
    products: list[dict[str, Any]] = []
    recipe_types = {r["id"]: r["recipe_type_id"] for r in data["recipes"]}
    by_id = {job["id"]: job for job in jobs}
    for exe in exes:
        if exe["outcome"] != "COMPLETED" or exe["end_at"] is None:
            continue
        job = by_id[exe["job_id"]]
        jt = types[job["job_type_id"]]
        producing = SimpleNamespace(
            **{k: job[k] for k in ("id", "recipe_id", "batch_id", "source_started", "source_ended",
                                   "source_sensor_class", "source_sensor", "source_collection", "source_task")},
            job_type_id=jt["id"], job_type_name=jt["name"], job_type_version=jt["version"], manifest=jt["manifest"],
            configuration=jt["configuration"], plan=jt["plan"], recipe_type_id=recipe_types.get(job["recipe_id"]))
        rows = product_rows(producing, workspaces, exe["id"], exe["exe_num"], exe["end_at"])
        ids = list(range(next_id, next_id + len(rows)))
        next_id += len(rows)
        products += [{**row, "id": file_id} for row, file_id in zip(rows, ids, strict=True)]
        if exe["exe_num"] == job["num_exes"]:
            job["output"] = {"files": output_files(rows, ids), "json": job["output"]["json"]}
    insert_rows(conn, T.files, products)


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
        id=job["id"], job_type_id=jt["id"], job_type_rev_id=jt["revision_id"], event_id=job["event"],
        recipe_id=job.get("recipe"),
        batch_id=job.get("batch"), node_id=last["node_id"], error_id=last["error_id"],
        is_superseded=bool(job.get("superseded")), superseded=at(job.get("superseded")),
        superseded_job_id=job.get("superseded_job"), superseded_by_job_id=job.get("superseded_by_job"),
        input=job.get("input", {"files": {}, "json": {}}), output={"files": {}, "json": job.get("output_json", {})},
        configuration=job.get("configuration", {**jt["configuration"],
                                                 "priority": job.get("priority", jt["configuration"]["priority"])}),
        priority=job.get("priority", jt["configuration"]["priority"]),
        max_tries=job.get("max_tries", jt["max_tries"]), num_exes=len(own_exes),
        input_file_size=job.get("input_file_size"),
        source_started=at(source.get("started")), source_ended=at(source.get("ended")),
        source_sensor_class=source.get("sensor_class"), source_sensor=source.get("sensor"),
        source_collection=source.get("collection"), source_task=source.get("task"),
        created=at(job.get("created", attempts[0]["queued"])),
        queued=last["queued"], run_at=last["run_at"], end_at=last["end_at"], outcome=last["outcome"],
        changed=at(job.get("changed")), cut_short=True if last["outcome"] == "CANCELED" else None,
    ))
    exes.extend(own_exes)
    inputs.extend({"job_id": job["id"], "job_input": input_name, "file_id": file_id}
                  for input_name, file_ids in job.get("input", {}).get("files", {}).items() for file_id in file_ids)
