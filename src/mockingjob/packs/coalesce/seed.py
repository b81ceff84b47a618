"""Loading Coalesce records, in the format of the fixture files (``fixtures/coalesce/*.yaml``), into the store:
all of the fixtures when the pack is seeded, and the records a test adds to a running server (`add`). Both take
the same path: seeding adds every fixture to empty tables.

Times are relative to the moment of loading (``-P2DT3H`` = two days and three hours earlier), so a fresh mock
always has recent history and runs still in flight. A run is planned like a new one (from its environment's and
job's ``plan:``, with its own ``plan:`` on top), then canceled if it says ``canceledAfter``. A rerun's history is
its first run's, then that run (runs are loaded in ID order, the first first).

A record refers to others by their IDs (a job to its environment and workspace, a run to its environment, job,
user and the run it reruns): each is looked for among the records being loaded, then among those the server
holds. Every problem is found, and told in one line, before anything is inserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import (
    FixtureConflict,
    FixtureError,
    RelativeTimes,
    insert_rows,
    load_fixtures,
    parse_duration,
    record_label,
)

from .model import NodeRef, RunDefaults, RunPlan, canceled_instants, plan_for_new_run, to_millisecond, write_run
from .queries import MAX_ID
from .selectors import select
from .tables import TABLES as T

__all__ = ["KINDS", "ServerRecords", "add", "add_to_server", "seed"]

KINDS = ("users", "workspaces", "environments", "nodes", "jobs", "runs")
"""The fixture kinds, in the order they are loaded: each refers only to kinds before it (a run also to earlier
runs)."""

Record = Mapping[str, Any]
Row = dict[str, Any]
Report = Callable[[str, str], None]
"""Tells one problem of a record: the field, and what is wrong with it."""

_TABLES: dict[str, sa.Table] = {kind: getattr(T, kind) for kind in KINDS}
_NOUN = {"users": "user", "workspaces": "workspace", "environments": "environment", "nodes": "node",
         "jobs": "job", "runs": "run"}
# The fields of a record that name a record of another kind.
_REFERENCES: dict[str, dict[str, str]] = {
    "environments": {"createdBy": "users"},
    "nodes": {"environment": "environments"},
    "jobs": {"environment": "environments", "workspace": "workspaces"},
    "runs": {"environment": "environments", "job": "jobs", "user": "users", "rerunOf": "runs"},
}
# Kinds whose IDs are numbers (the others' are text), and the number fields of each kind: a JSON Schema "integer"
# admits 2.0, which is read as 2.
_NUMBERED = frozenset({"jobs", "runs"})
_WHOLE_NUMBERS = {"jobs": ("id",), "runs": ("id", "job", "rerunOf", "attempt", "parallelism")}
# The fields of the records, by the column each fills where the two are named differently (for messages).
_FIELD_OF_COLUMN = {
    "first_name": "firstName", "last_name": "lastName", "connection_account": "connectionAccount",
    "default_storage_mapping": "defaultStorageMapping", "created_by": "createdBy", "git_branch": "git.branch",
    "git_url": "git.url", "environment_id": "environment", "location_name": "location", "node_type": "nodeType",
    "workspace_id": "workspace", "include_selector": "include", "exclude_selector": "exclude", "user_id": "user",
    "job_id": "job", "rerun_of": "rerunOf", "deploy_commit": "deployCommit",
    "deploy_commit_message": "deployCommitMessage", "auth_type": "credentials.authType",
    "username": "credentials.username", "role": "credentials.role", "warehouse": "credentials.warehouse",
    "failure_reason": "plan.failureReason",
}
_INT32 = 2**31


def _column_limits(table: sa.Table) -> dict[str, int | None]:
    """Each bounded column's limit: a text column's length, None for a 32-bit integer column."""
    limits: dict[str, int | None] = {}
    for column in table.columns:
        if isinstance(column.type, sa.Integer):
            limits[column.name] = None
        elif getattr(column.type, "length", None) is not None:
            limits[column.name] = column.type.length  # type: ignore[attr-defined]
    return limits


# Worked out once: SQLite stores any text and number, but PostgreSQL refuses what exceeds its column.
_LIMITS = {kind: _column_limits(table) for kind, table in _TABLES.items()}


class Node(NamedTuple):
    """A node as a run's selection reads it (the selectors match these attributes)."""

    id: str
    name: str
    location_name: str
    node_type: str
    position: int


# The columns read of a record the server holds: what the records referring to it need of it.
_STORED_COLUMNS = {
    "users": ("id",), "workspaces": ("id",), "nodes": ("id",),
    "environments": ("id", "plan", "runtime_parameters", "oauth_enabled"),
    "jobs": ("id", "environment_id", "include_selector", "exclude_selector", "plan"),
    "runs": ("id", "run_history", "nodes_for_refresh"),
}


def _is_id(kind: str, value: Any) -> bool:
    """Whether `value` can be the ID of a record of `kind` (a number within the API's 32-bit IDs, or text)."""
    if kind in _NUMBERED:
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
    return isinstance(value, str)


class ServerRecords:
    """The records the server holds, as loading looks them up. Without a connection there are none: seeding fills
    empty tables, and needs no look-up."""

    def __init__(self, conn: Connection | None, fixtures: Path | None = None) -> None:
        self.conn = conn
        self.fixtures = fixtures
        self.where = "these records or the server's" if conn is not None else "these records"
        """Where a reference was looked for, as a message says it."""

    def find(self, kind: str, ids: Iterable[Any]) -> dict[Any, Mapping[Any, Any]]:
        """The records of `kind` among `ids` that the server holds, by ID (the columns others need of them)."""
        wanted = sorted({value for value in ids if _is_id(kind, value)})
        if self.conn is None or not wanted:
            return {}
        table = _TABLES[kind]
        statement = sa.select(*(table.c[name] for name in _STORED_COLUMNS[kind])).where(table.c.id.in_(wanted))
        return {row.id: row._mapping for row in self.conn.execute(statement)}

    def nodes_of(self, environment_ids: Iterable[str]) -> dict[str, list[Node]]:
        """The nodes of these environments, each environment's in processing order."""
        wanted = sorted(set(environment_ids))
        if self.conn is None or not wanted:
            return {}
        n = T.nodes.c
        statement = (sa.select(n.environment_id, n.id, n.name, n.location_name, n.node_type, n.position)
                     .where(n.environment_id.in_(wanted)).order_by(n.environment_id, n.position, n.id))
        found: dict[str, list[Node]] = {}
        for row in self.conn.execute(statement):
            found.setdefault(row.environment_id, []).append(
                Node(row.id, row.name, row.location_name, row.node_type, row.position))
        return found

    def default_user(self) -> str | None:
        """Who started the server's fixture runs that name no one (the first user of its fixtures), if it holds
        that user: as records added to a running server extend its fixtures, that user stays the first."""
        if self.conn is None or self.fixtures is None:
            return None
        users = load_fixtures(self.fixtures, ["users"])["users"]
        first = users[0].get("id") if users and isinstance(users[0], dict) else None
        return first if first is not None and self.find("users", [first]) else None


@dataclass
class Problems:
    """What is wrong with the records, one line each: ``<kind>: <record>: <field>: <what is wrong>``."""

    found: list[tuple[int, int, str]] = field(default_factory=list)
    """(kind's place in KINDS, record index, line): told in that order."""
    conflicts: int = 0

    def add(self, kind: str, index: int, record: Record, field_name: str, what: str, *,
            conflict: bool = False) -> None:
        self.found.append((KINDS.index(kind), index, f"{kind}: {record_label(index, record)}: {field_name}: {what}"))
        self.conflicts += conflict

    def reporter(self, kind: str, index: int, record: Record) -> Report:
        return lambda field_name, what: self.add(kind, index, record, field_name, what)

    def raise_any(self) -> None:
        """FixtureError telling every problem; FixtureConflict when each is an identity already taken."""
        if not self.found:
            return
        lines = [line for _, _, line in sorted(self.found, key=lambda found: found[:2])]
        error = FixtureConflict if self.conflicts == len(lines) else FixtureError
        raise error("\n".join(lines))


@dataclass(frozen=True)
class _PlannedRun:
    """A run ready to be written: its columns, plan and start, and when it is canceled (if it is)."""

    index: int
    values: Row
    plan: RunPlan
    start: datetime
    canceled_at: datetime | None


# --- checks of one field --------------------------------------------------------------------------------

def _relative_time(now: datetime, record: Record, name: str, report: Report) -> datetime | None:
    try:
        return RelativeTimes(now, name)(record[name])
    except FixtureError as exc:  # it says "<name>: bad time …"
        report(name, str(exc).removeprefix(f"{name}: "))
    except OverflowError:
        report(name, f"bad time {record[name]!r}: out of range")
    return None


def _check_selector(text: str | None, name: str, report: Report) -> bool:
    """Whether node selector `text` (None or blank: none) can be read; if not, report it as field `name`."""
    try:
        select((), text, None)
    except ValueError as exc:
        report(name, str(exc))
        return False
    return True


def _schedule_fits(plan: RunPlan, start: datetime, report: Report) -> bool:
    """Whether the instants of a run planned to start at `start` can be represented; if not, report it."""
    try:
        plan.lifecycle.schedule(start)
    except (OverflowError, ValueError):
        report("plan", "its durations take the run past the year 9999")
        return False
    return True


def _seconds_after(start: datetime, seconds: float, name: str, report: Report) -> datetime | None:
    """The instant `seconds` (field `name`) after `start`, to the millisecond; None (and reported) if there is none."""
    try:
        return to_millisecond(start + timedelta(seconds=float(seconds)))
    except (OverflowError, ValueError):
        report(name, f"{seconds} seconds take the run past the year 9999")
        return None


def _run_values(run: Record, env: Mapping[Any, Any], earlier: Mapping[Any, Any] | None, user: str,
                nodes: list[Node]) -> Row:
    """The columns of a run that its record, environment, earlier run (if a rerun) and nodes give."""
    credentials = run.get("credentials", {})
    selected = earlier["nodes_for_refresh"] if earlier is not None else None
    return {
        "run_type": run["runType"], "environment_id": env["id"], "job_id": run.get("job"),
        "rerun_of": run.get("rerunOf"), "attempt": run.get("attempt", 1),
        "run_history": [*earlier["run_history"], earlier["id"]] if earlier is not None else [],
        "user_id": user, "force_ignore": bool(run.get("forceIgnoreWorkspaceStatus", False)),
        "deploy_commit": run.get("deployCommit"), "deploy_commit_message": run.get("deployCommitMessage"),
        "runtime_parameters": {**env["runtime_parameters"], **run.get("parameters", {})},
        "auth_type": credentials.get("authType", "OAuth" if env["oauth_enabled"] else "Basic"),
        "username": credentials.get("username"), "role": credentials.get("role"),
        "warehouse": credentials.get("warehouse"), "node_ids": [node.id for node in nodes],
        # How many nodes the selection picks: a rerun's is its first run's.
        "nodes_for_refresh": selected if selected is not None else len(nodes),
    }


def _size_problems(kind: str, row: Mapping[str, Any], report: Report) -> None:
    """Report what a column of `kind` cannot hold: text longer than it, a number beyond 32 bits."""
    limits = _LIMITS[kind]
    for column, value in row.items():
        if column not in limits or value is None:
            continue
        limit = limits[column]
        where = _FIELD_OF_COLUMN.get(column, column)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            report(where, f"longer than {limit} characters")
        elif limit is None and isinstance(value, int) and not -_INT32 <= value < _INT32:
            report(where, f"{value} is out of range (a 32-bit integer)")


def _whole_numbers(kind: str, record: Record) -> Record:
    """`record` with its integral numbers as ints (2.0 → 2), as IDs are compared and stored."""
    names = [name for name in _WHOLE_NUMBERS.get(kind, ()) if isinstance(record.get(name), float)]
    if not any(record[name].is_integer() for name in names):
        return record
    return {**record, **{name: int(record[name]) for name in names if record[name].is_integer()}}


# --- loading -----------------------------------------------------------------------------------------------

_KEY_DETAIL = re.compile(r"Key \((?P<column>[^)]*)\)=\((?P<value>.*)\)")  # PostgreSQL's detail of a violation
_SQLITE_COLUMN = re.compile(r"failed: \w+\.(?P<column>\w+)")  # SQLite's "UNIQUE constraint failed: t.id"


class _Loading:
    """One load: the records given, what they refer to on the server, the rows made of them, and their problems."""

    def __init__(self, records: Mapping[str, Sequence[Record]], now: datetime, server: ServerRecords) -> None:
        self.given = {kind: [_whole_numbers(kind, record) for record in records.get(kind) or ()] for kind in KINDS}
        self.now, self.server = now, server
        self.problems = Problems()
        self.first: dict[str, dict[Any, int]] = {kind: {} for kind in KINDS}
        """Per kind, the index of the first record given with each ID."""
        self.rows: dict[str, dict[Any, Row]] = {kind: {} for kind in KINDS}
        """Per kind, the rows made of the records given, by ID, in the order given (runs: in ID order)."""
        self.stored: dict[str, dict[Any, Mapping[Any, Any]]] = {kind: {} for kind in KINDS}
        """Per kind, the records of the server that the records given refer to."""
        self.nodes: dict[str, list[Node]] = {}
        """Each environment's nodes known so far, in processing order."""
        self.default_user: str | None = None
        self.runs: list[_PlannedRun] = []

    # --- checking, before anything is written
    def check_ids(self) -> None:
        """Each ID is given once, and is not one the server holds already."""
        for kind in KINDS:
            first = self.first[kind]
            for index, record in enumerate(self.given[kind]):
                key = record["id"]
                if not _is_id(kind, key):
                    self.problems.add(kind, index, record, "id", f"{key} is not an ID from 1 to {MAX_ID}")
                elif key in first:
                    self.problems.add(kind, index, record, "id", f"the same id as record {first[key] + 1}",
                                      conflict=True)
                else:
                    first[key] = index
            for key in self.server.find(kind, first):
                index = first[key]
                self.problems.add(kind, index, self.given[kind][index], "id", f"{key} is already taken",
                                  conflict=True)

    def look_up_references(self) -> None:
        """Find on the server what the records refer to and were not given; tell what is found nowhere."""
        wanted: dict[str, set[Any]] = {kind: set() for kind in KINDS}
        for _, _, _, value, target in self._references():
            if value not in self.first[target]:
                wanted[target].add(value)
        for target, ids in wanted.items():
            self.stored[target] = self.server.find(target, ids)
        for kind, index, name, value, target in self._references():
            if value not in self.first[target] and value not in self.stored[target]:
                self.problems.add(kind, index, self.given[kind][index], name,
                                  f"no {_NOUN[target]} {value} among {self.server.where}")
        # The nodes of the server's environments that the nodes and runs given are in: new nodes come after them,
        # and runs process them.
        in_environments = {record["environment"] for kind in ("nodes", "runs") for record in self.given[kind]}
        self.nodes = self.server.nodes_of(in_environments.intersection(self.stored["environments"]))
        if any(run.get("user") is None for run in self.given["runs"]):
            users = self.given["users"]
            self.default_user = self.server.default_user() or (users[0]["id"] if users else None)

    def _references(self) -> Iterator[tuple[str, int, str, Any, str]]:
        """(kind, record index, field, value, the kind it names) of every reference the records make."""
        for kind, references in _REFERENCES.items():
            for index, record in enumerate(self.given[kind]):
                for name, target in references.items():
                    if record.get(name) is not None:
                        yield kind, index, name, record[name], target

    def make_rows(self) -> None:
        for kind in KINDS[:-1]:
            make = self._ROW_MAKERS[kind]
            for index, record in enumerate(self.given[kind]):
                report = self.problems.reporter(kind, index, record)
                row = make(self, record, report)
                _size_problems(kind, row, report)
                if self.first[kind].get(record["id"]) == index:
                    self.rows[kind][record["id"]] = row
        self._plan_runs()

    def _user_row(self, user: Record, report: Report) -> Row:
        return dict(id=user["id"], first_name=user.get("firstName"), last_name=user.get("lastName"))

    def _workspace_row(self, workspace: Record, report: Report) -> Row:
        return dict(id=workspace["id"], name=workspace["name"], project=workspace["project"])

    def _environment_row(self, env: Record, report: Report) -> Row:
        git = env.get("git", {})
        return dict(
            id=env["id"], name=env["name"], description=env.get("description"), project=env["project"],
            connection_account=env["connectionAccount"], oauth_enabled=bool(env.get("oauthEnabled", False)),
            runtime_parameters=env.get("runTimeParameters", {}), tag_colors=env.get("tagColors"),
            default_storage_mapping=env.get("defaultStorageMapping"),
            created_at=_relative_time(self.now, env, "createdAt", report), created_by=env["createdBy"],
            git_branch=git.get("branch"), git_url=git.get("url"), plan=env.get("plan", {}))

    def _node_row(self, node: Record, report: Report) -> Row:
        """A node comes after the nodes of its environment known so far (the server's, then those given)."""
        environment_nodes = self.nodes.setdefault(node["environment"], [])
        position = environment_nodes[-1].position + 1 if environment_nodes else 1
        environment_nodes.append(Node(node["id"], node["name"], node["location"], node["nodeType"], position))
        return dict(id=node["id"], environment_id=node["environment"], position=position, name=node["name"],
                    description=node.get("description", ""), location_name=node["location"],
                    node_type=node["nodeType"], database=node["database"], schema=node["schema"])

    def _job_row(self, job: Record, report: Report) -> Row:
        for name in ("include", "exclude"):
            _check_selector(job.get(name), name, report)
        return dict(id=job["id"], environment_id=job["environment"], workspace_id=job["workspace"],
                    name=job["name"], include_selector=job.get("include"), exclude_selector=job.get("exclude"),
                    plan=job.get("plan", {}))

    _ROW_MAKERS: dict[str, Callable[[_Loading, Record, Report], Row]] = {
        "users": _user_row, "workspaces": _workspace_row, "environments": _environment_row, "nodes": _node_row,
        "jobs": _job_row}

    def _found(self, kind: str, key: Any) -> Mapping[Any, Any] | None:
        """The record of `kind` with ID `key`: its row, if given and made, else the server's (None: neither)."""
        given = self.rows[kind].get(key)
        return given if given is not None else self.stored[kind].get(key)

    # --- runs
    def _plan_runs(self) -> None:
        """Plan the runs in ID order, so that a rerun finds the run it reruns planned before it."""
        runs = self.given["runs"]
        for index in sorted(self.first["runs"].values(), key=lambda i: runs[i]["id"]):
            planned = self._plan_run(index, runs[index], self.problems.reporter("runs", index, runs[index]))
            if planned is not None:
                self.runs.append(planned)
                self.rows["runs"][runs[index]["id"]] = {**planned.values, "id": runs[index]["id"]}

    def _plan_run(self, index: int, run: Record, report: Report) -> _PlannedRun | None:
        """A run's columns and plan, as `write_run` takes them; None when it cannot be made (each problem told)."""
        env = self._found("environments", run["environment"])
        job = self._found("jobs", run["job"]) if run.get("job") is not None else None
        earlier = self._earlier(run, report) if run.get("rerunOf") is not None else None
        user = run.get("user", self.default_user)
        if user is None:
            report("user", "missing, and no user to default to (the first of users.yaml): name who started it")
        start = self._start(run, report)
        if env is None or (run.get("job") is not None and job is None) or (run.get("rerunOf") is not None
                                                                           and earlier is None):
            return None  # the reference was told
        include = run.get("include", job["include_selector"] if job else None)
        exclude = run.get("exclude", job["exclude_selector"] if job else None)
        nodes = self._run_nodes(run, env["id"], include, exclude, report)
        if nodes is None or start is None or user is None:
            return None
        outcome = run.get("outcome", "completed")
        defaults = RunDefaults.from_json(env["plan"], job["plan"] if job else None, run.get("plan"),
                                         {"outcomes": [outcome if outcome != "canceled" else "completed"]})
        parallelism = run.get("parallelism", 16)
        plan = plan_for_new_run(defaults, 1, [NodeRef(node.id, node.name) for node in nodes], parallelism)
        values = _run_values(run, env, earlier, user, nodes)
        values.update(include_selector=include, exclude_selector=exclude, parallelism=parallelism)
        if run["runType"] == "deploy":
            values.update(include_selector=None, exclude_selector=None, job_id=None, nodes_for_refresh=None)
        _size_problems("runs", {**values, "failure_reason": plan.failure_reason}, report)
        if not _schedule_fits(plan, start, report):
            return None
        canceled_at = _seconds_after(start, run["canceledAfter"], "canceledAfter", report) \
            if outcome == "canceled" else None
        if outcome == "canceled" and canceled_at is None:
            return None
        return _PlannedRun(index, values, plan, start, canceled_at)

    def _earlier(self, run: Record, report: Report) -> Mapping[Any, Any] | None:
        """The run `run` reruns, planned or on the server; None if it cannot be (a problem of its own, or told)."""
        key = run["rerunOf"]
        if key in self.first["runs"] and not key < run["id"]:
            report("rerunOf", f"run {key} is not an earlier run: a rerun's ID comes after the run it reruns")
            return None
        return self._found("runs", key)

    def _start(self, run: Record, report: Report) -> datetime | None:
        try:
            return self.now + parse_duration(str(run["started"]))
        except (ValueError, OverflowError) as exc:
            report("started", f"bad time {run['started']!r}: {exc}")
            return None

    def _run_nodes(self, run: Record, environment_id: str, include: str | None, exclude: str | None,
                   report: Report) -> list[Node] | None:
        """The nodes the run processes: those it names, or those its selectors pick (a deployment: every node)."""
        environment_nodes = self.nodes.get(environment_id, [])
        if run.get("nodes") is not None:
            by_name = {node.name: node for node in environment_nodes}
            unknown = [name for name in run["nodes"] if name not in by_name]
            if unknown:
                report("nodes", f"no node named {', '.join(unknown)} in environment {environment_id}")
                return None
            return [by_name[name] for name in run["nodes"]]
        if run["runType"] != "refresh":
            return list(environment_nodes)
        # A selector the run inherits was checked with its job (or when the job was loaded).
        readable = [_check_selector(run[name], name, report) for name in ("include", "exclude") if name in run]
        if not all(readable):
            return None
        try:
            return select(environment_nodes, include, exclude)
        except ValueError as exc:  # the job's: told with the job if it was given, else here
            if run.get("job") not in self.first["jobs"]:
                report("job", f"its node selector cannot be read: {exc}")
            return None

    # --- writing
    def insert(self, conn: Connection) -> None:
        """Insert the rows, each kind's before the kinds that refer to it. A row another writer's meanwhile
        refuses (an ID taken, a record referred to removed) is a FixtureConflict, and this transaction's to undo."""
        for kind in KINDS[:-1]:
            rows = self.rows[kind]
            try:
                insert_rows(conn, _TABLES[kind], rows.values())
            except sa.exc.IntegrityError as exc:
                raise FixtureConflict(self._refused(kind, list(rows), exc)) from exc
        for run in self.runs:
            record = self.given["runs"][run.index]
            try:
                self._write_run(conn, record["id"], run)
            except sa.exc.IntegrityError as exc:
                raise FixtureConflict(self._refused("runs", [record["id"]], exc)) from exc

    @staticmethod
    def _write_run(conn: Connection, run_id: int, run: _PlannedRun) -> None:
        write_run(conn, run.values, run.plan, run.start, run_id=run_id)
        if run.canceled_at is not None:
            row = conn.execute(sa.select(T.runs).where(T.runs.c.id == run_id)).one()
            conn.execute(T.runs.update().where(T.runs.c.id == run_id)
                         .values(**canceled_instants(row._mapping, run.canceled_at)))

    def _refused(self, kind: str, keys: list[Any], exc: sa.exc.IntegrityError) -> str:
        """The line telling what the database refused: the record among `keys` (IDs of `kind`) whose column it
        names (and whose value, on PostgreSQL), when that is one record."""
        orig = exc.orig
        detail = getattr(getattr(orig, "diag", None), "message_detail", None) or ""
        match = _KEY_DETAIL.search(detail) or _SQLITE_COLUMN.search(str(orig))
        if match is not None:
            column, value = match["column"], match.groupdict().get("value")
            hits = [key for key in keys if value is None or str(self.rows[kind][key].get(column)) == value]
            if len(hits) == 1:
                index = self.first[kind][hits[0]]
                shown = self.rows[kind][hits[0]].get(column)
                taken = getattr(orig, "sqlstate", None) == "23505" or "UNIQUE" in str(orig)
                what = f"{shown} is already taken" if taken else f"{shown} was removed from the server meanwhile"
                return (f"{kind}: {record_label(index, self.given[kind][index])}: "
                        f"{_FIELD_OF_COLUMN.get(column, column)}: {what}")
        return f"{kind}: refused by the database, as another writer changed it meanwhile: {_first_line(orig)}"

    def identities(self) -> dict[str, list[Any]]:
        """Per kind given, the records' IDs as the API addresses them, in the order given (a job's as text)."""
        return {kind: [str(record["id"]) if kind == "jobs" else record["id"] for record in self.given[kind]]
                for kind in KINDS if self.given[kind]}


def _first_line(error: Any) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def add(conn: Connection, records: Mapping[str, Sequence[Record]], now: datetime,
        server: ServerRecords) -> dict[str, list[Any]]:
    """Add `records` (by kind, in the fixture files' format, with times relative to `now`) to what `server` holds;
    answer their IDs by kind, as the API addresses them. FixtureError (FixtureConflict when each problem is an ID
    already taken): one line per problem, and nothing added."""
    loading = _Loading(records, now, server)
    loading.check_ids()
    loading.look_up_references()
    loading.make_rows()
    loading.problems.raise_any()
    loading.insert(conn)
    return loading.identities()


def add_to_server(conn: Connection, fixtures: Path, records: Mapping[str, Sequence[Record]],
                  now: datetime) -> dict[str, list[Any]]:
    """Add records to a seeded server (whose fixtures are in `fixtures`): see `add`."""
    return add(conn, records, now, ServerRecords(conn, fixtures))


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    """Load the fixtures of `folder` into the empty tables."""
    try:
        add(conn, load_fixtures(folder, KINDS), now, ServerRecords(None))
    except FixtureError as exc:
        raise FixtureError("\n".join(f"{folder}: {line}" for line in str(exc).splitlines())) from exc
