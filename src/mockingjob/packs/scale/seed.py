"""Loading Scale records into the store: the fixtures (``fixtures/scale/*.yaml``) when seeding, and records of the
same kinds added to a running server (`add_records`).

Both go one way: check each record's identities (taken, or given twice) and references (to records given along
with it, then to the store's), build the rows with what Scale derives from them (job type revisions, executions,
job inputs, the products of completed executions), then insert. Seeding fills empty tables, so it asks the
database nothing (`_Stored`) and counts the job tally afresh; records added later join the tally as the API's
own writes do.

Fixture times are written relative to the moment of seeding (``-P2DT3H`` = two days and three hours ago,
``PT5M`` = in five minutes), so a freshly started mock always has recent history and runs still in flight.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import (
    FixtureConflict,
    FixtureError,
    insert_rows,
    load_fixtures,
    parse_duration,
    parse_iso,
    record_label,
)

from . import tally
from .manifest import with_defaults
from .products import output_files, product_rows
from .tables import TABLES as T

KINDS = ("errors", "nodes", "workspaces", "files", "events", "recipe_types", "batches", "recipes", "job_types",
         "jobs")
"""The fixture kinds (the files of ``fixtures/scale/``), in the order their rows are inserted: what a record
refers to before it."""

Records = dict[str, list[dict[str, Any]]]

_TABLES: dict[str, sa.Table] = {kind: getattr(T, kind) for kind in KINDS}
_NOUNS = {"errors": "error", "nodes": "node", "workspaces": "workspace", "files": "file", "events": "event",
          "recipe_types": "recipe type", "batches": "batch", "recipes": "recipe", "job_types": "job type",
          "jobs": "job"}
# The fields of a record that hold times, for the kinds whose rows are their records with times read.
_TIME_FIELDS = {
    "errors": ("created", "last_modified"),
    "nodes": ("deprecated", "created", "last_modified"),
    "workspaces": ("deprecated", "created", "last_modified"),
    "files": ("created", "last_modified", "data_started", "data_ended", "source_started", "source_ended"),
    "events": ("occurred",),
    "recipe_types": ("created", "deprecated", "last_modified"),
    "batches": ("created", "superseded", "last_modified"),
    "recipes": ("created", "superseded"),
}
# The kinds whose records may leave out when they were made and last changed, which Scale always shows: made at
# the earliest of the record's times (the moment of seeding when it gives none), last changed at the latest.
_DATED = frozenset({"errors", "nodes", "workspaces"})
# Beyond its id, the field other records (and Scale's lookups) find a record by, so no two may share it.
_NAMED_BY = {"errors": "name", "workspaces": "name", "recipe_types": "name"}
# Fields naming another record by id: field → the kind it names.
_ID_REFERENCES: dict[str, dict[str, str]] = {
    "files": {"workspace_id": "workspaces"},
    "batches": {"recipe_type_id": "recipe_types", "event_id": "events", "root_batch_id": "batches",
                "superseded_batch_id": "batches"},
    "recipes": {"recipe_type_id": "recipe_types", "event_id": "events", "batch_id": "batches",
                "recipe_id": "recipes", "root_recipe_id": "recipes", "superseded_recipe_id": "recipes",
                "superseded_by_recipe_id": "recipes"},
    "jobs": {"job_type": "job_types", "event": "events", "recipe": "recipes", "batch": "batches",
             "superseded_job": "jobs", "superseded_by_job": "jobs"},
}
DEFAULT_NODE = 1
"""The node an attempt ran on when its record names none."""
_MOST_VALUES_PER_QUERY = 1000  # an IN list this long at most: SQLite bounds a statement's parameters


# --- entry points ------------------------------------------------------------------------------------------------

def seed(conn: Connection, folder: Path, now: datetime) -> None:
    """Load the fixtures of `folder` into the empty tables, with their times relative to `now`."""
    records = load_fixtures(folder, KINDS)
    rows = _checked_rows(records, now, _Stored(conn, empty=True), prefix=f"{folder}: ")
    try:
        _insert(conn, rows)
    except _Refused as refused:
        raise FixtureError(f"{folder}: cannot load fixtures: {refused}") from refused
    tally.rebuild(conn, now)


def add_records(conn: Connection, given: Mapping[str, list[dict[str, Any]]], now: datetime) -> dict[str, list[int]]:
    """Add records of the fixture kinds to the seeded store (see `Pack.add_records`); answer their ids by kind.

    FixtureError names every problem found, one per line (FixtureConflict when each is an identity taken);
    nothing is added then.
    """
    records = {kind: list(given.get(kind, ())) for kind in KINDS}
    stored = _Stored(conn, empty=False)
    rows = _checked_rows(records, now, stored, prefix="")
    try:
        with conn.begin_nested():  # a refused insert leaves the transaction usable, to say why
            _insert(conn, rows)
    except _Refused as refused:
        raise _refusal(records, stored, refused) from refused
    _count_in_tally(conn, rows)
    return {kind: [record["id"] for record in given[kind]] for kind in given}


# --- problems ----------------------------------------------------------------------------------------------------

class _Place(NamedTuple):
    """A record, where messages find it: its kind and its place among the records of that kind."""

    kind: str
    position: int
    record: dict[str, Any]


class _Problems:
    """What is wrong with the records, one line each: ``<kind>: <record>: <field>: <what is wrong>``, told record
    by record."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._found: list[tuple[int, int, str]] = []  # (kind's place in KINDS, record's place, line)
        self._conflicts = 0

    def __len__(self) -> int:
        return len(self._found)

    def add(self, place: _Place, field_name: str, what: str, *, conflict: bool = False) -> None:
        line = f"{self.prefix}{place.kind}: {record_label(place.position, place.record)}: {field_name}: {what}"
        self._found.append((KINDS.index(place.kind), place.position, line))
        self._conflicts += conflict

    @property
    def lines(self) -> list[str]:
        return [line for *_, line in sorted(self._found, key=lambda found: found[:2])]

    def error(self) -> FixtureError | None:
        """FixtureError with every line, if there is any: a FixtureConflict when each is an identity taken."""
        if not self._found:
            return None
        kind = FixtureConflict if self._conflicts == len(self._found) else FixtureError
        return kind("\n".join(self.lines))


def _places(records: Records, kind: str) -> Iterator[_Place]:
    for position, record in enumerate(records[kind]):
        yield _Place(kind, position, record)


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# --- what the store holds ----------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _held_statement(table: sa.Table, column: str) -> sa.Select[Any]:
    return sa.select(table.c[column], table.c.id).where(table.c[column].in_(sa.bindparam("values", expanding=True)))


_JOB_TYPE_VERSIONS = sa.select(T.job_types.c.name, T.job_types.c.version).where(
    T.job_types.c.name.in_(sa.bindparam("values", expanding=True)))
# What a job's rows and products need of its job type (the columns of a job_types fixture record's row).
_JOB_TYPES = sa.select(*(T.job_types.c[name] for name in (
    "id", "name", "version", "timeout", "max_tries", "revision_id", "manifest", "configuration", "plan"))).where(
    T.job_types.c.id.in_(sa.bindparam("values", expanding=True)))
_RECIPES = sa.select(T.recipes.c.id, T.recipes.c.batch_id, T.recipes.c.recipe_type_id).where(
    T.recipes.c.id.in_(sa.bindparam("values", expanding=True)))
_WORKSPACES = sa.select(T.workspaces.c.id, T.workspaces.c.name, T.workspaces.c.base_url)
# The tables whose ids the loading gives rows itself: executions, and the products' files.
_LARGEST_IDS = {table: sa.select(sa.func.max(table.c.id)) for table in (T.job_exes, T.files)}


class _Stored:
    """What the store already holds that records being added refer to or must not collide with.

    Seeding fills `empty` tables: it asks the database nothing, as a reset must stay fast.
    """

    def __init__(self, conn: Connection, *, empty: bool) -> None:
        self.conn, self.empty = conn, empty
        self.where = "among the fixtures" if empty else "among these records or the server's"

    def _rows(self, statement: sa.Select[Any], values: Collection[Any]) -> list[sa.Row[Any]]:
        if self.empty or not values:
            return []
        values = list(values)
        return [row for start in range(0, len(values), _MOST_VALUES_PER_QUERY)
                for row in self.conn.execute(statement, {"values": values[start:start + _MOST_VALUES_PER_QUERY]})]

    def held(self, table: sa.Table, column: str, values: Collection[Any]) -> dict[Any, int]:
        """Which of `values` rows of `table` hold in `column`, each with its row's id."""
        return {value: row_id for value, row_id in map(tuple, self._rows(_held_statement(table, column), values))}

    def job_type_versions(self, names: Collection[str]) -> set[tuple[str, str]]:
        """The (name, version) of every job type named one of `names`."""
        return {(row.name, row.version) for row in self._rows(_JOB_TYPE_VERSIONS, names)}

    def job_types(self, ids: Collection[int]) -> dict[int, dict[str, Any]]:
        return {row.id: row._asdict() for row in self._rows(_JOB_TYPES, ids)}

    def recipes(self, ids: Collection[int]) -> dict[int, dict[str, Any]]:
        """Each recipe's batch and recipe type."""
        return {row.id: row._asdict() for row in self._rows(_RECIPES, ids)}

    def workspaces(self) -> list[dict[str, Any]]:
        return [] if self.empty else [row._asdict() for row in self.conn.execute(_WORKSPACES)]

    def next_id(self, table: sa.Table) -> int:
        """An id past every row of `table`: where ids the loading gives rows itself start."""
        return 1 if self.empty else int(self.conn.execute(_LARGEST_IDS[table]).scalar() or 0) + 1


# --- identities --------------------------------------------------------------------------------------------------

def _check_identities(records: Records, stored: _Stored, problems: _Problems) -> None:
    """An identity (an id; a name others find the record by) given twice, or already in the store, is a
    conflict."""
    for kind in KINDS:
        ids = [record["id"] for record in records[kind]]
        _check_unique(records, kind, "id", ids, stored.held(_TABLES[kind], "id", set(ids)), problems)
        _check_id_range(records, kind, problems)
        if kind in _NAMED_BY:
            names = [record[_NAMED_BY[kind]] for record in records[kind]]
            taken = stored.held(_TABLES[kind], _NAMED_BY[kind], set(names))
            _check_unique(records, kind, _NAMED_BY[kind], names, taken, problems)
    versions = [(record["name"], record["version"]) for record in records["job_types"]]
    taken_versions = stored.job_type_versions({name for name, _ in versions})
    _check_unique(records, "job_types", "version", versions, taken_versions, problems,
                  shown=lambda pair: f"{pair[0]} {pair[1]}")
    _check_revision_ids(records, stored, problems)


def _check_unique(records: Records, kind: str, field_name: str, keys: list[Any], taken: Collection[Any],
                  problems: _Problems, shown: Callable[[Any], str] = _shown) -> None:
    """`keys` (one per record of `kind`, in order) are neither given twice nor among those `taken`."""
    first: dict[Any, int] = {}
    for place, key in zip(_places(records, kind), keys, strict=True):
        if key in first:
            problems.add(place, field_name, f"{shown(key)} is given twice (record {first[key] + 1} has it too)",
                         conflict=True)
        else:
            first[key] = place.position
        if key in taken:
            problems.add(place, field_name, f"{shown(key)} is already taken", conflict=True)


_LARGEST_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL


def _check_id_range(records: Records, kind: str, problems: _Problems) -> None:
    for place in _places(records, kind):
        if not 1 <= place.record["id"] <= _LARGEST_ID:
            problems.add(place, "id", f"{place.record['id']} is not between 1 and {_LARGEST_ID}")


def _revision_ids(job_type: dict[str, Any]) -> range:
    """The ids of a job type's revisions 1 … revision_num: those up to its current one, ``revision_id``."""
    return range(job_type["revision_id"] - job_type["revision_num"] + 1, job_type["revision_id"] + 1)


def _check_revision_ids(records: Records, stored: _Stored, problems: _Problems) -> None:
    """A job type's revisions take the ids up to its ``revision_id``: none may be taken, or below 1."""
    owners: dict[int, int] = {}
    wanted = {rid for job_type in records["job_types"] for rid in _revision_ids(job_type)}
    taken = stored.held(T.job_type_revisions, "id", wanted)
    for place in _places(records, "job_types"):
        ids = _revision_ids(place.record)
        spread = "" if len(ids) == 1 else f" (its revisions 1 to {len(ids)} take the ids {ids[0]} to {ids[-1]})"
        if ids[0] < 1:
            problems.add(place, "revision_id", f"{ids[-1]} leaves no room for {len(ids)} revisions{spread}")
        for owner in sorted({owners[rid] for rid in ids if rid in owners}):
            problems.add(place, "revision_id", f"its revision ids overlap those of record {owner + 1}{spread}",
                         conflict=True)
        owners.update(dict.fromkeys(ids, place.position))
        for rid in (rid for rid in ids if rid in taken):
            problems.add(place, "revision_id", f"revision id {rid} is already taken{spread}", conflict=True)


# --- references --------------------------------------------------------------------------------------------------

class _Reference(NamedTuple):
    """A field of a record naming another record: by its ``id`` or its ``name``."""

    field: str
    kind: str
    column: str
    value: Any


def _id_references(kind: str, record: dict[str, Any]) -> Iterator[_Reference]:
    for field_name, target in _ID_REFERENCES.get(kind, {}).items():
        if record.get(field_name) is not None:
            yield _Reference(field_name, target, "id", record[field_name])


def _input_file_references(record: dict[str, Any]) -> Iterator[_Reference]:
    for input_name, file_ids in ((record.get("input") or {}).get("files") or {}).items():
        for number, file_id in enumerate(file_ids):
            yield _Reference(f"input.files.{input_name}[{number}]", "files", "id", file_id)


def _attempt_references(job: dict[str, Any]) -> Iterator[_Reference]:
    for number, attempt in enumerate(job["attempts"]):
        yield _Reference(f"attempts[{number}].node", "nodes", "id", attempt.get("node", DEFAULT_NODE))
        if attempt.get("error"):
            yield _Reference(f"attempts[{number}].error", "errors", "name", attempt["error"])


def _job_type_references(job_type: dict[str, Any]) -> Iterator[_Reference]:
    """The workspaces its products go to, and the error its plan fails with."""
    targets = job_type["configuration"].get("output_workspaces") or {}
    if targets.get("default"):
        yield _Reference("configuration.output_workspaces.default", "workspaces", "name", targets["default"])
    for output, workspace in (targets.get("outputs") or {}).items():
        yield _Reference(f"configuration.output_workspaces.outputs.{output}", "workspaces", "name", workspace)
    if job_type["plan"].get("error"):
        yield _Reference("plan.error", "errors", "name", job_type["plan"]["error"])


def _references(kind: str, record: dict[str, Any]) -> Iterator[_Reference]:
    yield from _id_references(kind, record)
    if kind in ("jobs", "recipes"):
        yield from _input_file_references(record)
    if kind == "jobs":
        yield from _attempt_references(record)
    elif kind == "job_types":
        yield from _job_type_references(record)


def _check_references(records: Records, stored: _Stored, problems: _Problems) -> None:
    """Every reference names a record given along with it, or one in the store."""
    uses = [(place, reference) for kind in KINDS for place in _places(records, kind)
            for reference in _references(kind, place.record)]
    wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for _, reference in uses:
        wanted[(reference.kind, reference.column)].add(reference.value)
    known = {(target, column): {record[column] for record in records[target]} for target, column in wanted}
    for (target, column), values in wanted.items():
        known[(target, column)].update(stored.held(_TABLES[target], column, values - known[(target, column)]))
    for place, ref in uses:
        if ref.value not in known[(ref.kind, ref.column)]:
            named = f"named {ref.value!r}" if ref.column == "name" else _shown(ref.value)
            problems.add(place, ref.field, f"no {_NOUNS[ref.kind]} {named} {stored.where}")


# --- rows --------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=8192)
def _written_time(text: str) -> datetime | timedelta:
    """A fixture time as written: a duration from the moment of seeding, or an instant; ValueError if neither
    (`RelativeTimes`'s rule). Kept, as every reset reads the same fixture times again, and parsing them was most
    of a seeding's own work."""
    text = text.strip()
    return parse_duration(text) if text.lstrip("+-").startswith("P") else parse_iso(text)


class _Reading:
    """Reads records' times (relative to `now`) and durations; one that cannot be read is a problem of its record,
    and None."""

    def __init__(self, now: datetime, problems: _Problems) -> None:
        self.now = now
        self.problems = problems

    def time(self, value: Any, place: _Place, field_name: str) -> datetime | None:
        if value is None:
            return None
        try:
            written = _written_time(str(value))
            return self.now + written if isinstance(written, timedelta) else written
        except (ValueError, OverflowError) as exc:
            self.problems.add(place, field_name, f"{value!r} is not a time the mock can hold ({exc})")
            return None

    def seconds(self, value: Any, place: _Place, field_name: str) -> timedelta | None:
        """A duration given as ISO-8601 text or as seconds; None stays None."""
        if value is None:
            return None
        try:
            return parse_duration(str(value)) if isinstance(value, str) else timedelta(seconds=float(value))
        except (ValueError, OverflowError) as exc:
            self.problems.add(place, field_name, f"bad duration {value!r} ({exc})")
            return None


@dataclass
class _Rows:
    """The rows to insert, table by table in order, each under the kind of the records it comes from."""

    tables: list[tuple[str, sa.Table, list[dict[str, Any]]]] = field(default_factory=list)
    job_types: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
        self.tables.append((kind, table, list(rows)))


@dataclass
class _Referenced:
    """What jobs and their products need of the records they refer to, given or stored."""

    job_types: dict[int, dict[str, Any]]
    error_ids: dict[str, int]
    recipes: dict[int, dict[str, Any]]
    """Each recipe's ``batch_id`` and ``recipe_type_id``."""
    workspaces: dict[str, tuple[int, str | None]]
    """Each workspace's id and base URL by name, in id order (products go to the first one by default)."""


def _checked_rows(records: Records, now: datetime, stored: _Stored, prefix: str) -> _Rows:
    """The rows of `records`, once nothing is wrong with them: else FixtureError, one line per problem."""
    problems = _Problems(prefix)
    _check_identities(records, stored, problems)
    _check_references(records, stored, problems)
    rows = _rows(records, stored, _Reading(now, problems))
    error = problems.error()
    if error is not None:
        raise error
    return rows


def _rows(records: Records, stored: _Stored, reading: _Reading) -> _Rows:
    rows = _Rows()
    for kind, fields in _TIME_FIELDS.items():
        rows.add(kind, _TABLES[kind], _timed(records, kind, fields, reading))
    rows.job_types = [row for place in _places(records, "job_types") if (row := _job_type_row(place, reading))]
    rows.add("job_types", T.job_types, rows.job_types)
    rows.add("job_types", T.job_type_revisions, (revision for row in rows.job_types for revision in _revisions(row)))
    referenced = _referenced(records, rows.job_types, stored)
    rows.jobs, exes, inputs = _job_rows(records, referenced, reading, stored.next_id(T.job_exes))
    first_product_id = max([stored.next_id(T.files), *(file["id"] + 1 for file in records["files"])])
    rows.add("jobs", T.files, _products(rows.jobs, exes, referenced, first_product_id))
    rows.add("jobs", T.jobs, rows.jobs)  # before their executions and inputs, which refer to them
    rows.add("jobs", T.job_exes, exes)
    rows.add("jobs", T.job_inputs, inputs)
    return rows


def _timed(records: Records, kind: str, fields: tuple[str, ...], reading: _Reading) -> list[dict[str, Any]]:
    """The records of `kind` with their times read (and, for a `_DATED` kind, those it leaves out made up)."""
    rows = [{**place.record, **{name: reading.time(place.record[name], place, name)
                                for name in fields if name in place.record}}
            for place in _places(records, kind)]
    return [_dated(row, fields, reading.now) for row in rows] if kind in _DATED else rows


def _dated(row: dict[str, Any], fields: tuple[str, ...], now: datetime) -> dict[str, Any]:
    """A row with its ``created`` and ``last_modified``: those given, else the earliest and the latest of its
    times, `now` when it has none."""
    times = [row[name] for name in fields if row.get(name) is not None]
    created = row.get("created") or min(times, default=now)
    return {**row, "created": created, "last_modified": row.get("last_modified") or max([created, *times])}


def _referenced(records: Records, types: list[dict[str, Any]], stored: _Stored) -> _Referenced:
    """The job types, errors, recipes and workspaces the jobs need: those given, then the store's."""
    jobs = records["jobs"]
    job_types = {row["id"]: row for row in types}
    job_types.update(stored.job_types({job["job_type"] for job in jobs} - set(job_types)))
    error_ids = {error["name"]: error["id"] for error in records["errors"]}
    named = {attempt["error"] for job in jobs for attempt in job["attempts"] if attempt.get("error")}
    error_ids.update(stored.held(T.errors, "name", named - set(error_ids)))
    recipes = {recipe["id"]: recipe for recipe in records["recipes"]}
    recipes.update(stored.recipes({job["recipe"] for job in jobs if job.get("recipe")} - set(recipes)))
    workspaces = sorted([*records["workspaces"], *(stored.workspaces() if jobs else ())], key=lambda w: w["id"])
    return _Referenced(job_types, error_ids, recipes, {w["name"]: (w["id"], w.get("base_url")) for w in workspaces})


def _job_type_row(place: _Place, reading: _Reading) -> dict[str, Any] | None:
    jt = place.record
    created = reading.time(jt["created"], place, "created")
    modified = reading.time(jt["last_modified"], place, "last_modified") if "last_modified" in jt else created
    if created is None or modified is None:
        return None
    tags = jt["manifest"].get("job", {}).get("tags", [])
    # Scale fills in what a configuration leaves out (as when a job type is registered through the API).
    return {**jt, "configuration": with_defaults(jt["configuration"]), "created": created, "last_modified": modified,
            "deprecated": None if jt["is_active"] else modified, "paused": modified if jt["is_paused"] else None,
            "tags": tags, "tag_text": "\n".join(tags)}


def _revisions(jt: dict[str, Any]) -> list[dict[str, Any]]:
    """A job type's revisions 1 … revision_num, the last one its current ``revision_id``, dated from its creation
    to its last change."""
    count = jt["revision_num"]
    span = jt["last_modified"] - jt["created"]
    return [{"id": revision_id, "job_type_id": jt["id"], "revision_num": number,
             "docker_image": jt["docker_image"], "manifest": jt["manifest"],
             "created": jt["created"] + (span * (number - 1) / (count - 1) if count > 1 else timedelta(0))}
            for number, revision_id in enumerate(_revision_ids(jt), start=1)]


def _job_rows(records: Records, referenced: _Referenced, reading: _Reading, first_exe_id: int
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The jobs' rows, their executions' (numbered from `first_exe_id`) and their input files'."""
    jobs: list[dict[str, Any]] = []
    exes: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    for place in _places(records, "jobs"):
        job_type = referenced.job_types.get(place.record["job_type"])
        own_exes = _attempt_rows(place, referenced, reading)
        if job_type is None or own_exes is None:  # a problem told already
            continue
        if _writes_products(job_type, own_exes) and not referenced.workspaces:
            reading.problems.add(place, "job_type", f"job type {job_type['id']} writes products, and there is no "
                                                    "workspace to hold them")
        for exe in own_exes:
            exe["timeout"] = job_type["timeout"]
        jobs.append(_job_row(place, job_type, own_exes, referenced, reading))
        exes += own_exes
        inputs += _input_rows(place.record)
    for exe_id, exe in enumerate(exes, start=first_exe_id):
        exe["id"] = exe_id
    return jobs, exes, inputs


def _attempt_rows(place: _Place, referenced: _Referenced, reading: _Reading) -> list[dict[str, Any]] | None:
    """A job's executions, first to last; None when one of its times cannot be read."""
    job = place.record
    found_before = len(reading.problems)
    exes = []
    for number, attempt in enumerate(job["attempts"], start=1):
        where = f"attempts[{number - 1}]"
        queued = reading.time(attempt["queued"], place, f"{where}.queued")
        wait = reading.seconds(attempt.get("wait"), place, f"{where}.wait")
        run = reading.seconds(attempt.get("run"), place, f"{where}.run")
        ended = reading.time(attempt.get("ended"), place, f"{where}.ended")
        if queued is None or len(reading.problems) > found_before:
            continue  # the job is not built, but its other attempts' problems are told too
        try:
            run_at = None if wait is None else queued + wait
            end_at = ended if ended is not None else None if run_at is None or run is None else run_at + run
        except OverflowError:
            reading.problems.add(place, where, "it would end past the times the mock can hold")
            continue
        exes.append({
            "job_id": job["id"], "exe_num": number, "node_id": attempt.get("node", DEFAULT_NODE),
            "error_id": referenced.error_ids.get(attempt["error"]) if attempt.get("error") else None,
            "queued": queued, "run_at": run_at, "end_at": end_at, "outcome": attempt.get("outcome", "COMPLETED"),
            "input_file_size": job.get("input_file_size"),
        })
    return None if len(reading.problems) > found_before else exes


def _writes_products(jt: dict[str, Any], exes: list[dict[str, Any]]) -> bool:
    """Whether one of these executions completes, of a job type with file outputs."""
    outputs = jt["manifest"].get("job", {}).get("interface", {}).get("outputs") or {}
    return bool(outputs.get("files")) and any(exe["outcome"] == "COMPLETED" and exe["end_at"] for exe in exes)


def _job_row(place: _Place, jt: dict[str, Any], exes: list[dict[str, Any]], referenced: _Referenced,
             reading: _Reading) -> dict[str, Any]:
    job = place.record
    last = exes[-1]
    source = job.get("source", {})
    # A job of a recipe belongs to the recipe's batch, as Scale's batches create their recipes' jobs.
    recipe = referenced.recipes.get(job["recipe"]) if job.get("recipe") else None
    priority = job.get("priority", jt["configuration"]["priority"])
    return dict(
        id=job["id"], job_type_id=jt["id"], job_type_rev_id=jt["revision_id"], event_id=job["event"],
        recipe_id=job.get("recipe"), batch_id=job.get("batch") or (recipe or {}).get("batch_id"),
        node_id=last["node_id"], error_id=last["error_id"], is_superseded=bool(job.get("superseded")),
        superseded=reading.time(job.get("superseded"), place, "superseded"),
        superseded_job_id=job.get("superseded_job"), superseded_by_job_id=job.get("superseded_by_job"),
        input=job.get("input", {"files": {}, "json": {}}), output={"files": {}, "json": job.get("output_json", {})},
        configuration=job.get("configuration", {**jt["configuration"], "priority": priority}),
        priority=priority, max_tries=job.get("max_tries", jt["max_tries"]), num_exes=len(exes),
        input_file_size=job.get("input_file_size"),
        source_started=reading.time(source.get("started"), place, "source.started"),
        source_ended=reading.time(source.get("ended"), place, "source.ended"),
        source_sensor_class=source.get("sensor_class"), source_sensor=source.get("sensor"),
        source_collection=source.get("collection"), source_task=source.get("task"),
        created=reading.time(job["created"], place, "created") if "created" in job else exes[0]["queued"],
        queued=last["queued"], run_at=last["run_at"], end_at=last["end_at"], outcome=last["outcome"],
        changed=reading.time(job.get("changed"), place, "changed"),
        cut_short=True if last["outcome"] == "CANCELED" else None,
    )


def _input_rows(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's input files, each once per input (a file listed twice is one input file)."""
    return [{"job_id": job["id"], "job_input": input_name, "file_id": file_id}
            for input_name, file_ids in job.get("input", {}).get("files", {}).items()
            for file_id in dict.fromkeys(file_ids)]


def _products(jobs: list[dict[str, Any]], exes: list[dict[str, Any]], referenced: _Referenced,
              first_id: int) -> list[dict[str, Any]]:
    """The products of every completed execution, numbered from `first_id`, and each job's ``output`` listing its
    last one's.

    Their ids are given here, past the store's and the records' files: a database's id sequence is moved past
    the ids used only once the loading is done."""
    next_id = first_id
    products: list[dict[str, Any]] = []
    by_id = {job["id"]: job for job in jobs}
    for exe in exes:
        if exe["outcome"] != "COMPLETED" or exe["end_at"] is None or not referenced.workspaces:
            continue
        job = by_id[exe["job_id"]]
        jt = referenced.job_types[job["job_type_id"]]
        recipe = referenced.recipes.get(job["recipe_id"]) or {}
        producing = SimpleNamespace(
            **{k: job[k] for k in ("id", "recipe_id", "batch_id", "source_started", "source_ended",
                                   "source_sensor_class", "source_sensor", "source_collection", "source_task")},
            job_type_id=jt["id"], job_type_name=jt["name"], job_type_version=jt["version"], manifest=jt["manifest"],
            configuration=jt["configuration"], plan=jt["plan"], recipe_type_id=recipe.get("recipe_type_id"))
        rows = product_rows(producing, referenced.workspaces, exe["id"], exe["exe_num"], exe["end_at"])
        ids = list(range(next_id, next_id + len(rows)))
        next_id += len(rows)
        products += [{**row, "id": file_id} for row, file_id in zip(rows, ids, strict=True)]
        if exe["exe_num"] == job["num_exes"]:
            job["output"] = {"files": output_files(rows, ids), "json": job["output"]["json"]}
    return products


# --- inserting ---------------------------------------------------------------------------------------------------

class _Refused(Exception):
    """The database refused the rows of one table."""

    def __init__(self, kind: str, table: sa.Table, error: sa.exc.DBAPIError) -> None:
        super().__init__(f"{kind}: {_first_line(str(error.orig))}")
        self.kind, self.table, self.error = kind, table, error


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _insert(conn: Connection, rows: _Rows) -> None:
    for kind, table, table_rows in rows.tables:
        try:
            insert_rows(conn, table, table_rows)
        except sa.exc.DBAPIError as exc:
            raise _Refused(kind, table, exc) from exc


def _refusal(records: Records, stored: _Stored, refused: _Refused) -> FixtureError:
    """Why the database refused records that looked right: most likely another request took one of their ids
    (or of those the loading gives) meanwhile, which the store now shows."""
    problems = _Problems("")
    _check_identities(records, stored, problems)
    taken = problems.error()
    if taken is not None:
        return taken
    if isinstance(refused.error, sa.exc.IntegrityError):
        return FixtureConflict(f"{refused}: another request wrote rows with the same ids meanwhile; try again")
    return FixtureError(f"{refused.kind}: the database refused them: {_first_line(str(refused.error.orig))}")


def _count_in_tally(conn: Connection, rows: _Rows) -> None:
    """Count the added jobs in the job tally, as the API's own writes do (a reset counts it afresh)."""
    for job_type in rows.job_types:
        tally.add_job_type(conn, job_type["id"])
    with tally.tally_changes(conn) as changes:
        for job in rows.jobs:
            changes.add(job["job_type_id"], job["outcome"], job["end_at"])
