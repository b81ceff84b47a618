"""Loading the Coalesce fixtures (``fixtures/coalesce/*.yaml``) into the store.

Fixture times are relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago), so a fresh
mock always has recent history and runs still in flight. A fixture run is planned like a new one (from its
environment's and job's ``plan:``, with its own ``plan:`` on top), then canceled if it says ``canceledAfter``.
A rerun's history is its first run's, then that run (fixture runs are loaded in ID order, the first first).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, RelativeTimes, insert_rows, load_fixtures, parse_duration

from .model import NodeRef, RunDefaults, canceled_instants, plan_for_new_run, to_millisecond, write_run
from .selectors import select
from .tables import TABLES as T

FILES = ("users", "workspaces", "environments", "nodes", "jobs", "runs")


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    data = load_fixtures(folder, FILES)
    try:
        insert_rows(conn, T.users, (dict(id=user["id"], first_name=user.get("firstName"),
                                         last_name=user.get("lastName")) for user in data["users"]))
        insert_rows(conn, T.workspaces, (dict(id=ws["id"], name=ws["name"], project=ws["project"])
                                         for ws in data["workspaces"]))
        environments = {env["id"]: env for env in data["environments"]}
        at = RelativeTimes(now, "environments.yaml")
        insert_rows(conn, T.environments, (dict(
            id=env["id"], name=env["name"], description=env.get("description"), project=env["project"],
            connection_account=env["connectionAccount"], oauth_enabled=bool(env.get("oauthEnabled", False)),
            runtime_parameters=env.get("runTimeParameters", {}), tag_colors=env.get("tagColors"),
            default_storage_mapping=env.get("defaultStorageMapping"), created_at=at(env["createdAt"]),
            created_by=env["createdBy"], git_branch=env.get("git", {}).get("branch"),
            git_url=env.get("git", {}).get("url"), plan=env.get("plan", {}))
            for env in data["environments"]))
        positions: dict[str, int] = {}
        node_rows = []
        for node in data["nodes"]:
            position = positions[node["environment"]] = positions.get(node["environment"], 0) + 1
            node_rows.append(dict(
                id=node["id"], environment_id=node["environment"], position=position, name=node["name"],
                description=node.get("description", ""), location_name=node["location"],
                node_type=node["nodeType"], database=node["database"], schema=node["schema"]))
        insert_rows(conn, T.nodes, node_rows)
        jobs = {job["id"]: job for job in data["jobs"]}
        insert_rows(conn, T.jobs, (dict(
            id=job["id"], environment_id=job["environment"], workspace_id=job["workspace"], name=job["name"],
            include_selector=job.get("include"), exclude_selector=job.get("exclude"), plan=job.get("plan", {}))
            for job in data["jobs"]))
        n = T.nodes.c
        nodes_of = {env_id: list(conn.execute(sa.select(T.nodes).where(n.environment_id == env_id)
                                              .order_by(n.position))) for env_id in environments}
        first_user = data["users"][0]["id"]
        history: dict[int, list[int]] = {}
        selected: dict[int, int | None] = {}
        for run in sorted(data["runs"], key=lambda r: r["id"]):
            earlier = run.get("rerunOf")
            history[run["id"]] = [*history[earlier], earlier] if earlier is not None else []
            selected[run["id"]] = _seed_run(conn, run, environments, jobs, nodes_of, now, history[run["id"]],
                                            first_user, selected.get(earlier) if earlier is not None else None)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc!r}") from exc


def _seed_run(conn: Connection, run: dict[str, Any], environments: dict[str, Any], jobs: dict[int, Any],
              nodes_of: dict[str, list[Any]], now: datetime, history: list[int], default_user: str,
              first_selection: int | None) -> int | None:
    """Insert one fixture run; return how many nodes its selection picks (None for a deployment)."""
    where = f"runs.yaml run {run.get('id')}"
    env = environments[run["environment"]]
    job = jobs.get(run["job"]) if run.get("job") is not None else None
    env_nodes = nodes_of[env["id"]]
    if run.get("nodes") is not None:
        by_name = {node.name: node for node in env_nodes}
        nodes = [by_name[name] for name in run["nodes"]]
    else:
        include = run.get("include", job.get("include") if job else None)
        exclude = run.get("exclude", job.get("exclude") if job else None)
        nodes = select(env_nodes, include, exclude) if run["runType"] == "refresh" else env_nodes
    layers = [env.get("plan"), job.get("plan") if job else None, run.get("plan")]
    outcome = run.get("outcome", "completed")
    defaults = RunDefaults.from_json(*layers, {"outcomes": [outcome if outcome != "canceled" else "completed"]})
    parallelism = run.get("parallelism", 16)
    plan = plan_for_new_run(defaults, 1, [NodeRef(node.id, node.name) for node in nodes], parallelism)
    try:
        start = now + parse_duration(str(run["started"]))
    except ValueError as exc:
        raise FixtureError(f"{where}: bad time {run['started']!r}") from exc
    credentials = run.get("credentials", {})
    values = {
        "run_type": run["runType"], "environment_id": env["id"], "job_id": run.get("job"),
        "rerun_of": run.get("rerunOf"), "attempt": run.get("attempt", 1), "run_history": history,
        "user_id": run.get("user", default_user),
        "include_selector": run.get("include", job.get("include") if job else None),
        "exclude_selector": run.get("exclude", job.get("exclude") if job else None),
        "parallelism": parallelism, "force_ignore": bool(run.get("forceIgnoreWorkspaceStatus", False)),
        "deploy_commit": run.get("deployCommit"), "deploy_commit_message": run.get("deployCommitMessage"),
        "runtime_parameters": {**env.get("runTimeParameters", {}), **run.get("parameters", {})},
        "auth_type": credentials.get("authType", "OAuth" if env.get("oauthEnabled") else "Basic"),
        "username": credentials.get("username"), "role": credentials.get("role"),
        "warehouse": credentials.get("warehouse"), "node_ids": [node.id for node in nodes],
        "nodes_for_refresh": first_selection if first_selection is not None else len(nodes),
    }
    if run["runType"] == "deploy":
        values.update(include_selector=None, exclude_selector=None, job_id=None, nodes_for_refresh=None)
    run_id = write_run(conn, values, plan, start, run_id=run["id"])
    if outcome == "canceled":
        row = conn.execute(sa.select(T.runs).where(T.runs.c.id == run_id)).one()
        at = to_millisecond(start + timedelta(seconds=float(run["canceledAfter"])))
        conn.execute(T.runs.update().where(T.runs.c.id == run_id).values(**canceled_instants(row._mapping, at)))
    return values["nodes_for_refresh"]
