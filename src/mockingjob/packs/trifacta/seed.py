"""Loading the Trifacta fixtures (``fixtures/trifacta/*.yaml``) into the store.

Fixture times are relative to the moment of seeding (``-P2D`` = two days ago), so a freshly started mock has
recent history and job groups still in flight. Earlier runs are planned exactly like new ones, from their
recipe's dependencies and plan, so the fixtures only say which recipe ran when, and how.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from mockingjob.kit import FixtureError, insert_rows, load_fixtures, parse_duration, parse_iso

from .model import Settings, cancel, plan_for_new_run, start_run
from .queries import chain, dataset
from .tables import TABLES as T

FILES = ("flows", "wrangled_datasets", "job_groups")
_WRITE_SETTING_DEFAULTS = {"compression": "none", "header": False, "asSingleFile": False}
# The sessionId of a fixture run is derived from its id, so that a reset gives the same answers.
_FIXTURE_UUIDS = uuid.UUID("6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f")


def load(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The fixtures of `folder`, with the recipes' dependencies checked."""
    data = load_fixtures(folder, FILES)
    _check_dependencies(folder, data["wrangled_datasets"])
    return data


def _check_dependencies(folder: Path, datasets: list[dict[str, Any]]) -> None:
    """Every dependency names a recipe, and no recipe depends on itself, however indirectly."""
    graph = {d["id"]: list(d.get("dependsOn") or []) for d in datasets}
    for ident, dependencies in graph.items():
        for dependency in dependencies:
            if dependency not in graph:
                raise FixtureError(f"{folder}: wrangled dataset {ident} depends on unknown dataset {dependency}")
    done: set[int] = set()

    def visit(ident: int, path: tuple[int, ...]) -> None:
        if ident in path:
            raise FixtureError(f"{folder}: wrangled datasets depend on each other in a cycle: {(*path, ident)}")
        if ident in done:
            return
        for dependency in graph[ident]:
            visit(dependency, (*path, ident))
        done.add(ident)

    for ident in graph:
        visit(ident, ())


def _time(value: Any, now: datetime, where: str) -> datetime:
    text = str(value)
    try:
        if text.lstrip("+-").startswith("P"):
            return now + parse_duration(text)
        return parse_iso(text)
    except ValueError as exc:
        raise FixtureError(f"{where}: bad time {value!r}: {exc}") from exc


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    data = load(folder)
    try:
        insert_rows(conn, T.flows, (dict(
            id=flow["id"], name=flow["name"], description=flow.get("description"),
            created_at=_time(flow["created"], now, f"flow {flow['id']}")) for flow in data["flows"]))
        insert_rows(conn, T.wrangled_datasets, (dict(
            id=d["id"], flow_id=d["flow"], name=d["name"], depends_on=list(d.get("dependsOn") or []),
            plan=d.get("plan") or {}, created_at=_time(d["created"], now, f"wrangled dataset {d['id']}"))
            for d in data["wrangled_datasets"]))
        row_ids = itertools.count(1)
        for group in sorted(data["job_groups"], key=lambda g: g["id"]):
            _seed_group(conn, group, now, row_ids)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc!r}") from exc


def _seed_group(conn: Connection, group: dict[str, Any], now: datetime, row_ids: Iterator[int]) -> None:
    where = f"job group {group['id']}"
    settings = Settings(group["execution"], bool(group["profiler"]),
                        tuple({**_WRITE_SETTING_DEFAULTS, **w} for w in group["writeSettings"]))
    target = dataset(conn, group["wrangledDataset"])
    start = _time(group["created"], now, where)
    plan = plan_for_new_run(chain(conn, target), settings)
    started = start_run(conn, target.id, plan, settings, start, ranfrom=group.get("ranfrom"),
                        run_parameters=group.get("runParameters"), group_id=group["id"],
                        session_id=str(uuid.uuid5(_FIXTURE_UUIDS, str(group["id"]))), row_ids=row_ids)
    if group.get("canceled"):
        cancel(conn, started.id, _time(group["canceled"], now, where))
