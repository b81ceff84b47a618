"""Writing Trifacta records into the store: the fixtures (``fixtures/trifacta/*.yaml``) when seeding, and the
records a test adds to a running server (`add_records`), in the same format.

Both are one operation, `add`: read the records, check them against each other and against what the store
holds, then write them; seeding is adding the fixtures to empty tables. A reference (a recipe's flow, the
imported dataset or the recipes it reads, an output object's or a job group's recipe) is looked for among the
records first, then in the store. Nothing is written unless every record is right; each problem is one line
naming the kind, the record and the field.

Fixture times are relative to the moment of seeding (``-P2D`` = two days ago), so a freshly started mock has
recent history and job groups still in flight. Earlier runs are planned exactly like new ones, from their
recipe's dependencies and plan, so the fixtures only say which recipe ran when, and how. What a record brings
along (a job group's write settings and jobs, an output object's write settings and publications) is numbered
after the highest id in the store: a later API call never collides with it, and empty tables number it the
same on every reset.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import (
    UTC,
    ApiError,
    FixtureConflict,
    FixtureError,
    insert_rows,
    load_fixtures,
    parse_duration,
    parse_iso,
    record_label,
)

from .documents import WRITE_SETTING_DEFAULTS
from .model import Settings, cancel, plan_for_new_run, start_run
from .queries import chain, dataset
from .tables import TABLES as T

FILES = ("flows", "imported_datasets", "wrangled_datasets", "output_objects", "job_groups")
"""The kinds of record (the fixture files), in the order they are written: each after the kinds it names."""
_ROW_KINDS = ("flows", "imported_datasets", "wrangled_datasets")
"""The kinds whose record is one row and no more."""

Records = Mapping[str, Sequence[Mapping[str, Any]]]

# The sessionId of a fixture run is derived from its id, so that a reset gives the same answers.
_FIXTURE_UUIDS = uuid.UUID("6f1c1d2e-7a3b-4c5d-9e8f-0a1b2c3d4e5f")

# Where a reference is looked for, as a problem says it.
ADDED_SCOPE = "none among these records or the server's"
FIXTURE_SCOPE = "none among the fixtures"


# --- reading a record ----------------------------------------------------------------------------------------

class Reference(NamedTuple):
    """An id a record names at `field`: of a record of `kind`, called a `noun` in messages."""

    field: str
    kind: str
    noun: str
    id: int


@dataclass(frozen=True)
class OutputObject:
    """An output object record, read: its row, and the documents of its write settings and publications."""

    row: dict[str, Any]
    write_settings: list[dict[str, Any]]
    publications: list[dict[str, Any]]


@dataclass(frozen=True)
class PastRun:
    """A job group record, read: what its run is planned and started with."""

    dataset_id: int
    settings: Settings
    start: datetime
    canceled: datetime | None
    ranfrom: str | None
    run_parameters: Any


C = TypeVar("C")


@dataclass(frozen=True)
class Entry(Generic[C]):
    """A record of `kind` (the `index`-th given, counted from 0), read into what is written of it."""

    kind: str
    index: int
    record: Mapping[str, Any]
    id: int
    content: C
    references: tuple[Reference, ...]


Entries = dict[str, list[Entry[Any]]]
Reader = Callable[[Mapping[str, Any], datetime], tuple[Any, tuple[Reference, ...]]]


class _Unreadable(Exception):
    """A field that cannot be read: the message is the problem's ``<field>: <what is wrong>``."""


@lru_cache(maxsize=1024)
def _relative(text: str) -> timedelta | datetime:
    """A fixture time, read: a duration from `now`, or an instant. Kept, as every reset reads the same ones."""
    if text.lstrip("+-").startswith("P"):
        return parse_duration(text)
    return parse_iso(text)


def _instant(record: Mapping[str, Any], name: str, now: datetime) -> datetime:
    """The record's time `name`: an ISO-8601 instant, or a duration from `now`."""
    value = record[name]
    if value is None:
        raise _Unreadable(f"{name}: missing (required)")
    try:
        read = _relative(str(value))
    except ValueError as exc:
        raise _Unreadable(f"{name}: bad time {value!r}: {exc}") from exc
    return now + read if isinstance(read, timedelta) else read


def _created(record: Mapping[str, Any], now: datetime, **row: Any) -> dict[str, Any]:
    """`row` with its creation time from the record's ``created``; nothing has changed it since."""
    at = _instant(record, "created", now)
    return {**row, "created_at": at, "updated_at": at}


def _read_flow(record: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], tuple[Reference, ...]]:
    return _created(record, now, id=record["id"], name=record["name"], description=record.get("description")), ()


def _read_imported_dataset(record: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], tuple[Reference, ...]]:
    return _created(record, now, id=record["id"], name=record["name"], description=record.get("description"),
                    uri=record["uri"], has_structuring=bool(record.get("detectStructure", False))), ()


def _read_wrangled_dataset(record: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], tuple[Reference, ...]]:
    imported = record.get("importedDataset")
    depends_on = list(record.get("dependsOn") or [])
    row = _created(record, now, id=record["id"], flow_id=record["flow"], name=record["name"],
                   description=record.get("description"), imported_dataset_id=imported, depends_on=depends_on,
                   plan=record.get("plan") or {})
    references = [Reference("flow", "flows", "flow", record["flow"])]
    if imported is not None:
        references.append(Reference("importedDataset", "imported_datasets", "imported dataset", imported))
    references += [Reference(f"dependsOn[{number}]", "wrangled_datasets", "dataset", ident)
                   for number, ident in enumerate(depends_on)]
    return row, tuple(references)


def _recipe_of(record: Mapping[str, Any]) -> Reference:
    return Reference("wrangledDataset", "wrangled_datasets", "wrangled dataset", record["wrangledDataset"])


def _read_output_object(record: Mapping[str, Any], now: datetime) -> tuple[OutputObject, tuple[Reference, ...]]:
    row = _created(record, now, id=record["id"], dataset_id=record["wrangledDataset"], execution=record["execution"],
                   profiler=bool(record["profiler"]), is_adhoc=bool(record.get("isAdhoc", True)))
    settings = [{**WRITE_SETTING_DEFAULTS, **setting} for setting in record.get("writeSettings") or []]
    publications = [{"connection": None, **publication} for publication in record.get("publications") or []]
    return OutputObject(row, settings, publications), (_recipe_of(record),)


def _read_job_group(record: Mapping[str, Any], now: datetime) -> tuple[PastRun, tuple[Reference, ...]]:
    settings = Settings(record["execution"], bool(record["profiler"]),
                        tuple({**WRITE_SETTING_DEFAULTS, **setting} for setting in record["writeSettings"]))
    canceled = _instant(record, "canceled", now) if record.get("canceled") is not None else None
    run = PastRun(record["wrangledDataset"], settings, _instant(record, "created", now), canceled,
                  record.get("ranfrom"), record.get("runParameters"))
    return run, (_recipe_of(record),)


_READERS: dict[str, Reader] = {
    "flows": _read_flow,
    "imported_datasets": _read_imported_dataset,
    "wrangled_datasets": _read_wrangled_dataset,
    "output_objects": _read_output_object,
    "job_groups": _read_job_group,
}


# --- problems ------------------------------------------------------------------------------------------------

@dataclass
class Problems:
    """What is wrong with the records, a line each: ``<kind>: <record>: <field>: <what is wrong>``, the kind as
    `source` words it (the kind itself, or the fixture file). Told record by record, in the order given."""

    source: Callable[[str], str]
    found: list[tuple[tuple[int, int], str, bool]] = field(default_factory=list)
    """(where: the kind's place in `FILES` and the record's, the line, whether it says an identity is taken)."""
    unreadable: dict[str, set[Any]] = field(default_factory=dict)
    """The ids of the records that could not be read, by kind: a reference to one is no unknown reference (the
    record's own line says what is wrong)."""

    def add(self, entry: Entry[Any], line: str, *, conflict: bool = False) -> None:
        self.add_line(entry.kind, entry.index, entry.record, line, conflict=conflict)

    def add_line(self, kind: str, index: int, record: Any, line: str, *, conflict: bool = False) -> None:
        where = (FILES.index(kind) if kind in FILES else -1, index)
        self.found.append((where, f"{self.source(kind)}: {record_label(index, record)}: {line}", conflict))

    def add_kind(self, kind: str, line: str) -> None:
        self.found.append(((-1, -1), f"{self.source(kind)}: {line}", False))

    @property
    def lines(self) -> list[str]:
        return [line for _, line, _ in sorted(self.found, key=lambda problem: problem[0])]

    def raise_any(self) -> None:
        """FixtureConflict when every problem is an identity taken (adding the records again with others would
        do), else FixtureError."""
        if self.found:
            kind = FixtureConflict if all(conflict for _, _, conflict in self.found) else FixtureError
            raise kind("\n".join(self.lines))


def read(records: Records, now: datetime, problems: Problems) -> Entries:
    """Every record of `records`, read, by kind in `FILES` order; the ones that cannot be read go to `problems`."""
    for kind in records:
        if kind not in _READERS:
            problems.add_kind(kind, f"not a kind of Trifacta record; the kinds: {', '.join(FILES)}")
    entries: Entries = {}
    for kind in FILES:
        entries[kind] = []
        for index, record in enumerate(records.get(kind) or ()):
            entry = _read_one(kind, index, record, now, problems)
            if entry is not None:
                entries[kind].append(entry)
    return entries


def _read_one(kind: str, index: int, record: Any, now: datetime, problems: Problems) -> Entry[Any] | None:
    if not isinstance(record, Mapping):
        problems.add_line(kind, index, record, f"expected a mapping of fields, not {type(record).__name__}")
        return None
    try:
        content, references = _READERS[kind](record, now)
        return Entry(kind, index, record, record["id"], content, references)
    except KeyError as exc:
        problems.add_line(kind, index, record, f"{exc.args[0]}: missing (required)")
    except _Unreadable as exc:
        problems.add_line(kind, index, record, str(exc))
    problems.unreadable.setdefault(kind, set()).add(record.get("id"))
    return None


# --- what the store holds ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    """What the store holds of the ids records give or name: kind → id → whether that row was deleted; the
    recipes with an output object already; and where the numbering of what records bring along goes on."""

    rows: Mapping[str, Mapping[int, bool]]
    recipes_with_output: frozenset[int]
    next_row_id: int = 1
    """Of write settings and jobs: one numbering, as a run's are written together."""
    next_publication_id: int = 1


NOTHING_STORED = Stored({kind: {} for kind in FILES}, frozenset())
"""An empty store: what fixtures are checked against by themselves (`load`)."""


def _labelled(kind: str, value: sa.ColumnElement[int], deleted: sa.ColumnElement[bool]) -> sa.Select[str, int, bool]:
    return sa.select(sa.literal_column(f"'{kind}'", sa.String).label("kind"), value.label("id"),
                     deleted.label("deleted"))


def _rows_held(kind: str) -> sa.Select[str, int, bool]:
    table: sa.Table = getattr(T, kind)
    deleted = table.c.deleted_at.is_not(None) if "deleted_at" in table.c else sa.false()
    return _labelled(kind, table.c.id, deleted).where(table.c.id.in_(sa.bindparam(kind, expanding=True)))


_o = T.output_objects.c
_NUMBERED = (T.write_settings, T.jobs, T.publications)
"""The tables of what records bring along (with ids of its own, numbered after the highest there)."""
# One statement for all of it (seeding runs it on every reset): per kind, the rows with the ids wanted; as
# "outputs", the recipes wanted that have an output object (deleted or not: a recipe's one output object is a
# unique key); and the highest id of each of `_NUMBERED`, as its table's name.
_HELD = sa.union_all(
    *(_rows_held(kind) for kind in FILES),
    _labelled("outputs", _o.dataset_id, sa.false()).where(_o.dataset_id.in_(sa.bindparam("outputs", expanding=True))),
    *(_labelled(table.name, sa.func.max(table.c.id), sa.false()) for table in _NUMBERED))


def read_stored(conn: Connection, entries: Entries) -> Stored:
    """What the store holds of the ids `entries` give and name (`Stored`), in one statement."""
    wanted: dict[str, set[int]] = {kind: {entry.id for entry in entries[kind]} for kind in FILES}
    for listed in entries.values():
        for entry in listed:
            for reference in entry.references:
                wanted[reference.kind].add(reference.id)
    recipes = {entry.content.row["dataset_id"] for entry in entries["output_objects"]}
    rows: dict[str, dict[int, bool]] = {kind: {} for kind in FILES}
    outputs: set[int] = set()
    highest: dict[str, int] = {}
    for held in conn.execute(_HELD, {**{kind: sorted(ids) for kind, ids in wanted.items()},
                                     "outputs": sorted(recipes)}):
        if held.kind in rows:
            rows[held.kind][held.id] = bool(held.deleted)
        elif held.kind == "outputs":
            outputs.add(held.id)
        else:
            highest[held.kind] = held.id or 0  # None: the table is empty
    next_row = max(highest[T.write_settings.name], highest[T.jobs.name]) + 1
    return Stored(rows, frozenset(outputs), next_row, highest[T.publications.name] + 1)


# --- checking ------------------------------------------------------------------------------------------------

def check(entries: Entries, stored: Stored, problems: Problems, scope: str) -> None:
    """Every problem of `entries` given what is `stored`: ids taken, references to nothing (`scope` says where
    they were looked for) or to deleted rows, recipes depending on each other in a cycle, a second output
    object for a recipe."""
    _check_identities(entries, stored, problems)
    _check_references(entries, stored, problems, scope)
    _check_cycles(entries["wrangled_datasets"], problems)
    _check_outputs(entries["output_objects"], stored, problems)


def _check_identities(entries: Entries, stored: Stored, problems: Problems) -> None:
    for kind in FILES:
        first: dict[int, Entry[Any]] = {}
        for entry in entries[kind]:
            if entry.id in stored.rows[kind]:
                problems.add(entry, f"id: {entry.id} is already taken", conflict=True)
            elif entry.id in first:
                problems.add(entry, f"id: {entry.id} is given twice: record {first[entry.id].index + 1} has it "
                                    "too", conflict=True)
            else:
                first[entry.id] = entry


def _check_references(entries: Entries, stored: Stored, problems: Problems, scope: str) -> None:
    given = {kind: {entry.id for entry in entries[kind]} | problems.unreadable.get(kind, set()) for kind in FILES}
    for listed in entries.values():
        for entry in listed:
            for reference in entry.references:
                if reference.id in given[reference.kind]:
                    continue
                deleted = stored.rows[reference.kind].get(reference.id)
                if deleted is None:
                    problems.add(entry, f"{reference.field}: unknown {reference.noun} {reference.id} ({scope})")
                elif deleted:
                    problems.add(entry, f"{reference.field}: {reference.noun} {reference.id} has been deleted")


def _check_cycles(recipes: Sequence[Entry[Any]], problems: Problems) -> None:
    """No recipe depends on itself, however indirectly. Only the new recipes can be in a cycle: a recipe in
    the store depends only on recipes that existed when it was written, and none of these did."""
    by_id: dict[int, Entry[Any]] = {}
    for recipe in recipes:
        by_id.setdefault(recipe.id, recipe)
    for cycle in _cycles({ident: list(recipe.content["depends_on"]) for ident, recipe in by_id.items()}):
        problems.add(by_id[cycle[0]], f"dependsOn: depends on itself in a cycle: {' → '.join(map(str, cycle))}")


def _cycles(graph: Mapping[int, Sequence[int]]) -> list[tuple[int, ...]]:
    """The cycles of `graph` (id → the ids it depends on), each once, as the path that closes it."""
    done: set[int] = set()
    found: dict[frozenset[int], tuple[int, ...]] = {}

    def visit(ident: int, path: tuple[int, ...]) -> None:
        if ident in path:
            cycle = (*path[path.index(ident):], ident)
            found.setdefault(frozenset(cycle), cycle)
            return
        if ident in done or ident not in graph:
            return
        for dependency in graph[ident]:
            visit(dependency, (*path, ident))
        done.add(ident)

    for ident in graph:
        visit(ident, ())
    return list(found.values())


def _check_outputs(outputs: Sequence[Entry[OutputObject]], stored: Stored, problems: Problems) -> None:
    """A recipe has one output object at most."""
    first: dict[int, Entry[OutputObject]] = {}
    for output in outputs:
        recipe = output.content.row["dataset_id"]
        if recipe in stored.recipes_with_output:
            problems.add(output, f"wrangledDataset: wrangled dataset {recipe} has an output object already (a "
                                 "recipe has one at most)", conflict=True)
        elif recipe in first:
            problems.add(output, f"wrangledDataset: wrangled dataset {recipe} has another output object among "
                                 f"these records, record {first[recipe].index + 1} (a recipe has one at most)",
                         conflict=True)
        else:
            first[recipe] = output


# --- writing -------------------------------------------------------------------------------------------------

Step = tuple[Sequence[Entry[Any]], Callable[[], None]]
"""The records a write is for, and the write."""


@dataclass(frozen=True)
class Recipe:
    """A recipe among the records, as a run reads it (`queries.dataset` reads one in the store): known already,
    it needs no query. The imported dataset it reads is not deleted (a reference to a deleted one is refused)."""

    id: int
    depends_on: list[int]
    plan: dict[str, Any]
    imported_dataset_id: int | None
    source_deleted_at: datetime | None = None


def _steps(conn: Connection, entries: Entries, stored: Stored) -> list[Step]:
    row_ids = itertools.count(stored.next_row_id)
    publication_ids = itertools.count(stored.next_publication_id)
    recipes = {recipe.id: Recipe(recipe.id, recipe.content["depends_on"], recipe.content["plan"],
                                 recipe.content["imported_dataset_id"]) for recipe in entries["wrangled_datasets"]}
    steps: list[Step] = [(entries[kind], partial(insert_rows, conn, getattr(T, kind),
                                                 [entry.content for entry in entries[kind]]))
                         for kind in _ROW_KINDS]
    # By id, so that empty tables number their write settings and jobs the same on every reset.
    steps += [([group], partial(_start_run, conn, group, recipes, row_ids))
              for group in sorted(entries["job_groups"], key=lambda group: group.id)]
    # After the job groups: their write settings took the first numbers.
    outputs = entries["output_objects"]
    steps.append((outputs, partial(_insert_outputs, conn, outputs, row_ids, publication_ids)))
    return steps


def _start_run(conn: Connection, group: Entry[PastRun], recipes: Mapping[int, Recipe], row_ids: Iterator[int]) -> None:
    """The job group planned like a new run of its recipe started at its ``created``, then canceled, if it was."""
    run = group.content
    target = recipes.get(run.dataset_id)
    if target is None:
        target = dataset(conn, run.dataset_id)
    plan = plan_for_new_run(chain(conn, target), run.settings)
    started = start_run(conn, target.id, plan, run.settings, run.start, ranfrom=run.ranfrom,
                        run_parameters=run.run_parameters, group_id=group.id,
                        session_id=str(uuid.uuid5(_FIXTURE_UUIDS, str(group.id))), row_ids=row_ids)
    if run.canceled is not None:
        cancel(conn, started.id, run.canceled)


def _insert_outputs(conn: Connection, outputs: Sequence[Entry[OutputObject]], row_ids: Iterator[int],
                    publication_ids: Iterator[int]) -> None:
    """The output objects, then all their write settings, then all their publications: three statements."""
    insert_rows(conn, T.output_objects, [output.content.row for output in outputs])
    settings, publications = [], []
    for output in outputs:
        at = output.content.row["created_at"]
        settings += [dict(id=next(row_ids), output_object_id=output.id, position=number, document=document,
                          created_at=at, updated_at=at)
                     for number, document in enumerate(output.content.write_settings)]
        publications += [dict(id=next(publication_ids), output_object_id=output.id, document=document,
                              created_at=at, updated_at=at) for document in output.content.publications]
    insert_rows(conn, T.write_settings, settings)
    insert_rows(conn, T.publications, publications)


# --- adding --------------------------------------------------------------------------------------------------

def add(conn: Connection, records: Records, now: datetime, *, source: Callable[[str], str] = str,
        scope: str = ADDED_SCOPE) -> dict[str, list[int]]:
    """Write `records` (kind → records in the fixture files' format, times relative to `now`) into the store,
    after checking them against each other and the store; answer the ids added, by kind, in order.

    FixtureError, and nothing written, if any is wrong: a line per problem, the kind named as `source` words it
    and a reference's `scope` saying where it was looked for. FixtureConflict when every problem is an id
    taken, in the store (another writer's meanwhile too) or among the records.
    """
    problems = Problems(source)
    entries = read(records, now, problems)
    stored = read_stored(conn, entries)
    check(entries, stored, problems, scope)
    problems.raise_any()
    steps = _steps(conn, entries, stored)
    done = 0
    try:
        # In a savepoint: a write refused (another writer took an id meanwhile) is undone alone, and the
        # transaction can still read what changed.
        with conn.begin_nested():
            for _, write in steps:
                write()
                done += 1
    except sa.exc.IntegrityError as exc:
        raise _found_again(conn, entries, steps[done][0], problems, scope, FixtureConflict,
                           "id: an id it needs was taken by another writer meanwhile; add it again") from exc
    except (LookupError, ApiError) as exc:  # what the checks should have found: the store changed meanwhile?
        raise _found_again(conn, entries, steps[done][0], problems, scope, FixtureError,
                           f"id: cannot be written ({type(exc).__name__}: {exc})") from exc
    return {kind: [entry.id for entry in entries[kind]] for kind in records if kind in entries}


def _found_again(conn: Connection, entries: Entries, writing: Sequence[Entry[Any]], problems: Problems, scope: str,
                 error: type[FixtureError], otherwise: str) -> FixtureError:
    """The problems the checks find now, after a write was refused (another writer has changed the store since
    they passed); if they find none, `otherwise`, of the first record of the refused write."""
    again = Problems(problems.source)
    check(entries, read_stored(conn, entries), again, scope)
    if not again.found:
        again.add(writing[0], otherwise)
    return error("\n".join(again.lines))


def add_records(conn: Connection, records: Records, now: datetime) -> dict[str, list[int]]:
    """Records a test adds to a running server (`Pack.add_records`)."""
    return add(conn, records, now)


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    """The fixtures of `folder`, into the empty tables."""
    add(conn, load_fixtures(folder, FILES), now, source=_fixture_file(folder), scope=FIXTURE_SCOPE)


def load(folder: Path, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """The fixtures of `folder`, checked among themselves as seeding checks them (times relative to `now`)."""
    records = load_fixtures(folder, FILES)
    problems = Problems(_fixture_file(folder))
    check(read(records, now or datetime.now(UTC), problems), NOTHING_STORED, problems, FIXTURE_SCOPE)
    problems.raise_any()
    return records


def _fixture_file(folder: Path) -> Callable[[str], str]:
    return lambda kind: str(folder / f"{kind}.yaml")
