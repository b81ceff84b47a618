"""The real Coalesce service's answers as fixture records (``mockingjob record``): what each answer tells of users,
workspaces, environments, nodes, jobs and runs, in the format of ``fixtures/coalesce/*.yaml``, ids kept and
instants relative to the answer's.

A run's fixture record does not store its instants: it is planned from its start and the seconds of each state
(`seed`). So a run is given a plan that reaches, from the start it was answered with, the state it was answered in
at the answer's instant and, once ended, exactly its end time. What an answer does not tell (the seconds of each
state of an ended run, how long an unfinished one has still to go, its outcome) is filled with neutral values.

A record refers to others by ID, and each reference must be found among the recorded records: a record an answer
names but does not describe (a run's environment, a job's workspace) is given with what the answer tells of it, as
a plain record, and neutral values (`UNRECORDED`) for the rest, as a `Mentioned` one of the same ID: whichever
answer is recorded first, what another tells of the record wins over those. The stand-ins with the ID
`UNRECORDED` (a job's workspace that an environment's job list does not tell) are left out of the files once
nothing refers to them (`recorded_files`).

What no recorded answer tells cannot be served the same: the nodes of an environment whose nodes were not listed
(its runs then process none, and it shows no storage mappings), and which nodes a rerun runs (those its first run
left unfinished, which only the run's results name: a recorded rerun runs its selectors' nodes).

Answers that tell no run's environment nor start (run status, run results, a rerun's runCounter) describe no record
that a fixture file can hold, and give none. Neither do error answers, nor bodies of another shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mockingjob.kit import Answer, Mentioned, relative_time
from mockingjob.kit import instant_of as _instant
from mockingjob.kit import mapping_of as _mapping
from mockingjob.kit import text_of as _text

__all__ = ["UNRECORDED", "records_from_answer"]

Record = dict[str, Any]

UNRECORDED = "unrecorded"
"""The neutral text of a field an answer does not tell, and the ID of a user or workspace it does not name."""

_MAX_ID = 2**31 - 1
_MAX_KEY = 64  # the length of the text IDs the store holds
_RUN_TYPES = ("deploy", "refresh")
_IN_FLIGHT = ("waitingToRun", "initializing", "rendering", "running")
_ENDED = ("completed", "failed", "canceled")
# How long an unfinished run still stays in each state after the answer, and what it does then: the mock's own
# defaults (model.RunDefaults), as the real service tells neither.
_STILL_TO_GO = {"waitingToRun": 2, "initializing": 3, "rendering": 5, "running": 10}
_AUTH_TYPES = ("Basic", "KeyPair", "OAuth")
_CREDENTIALS = {"snowflakeUsername": "username", "snowflakeRole": "role", "snowflakeWarehouse": "warehouse"}


class _Found:
    """The records one answer describes, by kind and ID: what it tells of each (`told`, the later part winning)
    and the neutral values it fills in where it tells nothing (`mention`, the first part's staying). Given back
    apart, the told part plain and the filled part `Mentioned`, so that what one answer fills in never overwrites
    what another tells."""

    def __init__(self) -> None:
        self.told_records: dict[str, dict[Any, Record]] = {}
        self.mentioned_records: dict[str, dict[Any, Record]] = {}
        self.keys: dict[str, dict[Any, None]] = {}
        """Each kind's IDs in the order first met (a dict as an ordered set)."""

    def told(self, kind: str, record: Record) -> None:
        held = self._held(self.told_records, kind, record["id"])
        held.update(record)

    def mention(self, kind: str, record: Record) -> None:
        held = self._held(self.mentioned_records, kind, record["id"])
        held.update({name: value for name, value in record.items() if name not in held})

    def _held(self, records: dict[str, dict[Any, Record]], kind: str, key: Any) -> Record:
        self.keys.setdefault(kind, {})[key] = None
        return records.setdefault(kind, {}).setdefault(key, {})

    def by_kind(self) -> dict[str, list[Record]]:
        return {kind: [record for key in keys for record in self._parts(kind, key)] for kind, keys in self.keys.items()}

    def _parts(self, kind: str, key: Any) -> list[Record]:
        told = self.told_records.get(kind, {}).get(key)
        mentioned = self.mentioned_records.get(kind, {}).get(key, {})
        filled = {name: value for name, value in mentioned.items() if name == "id" or told is None or name not in told}
        parts: list[Record] = [told] if told is not None else []
        if told is None or len(filled) > 1:
            parts.append(Mentioned(filled))
        return parts


# --- reading a body that may be anything ------------------------------------------------------------------------


def _key(value: Any) -> str | None:
    """A text ID the fixtures can hold, or None."""
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_KEY else None


def _number(value: Any) -> int | None:
    """An integer ID (the API sends job IDs as text, run IDs as numbers), or None."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_ID else None


def _items(body: Any) -> list[Mapping[str, Any]]:
    """The objects of a list answer's ``data``."""
    data = _mapping(body).get("data")
    return [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []


def _when(value: Any, at: datetime) -> str | None:
    """An instant the answer tells, relative to the answer's own."""
    instant = _instant(value)
    try:
        return relative_time(instant, at) if instant is not None else None
    except (ValueError, OverflowError):
        return None


def _strings(value: Any) -> dict[str, str] | None:
    """Runtime parameters: the fixtures hold text values only."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if not isinstance(value, Mapping):
        return None
    return {str(name): text for name, text in value.items() if isinstance(text, str)}


def _present(record: Record) -> Record:
    return {name: value for name, value in record.items() if value is not None}


# --- records named but not described ----------------------------------------------------------------------------

def _mention_user(found: _Found, user: str | None) -> str:
    """The ID of a user the answer names (its record then holds only that), else of a stand-in."""
    found.mention("users", {"id": user or UNRECORDED})
    return user or UNRECORDED


def _mention_environment(found: _Found, environment: str, *, user: str | None = None,
                         account: str | None = None) -> None:
    """An environment a run, node or job is in: the answer tells its ID, maybe its Snowflake account (a run's
    credentials show it) and a user of it; its name, project and creation are not told, so they are neutral
    (created at the answer's instant, by that user)."""
    if account is not None:
        found.told("environments", {"id": environment, "connectionAccount": account})
    found.mention("environments", {"id": environment, "name": environment, "project": UNRECORDED,
                                   "connectionAccount": UNRECORDED, "createdAt": "PT0S",
                                   "createdBy": _mention_user(found, user)})


def _mention_workspace(found: _Found, workspace: str = UNRECORDED) -> str:
    """A job's workspace: its ID, if a workspace's job list tells it (no answer tells more of it), else a
    stand-in."""
    found.mention("workspaces", {"id": workspace, "name": workspace, "project": UNRECORDED})
    return workspace


def _mention_job(found: _Found, job: int, environment: str, name: str | None = None) -> None:
    """A job a run names: it is in the run's environment (the service starts no job of another), and the run's
    detail tells its name; its workspace and selectors are not told."""
    found.told("jobs", _present({"id": job, "environment": environment, "name": name}))
    found.mention("jobs", {"id": job, "workspace": _mention_workspace(found), "name": UNRECORDED})


# --- environments -----------------------------------------------------------------------------------------------

def _tag_colors(value: Any) -> dict[str, str] | None:
    colors = {name: text for name, text in _mapping(value).items()
              if name in ("backgroundColor", "textColor") and isinstance(text, str)}
    return colors or None


def _environment(found: _Found, doc: Mapping[str, Any], at: datetime) -> None:
    """An environment and the user who created it. What it shows of its runs and nodes (status, running jobs,
    deployed commit, mappings) is derived from those, and recorded with them."""
    environment = _key(doc.get("id"))
    if environment is None:
        return
    creator = _mapping(doc.get("createdBy"))
    user = _key(creator.get("id"))
    if user is not None:
        found.told("users", _present({"id": user, "firstName": _text(creator.get("firstName")),
                                      "lastName": _text(creator.get("lastName"))}))
    git = _present({"branch": _text(doc.get("currentGitBranch")), "url": _text(doc.get("currentGitURL"))})
    record = _present({
        "id": environment,
        "name": _text(doc.get("name")),
        "description": _text(doc.get("description")),
        "project": _key(doc.get("project")),
        "connectionAccount": _text(doc.get("connectionAccount")),
        "oauthEnabled": doc.get("oauthEnabled") if isinstance(doc.get("oauthEnabled"), bool) else None,
        "runTimeParameters": _strings(doc.get("runTimeParameters")),
        "tagColors": _tag_colors(doc.get("tagColors")),
        "defaultStorageMapping": _text(doc.get("defaultStorageMapping")),
        "createdAt": _when(doc.get("createdAt"), at),
        "createdBy": user,
        "git": git or None,
    })
    found.told("environments", record)
    _mention_environment(found, environment, user=user)  # fills what this answer leaves out


def _environments(found: _Found, answer: Answer) -> None:
    for doc in _items(answer.body):
        _environment(found, doc, answer.at)


def _environment_detail(found: _Found, answer: Answer) -> None:
    _environment(found, _mapping(answer.body), answer.at)


# --- nodes ------------------------------------------------------------------------------------------------------

def _node(found: _Found, doc: Mapping[str, Any], environment: str | None) -> None:
    node = _key(doc.get("id"))
    if node is None or environment is None:
        return
    found.told("nodes", _present({
        "id": node, "environment": environment,
        "name": _text(doc.get("name")),
        "description": _text(doc.get("description")),  # only the detail shows it
        "location": _text(doc.get("locationName")),
        "nodeType": _text(doc.get("nodeType")),
        "database": _text(doc.get("database")),
        "schema": _text(doc.get("schema")),
    }))
    found.mention("nodes", {"id": node, "name": UNRECORDED, "location": UNRECORDED, "nodeType": UNRECORDED,
                            "database": UNRECORDED, "schema": UNRECORDED})
    _mention_environment(found, environment)


def _nodes(found: _Found, answer: Answer) -> None:
    for doc in _items(answer.body):
        _node(found, doc, _key(answer.path_params.get("environmentID")))


def _node_detail(found: _Found, answer: Answer) -> None:
    _node(found, _mapping(answer.body), _key(answer.path_params.get("environmentID")))


# --- jobs -------------------------------------------------------------------------------------------------------

def _selector(value: Any) -> str | None:
    return value or None if isinstance(value, str) else None  # "" is how a job shows it has none


def _job(found: _Found, doc: Mapping[str, Any], answer: Answer) -> None:
    """A job of an environment or of a workspace: the other of the two is not told, so it is a stand-in."""
    job = _number(doc.get("id"))
    environment = _key(answer.path_params.get("environmentID"))
    workspace = _key(answer.path_params.get("workspaceID"))
    if job is None or (environment is None and workspace is None):
        return
    found.told("jobs", _present({"id": job, "environment": environment, "workspace": workspace,
                                 "name": _text(doc.get("name"))}))
    # "" (or nothing) is how a job shows it has no selector: told as such.
    found.told("jobs", {"id": job, "include": _selector(doc.get("includeSelector")),
                        "exclude": _selector(doc.get("excludeSelector"))})
    _mention_environment(found, environment or UNRECORDED)
    found.mention("jobs", {"id": job, "environment": environment or UNRECORDED,
                           "workspace": _mention_workspace(found, workspace or UNRECORDED), "name": UNRECORDED})


def _jobs(found: _Found, answer: Answer) -> None:
    for doc in _items(answer.body):
        _job(found, doc, answer)


def _job_detail(found: _Found, answer: Answer) -> None:
    _job(found, _mapping(answer.body), answer)


# --- runs -------------------------------------------------------------------------------------------------------

def _seconds(delta: timedelta) -> float:
    return max(delta, timedelta(0)) / timedelta(seconds=1)


def _ended_timing(status: str, started: datetime, ended: datetime, reason: str | None) -> Record:
    """An ended run: its states before its end are not told, so a tenth of its time waits, a tenth initializes and
    the rest renders; its nodes then take no time, so that its end does not depend on how many nodes it runs. Each
    part is whole microseconds, so that they add up to the end exactly."""
    total = max(ended - started, timedelta(0))
    tenth = timedelta(microseconds=(total // timedelta(microseconds=1)) // 10)
    plan: Record = {"waitingToRun": _seconds(tenth), "initializing": _seconds(tenth),
                    "rendering": _seconds(total - 2 * tenth), "perBatch": 0}
    if status == "failed":
        plan.update(_present({"failIn": "running", "failureReason": reason}))
    timing: Record = {"outcome": status, "plan": plan}
    if status == "canceled":
        timing["canceledAfter"] = _seconds(total)
    return timing


def _unfinished_timing(status: str, started: datetime, at: datetime) -> Record:
    """A run in flight at the answer's instant: the states it has been through share the time since its start
    evenly, and it stays in its state a while after the answer (`_STILL_TO_GO`); how it ends is not told, so it
    completes."""
    reached = _IN_FLIGHT.index(status) + 1
    elapsed = max(at - started, timedelta(0)) // timedelta(microseconds=1)
    share = timedelta(microseconds=elapsed // reached)
    durations = {state: _seconds(share) for state in _IN_FLIGHT[:reached - 1]}
    durations[status] = _seconds(timedelta(microseconds=elapsed) - share * (reached - 1)) + _STILL_TO_GO[status]
    durations.update({state: float(_STILL_TO_GO[state]) for state in _IN_FLIGHT[reached:]})
    # "running" lasts a batch of nodes (perBatch) or more, never less: still running at the answer's instant.
    plan = {"waitingToRun": durations["waitingToRun"], "initializing": durations["initializing"],
            "rendering": durations["rendering"], "perBatch": durations["running"]}
    return {"outcome": "completed", "plan": plan}


def _timing(doc: Mapping[str, Any], started: datetime, at: datetime) -> Record | None:
    status = doc.get("runStatus")
    ended = _instant(doc.get("runEndTime"))
    if status in _ENDED:
        return _ended_timing(status, started, ended or at, _text(doc.get("runFailureReason")))
    if status in _IN_FLIGHT:
        return _unfinished_timing(status, started, at)
    return None


def _credentials(value: Any) -> Record | None:
    """The public half of a run's Snowflake credentials (``snowflake…`` names): secrets are never read."""
    given = _mapping(value)
    credentials = {field: given[name] for name, field in _CREDENTIALS.items() if isinstance(given.get(name), str)}
    if given.get("snowflakeAuthType") in _AUTH_TYPES:
        credentials["authType"] = given["snowflakeAuthType"]
    return credentials or None


def _run_details(found: _Found, record: Record, details: Mapping[str, Any], run_type: str) -> None:
    """What only a run's full detail tells: its job, node selection, parallelism, commit."""
    parallelism = details.get("parallelism")
    if isinstance(parallelism, int) and not isinstance(parallelism, bool) and abs(parallelism) < 2**31:
        record["parallelism"] = parallelism
    if isinstance(details.get("forceIgnoreEnvironmentStatus"), bool):
        record["forceIgnoreWorkspaceStatus"] = details["forceIgnoreEnvironmentStatus"]
    if run_type == "deploy":
        record.update(_present({"deployCommit": _text(details.get("deployCommit")),
                                "deployCommitMessage": _text(details.get("deployCommitMessage"))}))
        return
    # The detail shows the selectors the run used (its job's, or its own): they are the run's, and its nodes are
    # those they pick among the environment's recorded nodes.
    record["include"] = _text(details.get("includeNodesSelector"))
    record["exclude"] = _text(details.get("excludeNodesSelector"))
    job = _number(details.get("jobID"))
    if job is not None:
        record["job"] = job
        _mention_job(found, job, record["environment"], _text(details.get("jobName")))


def _run(found: _Found, doc: Mapping[str, Any], at: datetime, listed: set[int]) -> None:
    """A run (a list's summary or a full detail), its user and environment, and the job its detail names.
    `listed`: the runs of the same answer, which a rerun may name as the run it reruns."""
    run, run_type = _number(doc.get("id")), doc.get("runType")
    environment, started = _key(doc.get("environmentID")), _instant(doc.get("runStartTime"))
    timing = _timing(doc, started, at) if started is not None else None
    if run is None or run_type not in _RUN_TYPES or environment is None or started is None or timing is None:
        return
    when = relative_time(started, at)
    user = _key(doc.get("userID"))
    credentials = _mapping(doc.get("userCredentials"))
    _mention_environment(found, environment, user=user, account=_text(credentials.get("snowflakeAccount")))
    if user is not None:
        _mention_user(found, user)
    record: Record = {"id": run, "runType": run_type, "environment": environment, "started": when, **timing}
    if user is not None:
        record["user"] = user
    # A rerun names the run it reruns: kept when that run is recorded by the same answer (a reference to a run
    # recorded nowhere would not load); its history follows from that run's.
    earlier = _number(doc.get("reRunID"))
    history = doc.get("runHistory")
    if earlier is not None and earlier in listed and earlier < run:
        record["rerunOf"] = earlier
        if isinstance(history, list):
            record["attempt"] = len(history) + 1
    details = doc.get("runDetails")
    if isinstance(details, Mapping):
        _run_details(found, record, details, run_type)
        record.update(_present({"credentials": _credentials(credentials),
                                "parameters": _strings(doc.get("runTimeParameters"))}))
    found.told("runs", record)


def _runs(found: _Found, answer: Answer) -> None:
    docs = _items(answer.body)
    listed = {number for doc in docs if (number := _number(doc.get("id"))) is not None}
    for doc in docs:
        _run(found, doc, answer.at, listed)


def _run_detail(found: _Found, answer: Answer) -> None:
    _run(found, _mapping(answer.body), answer.at, set())


def _started_run(found: _Found, answer: Answer) -> None:
    """The run a startRun made (its ``runCounter``), from the request: a refresh planned by its environment's
    defaults. That it was queued at the answer's instant is a guess (a `Mentioned` start), which a read of the
    run, in any order, corrects. Who started it is the token's user, which the answer does not tell."""
    run = _number(_mapping(answer.body).get("runCounter"))
    request = _mapping(answer.request_body)
    details = _mapping(request.get("runDetails"))
    environment = _key(details.get("environmentID"))
    if run is None or environment is None:
        return
    _mention_environment(found, environment)
    found.mention("runs", {"id": run, "started": "PT0S"})
    record: Record = {"id": run, "runType": "refresh", "environment": environment}
    job = _number(details.get("jobID"))
    if job is not None:
        record["job"] = job
        _mention_job(found, job, environment)
    record.update(_present({"include": _text(details.get("includeNodesSelector")),
                            "exclude": _text(details.get("excludeNodesSelector")),
                            "credentials": _credentials(request.get("userCredentials")),
                            "parameters": _strings(request.get("parameters"))}))
    parallelism = details.get("parallelism")
    if isinstance(parallelism, int) and not isinstance(parallelism, bool) and abs(parallelism) < 2**31:
        record["parallelism"] = parallelism
    if isinstance(details.get("forceIgnoreWorkspaceStatus"), bool):
        record["forceIgnoreWorkspaceStatus"] = details["forceIgnoreWorkspaceStatus"]
    found.told("runs", record)


_CONVERTERS: dict[str, Callable[[_Found, Answer], None]] = {
    "Environments_listInformation": _environments,
    "Environments_getInformation": _environment_detail,
    "Nodes_list": _nodes,
    "Nodes_getInformation": _node_detail,
    "EnvironmentJobs_list": _jobs,
    "EnvironmentJobs_get": _job_detail,
    "WorkspaceJobs_list": _jobs,
    "WorkspaceJobs_get": _job_detail,
    "Runs_listInformation": _runs,
    "Runs_getRunDetails": _run_detail,
    "Jobs_initiateRun": _started_run,
}


def records_from_answer(answer: Answer) -> dict[str, list[Record]]:
    """The records `answer` describes, by fixture kind; none for an error or an operation that tells none."""
    convert = _CONVERTERS.get(answer.operation_id or "")
    if convert is None or not 200 <= answer.status < 300:
        return {}
    found = _Found()
    convert(found, answer)
    return found.by_kind()

