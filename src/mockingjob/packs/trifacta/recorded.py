"""The fixture records an answer of the real Trifacta service describes, for ``mockingjob record``.

Each operation's answer is read as the documents it holds (`_READERS`): flows, imported and wrangled datasets,
output objects (with the write settings and publications they embed) and job groups, ids kept, instants
relative to the answer's. What an answer tells is returned as plain records; what it only names or half knows
is returned as a `Mentioned` of the same identity, which every told field wins over, whichever answer comes
first: a record another one names (a job group's recipe, a recipe's flow), filled with neutral values (a recipe
whose flow no answer told is put in a stand-in flow, `UNKNOWN_FLOW`); the write settings a job group's jobs
count (one file writer each) without saying where they write, which a run request tells.

A job group also keeps the plan that replays it as it was seen (`recorded_runs`): from its jobs, or, when the
answer did not embed them, from its status alone, which shows only when the whole run ended. The two are kept
apart, and become the recipe's plan only as the files are written (`recorded_files`), with what no answer told of
a job group (its environment, profiling and files) and without the stand-in flow once no recipe is in it. What a
field cannot hold (a value outside the fixture schema's) is left out, and a document without what its record
requires describes nothing: any answer is read without error.

Not recorded, and why: the answers of a job group's status, jobs, outputs, publications and profile, which do
not name the recipe the group ran (record the group with ``embed=jobs`` instead); write settings and
publications by themselves, which name an output object but not its recipe; flow runs, which have no fixture
kind. Ids of jobs, write settings and publications are numbered by the mock when it seeds. Which recipe each
wrangle job of a group ran is not told: a group that ran its recipe's dependencies replays them as one wrangle
job. A recipe has one plan, its last run's: an earlier run of it replays with that plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mockingjob.kit import Answer, Mentioned, relative_time
from mockingjob.kit import instant_of as _instant
from mockingjob.kit import integer_of as _int
from mockingjob.kit import text_of as _text

from .model import ENVIRONMENTS, WRITE_OPTIONS
from .recorded_runs import STATES, JobSeen, Replay, RunSeen, replay

Records = dict[str, list[dict[str, Any]]]

# The flow a recipe is put in when the answer that names the recipe does not tell its flow: every recipe needs
# one. The largest id the API has (ids count up from 1), so that it never takes the place of a real flow.
UNKNOWN_FLOW = 2_147_483_647
UNKNOWN_FLOW_NAME = "Recorded without its flow"
# The plan that replays a job group as an answer showed it, from its jobs or (less told) from its status alone:
# kept on the job group, apart, until the files are written, when it becomes its recipe's (`recorded_files`).
PLAN_BY_JOBS = "_planByJobs"
PLAN_BY_STATUS = "_planByStatus"
# The field order of each kind's records, as the fixture files write them.
FIELDS = {
    "flows": ("id", "name", "description", "created"),
    "imported_datasets": ("id", "name", "description", "uri", "detectStructure", "created"),
    "wrangled_datasets": ("id", "flow", "name", "description", "importedDataset", "dependsOn", "created", "plan"),
    "output_objects": ("id", "wrangledDataset", "execution", "profiler", "isAdhoc", "created", "writeSettings",
                       "publications"),
    "job_groups": ("id", "wrangledDataset", "created", "canceled", "ranfrom", "execution", "profiler",
                   "writeSettings", "runParameters", PLAN_BY_JOBS, PLAN_BY_STATUS),
}
_PUBLICATION_ACTIONS = ("create", "append", "overwrite", "dropAndLoad", "truncateAndLoad", "upsert")


# --- reading values -------------------------------------------------------------------------------------------


def _ref(value: Any) -> int | None:
    """The id of ``{"id": 3}``."""
    return _int(value.get("id")) if isinstance(value, dict) else None


def _listed(value: Any) -> list[dict[str, Any]]:
    """The objects of ``{"data": [...]}``."""
    data = value.get("data") if isinstance(value, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _optional(record: dict[str, Any], doc: Mapping[str, Any], name: str, read: Callable[[Any], Any],
              field: str | None = None) -> None:
    """Copy `doc`'s `name` into `record` when the document tells it (None included) in a form the field holds."""
    if name in doc and (doc[name] is None or read(doc[name]) is not None):
        record[field or name] = doc[name]


# --- what an answer describes ---------------------------------------------------------------------------------

class Described:
    """The records one answer describes, by kind and id: what its documents tell of each (merged), and what they
    only name or half know (the first mention of a field wins), which any told field overrides."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self._told: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in FIELDS}
        self._mentioned: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in FIELDS}

    def tell(self, kind: str, record: dict[str, Any]) -> None:
        told = self._told[kind]
        told[record["id"]] = {**told.get(record["id"], {}), **record}

    def mention(self, kind: str, record: dict[str, Any]) -> None:
        mentioned = self._mentioned[kind]
        mentioned[record["id"]] = {**record, **mentioned.get(record["id"], {})}

    def time(self, instant: datetime) -> str:
        return relative_time(instant, self.at) or "PT0S"

    def records(self) -> Records:
        """By kind: for each record, what was only mentioned of it (as a `Mentioned`), then what was told."""
        found: Records = {}
        for kind in FIELDS:
            told, mentioned = self._told[kind], self._mentioned[kind]
            records: list[dict[str, Any]] = []
            for ident in dict.fromkeys([*mentioned, *told]):
                only_mentioned = {name: value for name, value in mentioned.get(ident, {}).items()
                                  if name == "id" or name not in told.get(ident, {})}
                if len(only_mentioned) > 1:
                    records.append(Mentioned(in_field_order(kind, only_mentioned)))
                if ident in told:
                    records.append(in_field_order(kind, told[ident]))
            if records:
                found[kind] = records
        return found

    # References: the records a record names, mentioned for what the answer does not tell of them.
    def flow_named(self, ident: int, created: str) -> None:
        # A flow is as old as its recipes at most: its recipe's creation stands in for its own.
        name = UNKNOWN_FLOW_NAME if ident == UNKNOWN_FLOW else f"Flow {ident}"
        self.mention("flows", {"id": ident, "name": name, "created": created})

    def recipe_named(self, ident: int) -> None:
        created = self.time(self.at)
        self.mention("wrangled_datasets", {"id": ident, "flow": UNKNOWN_FLOW, "name": f"Recipe {ident}",
                                           "created": created})
        self.flow_named(UNKNOWN_FLOW, created)


def in_field_order(kind: str, record: Mapping[str, Any], *, written: bool = False) -> dict[str, Any]:
    """`record`'s fields in the order the fixture files of `kind` write them; `written`: without those kept
    only while recording (``_plan…``)."""
    return {name: record[name] for name in FIELDS[kind] if name in record and not (written and name[0] == "_")}


def records_from_answer(answer: Answer) -> Records:
    """The records `answer` describes, by fixture kind; none for an error or a body of another shape."""
    if not 200 <= answer.status < 300:
        return {}
    reader = _READERS.get(answer.operation_id or "")
    if reader is None:
        return {}
    described = Described(answer.at)
    reader(described, answer)
    return described.records()


# --- flows, datasets and output objects -----------------------------------------------------------------------

def flow(out: Described, doc: Mapping[str, Any]) -> None:
    ident, name, created = _int(doc.get("id")), _text(doc.get("name")), _instant(doc.get("createdAt"))
    if ident is None or name is None or created is None:
        return
    record: dict[str, Any] = {"id": ident, "name": name, "created": out.time(created)}
    _optional(record, doc, "description", _text)
    out.tell("flows", record)
    nodes = doc.get("flowNodes")
    for node in _listed(nodes):
        wrangled_dataset(out, {**node, "flow": node.get("flow", {"id": ident})})


def imported_dataset(out: Described, doc: Mapping[str, Any]) -> None:
    ident, name, uri = _int(doc.get("id")), _text(doc.get("name")), _text(doc.get("uri"))
    created = _instant(doc.get("createdAt"))
    if ident is None or name is None or uri is None or created is None:
        return
    record: dict[str, Any] = {"id": ident, "name": name, "uri": uri, "created": out.time(created)}
    _optional(record, doc, "description", _text)
    if isinstance(doc.get("hasStructuring"), bool):
        record["detectStructure"] = doc["hasStructuring"]
    out.tell("imported_datasets", record)


def wrangled_dataset(out: Described, doc: Mapping[str, Any]) -> None:
    """A recipe. Which imported dataset or recipes it reads no document tells: those are left out."""
    ident, flow_id, name = _int(doc.get("id")), _ref(doc.get("flow")), _text(doc.get("name"))
    created = _instant(doc.get("createdAt"))
    if ident is None or flow_id is None or name is None or created is None:
        return
    record: dict[str, Any] = {"id": ident, "flow": flow_id, "name": name, "created": out.time(created)}
    _optional(record, doc, "description", _text)
    out.tell("wrangled_datasets", record)
    flow_name = _text(doc["flow"].get("name"))  # a job group's embedded recipe names its flow
    if flow_name is not None:
        out.tell("flows", {"id": flow_id, "name": flow_name})
    out.flow_named(flow_id, record["created"])
    for output in _listed(doc.get("outputObjects")):
        output_object(out, {**output, "flowNode": output.get("flowNode", {"id": ident})})


def output_object(out: Described, doc: Mapping[str, Any]) -> None:
    ident, recipe, execution = _int(doc.get("id")), _ref(doc.get("flowNode")), doc.get("execution")
    profiler, created = doc.get("profiler"), _instant(doc.get("createdAt"))
    if (ident is None or recipe is None or execution not in ENVIRONMENTS or not isinstance(profiler, bool)
            or created is None):
        return
    record: dict[str, Any] = {"id": ident, "wrangledDataset": recipe, "execution": execution,
                              "profiler": profiler, "created": out.time(created)}
    if isinstance(doc.get("isAdhoc"), bool):
        record["isAdhoc"] = doc["isAdhoc"]
    # Only what the answer embeds: left out, what another answer told of them stays.
    if "writeSettings" in doc:
        record["writeSettings"] = [kept for kept in map(write_setting, _listed(doc["writeSettings"])) if kept]
    if "publications" in doc:
        record["publications"] = [kept for kept in map(publication, _listed(doc["publications"])) if kept]
    out.tell("output_objects", record)
    out.recipe_named(recipe)


def write_setting(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """A write setting as fixtures give it (its id is the mock's to number); None if it cannot be held."""
    path = _text(doc.get("path"))
    if not path or len(path) > 2048 or any(doc.get(name) not in WRITE_OPTIONS[name] for name in ("action", "format")):
        return None
    setting: dict[str, Any] = {"path": path, "action": doc["action"], "format": doc["format"]}
    if doc.get("compression") in WRITE_OPTIONS["compression"]:
        setting["compression"] = doc["compression"]
    for name in ("header", "asSingleFile", "hasQuotes"):
        if isinstance(doc.get(name), bool):
            setting[name] = doc[name]
    delim = _text(doc.get("delim"))
    if delim and len(delim) <= 16:
        setting["delim"] = delim
    for name in ("prefix", "suffix"):
        if name in doc and (doc[name] is None or (isinstance(doc[name], str) and len(doc[name]) <= 255)):
            setting[name] = doc[name]
    return setting


def publication(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    path, table, target = doc.get("path"), _text(doc.get("tableName")), _text(doc.get("targetType"))
    if (not isinstance(path, list) or not path or not all(isinstance(part, str) and part for part in path)
            or not table or len(table) > 255 or not target or len(target) > 100
            or doc.get("action") not in _PUBLICATION_ACTIONS):
        return None
    found: dict[str, Any] = {"path": list(path), "tableName": table, "targetType": target, "action": doc["action"]}
    connection = doc.get("connection")
    if connection is None or _ref(connection) is not None:
        found["connection"] = None if connection is None else {"id": _ref(connection)}
    return found


# --- job groups -----------------------------------------------------------------------------------------------

def _job(doc: Mapping[str, Any]) -> JobSeen | None:
    kind, status = doc.get("jobType"), doc.get("status")
    if kind not in ("wrangle", "filewriter", "profile") or status not in STATES:
        return None
    return JobSeen(kind, status, _instant(doc.get("updatedAt")), _int(doc.get("percentComplete")),
                   doc.get("lastHeartbeatAt") is not None, _text(doc.get("errorMessage")))


def _neutral_write_setting(group: int, number: int) -> dict[str, Any]:
    """A file the answer counts (a file writer job) but does not describe."""
    return {"path": f"/recorded/jobGroups/{group}/output-{number + 1}.csv", "action": "create", "format": "csv"}


def job_group(out: Described, doc: Mapping[str, Any]) -> None:
    """A job group, with the plan of its recipe that replays it as the answer showed it (`recorded_runs`)."""
    ident, created, status = _int(doc.get("id")), _instant(doc.get("createdAt")), doc.get("status")
    dataset = doc.get("wrangledDataset")
    recipe = _ref(dataset)
    if ident is None or created is None or status not in STATES or recipe is None:
        return
    job_docs = doc["jobs"] if isinstance(doc.get("jobs"), dict) else None
    jobs = None if job_docs is None else tuple(job for job in map(_job, _listed(job_docs)) if job is not None)
    seen = replay(RunSeen(created, status, _instant(doc.get("updatedAt")), out.at, jobs))
    record: dict[str, Any] = {"id": ident, "wrangledDataset": recipe, "created": out.time(created)}
    if isinstance(doc.get("profilingEnabled"), bool):
        record["profiler"] = doc["profilingEnabled"]
    if seen.canceled is not None:
        record["canceled"] = out.time(seen.canceled)
    _optional(record, doc, "ranfrom", lambda value: _text(value) if len(str(value)) <= 255 else None)
    if job_docs is None:
        # Without its jobs the run shows only when it ended: a plan a plan told by its jobs replaces.
        record[PLAN_BY_STATUS] = seen.plan
    else:
        _jobs_told(out, record, job_docs, seen)
        record[PLAN_BY_JOBS] = seen.plan
    out.tell("job_groups", record)
    if isinstance(dataset, dict) and {"name", "createdAt", "flow"} <= dataset.keys():
        wrangled_dataset(out, dataset)
    out.recipe_named(recipe)


def _jobs_told(out: Described, record: dict[str, Any], job_docs: Any, seen: Replay) -> None:
    """What a job group's embedded jobs tell of it: where it ran, whether it profiles, how many files it writes
    (not where: a run request tells that, so these stand in for them)."""
    execution = next((job.get("executionLanguage") for job in _listed(job_docs)), None)
    if execution in ENVIRONMENTS:
        record["execution"] = execution
    record.setdefault("profiler", bool(seen.profiler))
    out.mention("job_groups", {"id": record["id"], "writeSettings": [
        _neutral_write_setting(record["id"], number) for number in range(seen.write_settings)]})


def _started(out: Described, doc: Any, recipe: int | None, request: Any) -> None:
    """A job group an answer reports started (``POST /v4/jobGroups``, a flow run), with what its request told.
    What the request leaves out comes from the recipe's output object or last run, which the answer does not
    tell; when it was created neither (it was answered then, or so)."""
    ident = _int(doc.get("id")) if isinstance(doc, dict) else None
    if ident is None or recipe is None:
        return
    request = request if isinstance(request, dict) else {}
    overrides = request.get("overrides") if isinstance(request.get("overrides"), dict) else {}
    record: dict[str, Any] = {"id": ident, "wrangledDataset": recipe}
    if overrides.get("execution") in ENVIRONMENTS:
        record["execution"] = overrides["execution"]
    if isinstance(overrides.get("profiler"), bool):
        record["profiler"] = overrides["profiler"]
    given = overrides.get("writeSettings", overrides.get("writesettings"))
    if isinstance(given, list):
        settings = [write_setting(setting) if isinstance(setting, dict) else None for setting in given]
        record["writeSettings"] = [setting for setting in settings if setting is not None]
    _optional(record, request, "ranfrom", _text)
    parameters = request.get("runParameters", overrides.get("runParameters"))
    if _run_parameters(parameters):
        record["runParameters"] = parameters
    out.tell("job_groups", record)
    out.mention("job_groups", {"id": ident, "created": out.time(out.at)})
    out.recipe_named(recipe)


def _run_parameters(value: Any) -> bool:
    """Whether `value` is run parameters as fixtures hold them: ``{overrides: {data: [{key, value}]}}``."""
    if not isinstance(value, dict) or set(value) != {"overrides"} or not isinstance(value["overrides"], dict):
        return False
    overrides = value["overrides"]
    data = overrides.get("data")
    return (set(overrides) == {"data"} and isinstance(data, list)
            and all(isinstance(item, dict) and set(item) == {"key", "value"} and isinstance(item["key"], str)
                    and 0 < len(item["key"]) <= 255 and isinstance(item["value"], str) and len(item["value"]) <= 1024
                    for item in data))


# --- operations -----------------------------------------------------------------------------------------------

Reader = Callable[[Described, Answer], None]


def _one(read: Callable[[Described, Mapping[str, Any]], None]) -> Reader:
    return lambda out, answer: read(out, answer.body) if isinstance(answer.body, dict) else None


def _each(read: Callable[[Described, Mapping[str, Any]], None]) -> Reader:
    def each(out: Described, answer: Answer) -> None:
        for doc in _listed(answer.body):
            read(out, doc)
    return each


def _ran_recipe(out: Described, answer: Answer) -> None:
    request = answer.request_body
    recipe = _ref(request.get("wrangledDataset")) if isinstance(request, dict) else None
    _started(out, answer.body, recipe, request)


def _ran_flow(out: Described, answer: Answer) -> None:
    """One job group per recipe run. The answer names none: only when the request named as many recipes as
    groups started are they paired, in the order of their ids, as the service runs them."""
    request = answer.request_body if isinstance(answer.request_body, dict) else {}
    chosen = request.get("wrangledDatasetIds")
    started = _listed(answer.body)
    if not isinstance(chosen, list) or any(_int(ident) is None for ident in chosen):
        return
    recipes = sorted(set(chosen))
    if len(recipes) == len(started):
        for recipe, doc in zip(recipes, started, strict=True):
            _started(out, doc, recipe, {"runParameters": request.get("runParameters")})


_READERS: dict[str, Reader] = {
    **dict.fromkeys(("list_flows",), _each(flow)),
    **dict.fromkeys(("get_flow", "create_flow", "copy_flow"), _one(flow)),
    **dict.fromkeys(("list_imported_datasets", "get_job_group_inputs"), _each(imported_dataset)),
    **dict.fromkeys(("get_imported_dataset", "create_imported_dataset"), _one(imported_dataset)),
    **dict.fromkeys(("list_wrangled_datasets",), _each(wrangled_dataset)),
    **dict.fromkeys(("get_wrangled_dataset", "create_wrangled_dataset"), _one(wrangled_dataset)),
    **dict.fromkeys(("list_output_objects",), _each(output_object)),
    **dict.fromkeys(("get_output_object", "create_output_object"), _one(output_object)),
    **dict.fromkeys(("list_job_groups", "get_flow_run_job_groups"), _each(job_group)),
    "get_job_group": _one(job_group),
    "run_job_group": _ran_recipe,
    "run_flow": _ran_flow,
}
