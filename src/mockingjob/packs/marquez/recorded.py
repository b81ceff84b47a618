"""What the real Marquez's answers tell, as fixture records, for ``mockingjob record``.

Each operation's answer is read by one small function into records of the fixture kinds (namespaces.yaml,
datasets.yaml, jobs.yaml, events.yaml), instants made relative to the moment of the answer. Marquez's runs exist
because something made them, so a run is told either as a run of a job record (a job no OpenLineage event
describes: no facets, no dataset versions) or as the events that make it again with the same state, instants,
facets and datasets read and written. A record another one names (a job's namespace, its datasets) is filled in
with neutral values when the answer does not describe it, as `Mentioned`: what any answer tells of it wins over
those, in whatever order the answers come. A job's runs are gathered by id (each answer tells some of them: a run's
own answer one, a job's its latest ten), and listed when the files are written (`recorded_files`).

Nothing here raises on an odd answer: what is not of the expected shape is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from mockingjob.kit import Answer, Mentioned
from mockingjob.kit import text_of as text_or_none

from .recorded_files import in_replay_order, recorded_files
from .recorded_runs import (
    PRODUCER,
    Records,
    event_facets,
    facets_of,
    instant_of,
    list_of,
    merged,
    named,
    object_of,
    objects_of,
    of_kinds,
    relative,
    run_events,
    run_of_record,
    text,
    told_by_events,
)

__all__ = ["KINDS", "PRODUCER", "in_replay_order", "record_key", "recorded_files", "records_from_answer"]

KINDS = ("namespaces", "datasets", "jobs", "events")
Reader = Callable[[Answer], Records]

DATASET_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"
_JOB_TYPES = ("BATCH", "STREAM", "SERVICE")
_DATASET_TYPES = ("DB_TABLE", "STREAM")


# --- namespaces and datasets ------------------------------------------------------------------------------

def namespace_record(doc: Any, at: datetime) -> Records:
    ns = object_of(doc)
    name, created = text(ns.get("name")), instant_of(ns.get("createdAt"))
    if name is None or created is None:
        return {}
    record = {"name": name, "owner": text(ns.get("ownerName")) or "anonymous",
              "description": text_or_none(ns.get("description")), "created": relative(created, at),
              "updated": relative(instant_of(ns.get("updatedAt")) or created, at)}
    return of_kinds(namespaces=[record])


def _namespace_stub(name: str, created: datetime | None, at: datetime) -> Mentioned:
    """A namespace an answer names but does not describe: owned by ``anonymous``, as Marquez owns one an event
    makes, and created no later than what it holds."""
    return Mentioned(name=name, owner="anonymous", created=relative(created or at, at))


def _field(value: dict[str, Any]) -> dict[str, Any] | None:
    name = text(value.get("name"))
    if name is None:
        return None
    tags = [tag for tag in list_of(value.get("tags")) if isinstance(tag, str)]
    return {"name": name, "type": text_or_none(value.get("type")), "tags": tags,
            "description": text_or_none(value.get("description"))}


def dataset_records(doc: Any, at: datetime) -> Records:
    """A dataset: its record (what datasets.yaml holds), and, when events shaped it (facets, a current version,
    a change since it was made), a dataset event at its last change that gives it those facets again."""
    dataset = object_of(doc)
    key, created = named(dataset), instant_of(dataset.get("createdAt"))
    if key is None:
        return {}
    record: dict[str, Any] = {"namespace": key[0], "name": key[1]}
    if dataset.get("type") in _DATASET_TYPES:
        record["type"] = dataset["type"]
    if text(dataset.get("sourceName")):
        record["source"] = dataset["sourceName"]
    record["description"] = text_or_none(dataset.get("description"))
    record["fields"] = [f for f in map(_field, objects_of(dataset.get("fields"))) if f is not None]
    if created is not None:
        record["created"] = relative(created, at)
    records = of_kinds(namespaces=[_namespace_stub(key[0], created, at)], datasets=[record])
    updated, facets = instant_of(dataset.get("updatedAt")), facets_of(dataset.get("facets"))
    if updated is not None and (facets or dataset.get("currentVersion") or updated != created):
        event = {"eventTime": relative(updated, at), "producer": PRODUCER, "schemaURL": DATASET_EVENT,
                 "dataset": {"namespace": key[0], "name": key[1], "facets": facets}}
        records["events"] = [event]
    return records


def _dataset_stubs(references: Iterable[Any], at: datetime, created: datetime | None) -> Records:
    """The datasets a job names, by namespace and name only: a record the answer describes wins over these."""
    keys = [key for key in map(named, references) if key is not None]
    return of_kinds(namespaces=[_namespace_stub(ns, created, at) for ns in dict.fromkeys(ns for ns, _ in keys)],
                    datasets=[Mentioned(namespace=ns, name=name) for ns, name in dict.fromkeys(keys)])


# --- jobs ---------------------------------------------------------------------------------------------------

def job_records(doc: Any, at: datetime, *, with_runs: bool = True) -> Records:
    """A job and the runs its answer lists (``latestRuns``, else ``latestRun``). A job events describe (facets,
    a parent, runs with facets or datasets) is told by its runs' events; any other by its record."""
    job = object_of(doc)
    key, created = named(job), instant_of(job.get("createdAt"))
    if key is None or created is None:
        return {}
    runs = objects_of(job.get("latestRuns")) or objects_of([job.get("latestRun")])
    facets = facets_of(job.get("facets"))
    if facets or text(job.get("parentJobName")) or any(map(told_by_events, runs)):
        # The job's location and description are what its latest event's facets said: none, if it sent none.
        said = job.get("location") is not None or job.get("description") is not None or job.get("type") == "STREAM"
        events = [run_events(run, key, at, facets, last_says=said if number == 0 else None)
                  for number, run in enumerate(runs)]
        return merged(of_kinds(namespaces=[_namespace_stub(key[0], created, at)]), *events)
    inputs, outputs = objects_of(job.get("inputs")), objects_of(job.get("outputs"))
    record: dict[str, Any] = {
        "namespace": key[0], "name": key[1],
        "location": text_or_none(job.get("location")), "description": text_or_none(job.get("description")),
        "inputs": _references(inputs),
        "created": relative(created, at), "updated": relative(instant_of(job.get("updatedAt")) or created, at),
    }
    filled = Mentioned(namespace=key[0], name=key[1], type="BATCH")  # Marquez's default type
    if job.get("type") in _JOB_TYPES:
        record["type"] = job["type"]
    if runs:  # a job's answer tells its context in its runs'
        record["context"] = _context_of(runs[0])
    if with_runs:  # Marquez answers a change to a job with no outputs and no runs, whatever it has
        record["outputs"] = _references(outputs)
        record["runs"] = runs_by_id(runs, at)
    return merged(of_kinds(namespaces=[_namespace_stub(key[0], created, at)]),
                   _dataset_stubs([*inputs, *outputs], at, created), of_kinds(jobs=[record, filled]))


def _references(datasets: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"namespace": ns, "name": name} for ns, name in filter(None, map(named, datasets))]


def _context_of(run: dict[str, Any]) -> dict[str, str]:
    return {str(k): v for k, v in object_of(run.get("context")).items() if isinstance(v, str)}


def runs_by_id(runs: list[dict[str, Any]], at: datetime) -> dict[str, dict[str, Any]]:
    """Runs as a job record holds them while recording: by id, so that the runs several answers tell of one job
    add up (a dict is merged key by key; a list would be replaced by the last answer's)."""
    return {record["id"]: record for record in (run_of_record(run, at) for run in reversed(runs)) if record}


# --- answers ----------------------------------------------------------------------------------------------

def _each(field: str, read: Callable[[Any, datetime], Records]) -> Reader:
    """A list answer: every item of `field` read by `read`."""
    return lambda answer: merged(*(read(item, answer.at) for item in objects_of(object_of(answer.body).get(field))))


def _one(read: Callable[[Any, datetime], Records]) -> Reader:
    return lambda answer: read(answer.body, answer.at)


def _path_job(answer: Answer) -> tuple[str, str] | None:
    return named({"namespace": answer.path_params.get("namespace"), "name": answer.path_params.get("job")})


def _job_of_runs(job: tuple[str, str], runs: list[dict[str, Any]], at: datetime) -> Records:
    """Runs no event could have made (no facets, no datasets) as the runs of their job's record, which gives
    them their arguments. The answer does not tell the job's own fields: its type is Marquez's default, it was
    made with its first run, its context is the newest run's (what another answer tells of the job wins)."""
    told = {"namespace": job[0], "name": job[1], "runs": runs_by_id(runs, at)}
    first = min(filter(None, (instant_of(run.get("createdAt")) for run in runs)), default=at)
    filled = Mentioned(namespace=job[0], name=job[1], type="BATCH", created=relative(first, at),
                       context=_context_of(runs[0]))
    return of_kinds(namespaces=[_namespace_stub(job[0], first, at)], jobs=[told, filled])


def _runs(runs: list[dict[str, Any]], job: tuple[str, str] | None, at: datetime) -> Records:
    """Runs of one job, newest first: the events that made them, or the runs of the job's record."""
    job = job or next(filter(None, (named(run.get("jobVersion")) for run in runs)), None)
    if job is None or not runs:  # a run's answer names its job only once it finished (jobVersion)
        return {}
    if any(map(told_by_events, runs)):
        return merged(*(run_events(run, job, at) for run in runs))
    return _job_of_runs(job, runs, at)


def _runs_of_job(answer: Answer) -> Records:
    return _runs(objects_of(object_of(answer.body).get("runs")), _path_job(answer), answer.at)


def _run(answer: Answer) -> Records:
    """A run's own answer (or a change to it): it names its job once it finished; the path of a run made for a
    job names it from the start."""
    return _runs(objects_of([answer.body]), _path_job(answer), answer.at)


def _job_version(doc: Any, at: datetime) -> Records:
    version = object_of(doc)
    return _runs(objects_of([version.get("latestRun")]), named(version.get("id")), at)


def _dataset_version(doc: Any, at: datetime) -> Records:
    return _runs(objects_of([object_of(doc).get("createdByRun")]), None, at)


def _lineage_event(doc: Any, at: datetime) -> Records:
    """An event Marquez kept, as it was sent, its instants relative."""
    event = object_of(doc)
    event_time = instant_of(event.get("eventTime"))
    if event_time is None:
        return {}
    kept = {key: event[key] for key in ("eventType", "schemaURL") if isinstance(event.get(key), str)}
    kept.update(eventTime=relative(event_time, at), producer=text(event.get("producer")) or PRODUCER)
    run = object_of(event.get("run"))
    if text(run.get("runId")):
        kept["run"] = {"runId": run["runId"], "facets": event_facets(run.get("facets"), at)}
    for part in ("job", "dataset"):
        if (key := named(event.get(part))) is not None:
            given = facets_of(object_of(event[part]).get("facets"))
            kept[part] = {"namespace": key[0], "name": key[1], "facets": given}
    for side in ("inputs", "outputs"):
        kept[side] = [{"namespace": key[0], "name": key[1],
                       **{name: facets_of(d.get(name)) for name in ("facets", "inputFacets", "outputFacets")
                          if isinstance(d.get(name), dict)}}
                      for d in objects_of(event.get(side)) if (key := named(d)) is not None]
    if event.get("eventType") not in (None, "START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"):
        kept.pop("eventType")
    needs = ("job",) if "JobEvent" in kept.get("schemaURL", "") else ("dataset",) if "DatasetEvent" in kept.get(
        "schemaURL", "") else ("run", "job")
    return of_kinds(events=[kept]) if all(part in kept for part in needs) else {}


READERS: dict[str, Reader] = {
    "list_namespaces": _each("namespaces", namespace_record),
    "get_namespace": _one(namespace_record),
    "put_namespace": _one(namespace_record),
    "list_datasets": _each("datasets", dataset_records),
    "get_dataset": _one(dataset_records),
    "put_dataset": _one(dataset_records),
    "list_jobs": _each("jobs", job_records),
    "list_all_jobs": _each("jobs", job_records),
    "get_job": _one(job_records),
    # Marquez answers a change to a job without its runs (JobDao.findJobByName).
    "put_job": _one(lambda doc, at: job_records(doc, at, with_runs=False)),
    "list_runs": _runs_of_job,
    "get_run": _run,
    "create_run": _run,
    "start_run": _run,
    "complete_run": _run,
    "fail_run": _run,
    "abort_run": _run,
    "list_job_versions": _each("versions", _job_version),
    "get_job_version": _one(_job_version),
    "list_dataset_versions": _each("versions", _dataset_version),
    "get_dataset_version": _one(_dataset_version),
    "list_lineage_events": _each("events", _lineage_event),
}


def records_from_answer(answer: Answer) -> Records:
    """The records one answer describes, by kind; nothing for an error or an answer not of the expected shape.
    The order of the files is made when they are written (`recorded_files`)."""
    reader = READERS.get(answer.operation_id or "")
    if reader is None or not 200 <= answer.status < 300:
        return {}
    try:
        records = reader(answer)
    except (TypeError, ValueError, AttributeError, OverflowError):  # a shape no reader foresaw: it tells nothing
        return {}
    return {kind: records[kind] for kind in KINDS if records.get(kind)}


def record_key(kind: str, record: Mapping[str, Any]) -> Any:
    """Namespaces by name; datasets and jobs by namespace and name; an event by the run and the step it tells
    (a later answer's telling of the same step wins), a dataset event by its dataset."""
    if kind == "namespaces":
        return record.get("name")
    if kind in ("datasets", "jobs"):
        return {"namespace": record.get("namespace"), "name": record.get("name")}
    if kind == "events":
        if "dataset" in record:
            return {"dataset": named(record.get("dataset"))}
        return {"run": object_of(record.get("run")).get("runId"), "job": named(record.get("job")),
                "step": record.get("eventType")}
    return record.get("id", record.get("name"))
