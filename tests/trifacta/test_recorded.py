"""Recording the Trifacta service: the fixture records its answers describe (`records_from_answer`), written as a
fixture folder that a fresh server serves back with the same answers at the same instant.

The service recorded is the mock itself, on a manual clock: its built-in fixtures hold job groups in every state.
Answers are recorded in the order a client asks (lists, then details, then the lists again), shuffled, and through
the real recording proxy, in front of what an Airflow DAG asks through its Dataprep hook.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockingjob.check import run_checks
from mockingjob.client import Mockingjob
from mockingjob.core.config import Config
from mockingjob.kit import Answer
from mockingjob.live import LiveServer
from mockingjob.packs.trifacta import pack
from mockingjob.packs.trifacta.recorded import UNKNOWN_FLOW
from mockingjob.recorder.fixture_files import write_fixture_folder
from mockingjob.recorder.records import RecordSet
from tests.support.airflow_dataprep import dataprep_hook, dataprep_hook_class  # noqa: F401
from tests.support.recorder import Recorder

T = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TOKEN = "recording-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CAMPAIGN_COSTS = 13  # a recipe of the fixtures without dependencies, never run on its own
FIRST_RUN = {"execution": "spark", "profiler": True,
             "writeSettings": [{"path": "/out/costs.csv", "action": "create", "format": "csv"}]}
EVERY = {"noLimit": "true"}
WITH_JOBS = {"embed": "jobs,wrangledDataset"}
# Ids the mock numbers itself when it seeds (fixtures cannot give them): compared by place, not by value.
NUMBERED = ("jobs", "writeSettings", "publications", "writeSetting", "scriptResult", "scriptResults")


@dataclass(frozen=True)
class Request:
    operation_id: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)


def _served(fixtures: list[str] | None = None) -> Config:
    return Config(apis=["trifacta"], speed=0, tokens=[TOKEN], fixtures=fixtures or [])


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, httpx.Client]]:
    """Server A: the built-in fixtures, seeded at T, the clock stopped there."""
    with LiveServer(_served()) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("trifacta")
        with httpx.Client(base_url=admin.url("trifacta"), headers=AUTH, timeout=30) as http:
            yield url, http


def _answer(http: httpx.Client, request: Request) -> Answer:
    response = http.get(request.path, params=request.params)
    assert response.status_code == 200, response.text
    return Answer(request.operation_id, "GET", request.path, request.path_params,
                  {name: [value] for name, value in request.params.items()}, None, 200, response.json(), T)


def _ids(http: httpx.Client, path: str) -> list[int]:
    return [doc["id"] for doc in http.get(path, params=EVERY).json()["data"]]


def _renumbered(document: Any, numbered: bool = False) -> Any:
    """`document` with the ids of what the mock numbers when it seeds (jobs, write settings, publications)
    blanked: a fixture gives them no id, so a replay numbers them in its own order."""
    if isinstance(document, list):
        return [_renumbered(item, numbered) for item in document]
    if isinstance(document, dict):
        return {name: "<numbered>" if numbered and name == "id" else _renumbered(value, numbered or name in NUMBERED)
                for name, value in document.items()}
    return document


def _chained(groups: list[dict[str, Any]]) -> set[int]:
    """Job groups that ran more than one wrangle job (their recipe's dependencies too): no answer tells which
    recipe each ran, so a replay runs them as one wrangle job of the group's recipe (`recorded_runs`)."""
    return {group["id"] for group in groups
            if sum(job["jobType"] == "wrangle" for job in group["jobs"]["data"]) > 1}


def _comparable(document: Any, chained: set[int]) -> Any:
    """What of `document` a replay gives back exactly: ids numbered by the mock blanked, and the jobs of
    chained groups dropped."""
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return {**document, "data": [_comparable(item, chained) for item in document["data"]]}
    if isinstance(document, dict) and document.get("id") in chained and "jobs" in document:
        document = {name: value for name, value in document.items() if name != "jobs"}
    return _renumbered(document)


def _merged(answers: list[Answer]) -> dict[str, list[dict[str, Any]]]:
    """The records `answers` describe, merged as the recorder merges them, as it would write them."""
    records = RecordSet(pack)
    for answer in answers:
        records.add_answer(answer)
    return records.by_kind()


def _record(answers: list[Answer], folder: Path) -> dict[str, list[dict[str, Any]]]:
    records = _merged(answers)
    write_fixture_folder(folder, "trifacta", records, origin="http://recorded.example")
    return records


def _replayed(folder: Path, requests: list[Request]) -> list[Any]:
    """Server B: only the recorded records, seeded at T, answering `requests` there."""
    with LiveServer(_served([str(folder)])) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("trifacta")
        with httpx.Client(base_url=admin.url("trifacta"), headers=AUTH, timeout=30) as http:
            answers = []
            for request in requests:
                response = http.get(request.path, params=request.params)
                assert response.status_code == 200, f"{request.path}: {response.text}"
                answers.append(response.json())
            return answers


def _by_id(operation: str, path: str, ident: int, **params: str) -> Request:
    return Request(operation, path.format(ident), params, {"id": str(ident)})


@dataclass(frozen=True)
class Asked:
    """What a client asked the service (A) and what it answered: a run started, then GETs."""

    run: Answer
    requests: list[Request]
    answers: list[Answer]
    groups: list[int]

    @property
    def every_answer(self) -> list[Answer]:
        return [self.run, *self.answers]

    def details_of_groups(self) -> list[dict[str, Any]]:
        """Each job group with its jobs, as its own GET answered."""
        return [answer.body for answer in self.answers if answer.operation_id == "get_job_group"
                and "jobs" in answer.body]


def _client_requests(http: httpx.Client) -> tuple[list[Request], list[int]]:
    """As a client asks: the lists, then each record, with and without what it embeds, then the lists again,
    some with less than before (a job group list without the jobs the details embedded)."""
    groups, outputs = _ids(http, "/v4/jobGroups"), _ids(http, "/v4/outputObjects")
    recipes, datasets, flows = (_ids(http, "/v4/wrangledDatasets"), _ids(http, "/v4/importedDatasets"),
                                _ids(http, "/v4/flows"))
    lists = [
        Request("list_job_groups", "/v4/jobGroups", {"limit": "3", "sort": "-updatedAt"}),
        Request("list_job_groups", "/v4/jobGroups", EVERY),
        Request("list_output_objects", "/v4/outputObjects", {}),
        Request("list_wrangled_datasets", "/v4/wrangledDatasets", EVERY),
        Request("list_imported_datasets", "/v4/importedDatasets", {}),
        Request("list_flows", "/v4/flows", {}),
    ]
    details = [
        *(_by_id("get_job_group", "/v4/jobGroups/{}", ident, **WITH_JOBS) for ident in groups),
        *(_by_id("get_job_group", "/v4/jobGroups/{}", ident) for ident in groups),
        *(_by_id("get_output_object", "/v4/outputObjects/{}", ident, embed="writeSettings,publications")
          for ident in outputs),
        *(_by_id("get_wrangled_dataset", "/v4/wrangledDatasets/{}", ident) for ident in recipes),
        *(_by_id("get_imported_dataset", "/v4/importedDatasets/{}", ident) for ident in datasets),
        *(_by_id("get_flow", "/v4/flows/{}", ident, embed="flowNodes") for ident in flows),
    ]
    again = [
        Request("list_job_groups", "/v4/jobGroups", {**EVERY, **WITH_JOBS}),
        Request("list_job_groups", "/v4/jobGroups", EVERY),
        Request("list_output_objects", "/v4/outputObjects", {"embed": "writeSettings,publications"}),
        Request("list_wrangled_datasets", "/v4/wrangledDatasets", {**EVERY, "embed": "outputObjects"}),
        Request("list_imported_datasets", "/v4/importedDatasets", {"includeCount": "true"}),
        Request("list_flows", "/v4/flows", {"embed": "flowNodes", "includeCount": "true"}),
    ]
    return [*lists, *details, *again], groups


@pytest.fixture(scope="module")
def asked(service) -> Asked:
    _, http = service
    started = http.post("/v4/jobGroups", json={"wrangledDataset": {"id": CAMPAIGN_COSTS}, "overrides": FIRST_RUN})
    assert started.status_code == 201, started.text
    run = Answer("run_job_group", "POST", "/v4/jobGroups", {}, {},
                 {"wrangledDataset": {"id": CAMPAIGN_COSTS}, "overrides": FIRST_RUN}, 201, started.json(), T)
    requests, groups = _client_requests(http)
    assert started.json()["id"] in groups
    return Asked(run, requests, [_answer(http, request) for request in requests], groups)


def _assert_replayed_as_answered(folder: Path, asked: Asked) -> None:
    replayed = _replayed(folder, asked.requests)
    groups = asked.details_of_groups()
    assert {group["status"] for group in groups} == {"Created", "InProgress", "Complete", "Failed", "Canceled"}
    chained = _chained(groups)
    assert chained and chained < set(asked.groups)  # both kinds are compared
    for request, answer, again in zip(asked.requests, asked.answers, replayed, strict=True):
        assert _comparable(again, chained) == _comparable(answer.body, chained), request
    # A chained group replays with one wrangle job for its recipe and those it depends on, which ends when the
    # last of theirs did, and the rest of its jobs as they were.
    for request, answer, again in zip(asked.requests, asked.answers, replayed, strict=True):
        if request.operation_id == "get_job_group" and answer.body["id"] in chained and "jobs" in answer.body:
            jobs = [job for job in answer.body["jobs"]["data"] if job["jobType"] != "wrangle"]
            assert _renumbered(again["jobs"]["data"][1:], True) == _renumbered(jobs, True)


@pytest.mark.subprocess
def test_a_folder_recorded_as_a_client_asks_answers_every_request_as_the_service_did(asked, tmp_path):
    records = _record(asked.every_answer, tmp_path)
    assert [record["id"] for record in records["job_groups"]] == asked.groups[::-1]  # oldest first
    # The run request told where it writes; its jobs, seen later, only how many files: the request's stay.
    started = next(record for record in records["job_groups"] if record["id"] == asked.run.body["id"])
    assert started["writeSettings"] == FIRST_RUN["writeSettings"]
    # Every recipe's flow has been told: the stand-in flow is not written.
    assert UNKNOWN_FLOW not in {flow["id"] for flow in records["flows"]}
    _assert_replayed_as_answered(tmp_path, asked)


@pytest.mark.subprocess
def test_the_order_answers_are_recorded_in_changes_no_record(asked, tmp_path):
    in_order = _merged(asked.every_answer)
    shuffler = random.Random(20260302)
    for attempt in range(3):
        answers = list(asked.every_answer)
        shuffler.shuffle(answers)
        assert _record(answers, tmp_path / str(attempt)) == in_order, attempt
    _assert_replayed_as_answered(tmp_path / "2", asked)


@pytest.mark.subprocess
def test_a_job_group_seen_without_its_jobs_keeps_what_its_jobs_told(service):
    _, http = service
    for ident in _ids(http, "/v4/jobGroups"):
        told = _answer(http, _by_id("get_job_group", "/v4/jobGroups/{}", ident, embed="jobs"))
        less = _answer(http, _by_id("get_job_group", "/v4/jobGroups/{}", ident))
        fuller = _merged([told])
        assert _merged([told, less]) == fuller, ident
        assert _merged([less, told]) == fuller, ident
        assert _merged([less]) != fuller, ident  # the two answers do tell different plans


@pytest.mark.subprocess
def test_the_stand_in_flow_is_written_while_a_recipe_is_in_it(service):
    _, http = service
    outputs = _answer(http, Request("list_output_objects", "/v4/outputObjects", {}))
    flows = _answer(http, Request("list_flows", "/v4/flows", {"embed": "flowNodes"}))
    recipes_named = {record["wrangledDataset"] for record in _merged([outputs])["output_objects"]}
    alone = _merged([outputs])
    assert {recipe["flow"] for recipe in alone["wrangled_datasets"]} == {UNKNOWN_FLOW}
    assert [flow["id"] for flow in alone["flows"]] == [UNKNOWN_FLOW]
    for answers in ([outputs, flows], [flows, outputs]):
        records = _merged(answers)
        assert UNKNOWN_FLOW not in {flow["id"] for flow in records["flows"]}
        assert recipes_named <= {recipe["id"] for recipe in records["wrangled_datasets"]}


@pytest.mark.subprocess
def test_a_job_group_recorded_alone_replays_with_what_it_names(service, tmp_path):
    _, http = service
    for ident in _ids(http, "/v4/jobGroups"):
        request = _by_id("get_job_group", "/v4/jobGroups/{}", ident)
        answer = _answer(http, request)
        folder = tmp_path / str(ident)
        records = _record([answer], folder)
        assert set(records) == {"job_groups", "wrangled_datasets", "flows"}
        assert run_checks(["trifacta"], [folder]) == []
        assert _replayed(folder, [request]) == [answer.body], answer.body["status"]


@pytest.mark.subprocess
def test_the_recorded_folder_passes_check(service, tmp_path):
    _, http = service
    answers = [_answer(http, Request("list_job_groups", "/v4/jobGroups", {**EVERY, **WITH_JOBS})),
               _answer(http, Request("list_output_objects", "/v4/outputObjects",
                                     {"embed": "writeSettings,publications"})),
               _answer(http, _by_id("get_job_group_inputs", "/v4/jobGroups/{}/inputs", 7))]
    records = _record(answers, tmp_path)
    assert records["imported_datasets"] and records["output_objects"][0]["writeSettings"]
    assert run_checks(["trifacta"], [tmp_path]) == []


# --- through the recording proxy ------------------------------------------------------------------------------

AIRFLOW_RUN = {"wrangledDataset": {"id": CAMPAIGN_COSTS}, "overrides": {
    "execution": "dataflow", "profiler": True,
    "writesettings": [{"path": "gs://dataprep-results/campaign_costs.csv", "action": "create", "format": "csv"}]}}


def _airflow_dag_run(hook: Any, proxy: str) -> int:
    """What an Airflow DAG asks through its Dataprep hook (a run, its sensor's polls, the group and its jobs), and
    what a person checking on it then reads (the flow, the output objects, the other runs). Answers the run's id."""
    group_id: int = hook.run_job_group(body_request=AIRFLOW_RUN)["id"]
    for _ in range(3):  # the upstream's clock stands still: the run waits to start
        assert hook.get_job_group_status(job_group_id=group_id) == "Created"
    group = hook.get_job_group(job_group_id=group_id, embed="wrangledDataset", include_deleted=False)
    assert len(hook.get_jobs_for_job_group(job_id=group_id)["data"]) == 3
    with httpx.Client(base_url=proxy, headers=AUTH, timeout=30) as http:
        reads = [("/v4/flows", {"embed": "flowNodes"}), (f"/v4/flows/{group['wrangledDataset']['flow']['id']}", {}),
                 ("/v4/outputObjects", {}), ("/v4/jobGroups", {})]
        answers = [http.get(path, params=params) for path, params in reads]
        assert [answer.status_code for answer in answers] == [200] * len(reads)
        for output in answers[2].json()["data"]:
            http.get(f"/v4/outputObjects/{output['id']}", params={"embed": "writeSettings"}).raise_for_status()
    return group_id


def _recorded_gets(out: Path) -> list[dict[str, Any]]:
    lines = (out / "_exchanges" / "trifacta.jsonl").read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if entry["method"] == "GET"]


def _numbered_blank(entry: dict[str, Any], document: Any) -> Any:
    """`document` with the ids the mock numbers blanked (`_renumbered`), those of a group's jobs listed alone too."""
    if entry["operation"] == "get_job_group_jobs":
        document = {**document, "data": [{**job, "id": "<numbered>"} for job in document["data"]]}
    return _renumbered(document)


@pytest.mark.subprocess
def test_a_dag_run_recorded_through_the_proxy_is_served_back_the_same(tmp_path, dataprep_hook):  # noqa: F811
    out = tmp_path / "rec"
    with LiveServer(_served()) as upstream:
        admin = Mockingjob(upstream)
        admin.clock.set(T)
        admin.reset("trifacta")
        recorder = Recorder("trifacta", admin.url("trifacta"), out, "--upstream-now", T.isoformat())
        try:
            group_id = _airflow_dag_run(dataprep_hook(recorder.url, token=TOKEN, retries="none"), recorder.url)
        finally:
            assert recorder.stop() == 0, recorder.err
    gets = _recorded_gets(out)
    assert len(gets) == 3 + 1 + 1 + 4 + 2  # the polls, the group, its jobs, the reads, each output object

    # The run request told where the run writes and how: its jobs, seen later, do not undo it.
    groups = yaml.safe_load((out / "trifacta" / "job_groups.yaml").read_text(encoding="utf-8"))
    started = next(group for group in groups if group["id"] == group_id)
    overrides = AIRFLOW_RUN["overrides"]
    assert (started["execution"], started["profiler"], started["writeSettings"]) == (
        overrides["execution"], overrides["profiler"], overrides["writesettings"])

    with LiveServer(_served([str(out)])) as replay:
        admin = Mockingjob(replay)
        admin.clock.set(T)
        admin.reset("trifacta")
        with httpx.Client(base_url=admin.url("trifacta"), headers=AUTH, timeout=30) as http:
            for entry in gets:
                again = http.get(entry["path"] + (f"?{entry['query']}" if entry["query"] else ""))
                assert again.status_code == 200, (entry["path"], again.text)
                # Only the ids of jobs and write settings differ: fixtures cannot give them, the mock numbers them
                # as it seeds.
                assert _numbered_blank(entry, again.json()) == _numbered_blank(entry, entry["response"]["json"]), \
                    entry["path"]

    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "trifacta", "--fixtures", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    holding_the_token = [path for path in out.rglob("*") if path.is_file() and TOKEN in path.read_text()]
    assert holding_the_token == []


def _odd(operation_id: str, body: Any, status: int = 200, request: Any = None) -> Answer:
    return Answer(operation_id, "GET", "/v4/x", {"id": "1"}, {}, request, status, body, T)


@pytest.mark.parametrize("answer", [
    _odd("list_job_groups", [{"id": 1}]),
    _odd("list_job_groups", {"data": {"id": 1}}),
    _odd("list_job_groups", {"data": [None, 3, "x", {"id": "1", "status": 5, "createdAt": "yesterday"}]}),
    _odd("get_job_group", {"id": 1, "status": "Running", "createdAt": "2026-03-02T11:00:00.000Z",
                           "wrangledDataset": {"id": 2}}),
    _odd("get_job_group", {"id": 1, "status": "Complete", "createdAt": "2026-03-02T11:00:00.000Z",
                           "wrangledDataset": {"id": 2}, "jobs": {"data": [{"jobType": 3}, None]}}),
    _odd("get_output_object", {"id": 1, "execution": "trains", "profiler": False, "flowNode": {"id": 2},
                               "createdAt": "2026-03-02T11:00:00.000Z"}),
    _odd("get_output_object", {"id": 1, "execution": "photon", "profiler": False, "flowNode": {"id": 2},
                               "createdAt": "2026-03-02T11:00:00.000Z", "writeSettings": [{"path": 1}]}),
    _odd("get_flow", "not an object"),
    _odd("get_flow", {"exception": {"name": "NotFound", "message": "no flow 1"}}, status=404),
    _odd("run_job_group", {"id": 5}, status=201, request=[1, 2]),
    _odd("run_job_group", {"id": 5}, status=201, request={"wrangledDataset": {"id": 3},
                                                            "overrides": {"writeSettings": "x"}}),
    _odd("run_flow", {"data": [{"id": 5}]}, status=201, request={"wrangledDatasetIds": ["a"]}),
    _odd(None, {"data": []}),
    _odd("get_job_group_status", "Complete"),
])
def test_odd_answers_describe_what_they_can_and_raise_nothing(answer):
    found = pack.records_from_answer(answer)
    if answer.status >= 400 or answer.operation_id in (None, "get_job_group_status"):
        assert found == {}
    for kind, records in found.items():
        assert all(isinstance(record["id"], int) for record in records), kind


def test_an_unknown_running_environment_is_not_held_but_the_run_still_is():
    answer = _odd("run_job_group", {"id": 5}, status=201, request={
        "wrangledDataset": {"id": 3}, "overrides": {"execution": "trains", "profiler": True,
                                                    "writeSettings": [{"path": "/a.csv", "action": "create",
                                                                       "format": "xls"}]}})
    [group] = _merged([answer])["job_groups"]
    assert group == {"id": 5, "wrangledDataset": 3, "created": "PT0S", "execution": "photon", "profiler": True,
                     "writeSettings": []}
