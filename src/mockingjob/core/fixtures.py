"""Reading a pack's fixtures: YAML lists of records, the user's own folders over them, and times relative to
the moment of seeding.

Every pack seeds from ``fixtures/<api>/<name>.yaml`` files holding a list of records each. Parsed files are
kept by content (`resources.read_yaml`: every reset seeds again, and YAML parsing is the slow part); callers
get their own copy to change. A time in a fixture is either absolute ISO-8601 or an ISO-8601 duration
relative to the seeding instant (``-P2DT3H`` is two days and three hours before), so a fresh mock always has
recent history.

The user's own fixtures (``serve --fixtures DIR``) are folders laid out like ``fixtures/``: ``DIR/<api>/`` holds
files of the same names. `read_user_fixtures` reads and checks them once, at start, into `Layer`s; while the
engine seeds a pack it names that pack's layers (`seeding`), and `load_fixtures` hands the pack the merged
records. A pack never knows where its records came from. Per API, a layer either extends what comes before it
(a record with the identity of an earlier one replaces it, the others are added) or, with ``mode: replace`` in
``DIR/<api>/_fixtures.yaml``, replaces it (a file left out then means no records of that kind).
"""

from __future__ import annotations

import contextlib
import difflib
import pickle
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table
from sqlalchemy.engine import Connection

from .errors import FixtureError
from .fixture_schemas import record_errors, record_label
from .resources import read_yaml
from .timeutil import parse_duration, parse_iso

__all__ = ["SETTINGS_FILE", "FixtureProblem", "Layer", "RelativeTimes", "UserFixtures", "did_you_mean",
           "fixture_names", "insert_rows", "is_editor_leftover", "load_fixtures", "read_user_fixtures", "seeding",
           "yaml_problem"]

Records = dict[str, list[dict[str, Any]]]

SETTINGS_FILE = "_fixtures.yaml"
"""The file of ``DIR/<api>/`` that says how its records join the ones before them: ``mode: extend`` (the
default) or ``mode: replace``."""
MODES = ("extend", "replace")


def field_problems(api: str, kind: str, records: list[Any], label: str) -> list[str]:
    """The field-level problems of one user fixture file, one line each, from its kind's JSON Schema (none for
    a kind without one, such as a pack of someone else's).

    This is the one place where a user's records are held to their kind's fields, before any pack sees them.
    """
    return record_errors(api, kind, records, label)


# --- reading -------------------------------------------------------------------------------------------------

def load_fixtures(folder: Path, names: Sequence[str]) -> Records:
    """The records of ``folder/<name>.yaml`` for each of `names`, a copy of their own for the caller to change;
    FixtureError says what is wrong.

    While the engine seeds a pack from its own `folder`, these are the records merged with the user's folders
    for that API (see `seeding`).
    """
    overlay = _SEEDING.get()
    if overlay is not None and overlay.covers(folder):
        return {name: overlay.records(name) for name in names}
    return {name: _read_list(folder / f"{name}.yaml") for name in names}


def _read_list(path: Path) -> list[Any]:
    try:
        items = read_yaml(path) or []
    except (OSError, yaml.YAMLError) as exc:
        raise FixtureError(f"{path}: {exc}") from exc
    if not isinstance(items, list):
        raise FixtureError(f"{path}: expected a list of records")
    return items


def fixture_names(folder: Path) -> list[str]:
    """The kinds of fixture file in `folder` (a pack's own): the names of its ``*.yaml`` files."""
    return sorted(path.stem for path in folder.glob("*.yaml") if not path.name.startswith((".", "_")))


# --- the user's folders --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FixtureProblem:
    """What is wrong with a user's fixture folder or file: `where` names the folder or file (as given), `message`
    the record and field when known. One line."""

    api: str | None
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Layer:
    """One API's sub-folder of one ``--fixtures`` folder, read once at start: its files' records, by kind."""

    folder: str
    """``DIR/<api>``, as the user gave DIR."""
    replace: bool
    files: Mapping[str, bytes] = field(default_factory=dict)
    """kind → the file's records, pickled: every seeding gets a copy of its own to change."""


@dataclass
class UserFixtures:
    """The user's folders, read: each API's layers in order, and what is wrong with them."""

    layers: dict[str, tuple[Layer, ...]] = field(default_factory=dict)
    problems: list[FixtureProblem] = field(default_factory=list)

    def problems_of(self, api: str | None) -> list[FixtureProblem]:
        return [problem for problem in self.problems if problem.api == api]

    def raise_problems(self) -> None:
        """FixtureError with one line per problem, if there is any."""
        if self.problems:
            raise FixtureError("\n".join(str(problem) for problem in self.problems))


def read_user_fixtures(folders: Sequence[str | Path], kinds: Mapping[str, Sequence[str]],
                       apis: Iterable[str]) -> UserFixtures:
    """Read and check the user's fixture folders (``--fixtures``), in order.

    `kinds` gives, for each API whose sub-folders are read, the names of its fixture files; `apis` every API
    name a sub-folder may have (the sub-folders of the other available APIs are left unread). Sub-folders and
    files whose names start with "." or "_" (but `SETTINGS_FILE`) are not fixtures and are skipped.
    """
    found = UserFixtures()
    known_apis = sorted(set(apis) | set(kinds))
    for given in folders:
        top = Path(given)
        if not top.is_dir():
            found.problems.append(FixtureProblem(None, str(given), "no such folder"))
            continue
        for entry in sorted(top.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            where = str(top / entry.name)
            if not entry.is_dir():
                if entry.suffix in (".yaml", ".yml"):
                    found.problems.append(FixtureProblem(None, where, "fixture files go in a sub-folder per API, "
                                                         f"such as {top / known_apis[0] / entry.name}"))
                continue
            if entry.name not in known_apis:
                found.problems.append(FixtureProblem(
                    None, where, f"no API is called {entry.name!r}{did_you_mean(entry.name, known_apis)}; "
                    f"the APIs: {', '.join(known_apis)}"))
                continue
            if entry.name in kinds:
                layer = _read_layer(entry.name, top / entry.name, kinds[entry.name], found.problems)
                if layer is not None:
                    found.layers[entry.name] = (*found.layers.get(entry.name, ()), layer)
    return found


def _read_layer(api: str, folder: Path, kinds: Sequence[str], problems: list[FixtureProblem]) -> Layer | None:
    before = len(problems)
    replace = _read_settings(api, folder / SETTINGS_FILE, problems)
    files: dict[str, bytes] = {}
    known = [f"{kind}.yaml" for kind in kinds]
    for path in sorted(folder.iterdir()):
        if path.name == SETTINGS_FILE or path.name.startswith(".") or is_editor_leftover(path.name):
            continue
        where = str(folder / path.name)
        if path.is_dir() or path.name not in known:
            problems.append(FixtureProblem(api, where, f"not a fixture file of {api}"
                                           f"{did_you_mean(path.name, [*known, SETTINGS_FILE])}; the known ones: "
                                           f"{', '.join(known)} (and {SETTINGS_FILE})"))
            continue
        records = _read_user_file(api, path.stem, path, where, problems)
        if records is not None:
            files[path.stem] = pickle.dumps(records, pickle.HIGHEST_PROTOCOL)
    if len(problems) > before:
        return None
    return Layer(str(folder), bool(replace), files)


def _read_settings(api: str, path: Path, problems: list[FixtureProblem]) -> bool | None:
    """Whether `path` (``_fixtures.yaml``) says to replace; False when there is none."""
    if not path.is_file():
        return False
    where = str(path)
    try:
        settings = read_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(FixtureProblem(api, where, yaml_problem(exc)))
        return None
    if not isinstance(settings, dict):
        problems.append(FixtureProblem(api, where, f"expected a mapping such as 'mode: replace', not "
                                                   f"{_kind_of(settings)}"))
        return None
    for key in settings:
        if key != "mode":
            problems.append(FixtureProblem(api, where, f"unknown setting {key!r}; the only one is 'mode' "
                                                       f"({' or '.join(MODES)})"))
    mode = settings.get("mode", "extend")
    if mode not in MODES:
        problems.append(FixtureProblem(api, where, f"mode: {mode!r} is neither {' nor '.join(MODES)}"))
        return None
    return mode == "replace"


def _read_user_file(api: str, kind: str, path: Path, where: str, problems: list[FixtureProblem]) -> list[Any] | None:
    """The records of one user file, or None (and its problems told) when it cannot be used."""
    try:
        records = read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(FixtureProblem(api, where, yaml_problem(exc)))
        return None
    if records is None:
        return []
    if not isinstance(records, list):
        problems.append(FixtureProblem(api, where, f"expected a list of records, not {_kind_of(records)}"))
        return None
    before = len(problems)
    first: dict[Hashable, int] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(FixtureProblem(api, where, f"record {index + 1}: expected a mapping of fields, not "
                                                       f"{_kind_of(record)}"))
            continue
        key = record_key(record)
        if key is None:
            continue
        if key in first:
            problems.append(FixtureProblem(api, where, f"{record_label(index, record)}: the same "
                                                       f"{_key_name(key)} as record {first[key] + 1}"))
        else:
            first[key] = index
    if len(problems) == before:
        for line in field_problems(api, kind, records, where):
            problems.append(FixtureProblem(api, where, line.removeprefix(f"{where}: ")))
    return None if len(problems) > before else records


def record_key(record: Mapping[str, Any]) -> Hashable | None:
    """A record's identity, by which a later folder's record replaces it: its ``id``; for kinds without one
    (Marquez's), its ``name`` within its ``namespace``; None for a record with neither (it is only ever added)."""
    if record.get("id") is not None:
        return ("id", _hashable(record["id"]))
    if record.get("name") is not None:
        return ("name", _hashable(record.get("namespace")), _hashable(record["name"]))
    return None


def _key_name(key: Hashable) -> str:
    return "id" if isinstance(key, tuple) and key[0] == "id" else "name"


def _hashable(value: Any) -> Hashable:
    return value if isinstance(value, Hashable) else repr(value)


_LEFTOVER_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".orig")


def is_editor_leftover(name: str) -> bool:
    """Whether a file is what an editor or a merge leaves beside the files it edits (``jobs.yaml~``,
    ``#jobs.yaml#``, ``jobs.yaml.bak``): not a fixture file, nor a probable typo of one."""
    return name.endswith(_LEFTOVER_SUFFIXES) or name.startswith("#")


def did_you_mean(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind_of(value: Any) -> str:
    return {dict: "a mapping", str: "a string", list: "a list", type(None): "nothing", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def yaml_problem(exc: Exception) -> str:
    """A YAML or reading error in one line, with its line and column."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(part for part in (exc.context, exc.problem) if part) or "cannot be parsed"
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"not valid YAML: {what}{at}"
    if isinstance(exc, OSError):
        return f"cannot be read: {exc.strerror or exc}"
    return f"not valid YAML: {one_line(str(exc))}"


def one_line(text: str) -> str:
    """The first line of `text`; an exception's repr quoting a multi-line message is cut at its first ``\\n``."""
    lines = text.strip().splitlines() or [""]
    return re.split(r"\\n", lines[0])[0]


# --- seeding with the user's folders -------------------------------------------------------------------------

Origin = tuple[str, int]
"""Where a merged record comes from: its file (as the user named it) and its index there."""


@dataclass(frozen=True)
class _Overlay:
    api: str
    base: Path
    layers: tuple[Layer, ...]
    origins: dict[str, list[Origin]] = field(default_factory=dict)
    """kind → the origin of each record `records` answered, in order: a seeding error is told in the file's
    terms (``DIR/scale/jobs.yaml: record 1``), not the merged list's (``jobs: record 53``)."""

    def covers(self, folder: Path) -> bool:
        return Path(folder).resolve() == self.base.resolve()

    def records(self, kind: str) -> list[Any]:
        start = max((i for i, layer in enumerate(self.layers) if layer.replace), default=None)
        records: list[Any] = []
        origins: list[Origin] = []
        if start is None:
            records = _read_list(self.base / f"{kind}.yaml")
            origins = [(f"fixtures/{self.api}/{kind}.yaml", index) for index in range(len(records))]
        for layer in self.layers[start or 0:]:
            if kind in layer.files:
                later = pickle.loads(layer.files[kind])
                records, origins = merge(records, later, origins,
                                         [(f"{layer.folder}/{kind}.yaml", i) for i in range(len(later))])
        self.origins[kind] = origins
        return records

    def told_in_files(self, line: str) -> str | None:
        """A pack's line about a merged record (``jobs: record 53 (id 900): …``), told of the record in its file;
        None for any other line."""
        found = _RECORD_LINE.match(line)
        if found is None:
            return None
        origins = self.origins.get(found["kind"], [])
        index = int(found["number"]) - 1
        if not 0 <= index < len(origins):
            return None
        file, at = origins[index]
        return f"{file}: record {at + 1}{found['identity'] or ''}: {found['rest']}"


_RECORD_LINE = re.compile(r"^(?P<kind>\w+): record (?P<number>\d+)(?P<identity> \([^)]*\))?: (?P<rest>.*)$")


def merge(records: list[Any], later: list[Any], origins: list[Origin] | None = None,
          later_origins: list[Origin] | None = None) -> tuple[list[Any], list[Origin]]:
    """`records` extended with `later`: a later record with the identity (`record_key`) of an earlier one takes
    its place, the others are added at the end, in their order; with the origins of each, kept alike."""
    merged = list(records)
    merged_origins = list(origins or [("", index) for index in range(len(records))])
    given_origins = later_origins or [("", index) for index in range(len(later))]
    where = {key: index for index, record in enumerate(merged)
             if isinstance(record, dict) and (key := record_key(record)) is not None}
    for record, origin in zip(later, given_origins, strict=True):
        key = record_key(record) if isinstance(record, dict) else None
        if key is not None and key in where:
            merged[where[key]] = record
            merged_origins[where[key]] = origin
            continue
        if key is not None:
            where[key] = len(merged)
        merged.append(record)
        merged_origins.append(origin)
    return merged, merged_origins


def overlay_label(api: str, base: Path, layers: Sequence[Layer]) -> str:
    """Where an API's merged records come from, for messages: ``fixtures/scale + DIR/scale``, or ``DIR/scale``."""
    start = max((i for i, layer in enumerate(layers) if layer.replace), default=None)
    sources = ([] if start is not None else [f"fixtures/{api}"]) + [layer.folder for layer in layers[start or 0:]]
    return " + ".join(sources)


_SEEDING: ContextVar[_Overlay | None] = ContextVar("mockingjob_fixture_overlay", default=None)


@contextlib.contextmanager
def seeding(api: str, folder: Path, layers: Sequence[Layer]) -> Iterator[None]:
    """While a pack whose own fixtures are in `folder` seeds, `load_fixtures` of that folder answers the records
    merged with the user's `layers`. A FixtureError then says where the records came from, in one line."""
    if not layers:
        yield
        return
    overlay = _Overlay(api, Path(folder), tuple(layers))
    token = _SEEDING.set(overlay)
    try:
        yield
    except FixtureError as exc:
        label = overlay_label(api, Path(folder), layers)
        lines = []
        for line in str(exc).strip().splitlines() or [""]:
            told = overlay.told_in_files(line.removeprefix(f"{folder}: "))
            if told is None:
                line = one_line(line)
                told = line.replace(str(folder), label) if str(folder) in line else f"{label}: {line}"
            lines.append(told)
        raise FixtureError("\n".join(lines)) from exc
    finally:
        _SEEDING.reset(token)


class RelativeTimes:
    """Turns a fixture's time (ISO-8601, or a duration from `now`) into a datetime; None stays None."""

    def __init__(self, now: datetime, where: str) -> None:
        self.now, self.where = now, where

    def __call__(self, value: Any) -> datetime | None:
        if value is None:
            return None
        text = str(value)
        try:
            if text.lstrip("+-").startswith("P"):
                return self.now + parse_duration(text)
            return parse_iso(text)
        except ValueError as exc:
            raise FixtureError(f"{self.where}: bad time {value!r}: {exc}") from exc


def insert_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert `rows` with one executemany per set of keys, in their order within each set.

    One statement for many rows seeds much faster than a statement per row. Rows are grouped by their keys
    because an executemany compiles its statement from the first row's: a key only later rows have would be
    dropped, and a key they lack would be an error.
    """
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        conn.execute(table.insert(), group)
