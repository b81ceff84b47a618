"""Loading the Marquez fixtures (``fixtures/marquez/*.yaml``) into the store.

Fixture times are written relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago), so a
freshly started mock always has recent run history.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, RelativeTimes, load_fixtures

from .model import DONE, STATES, job_version
from .tables import TABLES as T

FILES = ("namespaces", "datasets", "jobs")


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
        for number, job in enumerate(data["jobs"], start=1):
            seq = _seed_job(conn, number, job, at, seq)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc}") from exc


def _seed_job(conn: Connection, job_id: int, job: dict[str, Any], at: RelativeTimes, seq: int) -> int:
    """Insert one job and its runs (numbered from `seq` + 1); return the last run number used."""
    created = at(job["created"])
    row = {
        "id": job_id, "namespace": job["namespace"], "name": job["name"], "type": job["type"],
        "location": job.get("location"), "description": job.get("description"),
        "context": job.get("context") or {}, "inputs": job.get("inputs") or [], "outputs": job.get("outputs") or [],
        "created_at": created, "updated_at": at(job.get("updated")) or created, "current_version": None,
    }
    version = job_version(SimpleNamespace(**row))
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
        if done:
            row["current_version"] = version
    conn.execute(T.jobs.insert().values(**row))
    if runs:
        conn.execute(T.runs.insert(), runs)
    return seq
