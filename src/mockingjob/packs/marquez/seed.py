"""Loading the Marquez fixtures (``fixtures/marquez/*.yaml``) into the store.

Fixture times are written relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago), so a
freshly started mock always has recent run history.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, RelativeTimes, inserted_id, load_fixtures

from .event_kinds import missing
from .instants import format_instant
from .lineage import record_event
from .model import DONE, STATES
from .tables import TABLES as T
from .versions import dataset_ids, job_version_hash

FILES = ("namespaces", "datasets", "jobs", "events")


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    data = load_fixtures(folder, FILES)
    at = RelativeTimes(now, str(folder))
    try:
        for ns in data["namespaces"]:
            created = at(ns["created"])
            conn.execute(T.namespaces.insert().values(
                name=ns["name"], owner_name=ns["owner"], description=ns.get("description"), is_hidden=False,
                created_at=created, updated_at=at(ns.get("updated")) or created))
        if data["datasets"]:
            conn.execute(T.datasets.insert(), [
                {"namespace": d["namespace"], "name": d["name"], "type": d.get("type", "DB_TABLE"),
                 "source_name": d.get("source", "default"), "description": d.get("description"),
                 "fields": d.get("fields") or [], "facets": {}, "created_at": at(d.get("created")) or now,
                 "updated_at": at(d.get("created")) or now, "last_modified_at": None, "current_version": None}
                for d in data["datasets"]])
        seq = 0
        for job in data["jobs"]:
            seq = _seed_job(conn, job, at, seq)
        for number, event in enumerate(data["events"], start=1):
            _seed_event(conn, event, at, f"{folder}/events.yaml event {number}")
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc}") from exc


def _seed_job(conn: Connection, job: dict[str, Any], at: RelativeTimes, seq: int) -> int:
    """Insert one job and its runs (numbered from `seq` + 1); return the last run number used."""
    created = at(job["created"])
    row = {
        "namespace": job["namespace"], "name": job["name"], "type": job["type"],
        "location": job.get("location"), "description": job.get("description"),
        "context": job.get("context") or {}, "inputs": job.get("inputs") or [], "outputs": job.get("outputs") or [],
        "created_at": created, "updated_at": at(job.get("updated")) or created, "current_version": None,
    }
    version = job_version_hash(row["namespace"], row["name"], row["inputs"], row["outputs"], row["location"])
    # Numbered by the database, as the jobs events make later are (no sequence to move on afterwards).
    job_id = inserted_id(conn.execute(T.jobs.insert().values(**row)))
    runs = []
    for run in job.get("runs") or []:
        where = f"jobs.yaml {job['namespace']}/{job['name']} run {run.get('id')}"
        if run["state"] not in STATES:
            raise FixtureError(f"{where}: unknown state {run['state']!r}")
        instants = [at(run.get(key)) for key in ("created", "started", "ended")]
        changed = at(run.get("updated")) or max(i for i in instants if i is not None)
        done = run["state"] in DONE
        seq += 1
        runs.append({
            "id": run["id"], "seq": seq, "job_id": job_id, "created_at": instants[0], "updated_at": changed,
            "nominal_start_time": at(run.get("nominal_start")), "nominal_end_time": at(run.get("nominal_end")),
            "state": run["state"], "transitioned_at": changed, "started_at": instants[1], "ended_at": instants[2],
            "args": {key: str(value) for key, value in (run.get("args") or {}).items()},
            "context": row["context"], "job_version": version if done else None,
        })
    finished = [run for run in runs if run["state"] in DONE]
    if finished:  # the runs that finished ran the job's one version (JobVersionDao)
        row_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"marquez:job-version:{job['namespace']}:{job['name']}:{version}"))
        conn.execute(T.jobs.update().where(T.jobs.c.id == job_id), {"current_version": row_id})
        latest = max(finished, key=lambda run: (run["transitioned_at"], run["seq"]))
        conn.execute(T.job_versions.insert().values(
            uuid=row_id, version=version, job_id=job_id,
            created_at=min(run["ended_at"] or run["transitioned_at"] for run in finished),
            updated_at=latest["transitioned_at"], location=row["location"], inputs=dataset_ids(row["inputs"]),
            outputs=dataset_ids(row["outputs"]), latest_run_id=latest["id"]))
    if runs:
        conn.execute(T.runs.insert(), runs)
    return seq


def _seed_event(conn: Connection, event: dict[str, Any], at: RelativeTimes, where: str) -> None:
    """Apply one fixture event as POST /api/v1/lineage applies it; its times may be relative to the seeding."""
    if not isinstance(event, dict):
        raise FixtureError(f"{where}: not an OpenLineage event")
    lacking = [name for name in ("eventTime", "producer") if event.get(name) is None] + missing(event)
    if lacking:
        raise FixtureError(f"{where}: {', '.join(lacking)} must not be null")
    event = dict(event)
    event_time = at(event["eventTime"])
    assert event_time is not None
    event["eventTime"] = format_instant(event_time)
    run: dict[str, Any] = event["run"] if isinstance(event.get("run"), dict) else {}
    facets: dict[str, Any] = run["facets"] if isinstance(run.get("facets"), dict) else {}
    nominal = facets.get("nominalTime")
    if isinstance(nominal, dict):  # written as sent: absolute times
        absolute = {key: format_instant(at(nominal[key])) for key in ("nominalStartTime", "nominalEndTime")
                    if nominal.get(key) is not None}
        event["run"] = {**run, "facets": {**facets, "nominalTime": {**nominal, **absolute}}}
    record_event(conn, event, event_time)
