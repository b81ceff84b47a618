"""The polling and varied workloads: per API, a list of GETs that wrk's request() walks round-robin.

- **polling**: the same detail GET and the same status GET of one run, in turn, as a client does while the run
  is in flight. Each id is of a run in flight on a freshly started mockingjob (the fixtures start it relative to
  the moment of seeding), and it stays in flight for longer than a server is loaded.
- **varied**: every fixture record's detail path, and the list operations with their filters and pages, in a
  fixed shuffled order: each request names a different record, filter or page, as a browsing client does.

Every request is a valid one for its spec and answers 2xx on a freshly started mockingjob (compare.py checks
each before the load). Paths are the spec's own; mockingjob serves them under ``/<api>``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml
from load import REPORTING, lua_string
from operations import APIS, BEARER, Operation

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WORKLOADS = ("polling", "varied")

# Scale reads are public; Coalesce and Trifacta need a bearer token on every call; Marquez has no auth.
READ_HEADERS: dict[str, dict[str, str]] = {"scale": {}, "coalesce": BEARER, "marquez": {}, "trifacta": BEARER}

Query = Iterable[tuple[str, object]]


@dataclass(frozen=True)
class Workload:
    api: str
    name: str
    """polling or varied."""
    requests: tuple[Operation, ...]

    @property
    def label(self) -> str:
        return f"{self.api} {self.name}"


def get(api: str, kind: str, template: str, query: Query = (), **params: object) -> Operation:
    """A GET of the spec path `template` with its path parameters filled in (percent-encoded) and `query`."""
    path = template.format(**{name: quote(str(value), safe="") for name, value in params.items()})
    encoded = urlencode(list(query))
    return Operation(api, kind, "GET", path + (f"?{encoded}" if encoded else ""), READ_HEADERS[api],
                     template=template)


def fixture(api: str, kind: str) -> list[dict[str, Any]]:
    """The records of fixtures/<api>/<kind>.yaml."""
    return yaml.safe_load((FIXTURES / api / f"{kind}.yaml").read_text()) or []


def pages(count: int, size: int) -> range:
    """The page numbers (1-based) that hold `count` records `size` to a page: a page past the last is a 404."""
    return range(1, max(1, math.ceil(count / size)) + 1)


def offsets(count: int, size: int) -> range:
    return range(0, max(count, 1), size)


# --- polling ----------------------------------------------------------------------------------------------

# Scale job 20 runs for 3 h 21 min from 22 min before seeding (fixtures/scale/jobs.yaml).
SCALE_JOB_IN_FLIGHT = 20
# Coalesce run 16 is a deploy started 15 min before seeding whose batches take 30 min each (runs.yaml).
COALESCE_RUN_IN_FLIGHT = 16
MARQUEZ_JOB = ("food_delivery", "etl_delivery_7_days")
# Its run that is RUNNING (fixtures/marquez/jobs.yaml).
MARQUEZ_RUN_IN_FLIGHT = "99d80d61-b4d3-4f21-997b-eacfcb7b00bb"
# Trifacta job group 9 starts 2 s before seeding and runs two recipes one after the other (about 105 s): the
# longest in flight; each server is polled within that time of its start.
TRIFACTA_JOB_GROUP_IN_FLIGHT = 9


def polling(api: str) -> tuple[Operation, ...]:
    """The detail GET and the status GET of a run in flight."""
    if api == "scale":
        # Scale has no status path: clients read a job's status from the job list filtered by its id.
        return (get(api, "detail", "/v6/jobs/{job_id}/", job_id=SCALE_JOB_IN_FLIGHT),
                get(api, "status", "/v6/jobs/", [("job_id", SCALE_JOB_IN_FLIGHT)]))
    if api == "coalesce":
        return (get(api, "detail", "/api/v1/runs/{runID}", runID=COALESCE_RUN_IN_FLIGHT),
                get(api, "status", "/scheduler/runStatus", [("runCounter", COALESCE_RUN_IN_FLIGHT)]))
    if api == "marquez":
        namespace, job = MARQUEZ_JOB
        return (get(api, "detail", "/api/v1/jobs/runs/{id}", id=MARQUEZ_RUN_IN_FLIGHT),
                get(api, "status", "/api/v1/namespaces/{namespace}/jobs/{job}", namespace=namespace, job=job))
    return (get(api, "detail", "/v4/jobGroups/{id}", id=TRIFACTA_JOB_GROUP_IN_FLIGHT),
            get(api, "status", "/v4/jobGroups/{id}/status", id=TRIFACTA_JOB_GROUP_IN_FLIGHT))


# --- varied: Scale ----------------------------------------------------------------------------------------

SCALE_JOB_STATUSES = ("PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED")


def scale_details() -> list[Operation]:
    api = "scale"
    found = [get(api, "detail", "/v6/jobs/{job_id}/", job_id=job["id"]) for job in fixture(api, "jobs")]
    for kind, template, name in (("files", "/v6/files/{file_id}/", "file_id"),
                                 ("recipes", "/v6/recipes/{recipe_id}/", "recipe_id"),
                                 ("batches", "/v6/batches/{batch_id}/", "batch_id"),
                                 ("nodes", "/v6/nodes/{node_id}/", "node_id"),
                                 ("workspaces", "/v6/workspaces/{workspace_id}/", "workspace_id"),
                                 ("errors", "/v6/errors/{error_id}/", "error_id")):
        found += [get(api, "detail", template, **{name: record["id"]}) for record in fixture(api, kind)]
    found += [get(api, "detail", "/v6/job-types/{name}/{version}/", name=t["name"], version=t["version"])
              for t in fixture(api, "job_types")]
    return found


def scale_lists() -> list[Operation]:
    api = "scale"
    jobs, files, job_types = fixture(api, "jobs"), fixture(api, "files"), fixture(api, "job_types")
    found = [get(api, "list", "/v6/jobs/", [("page_size", size), ("page", page)])
             for size in (10, 25) for page in pages(len(jobs), size)]
    found += [get(api, "list", "/v6/jobs/", [("status", status), ("order", "-last_modified"), ("page_size", 25)])
              for status in SCALE_JOB_STATUSES]
    found += [get(api, "list", "/v6/jobs/", [("job_type_id", t["id"]), ("page_size", 25)]) for t in job_types]
    found += [get(api, "list", "/v6/jobs/", [("job_type_name", name), ("status", "COMPLETED"), ("page_size", 25)])
              for name in sorted({t["name"] for t in job_types})]
    found += [get(api, "list", "/v6/jobs/", [("batch_id", b["id"])]) for b in fixture(api, "batches")]
    found += [get(api, "list", "/v6/jobs/", [("recipe_id", r["id"])]) for r in fixture(api, "recipes")]
    found += [get(api, "list", "/v6/jobs/", [("is_superseded", flag), ("order", "id"), ("page_size", 25)])
              for flag in ("true", "false")]
    found += [get(api, "list", "/v6/jobs/", [("error_category", c)]) for c in ("SYSTEM", "DATA", "ALGORITHM")]
    found += [get(api, "list", "/v6/files/", [("page_size", 20), ("page", page)]) for page in pages(len(files), 20)]
    found += [get(api, "list", "/v6/files/", [("job_type_id", t["id"]), ("order", "-created")]) for t in job_types]
    found += [get(api, "list", "/v6/job-types/", [("is_active", flag)]) for flag in ("true", "false")]
    for template in ("/v6/recipes/", "/v6/batches/", "/v6/nodes/", "/v6/workspaces/", "/v6/errors/"):
        found += [get(api, "list", template, [("page_size", 2), ("page", 1)]), get(api, "list", template)]
    found += [get(api, "list", "/v6/errors/", [("category", c)]) for c in ("SYSTEM", "DATA", "ALGORITHM")]
    return found


# --- varied: Coalesce -------------------------------------------------------------------------------------

COALESCE_RUN_STATUSES = ("canceled", "completed", "failed", "initializing", "rendering", "running", "waitingToRun")


def coalesce_details() -> list[Operation]:
    api = "coalesce"
    runs = fixture(api, "runs")
    found = [get(api, "detail", "/api/v1/runs/{runID}", runID=run["id"]) for run in runs]
    found += [get(api, "detail", "/scheduler/runStatus", [("runCounter", run["id"])]) for run in runs]
    found += [get(api, "detail", "/api/v1/environments/{environmentID}", environmentID=env["id"])
              for env in fixture(api, "environments")]
    found += [get(api, "detail", "/api/v1/environments/{environmentID}/nodes/{nodeID}",
                  environmentID=node["environment"], nodeID=node["id"]) for node in fixture(api, "nodes")]
    for job in fixture(api, "jobs"):
        found += [get(api, "detail", "/api/v1/environments/{environmentID}/jobs/{jobID}",
                      environmentID=job["environment"], jobID=job["id"]),
                  get(api, "detail", "/api/v1/workspaces/{workspaceID}/jobs/{jobID}",
                      workspaceID=job["workspace"], jobID=job["id"])]
    return found


def coalesce_lists() -> list[Operation]:
    api = "coalesce"
    runs = fixture(api, "runs")
    found = [get(api, "list", "/api/v1/runs", [("limit", 5), ("startingFrom", run["id"])]) for run in runs[::5]]
    found += [get(api, "list", "/api/v1/runs", [("runStatus", status), ("detail", "true")])
              for status in COALESCE_RUN_STATUSES]
    found += [get(api, "list", "/api/v1/runs", [("runType", run_type), ("orderBy", "runStartTime"),
                                                 ("orderByDirection", "asc"), ("limit", 10)])
              for run_type in ("deploy", "refresh")]
    environments = fixture(api, "environments")
    found += [get(api, "list", "/api/v1/runs", [("environmentID", env["id"]), ("limit", 10)]) for env in environments]
    found += [get(api, "list", "/api/v1/environments", [("detail", detail)]) for detail in ("true", "false")]
    for env in environments:
        found += [get(api, "list", "/api/v1/environments/{environmentID}/nodes", [("detail", "true")],
                      environmentID=env["id"]),
                  get(api, "list", "/api/v1/environments/{environmentID}/nodes", [("limit", 3)],
                      environmentID=env["id"]),
                  get(api, "list", "/api/v1/environments/{environmentID}/jobs", environmentID=env["id"])]
    found += [get(api, "list", "/api/v1/workspaces/{workspaceID}/jobs", [("limit", 2)], workspaceID=ws["id"])
              for ws in fixture(api, "workspaces")]
    return found


# --- varied: Marquez --------------------------------------------------------------------------------------

MARQUEZ_RUN_STATES = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")


def marquez_records() -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """Jobs, runs and datasets of the fixtures: jobs.yaml and what the seeded lineage events add."""
    jobs = [(job["namespace"], job["name"]) for job in fixture("marquez", "jobs")]
    runs = [run["id"] for job in fixture("marquez", "jobs") for run in job["runs"]]
    datasets = [(d["namespace"], d["name"]) for d in fixture("marquez", "datasets")]
    for event in fixture("marquez", "events"):
        jobs.append((event["job"]["namespace"], event["job"]["name"]))
        runs.append(event["run"]["runId"])
        datasets += [(d["namespace"], d["name"]) for d in event.get("inputs", []) + event.get("outputs", [])]
    return list(dict.fromkeys(jobs)), list(dict.fromkeys(runs)), list(dict.fromkeys(datasets))


def marquez_details() -> list[Operation]:
    api = "marquez"
    jobs, runs, datasets = marquez_records()
    found = [get(api, "detail", "/api/v1/namespaces/{namespace}", namespace=ns["name"])
             for ns in fixture(api, "namespaces")]
    found += [get(api, "detail", "/api/v1/namespaces/{namespace}/jobs/{job}", namespace=ns, job=name)
              for ns, name in jobs]
    found += [get(api, "detail", "/api/v1/jobs/runs/{id}", id=run) for run in runs]
    found += [get(api, "detail", "/api/v1/namespaces/{namespace}/datasets/{dataset}", namespace=ns, dataset=name)
              for ns, name in datasets]
    return found


def marquez_lists() -> list[Operation]:
    api = "marquez"
    jobs, _, _ = marquez_records()
    namespaces = [ns["name"] for ns in fixture(api, "namespaces")]
    found = [get(api, "list", "/api/v1/namespaces", [("limit", 2), ("offset", offset)])
             for offset in offsets(len(namespaces), 2)]
    found += [get(api, "list", "/api/v1/jobs", [("limit", 5), ("offset", offset)]) for offset in offsets(len(jobs), 5)]
    found += [get(api, "list", "/api/v1/jobs", [("lastRunStates", state)]) for state in MARQUEZ_RUN_STATES]
    for namespace in namespaces:
        found += [get(api, "list", "/api/v1/namespaces/{namespace}/jobs", [("limit", 3)], namespace=namespace),
                  get(api, "list", "/api/v1/namespaces/{namespace}/datasets", [("limit", 5)], namespace=namespace)]
    for job in fixture(api, "jobs"):
        found += [get(api, "list", "/api/v1/namespaces/{namespace}/jobs/{job}/runs", [("limit", 2), ("offset", o)],
                      namespace=job["namespace"], job=job["name"]) for o in offsets(len(job["runs"]), 2)]
    return found


# --- varied: Trifacta -------------------------------------------------------------------------------------

TRIFACTA_DETAILS = (("job_groups", "/v4/jobGroups/{id}"), ("flows", "/v4/flows/{id}"),
                    ("imported_datasets", "/v4/importedDatasets/{id}"),
                    ("wrangled_datasets", "/v4/wrangledDatasets/{id}"), ("output_objects", "/v4/outputObjects/{id}"))
TRIFACTA_LISTS = (("job_groups", "/v4/jobGroups"), ("flows", "/v4/flows"),
                  ("imported_datasets", "/v4/importedDatasets"), ("wrangled_datasets", "/v4/wrangledDatasets"),
                  ("output_objects", "/v4/outputObjects"))


def trifacta_details() -> list[Operation]:
    api = "trifacta"
    found = [get(api, "detail", template, id=record["id"]) for kind, template in TRIFACTA_DETAILS
             for record in fixture(api, kind)]
    found += [get(api, "detail", "/v4/jobGroups/{id}/status", id=group["id"]) for group in fixture(api, "job_groups")]
    found += [get(api, "detail", "/v4/jobGroups/{id}", [("embed", "jobs")], id=group["id"])
              for group in fixture(api, "job_groups")[::3]]
    return found


def trifacta_lists() -> list[Operation]:
    api = "trifacta"
    found = []
    for kind, template in TRIFACTA_LISTS:
        count = len(fixture(api, kind))
        found += [get(api, "list", template, [("limit", 3), ("offset", offset)]) for offset in offsets(count, 3)]
        found.append(get(api, "list", template, [("sort", "-createdAt"), ("limit", 25)]))
    found += [get(api, "list", "/v4/jobGroups", [("flowNodeId", recipe["id"])])
              for recipe in fixture(api, "wrangled_datasets")]
    found += [get(api, "list", "/v4/jobGroups", [("embed", "jobs"), ("limit", 5)]),
              get(api, "list", "/v4/flows", [("includeCount", "true")]),
              get(api, "list", "/v4/wrangledDatasets", [("embed", "outputObjects"), ("limit", 5)])]
    return found


# --- the workloads ----------------------------------------------------------------------------------------

VARIED = {"scale": (scale_details, scale_lists), "coalesce": (coalesce_details, coalesce_lists),
          "marquez": (marquez_details, marquez_lists), "trifacta": (trifacta_details, trifacta_lists)}


def varied(api: str) -> tuple[Operation, ...]:
    """Every record's detail and every list request of `api`, in an order shuffled once and for all: consecutive
    requests name different routes, records and pages, and every run sends them in the same order."""
    details, lists = VARIED[api]
    found = list({op.path: op for op in [*details(), *lists()]}.values())  # each request once
    random.Random(f"varied {api}").shuffle(found)
    return tuple(found)


def workloads(names: Iterable[str]) -> tuple[Workload, ...]:
    """The named workloads for every API, in the order named."""
    build = {"polling": polling, "varied": varied}
    return tuple(Workload(api, name, build[name](api)) for name in names for api in APIS)


def walk_script(requests: tuple[Operation, ...]) -> str:
    """A wrk script whose request() sends `requests` round-robin. Each is formatted once, in init(), under the
    path of the URL wrk is given (``/scale`` for mockingjob, none for Prism)."""
    entries = []
    for op in requests:
        headers = ", ".join(f"[ {lua_string(k)} ] = {lua_string(v)}" for k, v in op.headers.items())
        body = lua_string(op.body) if op.body is not None else "nil"
        entries.append(f"  {{{lua_string(op.method)}, {lua_string(op.path)}, {{{headers}}}, {body}}},")
    return "\n".join([
        "local calls = {", *entries, "}",
        "local prepared = {}",
        "local sent = 0",
        "init = function(args)",
        "  local prefix = (wrk.path:gsub('/$', ''))",
        "  for i, call in ipairs(calls) do",
        "    prepared[i] = wrk.format(call[1], prefix .. call[2], call[3], call[4])",
        "  end",
        "end",
        "request = function()",
        "  sent = sent % #prepared + 1",
        "  return prepared[sent]",
        "end",
    ]) + "\n" + REPORTING


def write_walk_scripts(chosen: tuple[Workload, ...], folder: Path) -> dict[str, Path]:
    """One Lua script per workload; return them by workload label."""
    scripts = {}
    for workload in chosen:
        path = folder / f"{workload.api}-{workload.name}.lua"
        path.write_text(walk_script(workload.requests))
        scripts[workload.label] = path
    return scripts
