"""Reading the real Marquez's answers for ``mockingjob record``: JSON read whatever it is, and a run told as
the OpenLineage events that make it again (events.yaml) or as a run of its job's record (jobs.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mockingjob.kit import instant_of, list_of, relative_time

PRODUCER = "https://github.com/mockingjob/mockingjob/recorded"
"""The producer of the events made from a recorded run: the answer does not say which client sent them."""
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
STATES = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")
Records = dict[str, list[dict[str, Any]]]
_FINISHING = {"COMPLETED": "COMPLETE", "FAILED": "FAIL", "ABORTED": "ABORT"}
_UUID_CHARS = frozenset("0123456789abcdefABCDEF-")


# --- reading what the answer gives, whatever it gives ------------------------------------------------------

def object_of(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def objects_of(value: Any) -> list[dict[str, Any]]:
    return [item for item in list_of(value) if isinstance(item, dict)]


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def relative(value: datetime | None, at: datetime) -> str | None:
    return relative_time(value, at) if value is not None else None


def facets_of(value: Any) -> dict[str, Any]:
    """Facets as the event schema holds them: each an object (or null)."""
    return {str(k): v for k, v in object_of(value).items() if v is None or isinstance(v, dict)}


def named(value: Any) -> tuple[str, str] | None:
    """A ``{namespace, name}`` reference, if it is one."""
    given = object_of(value)
    namespace, name = text(given.get("namespace")), text(given.get("name"))
    return (namespace, name) if namespace and name else None


def of_kinds(**kinds: list[dict[str, Any]]) -> Records:
    return {kind: records for kind, records in kinds.items() if records}


def merged(*parts: Records) -> Records:
    merged: Records = {}
    for part in parts:
        for kind, records in part.items():
            merged.setdefault(kind, []).extend(records)
    return merged


# --- runs as events -------------------------------------------------------------------------------------

def event_facets(value: Any, at: datetime) -> dict[str, Any]:
    """A run's facets as an event sends them: the nominal time's instants relative; a nominal time or a parent
    facet the seeding could not read is left out."""
    facets = facets_of(value)
    nominal = object_of(facets.get("nominalTime"))
    if nominal:
        start, end = instant_of(nominal.get("nominalStartTime")), instant_of(nominal.get("nominalEndTime"))
        if start is None:
            facets.pop("nominalTime")
        else:
            facets["nominalTime"] = {**nominal, "nominalStartTime": relative(start, at),
                                     "nominalEndTime": relative(end, at)}
    for name in ("parent", "parentRun"):
        parent = object_of(facets.get(name))
        if parent and (text(object_of(parent.get("run")).get("runId")) is None or named(parent.get("job")) is None):
            facets.pop(name)
    return facets


def _read_or_written(versions: Any, facets_name: str) -> list[dict[str, Any]]:
    """A run's dataset versions as an event's inputs or outputs: the dataset, and the facets of its read (or
    write). The dataset's own facets are not in a run's answer; its version id is derived from them."""
    datasets = []
    for version in objects_of(versions):
        key = named(version.get("datasetVersionId"))
        if key is not None:
            facets = facets_of(version.get("facets"))
            datasets.append({"namespace": key[0], "name": key[1], **({facets_name: facets} if facets else {})})
    return datasets


def run_events(doc: Any, job: tuple[str, str] | None, at: datetime, job_facets: Mapping[str, Any] | None = None,
               *, last_says: bool | None = None) -> Records:
    """The events that make the run `doc` again: one that creates it (if it was created before it started),
    START when it started, COMPLETE, FAIL or ABORT when it ended. Each carries the run's facets; the first, the
    datasets it read and wrote and `job_facets` (a run keeps both across its events). As each event replaces the
    job's location, description and type with what its facets say, the job's latest event carries them only if
    the job shows them (`last_says`: this run's last event is the job's latest)."""
    run = object_of(doc)
    run_id, state = text(run.get("id")), run.get("state")
    job = job or named(run.get("jobVersion"))
    created, started, ended = (instant_of(run.get(key)) for key in ("createdAt", "startedAt", "endedAt"))
    if run_id is None or job is None or state not in STATES or created is None or set(run_id) - _UUID_CHARS:
        return {}
    steps: list[tuple[str | None, datetime]] = []
    if started is None or created < started:
        steps.append((None, created))  # an event with no type makes the run NEW and moves it nowhere
    if started is not None and state != "NEW":
        steps.append(("START", started))
    if state in _FINISHING:
        steps.append((_FINISHING[state], ended or instant_of(run.get("updatedAt")) or started or created))
    run_part = {"runId": run_id, "facets": event_facets(run.get("facets"), at)}
    events = []
    for number, (kind, instant) in enumerate(steps):
        first = number == 0
        says = last_says if number == len(steps) - 1 and last_says is not None else first
        facets = dict(job_facets or {}) if says else {}
        events.append({
            **({"eventType": kind} if kind else {}), "eventTime": relative(instant, at), "run": run_part,
            "job": {"namespace": job[0], "name": job[1], "facets": facets},
            "inputs": _read_or_written(run.get("inputDatasetVersions"), "inputFacets") if first else [],
            "outputs": _read_or_written(run.get("outputDatasetVersions"), "outputFacets") if first else [],
            "producer": PRODUCER, "schemaURL": RUN_EVENT,
        })
    return of_kinds(events=events)


def told_by_events(run: dict[str, Any]) -> bool:
    """Whether only events could have made this run: facets, or datasets it read or wrote."""
    return bool(object_of(run.get("facets")) or objects_of(run.get("inputDatasetVersions"))
                or objects_of(run.get("outputDatasetVersions")))


def run_of_record(doc: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """A run as jobs.yaml holds it."""
    run_id, state, created = text(doc.get("id")), doc.get("state"), instant_of(doc.get("createdAt"))
    if run_id is None or state not in STATES or created is None or set(run_id) - _UUID_CHARS:
        return None
    record: dict[str, Any] = {"id": run_id, "state": state, "created": relative(created, at)}
    for name, key in (("started", "startedAt"), ("ended", "endedAt"), ("updated", "updatedAt"),
                      ("nominal_start", "nominalStartTime"), ("nominal_end", "nominalEndTime")):
        record[name] = relative(instant_of(doc.get(key)), at)
    args = object_of(doc.get("args"))
    record["args"] = {str(k): v for k, v in args.items() if isinstance(v, str | int | float | bool)}
    return record
