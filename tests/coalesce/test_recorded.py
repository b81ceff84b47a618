"""Recording the Coalesce service (`CoalescePack.records_from_answer`): the records its answers describe, served
by a fresh mock at the same clock instant, answer the recorded requests with the same documents."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from mockingjob.check import run_checks
from mockingjob.client import Mockingjob
from mockingjob.core.config import Config
from mockingjob.core.pack import Answer, Mentioned
from mockingjob.live import LiveServer
from mockingjob.packs.coalesce import pack
from mockingjob.recorder.fixture_files import write_fixture_folder
from mockingjob.recorder.records import RecordSet
from tests.coalesce.helpers import BASIC, TOKEN
from tests.conftest import EPOCH
from tests.support.recorder import Recorder

T = EPOCH


@dataclass(frozen=True)
class Request:
    operation_id: str
    path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exchange:
    request: Request
    status: int
    body: Any


@pytest.fixture(scope="module")
def server_a() -> Iterator[httpx.Client]:
    """The built-in fixtures, seeded relative to T on a stopped clock."""
    with LiveServer(Config(apis=["coalesce"], speed=0)) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("coalesce")
        with httpx.Client(base_url=admin.url("coalesce"), headers=TOKEN, timeout=30) as client:
            yield client


def ask(client: httpx.Client, request: Request) -> Exchange:
    response = client.get(request.path, params=request.query)
    return Exchange(request, response.status_code, response.json())


def answer(exchange: Exchange, method: str = "GET", request_body: Any = None) -> Answer:
    request = exchange.request
    return Answer(request.operation_id, method, request.path, request.path_params,
                  {name: [value] for name, value in request.query.items()}, request_body, exchange.status,
                  exchange.body, T)


def record(folder: Path, answers: list[Answer]) -> dict[str, list[dict[str, Any]]]:
    records = RecordSet(pack)
    for each in answers:
        records.add_answer(each)
    write_fixture_folder(folder, "coalesce", records.by_kind(), origin="https://app.coalescesoftware.io")
    return records.by_kind()


def replay(folder: Path, requests: list[Request]) -> list[Exchange]:
    """The answers of a fresh mock serving only the recorded records, seeded at T and asked at T."""
    with LiveServer(Config(apis=["coalesce"], speed=0, fixtures=[str(folder)])) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("coalesce")
        with httpx.Client(base_url=admin.url("coalesce"), headers=TOKEN, timeout=30) as client:
            return [ask(client, request) for request in requests]


def run_requests(run_ids: list[int]) -> list[Request]:
    return [Request("Runs_getRunDetails", f"/api/v1/runs/{run}", {"runID": str(run)}) for run in run_ids]


def list_requests() -> list[Request]:
    """What a client asks first: the environments and the runs."""
    runs = "/api/v1/runs"
    return [Request("Environments_listInformation", "/api/v1/environments", query={"detail": "true"}),
            Request("Environments_listInformation", "/api/v1/environments"),
            Request("Runs_listInformation", runs, query={"detail": "true", "limit": "100"}),
            Request("Runs_listInformation", runs, query={"limit": "100"}),
            Request("Runs_listInformation", runs, query={"runStatus": "running", "limit": "5"})]


def catalog_requests(client: httpx.Client) -> list[Request]:
    """Each environment alone, its nodes and jobs (listed, and each alone), and the jobs of the workspaces they
    are defined in."""
    requests: list[Request] = []
    environments = [env["id"] for env in client.get("/api/v1/environments").json()["data"]]
    for e in environments:
        requests.append(Request("Environments_getInformation", f"/api/v1/environments/{e}", {"environmentID": e}))
        nodes = Request("Nodes_list", f"/api/v1/environments/{e}/nodes", {"environmentID": e}, {"detail": "true"})
        requests += [nodes, Request("Nodes_list", nodes.path, {"environmentID": e})]
        for node in client.get(nodes.path).json()["data"][:2]:
            requests.append(Request("Nodes_getInformation", f"{nodes.path}/{node['id']}",
                                    {"environmentID": e, "nodeID": node["id"]}))
        jobs = Request("EnvironmentJobs_list", f"/api/v1/environments/{e}/jobs", {"environmentID": e})
        requests.append(jobs)
        for job in client.get(jobs.path).json()["data"]:
            requests.append(Request("EnvironmentJobs_get", f"{jobs.path}/{job['id']}",
                                    {"environmentID": e, "jobID": job["id"]}))
    for workspace in WORKSPACES:
        requests.append(Request("WorkspaceJobs_list", f"/api/v1/workspaces/{workspace}/jobs",
                                {"workspaceID": workspace}))
    return requests


WORKSPACES = ("1", "5")  # no endpoint lists the workspaces: a client knows their IDs
STARTED_RUN = {"runDetails": {"environmentID": "2", "jobID": "1", "parallelism": 3}, "userCredentials": BASIC,
               "parameters": {"LOAD_MODE": "full"}}


@dataclass(frozen=True)
class Visit:
    """A client's visit to server A, as a real client asks: lists first, then details, then a run started
    and read, then the lists again. `answers` in the order asked; `latest` each GET's last exchange."""

    answers: list[Answer]
    latest: dict[str, Exchange]
    started: int


@pytest.fixture(scope="module")
def visit(server_a: httpx.Client) -> Visit:
    answers: list[Answer] = []
    latest: dict[str, Exchange] = {}

    def read(requests: list[Request]) -> None:
        for request in requests:
            exchange = ask(server_a, request)
            assert exchange.status == 200, (request, exchange.body)
            answers.append(answer(exchange))
            latest[address(request)] = exchange

    read(list_requests())
    listed = latest[address(list_requests()[2])].body["data"]
    run_ids = [run["id"] for run in listed]
    statuses = {run["runStatus"] for run in listed}
    assert statuses == {"waitingToRun", "initializing", "rendering", "running", "completed", "failed", "canceled"}
    read([*catalog_requests(server_a), *run_requests(run_ids)])
    # A run started while recording is recorded from its runCounter, then from what reading it tells.
    started = server_a.post("/scheduler/startRun", json=STARTED_RUN)
    assert started.status_code == 200, started.text
    answers.append(answer(Exchange(Request("Jobs_initiateRun", "/scheduler/startRun"), 200, started.json()), "POST",
                          STARTED_RUN))
    read([*run_requests([started.json()["runCounter"]]), *list_requests()])
    return Visit(answers, latest, started.json()["runCounter"])


def address(request: Request) -> str:
    return f"{request.path}?{urlencode(request.query)}"


def assert_replays(folder: Path, latest: dict[str, Exchange]) -> None:
    """A mock serving `folder` answers each request as it was last answered."""
    requests = [exchange.request for exchange in latest.values()]
    for before, after in zip(latest.values(), replay(folder, requests), strict=True):
        request = before.request
        assert after.status == 200, (request, after.body)
        assert without_rerun_node_counts(after.body) == without_rerun_node_counts(before.body), request


@pytest.mark.subprocess
def test_a_recording_replays_every_request_with_the_same_documents(visit: Visit, tmp_path: Path) -> None:
    records = record(tmp_path, visit.answers)
    assert visit.started in {run["id"] for run in records["runs"]}
    # Job 1's environment is told by the environment's job list, its workspace by the workspace's: neither
    # answer's stand-in for the other survives.
    assert {"id": 1, "environment": "2", "workspace": "1"}.items() <= next(
        job for job in records["jobs"] if job["id"] == 1).items()
    assert all("unrecorded" not in (found["id"] for found in records.get(kind, []))
               for kind in ("users", "workspaces", "environments"))
    assert_replays(tmp_path, visit.latest)


@pytest.mark.subprocess
def test_a_recording_in_any_order_writes_the_same_records(visit: Visit, tmp_path: Path) -> None:
    shuffled = list(visit.answers)
    random.Random(20260302).shuffle(shuffled)
    assert shuffled != visit.answers
    records = record(tmp_path / "shuffled", shuffled)
    assert records == record(tmp_path / "in-order", visit.answers)
    assert_replays(tmp_path / "shuffled", visit.latest)


def without_rerun_node_counts(body: Any) -> Any:
    """`body` without the node counts of reruns' details: a rerun runs the nodes its first run left unfinished,
    which no answer but its results names, so a recorded rerun runs its selectors' nodes."""
    def plain(run: dict[str, Any]) -> dict[str, Any]:
        if run.get("reRunID") is None or "runDetails" not in run:
            return run
        details = {k: v for k, v in run["runDetails"].items() if k not in ("nodesInRun", "nodesForRefresh")}
        return {**run, "runDetails": details}
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": [plain(item) if isinstance(item, dict) else item for item in body["data"]]}
    return plain(body) if isinstance(body, dict) else body


@pytest.mark.subprocess
def test_a_run_recorded_alone_replays_its_detail(server_a: httpx.Client, tmp_path: Path) -> None:
    # One run in each state but the first's (the deploy in flight is "running", the refresh "rendering"…).
    listed = server_a.get("/api/v1/runs", params={"limit": 100}).json()["data"]
    by_status: dict[str, int] = {}
    for run in listed:
        if run.get("reRunID") is None:
            by_status.setdefault(run["runStatus"], run["id"])
    requests = run_requests(sorted(by_status.values()))
    recorded = [ask(server_a, request) for request in requests]
    record(tmp_path, [answer(exchange) for exchange in recorded])

    for before, after in zip(recorded, replay(tmp_path, requests), strict=True):
        assert after.status == 200, after.body
        # Which nodes a run processes is not told, nor are its environment's nodes: it processes none.
        expected = {**before.body, "runDetails": {k: v for k, v in before.body["runDetails"].items()
                                                  if k not in ("nodesInRun", "nodesForRefresh")}}
        assert after.body["runDetails"].pop("nodesInRun") == 0
        after.body["runDetails"].pop("nodesForRefresh", None)
        assert after.body == expected


@pytest.mark.subprocess
def test_a_workspaces_jobs_recorded_alone_replay(server_a: httpx.Client, tmp_path: Path) -> None:
    requests = [Request("WorkspaceJobs_list", "/api/v1/workspaces/1/jobs", {"workspaceID": "1"}),
                Request("WorkspaceJobs_get", "/api/v1/workspaces/5/jobs/4", {"workspaceID": "5", "jobID": "4"})]
    recorded = [ask(server_a, request) for request in requests]
    assert len(recorded[0].body["data"]) > 1
    record(tmp_path, [answer(exchange) for exchange in recorded])
    assert [after.body for after in replay(tmp_path, requests)] == [before.body for before in recorded]


@pytest.mark.subprocess
def test_a_recorded_folder_passes_check(server_a: httpx.Client, tmp_path: Path) -> None:
    listed = Request("Runs_listInformation", "/api/v1/runs", query={"detail": "true", "limit": "100"})
    requests = [listed, Request("Environments_listInformation", "/api/v1/environments", query={"detail": "true"}),
                Request("Nodes_list", "/api/v1/environments/2/nodes", {"environmentID": "2"}),
                Request("WorkspaceJobs_list", "/api/v1/workspaces/1/jobs", {"workspaceID": "1"})]
    record(tmp_path, [answer(ask(server_a, request)) for request in requests])
    assert run_checks(["coalesce"], [tmp_path]) == []


def test_one_answer_makes_a_folder_that_loads(tmp_path: Path) -> None:
    """What one answer tells is a complete set of records: each passes its schema, its references among them."""
    detail = {"id": 7, "runType": "refresh", "environmentID": "9", "runStatus": "running", "userID": "u1",
              "runStartTime": "2026-03-02T11:59:00.000Z", "reRunID": "6", "runHistory": [6],
              "runDetails": {"jobID": "12", "jobName": "Nightly", "parallelism": 2},
              "userCredentials": {"snowflakeAccount": "acme", "snowflakeAuthType": "Basic"}}
    answered = pack.records_from_answer(Answer("Runs_getRunDetails", "GET", "/api/v1/runs/7", {"runID": "7"}, {},
                                               None, 200, detail, T))
    # What it only names is a stand-in; the run, and what it tells of its environment and job, are not.
    assert [type(found) for found in answered["runs"]] == [dict]
    assert [type(found) for found in answered["workspaces"]] == [Mentioned]
    assert [type(found) for found in answered["environments"]] == [dict, Mentioned]
    records = merged([answered])
    assert {kind: [r["id"] for r in found] for kind, found in records.items()} == {
        "users": ["u1"], "environments": ["9"], "workspaces": ["unrecorded"], "jobs": [12], "runs": [7]}
    run = records["runs"][0]
    assert "rerunOf" not in run  # run 6 is recorded by no answer here
    assert run["started"] == "-PT1M" and run["credentials"] == {"authType": "Basic"}
    assert records["environments"][0]["connectionAccount"] == "acme"
    assert records["jobs"][0] == {"id": 12, "environment": "9", "name": "Nightly", "workspace": "unrecorded"}
    write_fixture_folder(tmp_path, "coalesce", records, origin="https://app.coalescesoftware.io")
    assert run_checks(["coalesce"], [tmp_path]) == []


@pytest.mark.parametrize("operation, body, status", [
    ("Runs_listInformation", [{"id": 1}], 200),
    ("Runs_listInformation", {"data": {"id": 1}}, 200),
    ("Runs_listInformation", {"data": [1, "two", None, {"id": "x", "runType": "deploy"}]}, 200),
    ("Runs_getRunDetails", {"id": 3, "runType": "refresh", "environmentID": "2", "runStatus": "completed",
                            "runStartTime": "not a time"}, 200),
    ("Runs_getRunDetails", {"id": True, "runType": "refresh", "environmentID": "2", "runStatus": "completed",
                            "runStartTime": "2026-03-01T00:00:00Z"}, 200),
    ("Runs_getRunDetails", {"id": 3, "runType": "refresh", "environmentID": "2", "runStatus": "exploded",
                            "runStartTime": "2026-03-01T00:00:00Z"}, 200),
    ("Runs_getRunDetails", {"error": {"errorString": "Run 3 not found."}}, 404),
    ("Environments_getInformation", "an environment", 200),
    ("Environments_listInformation", {"data": [{"id": 2, "name": None}]}, 200),
    ("Nodes_list", {"data": [{"id": "n1"}]}, 200),
    ("EnvironmentJobs_get", {"id": "not a number"}, 200),
    ("Jobs_initiateRun", {"runCounter": "many"}, 200),
    ("Jobs_initiateRun", None, 200),
    ("Jobs_getStatusUpdates", {"runStatus": "running"}, 200),
    (None, {"anything": 1}, 200),
])
def test_odd_answers_describe_nothing(operation: str | None, body: Any, status: int) -> None:
    odd = Answer(operation, "GET", "/api/v1/x", {}, {}, ["not", "an", "object"], status, body, T)
    assert pack.records_from_answer(odd) == {}


def test_what_an_odd_answer_tells_is_kept() -> None:
    body = {"data": [{"id": "n1", "name": 5, "locationName": "STG"}, "junk"]}
    nodes = pack.records_from_answer(Answer("Nodes_list", "GET", "/api/v1/environments/2/nodes",
                                            {"environmentID": "2"}, {}, None, 200, body, T))
    assert nodes["nodes"] == [{"id": "n1", "environment": "2", "location": "STG"},
                              {"id": "n1", "name": "unrecorded", "nodeType": "unrecorded", "database": "unrecorded",
                               "schema": "unrecorded"}]
    assert isinstance(nodes["nodes"][1], Mentioned) and not isinstance(nodes["nodes"][0], Mentioned)
    assert merged([nodes])["nodes"] == [{"id": "n1", "environment": "2", "location": "STG", "name": "unrecorded",
                                         "nodeType": "unrecorded", "database": "unrecorded", "schema": "unrecorded"}]


def merged(answered: list[Mapping[str, Sequence[Mapping[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    """The records of several answers, merged (in the order given) as the recorder merges them."""
    records = RecordSet(pack)
    for each in answered:
        for kind, found in each.items():
            records.add(kind, found)
    return records.by_kind()


def catalog_answer(operation: str, path: str, params: dict[str, str], body: Any) -> Answer:
    return Answer(operation, "GET", path, params, {}, None, 200, body, T)


ENVIRONMENTS = catalog_answer("Environments_listInformation", "/api/v1/environments", {}, {"data": [
    {"id": "2", "name": "Production", "project": "1", "connectionAccount": "acme-prod",
     "createdAt": "2026-01-01T00:00:00.000Z", "createdBy": {"id": "u1", "firstName": "Dana", "lastName": "W"}}]})
NODES = catalog_answer("Nodes_list", "/api/v1/environments/2/nodes", {"environmentID": "2"}, {"data": [
    {"id": "n2", "name": "STG_B", "locationName": "STG", "nodeType": "Stage", "database": "DB", "schema": "STG"},
    {"id": "n1", "name": "STG_A", "locationName": "STG", "nodeType": "Stage", "database": "DB", "schema": "STG"}]})
JOB = {"id": "1", "name": "Daily", "includeSelector": "", "excludeSelector": ""}
ENVIRONMENT_JOBS = catalog_answer("EnvironmentJobs_list", "/api/v1/environments/2/jobs", {"environmentID": "2"},
                                  {"data": [JOB]})
WORKSPACE_JOBS = catalog_answer("WorkspaceJobs_list", "/api/v1/workspaces/5/jobs", {"workspaceID": "5"},
                                {"data": [JOB]})
RUN = catalog_answer("Runs_getRunDetails", "/api/v1/runs/3", {"runID": "3"}, {
    "id": 3, "runType": "refresh", "environmentID": "2", "runStatus": "completed", "userID": "u2",
    "runStartTime": "2026-03-01T00:00:00.000Z", "runEndTime": "2026-03-01T00:01:00.000Z",
    "runDetails": {"jobID": "1", "jobName": "Daily"}, "userCredentials": {"snowflakeAccount": "acme-prod"}})


@pytest.mark.parametrize("order", [
    [ENVIRONMENTS, NODES, ENVIRONMENT_JOBS, WORKSPACE_JOBS, RUN],
    [RUN, WORKSPACE_JOBS, ENVIRONMENT_JOBS, NODES, ENVIRONMENTS],
    [NODES, RUN, ENVIRONMENTS, WORKSPACE_JOBS, ENVIRONMENT_JOBS],
])
def test_what_one_answer_tells_wins_over_what_another_fills_in(order: list[Answer]) -> None:
    records = merged([pack.records_from_answer(each) for each in order])
    assert records["environments"] == [{"id": "2", "name": "Production", "project": "1",
                                        "connectionAccount": "acme-prod", "createdAt": "-P60DT12H",
                                        "createdBy": "u1"}]
    assert records["jobs"] == [{"id": 1, "environment": "2", "workspace": "5", "name": "Daily", "include": None,
                                "exclude": None}]
    # The stand-ins no record refers to any more are left out; every kind is in ID order.
    assert records["workspaces"] == [{"id": "5", "name": "5", "project": "unrecorded"}]
    assert records["users"] == [{"id": "u1", "firstName": "Dana", "lastName": "W"}, {"id": "u2"}]
    assert [node["id"] for node in records["nodes"]] == ["n1", "n2"]


def test_a_stand_in_something_refers_to_is_kept() -> None:
    records = merged([pack.records_from_answer(WORKSPACE_JOBS)])
    assert records["environments"] == [{"id": "unrecorded", "name": "unrecorded", "project": "unrecorded",
                                        "connectionAccount": "unrecorded", "createdAt": "PT0S",
                                        "createdBy": "unrecorded"}]
    assert records["users"] == [{"id": "unrecorded"}]
    assert records["jobs"][0]["environment"] == "unrecorded"


def test_instants_are_relative_to_the_answer() -> None:
    body = {"id": 3, "runType": "deploy", "environmentID": "2", "runStatus": "canceled",
            "runStartTime": "2026-03-01T10:00:00.000Z", "runEndTime": "2026-03-01T10:00:04.500Z"}
    at = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
    run = pack.records_from_answer(Answer("Runs_getRunDetails", "GET", "/api/v1/runs/3", {"runID": "3"}, {}, None,
                                          200, body, at))["runs"][0]
    assert (run["started"], run["outcome"], run["canceledAfter"]) == ("-PT2H", "canceled", 4.5)


# --- through the real command ----------------------------------------------------------------------------------

PASSWORD = "sn0w-pa55-9f3e"  # sent in a run's credentials: no file of the recording may hold it


def get_all(base: str, paths: list[str], server: str | None = None) -> dict[str, Any]:
    """Each path's JSON answer (the last, for a path asked twice), with the address of the server that answered
    (`server`, else `base`) put aside: a run's status links to it, and the proxy passes answers on as they are."""
    with httpx.Client(base_url=base, headers=TOKEN, timeout=30) as client:
        answers = {}
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            answers[path] = json.loads(response.text.replace(server or base, "http://server"))
        return answers


def client_visit(base: str, server: str) -> dict[str, Any]:
    """A client's visit through `base` with `server`: lists, details (each environment's nodes among them: what
    an environment and its runs show of its nodes round-trips only with them), a run started with Snowflake
    credentials, its status polled, it and the lists read again. Answers each GET's last answer, by path."""
    lists = ["/api/v1/environments?detail=true", "/api/v1/runs?detail=true&limit=100"]
    seen = get_all(base, lists, server)
    environments = [f"/api/v1/environments/{environment['id']}" for environment in seen[lists[0]]["data"]]
    runs = [run["id"] for run in seen[lists[1]]["data"]][:4]
    details = [*environments, *(f"{environment}/nodes" for environment in environments),
               f"{environments[0]}/jobs", f"{environments[0]}/jobs/1", "/api/v1/workspaces/1/jobs",
               *(f"/api/v1/runs/{run}" for run in runs)]
    seen.update(get_all(base, details, server))
    body = {"runDetails": {"environmentID": "2", "jobID": "1"},
            "userCredentials": {"snowflakeUsername": "ANALYST", "snowflakePassword": PASSWORD,
                                "snowflakeAuthType": "Basic", "snowflakeRole": "TRANSFORMER"}}
    started = httpx.post(f"{base}/scheduler/startRun", json=body, headers=TOKEN, timeout=30)
    assert started.status_code == 200, started.text
    run = started.json()["runCounter"]
    polls = [f"/scheduler/runStatus?runCounter={run}"] * 2
    seen.update(get_all(base, [*polls, f"/api/v1/runs/{run}", f"/api/v1/runs/{run}/results", *lists], server))
    return seen


@pytest.mark.subprocess
def test_a_recorded_coalesce_serves_the_same_documents(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    with LiveServer(Config(apis=["coalesce"], speed=0)) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("coalesce")
        upstream = admin.url("coalesce")
        recorder = Recorder("coalesce", upstream, out, "--upstream-now", T.isoformat())
        try:
            recorded = client_visit(recorder.url, upstream)
        finally:
            assert recorder.stop() == 0, recorder.err

    with LiveServer(Config(apis=["coalesce"], speed=0, fixtures=[str(out)])) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("coalesce")
        replayed = get_all(admin.url("coalesce"), list(recorded))
    for path, before in recorded.items():
        assert without_rerun_node_counts(replayed[path]) == without_rerun_node_counts(before), path

    written = [path for path in out.rglob("*") if path.is_file()]
    assert "ANALYST" in (out / "coalesce" / "runs.yaml").read_text()  # the run's credentials were recorded
    assert [path for path in written if PASSWORD in path.read_text(errors="replace")] == []
    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "coalesce", "--fixtures", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
