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

from .documents import WRITE_SETTING_DEFAULTS
from .model import Settings, cancel, plan_for_new_run, start_run
from .queries import chain, dataset
from .tables import TABLES as T

FILES = ("flows", "imported_datasets", "wrangled_datasets", "output_objects", "job_groups")
# The sessionId of a fixture run is derived from its id, so that a reset gives the same answers.
_FIXTURE_UUIDS = uuid.UUID("6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f")


def load(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The fixtures of `folder`, with the recipes' dependencies checked."""
    data = load_fixtures(folder, FILES)
    _check_dependencies(folder, data["wrangled_datasets"])
    _check_references(folder, data)
    return data


def _check_references(folder: Path, data: dict[str, list[dict[str, Any]]]) -> None:
    """Every flow, imported dataset and recipe a fixture names exists; a recipe has one output object at most."""
    ids = {name: {row["id"] for row in data[name]} for name in ("flows", "imported_datasets", "wrangled_datasets")}
    for d in data["wrangled_datasets"]:
        if d["flow"] not in ids["flows"]:
            raise FixtureError(f"{folder}: wrangled dataset {d['id']} is in unknown flow {d['flow']}")
        if d.get("importedDataset") is not None and d["importedDataset"] not in ids["imported_datasets"]:
            raise FixtureError(f"{folder}: wrangled dataset {d['id']} reads unknown imported dataset "
                               f"{d['importedDataset']}")
    seen: set[int] = set()
    for output in data["output_objects"]:
        recipe = output["wrangledDataset"]
        if recipe not in ids["wrangled_datasets"]:
            raise FixtureError(f"{folder}: output object {output['id']} is for unknown recipe {recipe}")
        if recipe in seen:
            raise FixtureError(f"{folder}: recipe {recipe} has more than one output object")
        seen.add(recipe)


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
        insert_rows(conn, T.flows, (_created(dict(
            id=flow["id"], name=flow["name"], description=flow.get("description")), flow, now, "flow")
            for flow in data["flows"]))
        insert_rows(conn, T.imported_datasets, (_created(dict(
            id=d["id"], name=d["name"], description=d.get("description"), uri=d["uri"],
            has_structuring=bool(d.get("detectStructure", False))), d, now, "imported dataset")
            for d in data["imported_datasets"]))
        insert_rows(conn, T.wrangled_datasets, (_created(dict(
            id=d["id"], flow_id=d["flow"], name=d["name"], description=d.get("description"),
            imported_dataset_id=d.get("importedDataset"), depends_on=list(d.get("dependsOn") or []),
            plan=d.get("plan") or {}), d, now, "wrangled dataset") for d in data["wrangled_datasets"]))
        row_ids = itertools.count(1)
        for group in sorted(data["job_groups"], key=lambda g: g["id"]):
            _seed_group(conn, group, now, row_ids)
        # After the job groups, whose write settings and jobs the same numbering has given their ids already.
        publication_ids = itertools.count(1)
        for output in data["output_objects"]:
            _seed_output(conn, output, now, row_ids, publication_ids)
    except FixtureError:
        raise
    except Exception as exc:  # a constraint or a missing key: say which fixture
        raise FixtureError(f"{folder}: cannot load fixtures: {exc!r}") from exc


def _created(row: dict[str, Any], fixture: dict[str, Any], now: datetime, kind: str) -> dict[str, Any]:
    """`row` with its creation time from the fixture's ``created``; nothing has changed it since."""
    at = _time(fixture["created"], now, f"{kind} {fixture['id']}")
    return {**row, "created_at": at, "updated_at": at}


def _seed_output(conn: Connection, output: dict[str, Any], now: datetime, row_ids: Iterator[int],
                 publication_ids: Iterator[int]) -> None:
    row = _created(dict(id=output["id"], dataset_id=output["wrangledDataset"], execution=output["execution"],
                        profiler=bool(output["profiler"]), is_adhoc=bool(output.get("isAdhoc", True))),
                   output, now, "output object")
    insert_rows(conn, T.output_objects, [row])
    at = row["created_at"]
    insert_rows(conn, T.write_settings, [dict(
        id=next(row_ids), output_object_id=output["id"], position=number,
        document={**WRITE_SETTING_DEFAULTS, **setting}, created_at=at, updated_at=at)
        for number, setting in enumerate(output.get("writeSettings") or [])])
    insert_rows(conn, T.publications, [dict(
        id=next(publication_ids), output_object_id=output["id"], document={"connection": None, **publication},
        created_at=at, updated_at=at) for publication in output.get("publications") or []])


def _seed_group(conn: Connection, group: dict[str, Any], now: datetime, row_ids: Iterator[int]) -> None:
    where = f"job group {group['id']}"
    settings = Settings(group["execution"], bool(group["profiler"]),
                        tuple({**WRITE_SETTING_DEFAULTS, **w} for w in group["writeSettings"]))
    target = dataset(conn, group["wrangledDataset"])
    start = _time(group["created"], now, where)
    plan = plan_for_new_run(chain(conn, target), settings)
    started = start_run(conn, target.id, plan, settings, start, ranfrom=group.get("ranfrom"),
                        run_parameters=group.get("runParameters"), group_id=group["id"],
                        session_id=str(uuid.uuid5(_FIXTURE_UUIDS, str(group["id"]))), row_ids=row_ids)
    if group.get("canceled"):
        cancel(conn, started.id, _time(group["canceled"], now, where))
