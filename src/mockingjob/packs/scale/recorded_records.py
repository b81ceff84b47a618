"""The fixture records of Scale's documents, one function per kind: what `recorded` reads an answer into.

Each reader takes one document of the real service and adds the records it tells to a `Found`, with instants
relative to the answer's (`relative_time`) and ids kept. Whatever the document does not hold in the shape Scale
gives it is read as missing: a record whose identity or required fields are missing is left out, never an
exception, as the real service's answers drift.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from mockingjob.kit import Mentioned, relative_time
from mockingjob.kit import instant_of as instant
from mockingjob.kit import integer_of as integer
from mockingjob.kit import text_of as text

Record = dict[str, Any]

UNKNOWN_ID = 2**31 - 1
"""The id of a node or workspace made up for what the answer leaves unnamed: the largest the mock holds, apart
from the real ones, which start at 1."""

_NAMED_WORKSPACE_IDS = 2**20
"""How many ids below `UNKNOWN_ID` are kept for the workspaces answers name only by name."""

_MADE_UP_REVISIONS = 2**30
"""Where the ids of job type revisions no answer shows begin: each type has its own thousand from there, far
above the revisions Scale numbers from 1, so that they overlap none another answer tells."""


_MADE_UP_FILES = 2**30
"""Where the ids of the files a job's list names (by name only) begin, until they are written."""


def stand_in_revision_id(job_type_id: int) -> int:
    """The made-up id of a job type's current revision, the top of its thousand: its earlier ones go below it."""
    return _MADE_UP_REVISIONS + job_type_id * 1000 + 999


def stand_in_file_id(job_id: int, position: int) -> int:
    """The made-up id of the file at `position` among those a job's list document names, rising in the order
    named; `recorded_folder` gives it one of the ids no told file has before it is written."""
    return _MADE_UP_FILES + job_id * 1000 + position


def is_stand_in_file(file_id: int) -> bool:
    return _MADE_UP_FILES <= file_id < UNKNOWN_ID - _NAMED_WORKSPACE_IDS


def stand_in_workspace_id(name: str) -> int:
    """The made-up id of a workspace only named: the same whichever answer names it."""
    return UNKNOWN_ID - 1 - zlib.crc32(name.encode()) % _NAMED_WORKSPACE_IDS


def is_stand_in_workspace(workspace_id: int) -> bool:
    """Whether `workspace_id` is one made up (`UNKNOWN_ID`, `stand_in_workspace_id`) rather than Scale's own."""
    return workspace_id >= UNKNOWN_ID - _NAMED_WORKSPACE_IDS


# --- reading what the real service answered ---------------------------------------------------------------------

def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (a page's ``results``), skipping anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def flag(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def output_workspaces(configuration: Any) -> list[str]:
    """The names of the workspaces a job type's configuration sends its outputs to."""
    targets = obj(obj(configuration).get("output_workspaces"))
    names = [targets.get("default"), *obj(targets.get("outputs")).values()]
    return [name for name in names if isinstance(name, str)]


def strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


class Found:
    """The records one answer tells, by kind and id, in the order first met.

    A record told twice in one answer (a job type in each of a page's jobs) keeps what each telling said.
    `fill` adds a record only for what the answer leaves out: a record another refers to that the answer only
    names, completed with neutral values so that the fixture format takes it; what is told of it wins.
    """

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._told: dict[str, dict[int, Record]] = {}
        self._filled: dict[str, dict[int, Record]] = {}

    def time(self, value: Any) -> str | None:
        """`value`, an instant of the answer, as a fixture time relative to it; None when it is none."""
        moment = instant(value)
        return None if moment is None else relative_time(moment, self.at)

    def add(self, kind: str, record: Record) -> None:
        held = self._told.setdefault(kind, {})
        held[record["id"]] = {**held.get(record["id"], {}), **record}

    def fill(self, kind: str, record: Record) -> None:
        held = self._filled.setdefault(kind, {})
        held[record["id"]] = {**record, **held.get(record["id"], {})}

    def record(self, kind: str, record_id: int) -> Record:
        """What the answer tells of one record so far, filled in; empty if it tells nothing of it."""
        return {**self._filled.get(kind, {}).get(record_id, {}), **self._told.get(kind, {}).get(record_id, {})}

    def told(self) -> dict[str, list[Record]]:
        """Only what the answer tells, each record with the fields it tells."""
        return {kind: list(records.values()) for kind, records in self._told.items()}

    def filled(self) -> dict[str, list[Record]]:
        """Only what is made up: the records the answer names, with the neutral values they need."""
        return {kind: list(records.values()) for kind, records in self._filled.items()}

    def recorded(self) -> dict[str, list[Record]]:
        """Each kind's told records as they are, then its filled ones as `Mentioned` (a record told in part may
        come twice): whichever answer comes first, what another tells of a record wins over what is made up."""
        kinds = dict.fromkeys([*self._told, *self._filled])
        return {kind: [*self._told.get(kind, {}).values(),
                       *(Mentioned(record) for record in self._filled.get(kind, {}).values())]
                for kind in kinds}


# --- the kinds that stand alone ---------------------------------------------------------------------------------

_ERROR_FIELDS = ("title", "description", "job_type_name")
_CATEGORIES = frozenset({"SYSTEM", "ALGORITHM", "DATA"})


def error(doc: Any, found: Found) -> str | None:
    """An error (ErrorSerializerV6, or the summary a job shows); answer its name, which attempts refer to it by."""
    doc = obj(doc)
    error_id, name, category = integer(doc.get("id")), text(doc.get("name")), text(doc.get("category"))
    if error_id is None or name is None or category not in _CATEGORIES:
        return None
    record: Record = {"id": error_id, "name": name, **{key: text(doc.get(key)) for key in _ERROR_FIELDS if key in doc},
                      "category": category, "is_builtin": flag(doc.get("is_builtin"), False),
                      "should_be_retried": flag(doc.get("should_be_retried"), False)}
    for key in ("created", "last_modified"):  # a job's summary of its error leaves them out
        if key in doc:
            record[key] = found.time(doc[key])
    found.add("errors", record)
    return name


def node(doc: Any, found: Found) -> int | None:
    """A node (NodeSerializerV6, or the ``{id, hostname}`` a job or execution shows); answer its id."""
    doc = obj(doc)
    node_id, hostname = integer(doc.get("id")), text(doc.get("hostname"))
    if node_id is None or hostname is None:
        return None
    record: Record = {"id": node_id, "hostname": hostname}
    if "pause_reason" in doc:
        record["pause_reason"] = text(doc["pause_reason"])
    for key in ("is_paused", "is_active"):
        if isinstance(doc.get(key), bool):
            record[key] = doc[key]
    for key in ("deprecated", "created", "last_modified"):
        if key in doc:
            record[key] = found.time(doc[key])
    found.add("nodes", record)
    return node_id


def unknown_node(found: Found) -> int:
    """The node an attempt the answer shows no node of names: the fixture format wants one, Scale shows none
    for an attempt that never ran."""
    found.fill("nodes", {"id": UNKNOWN_ID, "hostname": "unknown"})
    return UNKNOWN_ID


def workspace(doc: Any, found: Found, *, base_url: str | None = None) -> int | None:
    """A workspace (WorkspaceSerializerV6, its details, or the ``{id, name}`` a file shows); answer its id.
    `base_url` is what a file's ``url`` tells of it."""
    doc = obj(doc)
    workspace_id, name = integer(doc.get("id")), text(doc.get("name"))
    if workspace_id is None or name is None:
        return None
    record: Record = {"id": workspace_id, "name": name}
    for key in ("title", "description", "base_url"):
        if key in doc:
            record[key] = text(doc[key])
    if isinstance(doc.get("is_active"), bool):
        record["is_active"] = doc["is_active"]
    if isinstance(doc.get("configuration"), dict):
        # Scale shows its configuration without the schema version and with S3 keys masked: kept as shown.
        record["json_config"] = doc["configuration"]
    for key in ("created", "deprecated", "last_modified"):
        if key in doc:
            record[key] = found.time(doc[key])
    found.add("workspaces", record)
    if base_url is not None and "base_url" not in doc:
        found.fill("workspaces", {"id": workspace_id, "base_url": base_url})
    return workspace_id


def named_workspace(name: str, found: Found) -> int:
    """A workspace an answer names only by its name (a job type's output workspace); answer its made-up id."""
    workspace_id = stand_in_workspace_id(name)
    found.fill("workspaces", {"id": workspace_id, "name": name})
    return workspace_id


def event(doc: Any, found: Found) -> int | None:
    """An event (``{id, type, occurred}``); answer its id. One that only names its id (``{id}``) is made up:
    of an unknown type, occurring at the answer's instant."""
    doc = obj(doc)
    event_id = integer(doc.get("id"))
    if event_id is None:
        return None
    event_type, occurred = text(doc.get("type")), found.time(doc.get("occurred"))
    if event_type is not None and occurred is not None:
        found.add("events", {"id": event_id, "type": event_type, "occurred": occurred})
    else:
        found.fill("events", {"id": event_id, "type": "UNKNOWN", "occurred": "PT0S"})
    return event_id


_FILE_TEXTS = ("file_name", "media_type", "file_type", "file_path")
_FILE_SOURCE = ("source_sensor_class", "source_sensor", "source_collection", "source_task")
_FILE_TIMES = ("data_started", "data_ended", "source_started", "source_ended")


def file(doc: Any, found: Found) -> int | None:
    """A file (ScaleFileSerializerV6, or its details); answer its id.

    A product of a job's execution (one naming its ``job_exe``) is left out: the mock writes a completed
    execution's products itself, and one recorded too would be listed twice."""
    doc = obj(doc)
    file_id = integer(doc.get("id"))
    if file_id is None or obj(doc.get("job_exe")):
        return None
    texts = {key: text(doc.get(key)) for key in _FILE_TEXTS}
    size, created, modified = integer(doc.get("file_size")), found.time(doc.get("created")), \
        found.time(doc.get("last_modified"))
    workspace_id = workspace(doc.get("workspace"), found, base_url=_base_url(doc))
    if None in texts.values() or None in (size, created, modified, workspace_id) \
            or texts["file_type"] not in ("SOURCE", "PRODUCT"):
        return None
    record: Record = {"id": file_id, **texts, "workspace_id": workspace_id, "file_size": size,
                      "data_type_tags": strings(doc.get("data_type_tags")), "countries": strings(doc.get("countries")),
                      "created": created, "last_modified": modified,
                      **{key: found.time(doc.get(key)) for key in _FILE_TIMES},
                      **{key: text(doc.get(key)) for key in _FILE_SOURCE},
                      "is_superseded": flag(doc.get("is_superseded"), False)}
    if "meta_data" in doc:  # the details alone show it
        record["meta_data"] = obj(doc["meta_data"]) or None
    record.update(_hand_written_product(doc, found))
    found.add("files", record)
    return file_id


def _base_url(doc: dict[str, Any]) -> str | None:
    """The workspace's base URL a file's ``url`` tells: the URL less the file's path."""
    url, path = text(doc.get("url")), text(doc.get("file_path"))
    tail = "/" + (path or "").removeprefix("/")
    return url[:-len(tail)] if url and path and url.endswith(tail) else None


def _hand_written_product(doc: dict[str, Any], found: Found) -> Record:
    """What a product no execution wrote tells of its origin: the job, job type, recipe and output."""
    origin: Record = {}
    job_type_id = job_type_summary(doc.get("job_type"), found)
    recipe_type_id = recipe_type_summary(doc.get("recipe_type"), found)
    for key, value in (("job_id", integer(obj(doc.get("job")).get("id"))), ("job_type_id", job_type_id),
                       ("recipe_id", integer(obj(doc.get("recipe")).get("id"))), ("recipe_type_id", recipe_type_id),
                       ("job_output", text(doc.get("job_output"))), ("recipe_node", text(doc.get("recipe_node")))):
        if value is not None:
            origin[key] = value
    return origin


# --- job types and recipe types, as other documents show them ---------------------------------------------------

JOB_TYPE_FLAGS = ("is_active", "is_system", "is_paused", "is_published")
# What a job type record needs that a summary does not tell: neutral values. `plan` is the mock's own (how a job
# queued against the recording behaves): empty, its defaults.
_JOB_TYPE_FILLS: Record = {"max_tries": 3, "timeout": 3600, "revision_num": 1, "docker_image": "unknown",
                           "configuration": {}, "resources": {}, "plan": {}, "created": "PT0S"}


def job_type_summary(doc: Any, found: Found) -> int | None:
    """A job type as JobTypeBaseSerializerV6 shows it; answer its id. What the summary does not tell is filled
    in (a made-up revision id, the neutral values of `_JOB_TYPE_FILLS`)."""
    doc = obj(doc)
    job_type_id, name, version = integer(doc.get("id")), text(doc.get("name")), text(doc.get("version"))
    if job_type_id is None or name is None or version is None:
        return None
    record: Record = {"id": job_type_id, "name": name, "version": version}
    for key in ("title", "description", "icon_code", "unmet_resources"):
        if key in doc:
            record[key] = text(doc[key])
    record.update({key: doc[key] for key in JOB_TYPE_FLAGS if isinstance(doc.get(key), bool)})
    found.add("job_types", record)
    found.fill("job_types", {"id": job_type_id, "revision_id": stand_in_revision_id(job_type_id), **_JOB_TYPE_FILLS,
                             **{key: key == "is_active" for key in JOB_TYPE_FLAGS}, "manifest": _manifest(record)})
    return job_type_id


def _manifest(job_type: Record) -> Record:
    """The least Seed manifest a job type can have, of what its summary tells: no inputs, no outputs."""
    return {"seedVersion": "1.0.0", "job": {
        "name": job_type["name"], "jobVersion": job_type["version"], "packageVersion": "1.0.0",
        "title": job_type.get("title") or job_type["name"], "description": job_type.get("description") or "",
        "maintainer": {"name": "unknown", "email": "unknown@example.com"}, "timeout": _JOB_TYPE_FILLS["timeout"],
        "interface": {}}}


_RECIPE_TYPE_TEXTS = ("title", "description")


def recipe_type_summary(doc: Any, found: Found, definition: Any = None) -> int | None:
    """A recipe type (RecipeTypeBaseSerializerV6, or the full one a recipe's revision shows); answer its id.
    What a summary does not tell is filled in: active, made at the answer's instant, an empty definition."""
    doc = obj(doc)
    recipe_type_id, name, revision_num = integer(doc.get("id")), text(doc.get("name")), integer(doc.get("revision_num"))
    if recipe_type_id is None or name is None:
        return None
    record: Record = {"id": recipe_type_id, "name": name, **{key: text(doc.get(key)) for key in _RECIPE_TYPE_TEXTS
                                                              if key in doc}}
    if revision_num is not None:
        record["revision_num"] = revision_num
    for key in ("is_active", "is_system"):
        if isinstance(doc.get(key), bool):
            record[key] = doc[key]
    for key in ("created", "deprecated", "last_modified"):
        if key in doc and (key == "deprecated" or found.time(doc[key]) is not None):
            record[key] = found.time(doc[key])
    if isinstance(definition, dict):
        record["definition"] = definition
    found.add("recipe_types", record)
    found.fill("recipe_types", {"id": recipe_type_id, "revision_num": 1, "is_active": True, "is_system": False,
                                "definition": {}, "created": "PT0S", "last_modified": "PT0S"})
    return recipe_type_id
