"""Loading records of the Marquez fixture kinds (``fixtures/marquez/<kind>.yaml``) into the store.

Seeding adds every fixture to the empty tables; a test adds more records to a store in use. Both are `add`:
first every record is checked against the others given and against the store (each problem told in one line,
nothing added), then the records are applied kind by kind, each kind naming only records of the kinds before it.

What a record names must exist where Marquez requires it to, and is made where Marquez makes it:

- a dataset's and a job's namespace, and a job's inputs and outputs, must be among the records given or in the
  store, as Marquez's PUT endpoints answer 404 (``Namespace '…' not found.``, ``Dataset '…' not found.``);
- an event's namespaces, job, datasets, run and parent run are made if new, as POST /api/v1/lineage makes them
  (OpenLineageDao: a namespace it has not heard of is owned by ``anonymous``), so nothing an event names need
  exist. Events are applied by the endpoint's own code (`lineage.record_event`).

Times are written relative to the moment of adding (``-P2DT3H`` = two days and three hours earlier), so a freshly
started mock always has recent run history.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import (
    ApiError,
    FixtureConflict,
    FixtureError,
    PortableString,
    RelativeTimes,
    insert_rows,
    load_fixtures,
    record_label,
)

from .event_kinds import event_kind, missing
from .instants import format_instant
from .lineage import record_event, run_uuid
from .model import DONE, STATES, arg_text
from .tables import NAME
from .tables import TABLES as T
from .versions import dataset_ids, job_version_hash

__all__ = ["KINDS", "add", "seed"]

KINDS = ("namespaces", "datasets", "jobs", "events")
"""The fixture kinds, in the order they are applied: a record names only records of the kinds before its own."""

Records = Mapping[str, Sequence[dict[str, Any]]]
Key = tuple[Any, Any]
"""A dataset's or a job's ``(namespace, name)``, as the store keeps it."""

NAMESPACE_NAME = re.compile(r"^[a-zA-Z:;=/0-9_.@+-]{1,1024}$")
"""The names Marquez takes for a namespace (NamespaceName); the API could not address another."""
_TIMES = {
    "namespaces": ("created", "updated"),
    "datasets": ("created",),
    "jobs": ("created", "updated"),
    "runs": ("created", "started", "ended", "updated", "nominal_start", "nominal_end"),
}
_as_stored = PortableString().process_bind_param
_n, _d, _j, _r = T.namespaces.c, T.datasets.c, T.jobs.c, T.runs.c


def seed(conn: Connection, folder: Path, now: datetime) -> None:
    """Load the fixtures into the empty tables."""
    try:
        add(conn, load_fixtures(folder, KINDS), now)
    except FixtureError as exc:  # each line names the kind and the record; say which folder they came from
        raise FixtureError("\n".join(f"{folder}: {line}" for line in str(exc).splitlines())) from exc


def add(conn: Connection, records: Records, now: datetime) -> dict[str, list[Any]]:
    """Add `records` (by kind, in the fixture files' format) to the store; answer, by kind, what the API
    addresses each record by: a namespace's name, a dataset's and a job's ``{namespace, name}``, the id of an
    event's run (None for a job or dataset event, which has none).

    FixtureError: one line per problem, nothing added; FixtureConflict when each problem is an identity taken,
    in the store or by an earlier record given.
    """
    given = {kind: list(records.get(kind) or ()) for kind in KINDS}
    _raise(_Check(conn, given, now).problems())
    adding = _Adding(conn, now)
    try:
        with conn.begin_nested():  # undone alone, so that the store can be asked again below
            return adding.apply(given)
    except sa.exc.IntegrityError as exc:
        # Free when checked, taken by another request since: the check, again, says by what.
        found = _Check(conn, given, now).problems()
        raise FixtureConflict("\n".join(line for line, _ in found) or adding.raced()) from exc
    except (LookupError, TypeError, ValueError, sa.exc.DataError) as exc:  # what the check should have found
        raise FixtureError(adding.failed(exc)) from exc


def _raise(problems: list[tuple[str, bool]]) -> None:
    if problems:
        conflict = all(is_conflict for _, is_conflict in problems)
        raise (FixtureConflict if conflict else FixtureError)("\n".join(line for line, _ in problems))


# --- checking ------------------------------------------------------------------------------------------------

def _key(namespace: Any, name: Any) -> Key:
    return _as_stored(namespace, None), _as_stored(name, None)


def _named(key: Key) -> str:
    return f"{key[0]}/{key[1]}"


@dataclass
class _Stored:
    """What the store holds of the identities the records give or name, read in one query per table."""

    namespaces: set[Any] = field(default_factory=set)
    datasets: set[Key] = field(default_factory=set)
    jobs: set[Key] = field(default_factory=set)
    runs: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, conn: Connection, records: Records) -> _Stored:
        namespaces = {_as_stored(ns["name"], None) for ns in records["namespaces"]}
        namespaces |= {_as_stored(r["namespace"], None) for kind in ("datasets", "jobs") for r in records[kind]}
        datasets = {_key(d["namespace"], d["name"]) for d in records["datasets"]}
        datasets |= {_key(d["namespace"], d["name"]) for job in records["jobs"]
                     for d in (*(job.get("inputs") or ()), *(job.get("outputs") or ()))}
        jobs = {_key(job["namespace"], job["name"]) for job in records["jobs"]}
        runs = {str(run["id"]).lower() for job in records["jobs"] for run in job.get("runs") or ()}
        return cls(
            set(_among(conn, sa.select(_n.name), _n.name, namespaces)),
            set(map(tuple, _among(conn, sa.select(_d.namespace, _d.name), sa.tuple_(_d.namespace, _d.name),
                                  datasets))),
            set(map(tuple, _among(conn, sa.select(_j.namespace, _j.name), sa.tuple_(_j.namespace, _j.name), jobs))),
            set(_among(conn, sa.select(_r.id), _r.id, runs)),
        )


def _among(conn: Connection, select: sa.Select[Any], column: Any, values: set[Any]) -> Iterable[Any]:
    """The rows of `select` whose `column` is one of `values` (scalars for a one-column select)."""
    if not values:  # no record gives or names one: nothing to ask
        return ()
    result = conn.execute(select.where(column.in_(list(values))))
    return result.scalars() if len(select.selected_columns) == 1 else result


class _Check:
    """Everything wrong with a batch of records, against each other and the store: ``(line, is_conflict)``."""

    def __init__(self, conn: Connection, records: Records, now: datetime) -> None:
        self.records, self.now = records, now
        self.stored = _Stored.read(conn, records)
        self.found: list[tuple[str, bool]] = []
        self.kind, self.index = "", 0
        self.record: Mapping[str, Any] = {}

    def problems(self) -> list[tuple[str, bool]]:
        namespaces = self._identities("namespaces", lambda r: _as_stored(r["name"], None), self.stored.namespaces,
                                      str, self._check_namespace)
        datasets = self._identities("datasets", lambda r: _key(r["namespace"], r["name"]), self.stored.datasets,
                                    _named, lambda: self._namespace_exists(namespaces))
        runs: dict[str, int] = {}
        self._identities("jobs", lambda r: _key(r["namespace"], r["name"]), self.stored.jobs, _named,
                         lambda: self._check_job(namespaces, datasets, runs))
        for index, event in enumerate(self.records["events"]):
            self._look_at("events", index, event)
            self._check_event()
        return self.found

    def _look_at(self, kind: str, index: int, record: Mapping[str, Any]) -> None:
        """The record the lines told next are about."""
        self.kind, self.index, self.record = kind, index, record

    def _tell(self, where: str, what: str, *, conflict: bool = False) -> None:
        self.found.append((f"{self.kind}: {record_label(self.index, self.record)}: {where}: {what}", conflict))

    def _identities(self, kind: str, key_of: Callable[[Mapping[str, Any]], Any], stored: set[Any],
                    shown: Callable[[Any], str], check: Callable[[], None]) -> set[Any]:
        """Check each record of `kind`, its identity first (free in the store, given once); answer the
        identities of all of them, which later kinds may name."""
        first: dict[Any, int] = {}
        for index, record in enumerate(self.records[kind]):
            self._look_at(kind, index, record)
            key = key_of(record)
            if key in stored:
                self._tell("name", f"{shown(key)} is already taken", conflict=True)
            elif key in first:
                self._tell("name", f"{shown(key)} is already taken by record {first[key] + 1}", conflict=True)
            else:
                first[key] = index
            check()
            self._times(record, _TIMES[kind])
        return set(first)

    def _times(self, record: Mapping[str, Any], names: Sequence[str], prefix: str = "") -> None:
        for name in names:
            self._time(record.get(name), f"{prefix}{name}")

    def _time(self, value: Any, where: str) -> None:
        try:
            RelativeTimes(self.now, where)(value)
        except FixtureError as exc:  # it says "<where>: bad time ..."
            self._tell(where, str(exc).removeprefix(f"{where}: "))

    def _check_namespace(self) -> None:
        if not NAMESPACE_NAME.match(str(self.record["name"])):
            self._tell("name", f"{self.record['name']!r} is no namespace name Marquez takes (letters, digits and "
                               "_ - . : ; = @ + / only)")

    def _namespace_exists(self, given: set[Any]) -> None:
        name = _as_stored(self.record["namespace"], None)
        if name not in given and name not in self.stored.namespaces:
            self._tell("namespace", f"no namespace {name} among the namespaces given or in the store")

    def _check_job(self, namespaces: set[Any], datasets: set[Key], runs: dict[str, int]) -> None:
        self._namespace_exists(namespaces)
        for side in ("inputs", "outputs"):
            for number, dataset in enumerate(self.record.get(side) or ()):
                key = _key(dataset["namespace"], dataset["name"])
                if key not in datasets and key not in self.stored.datasets:
                    self._tell(f"{side}[{number}]", f"no dataset {_named(key)} among the datasets given or in "
                                                    "the store")
        for number, run in enumerate(self.record.get("runs") or ()):
            where, run_id = f"runs[{number}]", str(run["id"]).lower()
            if run_id in self.stored.runs:
                self._tell(f"{where}.id", f"run {run_id} is already taken", conflict=True)
            elif run_id in runs:
                self._tell(f"{where}.id", f"run {run_id} is already taken by record {runs[run_id] + 1}",
                           conflict=True)
            else:
                runs[run_id] = self.index
            if run["state"] not in STATES:
                self._tell(f"{where}.state", f"{run['state']!r} is none of {', '.join(STATES)}")
            self._times(run, _TIMES["runs"], f"{where}.")

    def _check_event(self) -> None:
        event = self.record
        for name in [n for n in ("eventTime", "producer") if event.get(n) is None] + missing(event):
            self._tell(name, "must not be null")
        self._time(event.get("eventTime"), "eventTime")
        facets = _object(_object(event.get("run")).get("facets"))
        nominal = facets.get("nominalTime")
        if isinstance(nominal, dict):
            self._times(nominal, ("nominalStartTime", "nominalEndTime"), "run.facets.nominalTime.")
        for name in ("parent", "parentRun"):
            if isinstance(facets.get(name), dict) and facets[name]:
                self._check_parent(facets[name], f"run.facets.{name}")
                break  # the one Marquez reads
        names = [(part, event.get(part)) for part in ("job", "dataset")]
        names += [(f"{side}[{number}]", dataset) for side in ("inputs", "outputs")
                  for number, dataset in enumerate(event.get(side) or ())]
        for where, named in names:
            self._fits(named, where)

    def _check_parent(self, facet: Mapping[str, Any], where: str) -> None:
        """The parent run facet names a run and its job (ParentRunFacet), which are made if new."""
        run, job = _object(facet.get("run")), _object(facet.get("job"))
        if run.get("runId") is None:
            self._tell(f"{where}.run.runId", "missing (required)")
        if job.get("namespace") is None or job.get("name") is None:
            self._tell(f"{where}.job", "needs a namespace and a name")
        else:
            self._fits(job, f"{where}.job")

    def _fits(self, named: Any, where: str) -> None:
        """A namespace and a name an event gives are at most as long as Marquez's columns take."""
        for part in ("namespace", "name"):
            if isinstance(named, dict) and len(str(named.get(part))) > NAME:
                self._tell(f"{where}.{part}", f"longer than {NAME} characters")


def _object(value: Any) -> Mapping[str, Any]:
    """A JSON object an event may give, or none."""
    return value if isinstance(value, dict) else {}


# --- applying ------------------------------------------------------------------------------------------------

class _Adding:
    """Applies checked records to the store, kind by kind; knows which kind it was at if that fails."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        self.conn, self.at = conn, RelativeTimes(now, "marquez")
        self.now = now
        self.records: Records = {}
        self.kind, self.index = KINDS[0], 0

    def apply(self, records: Records) -> dict[str, list[Any]]:
        self.records = records
        self._step("namespaces")
        insert_rows(self.conn, T.namespaces, map(self._namespace_row, records["namespaces"]))
        self._step("datasets")
        insert_rows(self.conn, T.datasets, map(self._dataset_row, records["datasets"]))
        self._step("jobs")
        self._add_jobs(records["jobs"])
        self._step("events")
        run_ids = []
        for index, event in enumerate(records["events"]):
            self.index = index  # the event a failure names
            run_ids.append(self._add_event(event))
        return {
            "namespaces": [ns["name"] for ns in records["namespaces"]],
            "datasets": [{"namespace": d["namespace"], "name": d["name"]} for d in records["datasets"]],
            "jobs": [{"namespace": job["namespace"], "name": job["name"]} for job in records["jobs"]],
            "events": run_ids,
        }

    def _step(self, kind: str) -> None:
        self.kind, self.index = kind, 0

    def _label(self) -> str:
        records = self.records.get(self.kind) or ()
        return f"{self.kind}: {record_label(self.index, records[self.index] if self.index < len(records) else None)}"

    def raced(self) -> str:
        """The line for a unique key taken meanwhile by another request when the identities are all free: a run
        number, or a namespace, dataset or run an event makes."""
        where = "run" if self.kind == "events" else "runs" if self.kind == "jobs" else "name"
        return f"{self._label()}: {where}: another request wrote the same meanwhile; try again"

    def failed(self, exc: BaseException) -> str:
        if isinstance(exc, KeyError):
            return f"{self._label()}: {exc.args[0]}: missing (required)"
        return f"{self._label()}: cannot be added: {type(exc).__name__}: {exc}".splitlines()[0]

    def _namespace_row(self, ns: Mapping[str, Any]) -> dict[str, Any]:
        created = self.at(ns["created"])
        return {"name": ns["name"], "owner_name": ns["owner"], "description": ns.get("description"),
                "is_hidden": False, "created_at": created, "updated_at": self.at(ns.get("updated")) or created}

    def _dataset_row(self, d: Mapping[str, Any]) -> dict[str, Any]:
        created = self.at(d.get("created")) or self.now
        return {"namespace": d["namespace"], "name": d["name"], "type": d.get("type", "DB_TABLE"),
                "source_name": d.get("source", "default"), "description": d.get("description"),
                "fields": [_field(f) for f in d.get("fields") or ()], "facets": {}, "created_at": created,
                "updated_at": created, "last_modified_at": None, "current_version": None}

    def _add_jobs(self, jobs: Sequence[Mapping[str, Any]]) -> None:
        """Insert the jobs, then the versions their finished runs ran, then their runs: a statement each."""
        if not jobs:
            return
        planned = [_JobPlan.of(job, self.at) for job in jobs]
        insert_rows(self.conn, T.jobs, [plan.row for plan in planned])
        # Numbered by the database, as the jobs events make later are (no sequence to move on afterwards).
        ids = {(row.namespace, row.name): row.id for row in self.conn.execute(
            sa.select(_j.namespace, _j.name, _j.id).where(sa.tuple_(_j.namespace, _j.name).in_(
                [plan.key for plan in planned])))}
        seq = self.conn.execute(sa.select(sa.func.max(_r.seq))).scalar() or 0  # after the runs there are
        versions, runs = [], []
        for plan in planned:
            job_id = ids[plan.key]
            if plan.version is not None:
                versions.append({**plan.version, "job_id": job_id})
            for run in plan.runs:
                seq += 1
                runs.append({**run, "job_id": job_id, "seq": seq})
        insert_rows(self.conn, T.job_versions, versions)
        insert_rows(self.conn, T.runs, runs)

    def _add_event(self, event: dict[str, Any]) -> str | None:
        """Apply one event as POST /api/v1/lineage applies it, its times made absolute; answer its run's id."""
        event = dict(event)
        event_time = self.at(event["eventTime"])
        assert event_time is not None
        event["eventTime"] = format_instant(event_time)
        run: dict[str, Any] = event["run"] if isinstance(event.get("run"), dict) else {}
        facets: dict[str, Any] = run["facets"] if isinstance(run.get("facets"), dict) else {}
        nominal = facets.get("nominalTime")
        if isinstance(nominal, dict):  # kept as sent: absolute times
            absolute = {key: format_instant(self.at(nominal[key])) for key in ("nominalStartTime", "nominalEndTime")
                        if nominal.get(key) is not None}
            event["run"] = {**run, "facets": {**facets, "nominalTime": {**nominal, **absolute}}}
        try:
            record_event(self.conn, event, event_time)
        except ApiError as exc:  # what the endpoint would answer with a 400: a step's name made too long
            raise FixtureError(f"{self._label()}: job.name: {exc.detail}") from exc
        return run_uuid(str(run["runId"])) if event_kind(event) is None else None


def _field(given: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset's column as Marquez lists it: every key present, tags a list."""
    return {"name": given["name"], "type": given.get("type"), "tags": list(given.get("tags") or ()),
            "description": given.get("description")}


@dataclass
class _JobPlan:
    """The rows of one job record: the job, the version its finished runs ran (if any), and its runs."""

    key: Key
    row: dict[str, Any]
    version: dict[str, Any] | None
    runs: list[dict[str, Any]]

    @classmethod
    def of(cls, job: Mapping[str, Any], at: RelativeTimes) -> _JobPlan:
        created = at(job["created"])
        row = {
            "namespace": job["namespace"], "name": job["name"], "type": job["type"],
            "location": job.get("location"), "description": job.get("description"),
            "context": job.get("context") or {}, "inputs": job.get("inputs") or [],
            "outputs": job.get("outputs") or [], "created_at": created, "updated_at": at(job.get("updated")) or created,
            "current_version": None,
        }
        version = job_version_hash(row["namespace"], row["name"], row["inputs"], row["outputs"], row["location"])
        runs = [_run_row(run, at, row["context"], version) for run in job.get("runs") or ()]
        finished = [(number, run) for number, run in enumerate(runs) if run["state"] in DONE]
        if not finished:
            return cls(_key(job["namespace"], job["name"]), row, None, runs)
        # The runs that finished ran the job's one version (JobVersionDao), its current one.
        row["current_version"] = str(uuid.uuid5(
            uuid.NAMESPACE_URL, f"marquez:job-version:{job['namespace']}:{job['name']}:{version}"))
        _, latest = max(finished, key=lambda numbered: (numbered[1]["transitioned_at"], numbered[0]))
        version_row = {
            "uuid": row["current_version"], "version": version,
            "created_at": min(run["ended_at"] or run["transitioned_at"] for _, run in finished),
            "updated_at": latest["transitioned_at"], "location": row["location"], "inputs": dataset_ids(row["inputs"]),
            "outputs": dataset_ids(row["outputs"]), "latest_run_id": latest["id"],
        }
        return cls(_key(job["namespace"], job["name"]), row, version_row, runs)


def _run_row(run: Mapping[str, Any], at: RelativeTimes, context: Any, version: str) -> dict[str, Any]:
    """A run of a job record, but for its job's id and its number (``seq``)."""
    instants = [at(run.get(key)) for key in ("created", "started", "ended")]
    changed = at(run.get("updated")) or max(i for i in instants if i is not None)
    return {
        "id": str(run["id"]).lower(), "created_at": instants[0], "updated_at": changed,
        "nominal_start_time": at(run.get("nominal_start")), "nominal_end_time": at(run.get("nominal_end")),
        "state": run["state"], "transitioned_at": changed, "started_at": instants[1], "ended_at": instants[2],
        "args": {key: arg_text(value) for key, value in (run.get("args") or {}).items()},
        "context": context, "job_version": version if run["state"] in DONE else None,
    }
