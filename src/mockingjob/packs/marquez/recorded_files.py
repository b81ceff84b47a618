"""The recorded records as ``mockingjob record`` writes them (`recorded_files`): events in the order they happened,
a job's runs (gathered by id while recording) as the list jobs.yaml holds, and no stand-in that nothing needs.

A stand-in is a record filled in only because an answer named it: a namespace or a dataset no answer described,
a job only its runs' answers named. Once merged it is told apart by what only a described record has: a
namespace's or a job's ``updated``, a dataset's ``fields``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from mockingjob.kit import parse_duration

from .recorded_runs import Records, named, object_of, objects_of

__all__ = ["in_replay_order", "recorded_files"]

# Within one instant, the steps of a run in the order they move it.
_STEP_ORDER = {None: 0, "START": 1, "RUNNING": 2, "OTHER": 3, "COMPLETE": 4, "FAIL": 4, "ABORT": 4}


def recorded_files(records: Records) -> Records:
    """`records` (merged by kind) in the order they are seeded, without the stand-ins nothing needs; the records
    given are left as they are (the recording goes on merging into them)."""
    events = in_replay_order(records.get("events", []))
    made_by_events = {str(object_of(event.get("run")).get("runId")).lower() for event in events
                      if object_of(event.get("run")).get("runId")}
    jobs = [job for job in (_with_runs_listed(job, made_by_events) for job in records.get("jobs", []))
            if job is not None]
    datasets = _datasets_needed(records.get("datasets", []), jobs)
    namespaces = _namespaces_needed(records.get("namespaces", []), [*datasets, *jobs], events)
    return {**records, "namespaces": namespaces, "datasets": datasets, "jobs": jobs, "events": events}


def in_replay_order(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events in the order they happened, a run's steps of one instant in the order they move it, a dataset event
    after the run events of its instant (it gives the dataset back its facets, which a run's events, knowing none,
    leave out)."""
    def when(event: dict[str, Any]) -> tuple[timedelta, bool, int]:
        return (parse_duration(str(event["eventTime"])), "dataset" in event,
                _STEP_ORDER.get(event.get("eventType"), 3))
    return sorted(events, key=when)


# --- jobs ---------------------------------------------------------------------------------------------------

def _with_runs_listed(job: Mapping[str, Any], made_by_events: set[str]) -> dict[str, Any] | None:
    """`job` with its runs (by id) as a list, oldest change first, as the seeding numbers them; without the runs
    events make (a job told by its events in one answer and by its record in another: both would make them).
    None for a stand-in job left with no runs."""
    listed = dict(job)
    runs = job.get("runs")
    runs = list(runs.values()) if isinstance(runs, dict) else objects_of(runs)
    if not runs:
        listed.pop("runs", None)
        return listed if _described(job, "updated") else None
    kept = [run for run in runs if str(run.get("id")).lower() not in made_by_events]
    if not kept and not _described(job, "updated"):
        return None
    listed["runs"] = sorted(kept, key=_last_change)
    return listed


def _last_change(run: Mapping[str, Any]) -> tuple[timedelta, timedelta]:
    """When a run last changed (the seeding's default for ``updated``), then when it was made."""
    instants = [parse_duration(str(run[key])) for key in ("created", "started", "ended") if run.get(key)]
    updated = parse_duration(str(run["updated"])) if run.get("updated") else max(instants)
    return updated, instants[0]


# --- what the jobs and events name ------------------------------------------------------------------------------

def _described(record: Mapping[str, Any], field: str) -> bool:
    return field in record


def _datasets_needed(datasets: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The described datasets, and the stand-ins a job record reads or writes (an event makes those it names)."""
    named_by_jobs = {key for job in jobs for side in ("inputs", "outputs")
                     for key in map(named, objects_of(job.get(side))) if key is not None}
    return [d for d in datasets if _described(d, "fields") or named(d) in named_by_jobs]


def _namespaces_needed(namespaces: list[dict[str, Any]], records: list[dict[str, Any]],
                       events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The described namespaces, and the stand-ins a dataset, a job or an event is in."""
    named_by_events = {key[0] for event in events for key in map(named, _named_by(event)) if key is not None}
    used = {record.get("namespace") for record in records} | named_by_events
    return [ns for ns in namespaces if _described(ns, "updated") or ns.get("name") in used]


def _named_by(event: Mapping[str, Any]) -> list[Any]:
    return [event.get("job"), event.get("dataset"), *objects_of(event.get("inputs")),
            *objects_of(event.get("outputs"))]
