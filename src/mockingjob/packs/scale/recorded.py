"""The fixture records Scale's answers describe, for ``mockingjob record`` (`ScalePack.records_from_answer`).

An answer is read by the operation it answers: a page of documents or one, each read into the records it
tells, with those it embeds (a job's job type, event, recipe, node, error and input files). A job is read into
attempts that replay it as the answer shows it at its instant: still queued or running, with the same instants,
or ended as it ended (see `_attempts`). What a document holds that the fixture format has no room for (an
execution's id, the counts derived from jobs) is left to the mock to derive again.

What an answer only names (a job's job type, the files a jobs list names, a job type's output workspaces) is
made up around what it tells, with ids apart from Scale's, and returned as `Mentioned`: whatever another answer
tells of it wins, in any order. `recorded_folder` drops the stand-ins that told records replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from mockingjob.kit import Answer, format_duration
from mockingjob.kit import number_of as number

from .recorded_records import (
    UNKNOWN_ID,
    Found,
    Record,
    error,
    event,
    file,
    flag,
    instant,
    integer,
    items,
    job_type_summary,
    named_workspace,
    node,
    obj,
    output_workspaces,
    recipe_type_summary,
    stand_in_file_id,
    text,
    unknown_node,
    workspace,
)

__all__ = ["records_from_answer"]

UNKNOWN_WORKSPACE = UNKNOWN_ID
"""The workspace a job's input file the answer only names is put in (the fixture format wants one)."""


def records_from_answer(answer: Answer) -> dict[str, list[Record]]:
    """The records `answer` tells, by fixture kind, and those it only names filled in as `Mentioned` (see
    `Found.recorded`); nothing for an error answer or a body of another shape."""
    return read_answer(answer).recorded()


def read_answer(answer: Answer) -> Found:
    """What `answer` tells and what it names, kept apart (`Found.told`, `Found.filled`)."""
    found = Found(answer.at)
    reader = _READERS.get(answer.operation_id or "")
    if reader is None or not 200 <= answer.status < 300:
        return found
    with suppress(*_DRIFT):
        reader(answer.body, found)
    return found


# What reading a document of a shape the readers do not expect may raise: what was read before is kept.
_DRIFT = (KeyError, TypeError, ValueError, AttributeError, OverflowError)


def _page(read: Callable[[Any, Found], object]) -> Callable[[Any, Found], None]:
    """A reader of a page (``{count, results}``) of documents that `read` reads one by one."""
    def read_page(body: Any, found: Found) -> None:
        for doc in items(obj(body).get("results")):
            with suppress(*_DRIFT):  # one odd document leaves the others
                read(doc, found)
    return read_page


# --- jobs ------------------------------------------------------------------------------------------------------

_SOURCE = ("sensor_class", "sensor", "collection", "task")


def job(doc: Any, found: Found) -> int | None:
    """A job (JobSerializerV6, or its details); answer its id."""
    doc = obj(doc)
    job_id, job_type_id = integer(doc.get("id")), _job_type_of_job(doc, found)
    event_id = event(doc.get("event"), found)
    attempts = _attempts(doc, found)
    if job_id is None or job_type_id is None or event_id is None or not attempts:
        return None
    recipe_id = _recipe_summary(doc.get("recipe"), found)
    record: Record = {"id": job_id, "job_type": job_type_id, "event": event_id, "recipe": recipe_id,
                      "batch": _batch_of_job(doc.get("batch"), recipe_id, found), "attempts": attempts}
    if integer(doc.get("max_tries")) is not None:
        record["max_tries"] = doc["max_tries"]
    if "input_file_size" in doc:
        record["input_file_size"] = number(doc["input_file_size"])
    record["source"] = {"started": found.time(doc.get("source_started")),
                        "ended": found.time(doc.get("source_ended")),
                        **{key: text(doc.get(f"source_{key}")) for key in _SOURCE}}
    created = found.time(doc.get("created"))
    if created is not None:
        record["created"] = created
    record["superseded"] = found.time(doc.get("superseded"))
    for key in ("superseded_job", "superseded_by_job"):
        if key in doc:
            record[key] = integer(obj(doc[key]).get("id"))
    record.update(_job_details(doc, found))
    if "input" not in record:
        _listed_input(job_id, obj(doc.get("input_files")), found)
    changed = _changed(doc)
    if changed is not None:
        record["changed"] = found.time(changed)
    found.add("jobs", record)
    return job_id


def _job_type_of_job(doc: dict[str, Any], found: Found) -> int | None:
    """The job's job type, with what the job tells of its current revision (and, in its details, its image,
    manifest and resources). The mock makes every job of a type run its current revision."""
    job_type_id = job_type_summary(doc.get("job_type"), found)
    revision = obj(doc.get("job_type_rev"))
    revision_id, revision_num = integer(revision.get("id")), integer(revision.get("revision_num"))
    if job_type_id is None or revision_id is None or revision_num is None:
        return job_type_id
    told: Record = {"id": job_type_id, "revision_id": revision_id, "revision_num": revision_num}
    if text(revision.get("docker_image")) is not None:
        told["docker_image"] = revision["docker_image"]
    if isinstance(revision.get("manifest"), dict):
        told["manifest"] = revision["manifest"]
    revised = found.time(revision.get("created"))
    if revised is not None:
        # The mock dates a type's current revision at its last change, the first at its creation too.
        told.update({"last_modified": revised, "created": revised} if revision_num == 1 else {"last_modified": revised})
    resources = obj(obj(doc.get("resources")).get("resources"))
    if resources and all(number(value) is not None for value in resources.values()):
        told["resources"] = resources
    timeout = integer(obj(doc.get("execution")).get("timeout"))
    if timeout is not None:  # an execution's timeout is its job type's
        told["timeout"] = timeout
    found.add("job_types", told)
    return job_type_id


def _job_details(doc: dict[str, Any], found: Found) -> Record:
    """What a job's details tell beyond its list document: its inputs (with the files they name), its JSON
    output and its configuration (its priority with it)."""
    details: Record = {}
    if isinstance(doc.get("input"), dict):
        details["input"] = _input(doc["input"], obj(doc.get("input_files")), found)
    output_json = obj(doc.get("output")).get("json")
    if isinstance(output_json, dict) and output_json:
        details["output_json"] = output_json
    configuration = doc.get("configuration")
    if isinstance(configuration, dict):
        details["configuration"] = configuration
        if integer(configuration.get("priority")) is not None:
            details["priority"] = configuration["priority"]
    return details


def _input(given: dict[str, Any], names: dict[str, Any], found: Found) -> Record:
    """A job's ``input``, each file it names made up unless the answer tells it: named as the job's
    ``input_files`` names it (those list each input's files in id order), in an unknown workspace."""
    files: dict[str, list[int]] = {}
    for input_name, ids in obj(given.get("files")).items():
        file_ids = [file_id for file_id in (ids if isinstance(ids, list) else []) if integer(file_id) is not None]
        files[input_name] = file_ids
        listed = names.get(input_name)
        shown: list[Any] = listed if isinstance(listed, list) else []
        for file_id, file_name in zip(sorted(set(file_ids)), shown + [None] * len(file_ids), strict=False):
            _unknown_file(file_id, text(file_name) or f"file-{file_id}", found)
    return {"files": files, "json": obj(given.get("json"))}


def _listed_input(job_id: int, names: dict[str, Any], found: Found) -> None:
    """What a job's list document tells of its inputs: the names of their files, not their ids. Each file is made
    up (`stand_in_file_id`, in the order listed, as the mock lists them in id order) until the job's details
    tell the real ones."""
    files: dict[str, list[int]] = {}
    for input_name, listed in names.items():
        files[input_name] = []
        for file_name in (name for name in (listed if isinstance(listed, list) else []) if isinstance(name, str)):
            file_id = stand_in_file_id(job_id, sum(len(ids) for ids in files.values()))
            files[input_name].append(file_id)
            _unknown_file(file_id, file_name, found)
    if any(files.values()):
        found.fill("jobs", {"id": job_id, "input": {"files": files, "json": {}}})


def _unknown_file(file_id: int, file_name: str, found: Found) -> None:
    found.fill("workspaces", {"id": UNKNOWN_WORKSPACE, "name": "unknown"})
    found.fill("files", {"id": file_id, "file_name": file_name, "workspace_id": UNKNOWN_WORKSPACE,
                         "media_type": "application/octet-stream", "file_type": "SOURCE", "file_size": 0,
                         "file_path": file_name, "data_type_tags": [], "countries": [], "created": "PT0S",
                         "last_modified": "PT0S"})


def _seconds(later: datetime, earlier: datetime) -> str:
    return format_duration(later - earlier)


def _attempts(doc: dict[str, Any], found: Found) -> list[Record]:
    """The job's attempts: the last as the job shows it, the earlier ones (which only its executions list
    tells) as failures that ended when the last one was queued.

    A job QUEUED at the answer's instant never runs (no ``wait``), one RUNNING never ends (no ``run``): replayed
    at that instant, each is where the answer saw it, with the same instants. A CANCELED job ended when it last
    changed, as Scale shows no ``ended`` for it."""
    status, queued = text(doc.get("status")), instant(doc.get("queued"))
    count = integer(doc.get("num_exes")) or 1
    if queued is None or status is None:
        return []
    started, ended = instant(doc.get("started")), instant(doc.get("ended"))
    last: Record = {"queued": found.time(doc.get("queued")),
                    "wait": None if started is None else _seconds(started, queued)}
    if status == "CANCELED":
        last.update(ended=found.time(doc.get("last_modified")) or found.time(doc.get("queued")), outcome="CANCELED")
    elif status in ("COMPLETED", "FAILED"):
        end = ended or started or queued
        last.update({"run": _seconds(end, started)} if started else {"ended": found.time(end.isoformat())},
                    outcome=status)
        if status == "FAILED":
            last["error"] = error(doc.get("error"), found)
    last["node"] = node(doc.get("node"), found) or node(obj(doc.get("execution")).get("node"), found) \
        or unknown_node(found)
    earlier = {"queued": found.time(doc.get("created")) or last["queued"], "wait": None, "ended": last["queued"],
               "outcome": "FAILED", "node": last["node"]}
    return [*([earlier] * (count - 1)), last]


def _changed(doc: dict[str, Any]) -> str | None:
    """When a job ended changed last, if after its end (Scale's cancel of a failed job)."""
    ended, modified = instant(doc.get("ended")), instant(doc.get("last_modified"))
    return doc["last_modified"] if ended and modified and modified > ended else None


def _recipe_summary(doc: Any, found: Found) -> int | None:
    """A recipe as a job shows it (``{id, recipe_type, recipe_type_rev, event}``): made up around what it tells,
    created at the answer's instant, unless the answer tells it."""
    doc = obj(doc)
    recipe_id = integer(doc.get("id"))
    recipe_type_id = recipe_type_summary(doc.get("recipe_type"), found)
    revision_id, event_id = integer(obj(doc.get("recipe_type_rev")).get("id")), event(doc.get("event"), found)
    if recipe_id is None or recipe_type_id is None or revision_id is None or event_id is None:
        return None
    found.fill("recipes", {"id": recipe_id, "recipe_type_id": recipe_type_id, "recipe_type_rev_id": revision_id,
                           "event_id": event_id, "created": "PT0S"})
    return recipe_id


def _batch_of_job(doc: Any, recipe_id: int | None, found: Found) -> int | None:
    """The batch a job shows (``{id, title, description, created}``). What it runs and the event that made it
    are filled in from the job's recipe, as Scale's batches make recipes; a job without a recipe leaves them to
    the batch's own documents, which must then be recorded too."""
    like = found.record("recipes", recipe_id) if recipe_id is not None else {}
    return _batch_summary(doc, found, like)


def _batch_summary(doc: Any, found: Found, like: Record) -> int | None:
    doc = obj(doc)
    batch_id, created = integer(doc.get("id")), found.time(doc.get("created"))
    if batch_id is None or created is None:
        return None
    found.add("batches", {"id": batch_id, "title": text(doc.get("title")), "description": text(doc.get("description")),
                          "created": created})
    if like:
        found.fill("batches", {"id": batch_id, "recipe_type_id": like["recipe_type_id"],
                               "recipe_type_rev_id": like["recipe_type_rev_id"], "event_id": like["event_id"]})
    return batch_id


def execution(doc: Any, found: Found) -> None:
    """An execution (JobExecutionSerializerV6, or its details): its node, error and job type (whose timeout it
    shows). Its job's attempts are read from the job's own documents: an execution does not tell the job's
    event, which a job record needs."""
    doc = obj(doc)
    node(doc.get("node"), found)
    error(doc.get("error"), found)
    job_type_id, timeout = job_type_summary(doc.get("job_type"), found), integer(doc.get("timeout"))
    if job_type_id is not None and timeout is not None:
        found.add("job_types", {"id": job_type_id, "timeout": timeout})


# --- job types -------------------------------------------------------------------------------------------------

def job_type(doc: Any, found: Found) -> int | None:
    """A job type (JobTypeSerializerV6, or its details with its manifest, configuration and recipe types)."""
    doc = obj(doc)
    job_type_id = job_type_summary(doc, found)
    created = found.time(doc.get("created"))
    if job_type_id is None or created is None:
        return None
    told: Record = {"id": job_type_id, "created": created}
    modified = found.time(doc.get("last_modified"))
    if modified is not None:  # the mock dates its deprecation and pause at its last change
        told["last_modified"] = modified
    for key, read in (("max_scheduled", integer), ("max_tries", integer), ("docker_image", text)):
        if read(doc.get(key)) is not None or (key == "max_scheduled" and key in doc):
            told[key] = read(doc.get(key))
    revision_num = integer(doc.get("revision_num"))
    if revision_num is not None:  # its revisions' ids are not shown here: the summary made them up
        told["revision_num"] = revision_num
    if isinstance(doc.get("manifest"), dict):
        told["manifest"] = doc["manifest"]
        timeout = integer(obj(doc["manifest"].get("job")).get("timeout"))
        if timeout is not None:  # Scale takes a job type's timeout from its manifest
            told["timeout"] = timeout
    if isinstance(doc.get("configuration"), dict):
        told["configuration"] = doc["configuration"]
        for name in output_workspaces(doc["configuration"]):
            named_workspace(name, found)
    found.add("job_types", told)
    for recipe_type in items(doc.get("recipe_types")):
        _recipe_type_running(recipe_type, doc, found)
    return job_type_id


def _recipe_type_running(doc: dict[str, Any], job_type_doc: dict[str, Any], found: Found) -> None:
    """A recipe type a job type's details list: one whose definition has a node running that job type, which is
    all the answer tells of its definition."""
    name, version = job_type_doc.get("name"), job_type_doc.get("version")
    definition = {"input": {"files": [], "json": []}, "nodes": {name: {
        "dependencies": [], "input": {},
        "node_type": {"node_type": "job", "job_type_name": name, "job_type_version": version,
                      "job_type_revision": job_type_doc.get("revision_num")}}}}
    recipe_type_id = integer(doc.get("id"))
    if recipe_type_id is not None and isinstance(name, str):  # before the summary's own, emptier, fill
        found.fill("recipe_types", {"id": recipe_type_id, "definition": definition})
    recipe_type_summary(doc, found)


def job_type_revision(doc: Any, found: Found) -> None:
    """A job type revision: its job type's summary (the ids of the revisions before the current one are the
    mock's to number)."""
    job_type_summary(obj(doc).get("job_type"), found)


def job_type_counts(doc: Any, found: Found) -> None:
    """A job type's entry of the status, running, pending or system-failure lists: its job type (and error);
    the counts are the mock's to derive from the jobs."""
    doc = obj(doc)
    job_type_summary(doc.get("job_type"), found)
    error(doc.get("error"), found)


# What the running, pending and system-failure views show of a job type whatever it is: Scale loads only
# JobType.BASE_FIELDS for them, so these read false and null there.
_NOT_LOADED_IN_VIEWS = ("is_system", "unmet_resources")


def job_type_in_view(doc: Any, found: Found) -> None:
    """A job type's entry of the running, pending or system-failure views: as `job_type_counts`, less what
    those views do not load."""
    doc = obj(doc)
    shown = {key: value for key, value in obj(doc.get("job_type")).items() if key not in _NOT_LOADED_IN_VIEWS}
    job_type_counts({**doc, "job_type": shown}, found)


# --- recipes and batches ---------------------------------------------------------------------------------------

def recipe(doc: Any, found: Found) -> int | None:
    """A recipe (RecipeSerializerV6, or its details with its type's definition and its input)."""
    doc = obj(doc)
    revision = obj(doc.get("recipe_type_rev"))
    definition = revision.get("definition")
    recipe_type_id = recipe_type_summary(revision.get("recipe_type"), found, definition) \
        if "definition" in revision else None
    recipe_type_id = recipe_type_summary(doc.get("recipe_type"), found) or recipe_type_id
    recipe_id, revision_id = integer(doc.get("id")), integer(revision.get("id"))
    event_id, created = event(doc.get("event"), found), found.time(doc.get("created"))
    if None in (recipe_id, recipe_type_id, revision_id, event_id, created):
        return None
    record: Record = {"id": recipe_id, "recipe_type_id": recipe_type_id, "recipe_type_rev_id": revision_id,
                      "event_id": event_id, "created": created, "is_superseded": flag(doc.get("is_superseded"), False),
                      "superseded": found.time(doc.get("superseded")),
                      "input_file_size": number(doc.get("input_file_size"))}
    like = {"recipe_type_id": recipe_type_id, "recipe_type_rev_id": revision_id, "event_id": event_id}
    record["batch_id"] = _batch_summary(doc.get("batch"), found, like)
    record["recipe_id"] = _recipe_summary(doc.get("recipe"), found)
    record["superseded_recipe_id"] = _recipe_summary(doc.get("superseded_recipe"), found) \
        or integer(obj(doc.get("superseded_recipe")).get("id"))
    if "superseded_by_recipe" in doc:
        record["superseded_by_recipe_id"] = _recipe_summary(doc["superseded_by_recipe"], found)
    if isinstance(doc.get("input"), dict):
        record["input"] = _input(doc["input"], {}, found)
    found.add("recipes", record)
    return recipe_id


_BATCH_TEXTS = ("title", "description")


def batch(doc: Any, found: Found) -> int | None:
    """A batch (BatchSerializerV6, or its details with its definition and configuration)."""
    doc = obj(doc)
    batch_id, recipe_type_id = integer(doc.get("id")), recipe_type_summary(doc.get("recipe_type"), found)
    revision_id, event_id = integer(obj(doc.get("recipe_type_rev")).get("id")), event(doc.get("event"), found)
    created = found.time(doc.get("created"))
    if None in (batch_id, recipe_type_id, revision_id, event_id, created):
        return None
    record: Record = {"id": batch_id, **{key: text(doc.get(key)) for key in _BATCH_TEXTS},
                      "recipe_type_id": recipe_type_id, "recipe_type_rev_id": revision_id, "event_id": event_id,
                      "is_superseded": flag(doc.get("is_superseded"), False),
                      "is_creation_done": flag(doc.get("is_creation_done"), True), "created": created,
                      "superseded": found.time(doc.get("superseded")),
                      # the mock shows the latest of this and its jobs' changes, which this is already
                      "last_modified": found.time(doc.get("last_modified"))}
    like = {"recipe_type_id": recipe_type_id, "recipe_type_rev_id": revision_id, "event_id": event_id}
    for key in ("root_batch", "superseded_batch"):
        record[f"{key}_id"] = _batch_summary(doc.get(key), found, like)
    if integer(doc.get("recipes_estimated")) is not None:
        record["recipes_estimated"] = doc["recipes_estimated"]
    for key in ("definition", "configuration"):
        if key in doc:
            record[key] = obj(doc[key]) or None
    found.add("batches", record)
    return batch_id


# --- the operations ----------------------------------------------------------------------------------------------

_READERS: dict[str, Callable[[Any, Found], object]] = {
    "list_jobs": _page(job), "get_job": job, "queue_job": job,
    "list_job_executions": _page(execution), "get_job_execution": execution,
    "list_job_input_files": _page(file),
    "list_job_types": _page(job_type), "list_job_type_versions": _page(job_type), "get_job_type": job_type,
    "list_job_type_revisions": _page(job_type_revision), "get_job_type_revision": job_type_revision,
    "list_job_type_status": _page(job_type_counts), "list_running_job_types": _page(job_type_in_view),
    "list_pending_job_types": _page(job_type_in_view), "list_job_type_system_failures": _page(job_type_in_view),
    "list_files": _page(file), "get_file": file,
    "list_errors": _page(error), "get_error": error,
    "list_nodes": _page(node), "get_node": node, "update_node": node,
    "list_workspaces": _page(workspace), "get_workspace": workspace,
    "list_recipes": _page(recipe), "get_recipe": recipe,
    "list_batches": _page(batch), "get_batch": batch,
}
