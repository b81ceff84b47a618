"""Scale's answers read into fixture records (`ScalePack.records_from_answer`): a server serving only what was
recorded answers the recorded requests as the real one did, at the same instant."""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from mockingjob.check import run_checks
from mockingjob.client import Mockingjob
from mockingjob.core.config import Config
from mockingjob.kit import Answer
from mockingjob.live import LiveServer
from mockingjob.packs.scale import pack
from mockingjob.packs.scale.recorded_records import UNKNOWN_ID
from mockingjob.recorder.fixture_files import write_fixture_folder
from mockingjob.recorder.records import RecordSet
from tests.support.recorder import Recorder

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "recording-token"
AUTH = {"Authorization": f"Token {TOKEN}"}
QUEUED_INPUT = {"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {}}}


class Exchange:
    """One request of the table, sent to a server and kept as the recorder would keep it."""

    def __init__(self, operation_id: str, path: str, method: str = "GET", body: Any = None) -> None:
        self.operation_id, self.path, self.method, self.body = operation_id, path, method, body

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(self.method, self.path, json=self.body, headers=AUTH)

    def answer(self, response: httpx.Response) -> Answer:
        url = urlsplit(self.path)
        return Answer(self.operation_id, self.method, url.path, {}, parse_qs(url.query), self.body,
                      response.status_code, response.json(), T)


@pytest.fixture(scope="module")
def live_a() -> Iterator[tuple[Mockingjob, httpx.Client]]:
    # It stands in for the real Scale, which keeps no answers in memory to give again after a write.
    with LiveServer(Config(apis=["scale"], speed=0, tokens=[TOKEN], answer_memo=False)) as url:
        admin = Mockingjob(url)
        with httpx.Client(base_url=admin.url("scale"), timeout=30) as client:
            yield admin, client


@pytest.fixture
def server_a(live_a: tuple[Mockingjob, httpx.Client]) -> httpx.Client:
    """The real service stand-in: the built-in fixtures seeded at T, the clock stopped there (afresh for each test,
    as one queues a job)."""
    admin, client = live_a
    admin.clock.set(T)
    admin.reset("scale")
    return client


def replayed(folder: Path, exchanges: list[Exchange]) -> list[Any]:
    """What a server serving only `folder`'s records answers to the GETs of `exchanges`, at T."""
    with LiveServer(Config(apis=["scale"], speed=0, tokens=[TOKEN], fixtures=[str(folder)])) as url:
        admin = Mockingjob(url)
        admin.clock.set(T)
        admin.reset("scale")
        with httpx.Client(base_url=admin.url("scale"), timeout=30) as client:
            documents = []
            for exchange in exchanges:
                response = exchange.send(client)
                assert response.status_code == 200, f"{exchange.path}: {response.text}"
                documents.append(response.json())
            return documents


def recorded(tmp_path: Path, answers: list[Answer]) -> Path:
    records = RecordSet(pack)
    for answer in answers:
        records.add_answer(answer)
    write_fixture_folder(tmp_path, "scale", records.by_kind(), origin="http://scale.example.com")
    return tmp_path


PRODUCT = "<a product's id>"
NODE = "<the node of a canceled execution>"


def comparable(doc: Any, multi_attempt_jobs: set[int]) -> Any:
    """`doc` less what the fixture format cannot carry, which the mock derives afresh:

    - the ids of the products of executions (and of a job's outputs, which list them): the mock writes a
      completed execution's products itself, numbered past the files, and the real one numbered some for runs
      still going, which replayed never end;
    - a job's earlier executions and the node of a canceled one: only the job's executions list tells them,
      and that list does not tell the job's event, which a job's record needs, so it cannot be one;
    - the node made up for the attempts that never ran (the fixture format wants one for each attempt), which
      the nodes list then shows.
    """
    if isinstance(doc, list):
        return [comparable(item, multi_attempt_jobs) for item in doc]
    if not isinstance(doc, dict):
        return doc
    doc = {key: comparable(value, multi_attempt_jobs) for key, value in doc.items()}
    results = doc.get("results")
    if results and any(item.get("id") == UNKNOWN_ID and "hostname" in item for item in results):
        results = [item for item in results if item.get("id") != UNKNOWN_ID]
        doc.update(results=results, count=len(results))
    if results and isinstance(results[0], dict) and "exe_num" in results[0] \
            and results[0]["job"]["id"] in multi_attempt_jobs:
        doc.update(results=results[:1], count=1)
    if doc.get("job_exe"):
        doc["id"] = PRODUCT
    if "exe_num" in doc and doc.get("status") == "CANCELED":
        doc["node"] = NODE
    if "file_id" in doc:
        doc["file_id"] = PRODUCT
    if isinstance(doc.get("output"), dict) and isinstance(doc["output"].get("files"), dict):
        doc["output"]["files"] = {name: [PRODUCT] * len(ids) for name, ids in doc["output"]["files"].items()}
    return doc


def client_requests(server: httpx.Client) -> tuple[list[Exchange], list[Exchange]]:
    """What a client of Scale asks, as it asks it: the lists first, one write that queues a job, the details of
    what the lists showed, then the lists again. Answers the writes and the reads."""
    jobs = server.get("/v6/jobs/", params={"page_size": 1000}).json()["results"]
    states = {job["status"] for job in jobs}
    assert {"QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELED"} <= states
    job_types = server.get("/v6/job-types/", params={"page_size": 1000}).json()["results"]
    lists = [Exchange("list_jobs", "/v6/jobs/?page_size=1000"),
             Exchange("list_jobs", "/v6/jobs/?status=RUNNING"),
             Exchange("list_job_types", "/v6/job-types/?page_size=1000"),
             Exchange("list_job_type_status", "/v6/job-types/status/"),
             Exchange("list_running_job_types", "/v6/job-types/running/"),
             Exchange("list_job_type_system_failures", "/v6/job-types/system-failures/"),
             Exchange("list_files", "/v6/files/?page_size=1000"),
             Exchange("list_workspaces", "/v6/workspaces/"), Exchange("list_nodes", "/v6/nodes/"),
             Exchange("list_errors", "/v6/errors/"), Exchange("list_batches", "/v6/batches/"),
             Exchange("list_recipes", "/v6/recipes/")]
    details = [*(Exchange("get_job", f"/v6/jobs/{job['id']}/") for job in jobs),
               *(Exchange("list_job_input_files", f"/v6/jobs/{job['id']}/input_files/") for job in jobs[::5]),
               *(Exchange("list_job_executions", f"/v6/jobs/{job['id']}/executions/") for job in jobs[::3]),
               *(Exchange("get_job_execution", f"/v6/jobs/{job['id']}/executions/{job['num_exes']}/")
                 for job in jobs[:12] if job["started"]),
               Exchange("list_job_type_versions", f"/v6/job-types/{job_types[0]['name']}/"),
               *(Exchange("get_job_type", f"/v6/job-types/{jt['name']}/{jt['version']}/") for jt in job_types),
               Exchange("get_file", "/v6/files/7/"), Exchange("get_file", "/v6/files/61/"),
               Exchange("get_workspace", "/v6/workspaces/2/"), Exchange("get_node", "/v6/nodes/3/"),
               Exchange("get_error", "/v6/errors/2/"), Exchange("get_batch", "/v6/batches/2/"),
               *(Exchange("get_recipe", f"/v6/recipes/{number}/") for number in range(1, 7))]
    writes = [Exchange("queue_job", "/v6/jobs/", "POST", QUEUED_INPUT)]
    return writes, [*lists, *details, *lists]


def record_requests(server: httpx.Client, writes: list[Exchange], reads: list[Exchange]
                     ) -> tuple[list[Answer], list[Answer]]:
    """The answers of the writes, then of the reads, each as the recorder would keep it."""
    answers = []
    for exchange in [*writes, *reads]:
        response = exchange.send(server)
        assert response.status_code in (200, 201), f"{exchange.path}: {response.text}"
        answers.append(exchange.answer(response))
    return answers[:len(writes)], answers[len(writes):]


def assert_replayed_alike(folder: Path, reads: list[Exchange], answers: list[Answer]) -> None:
    """Each read, asked of a server of `folder`'s records, answers what the real one did (less `comparable`)."""
    multi = {job["id"] for answer in answers if answer.operation_id == "list_jobs" for job in answer.body["results"]
             if job["num_exes"] > 1}
    for exchange, was, now in zip(reads, answers, replayed(folder, reads), strict=True):
        assert comparable(now, multi) == comparable(was.body, multi), exchange.path


@pytest.mark.subprocess
def test_a_server_of_the_recorded_records_answers_the_recorded_requests_alike(
        server_a: httpx.Client, tmp_path: Path) -> None:
    writes, reads = client_requests(server_a)
    (queued,), answers = record_requests(server_a, writes, reads)
    assert queued.body["status"] == "QUEUED"
    folder = recorded(tmp_path, [queued, *answers])
    assert_replayed_alike(folder, reads, answers)
    again = replayed(folder, reads[:1])[0]["results"]
    assert any(job["id"] == queued.body["id"] and job["status"] == "QUEUED" for job in again)
    assert [str(problem) for problem in run_checks(["scale"], [folder])] == []


@pytest.mark.subprocess
def test_answers_recorded_in_any_order_make_the_same_records(server_a: httpx.Client, tmp_path: Path) -> None:
    writes, reads = client_requests(server_a)
    (queued,), answers = record_requests(server_a, writes, reads)
    shuffled = list(zip(reads, answers, strict=True))
    random.Random(20260301).shuffle(shuffled)
    in_order = recorded(tmp_path / "in order", [queued, *answers])
    folder = recorded(tmp_path / "shuffled", [queued, *(answer for _, answer in shuffled)])
    assert every_record(folder) == every_record(in_order)
    assert_replayed_alike(folder, [exchange for exchange, _ in shuffled], [answer for _, answer in shuffled])


def every_record(folder: Path) -> dict[str, Any]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted((folder / "scale").glob("*.yaml"))}


@pytest.mark.subprocess
def test_records_made_up_for_what_answers_only_name_give_way_to_those_told(
        server_a: httpx.Client, tmp_path: Path) -> None:
    # The jobs list names its jobs' input files by name only, a job type's details its output workspace.
    naming = [Exchange("list_jobs", "/v6/jobs/?page_size=1000"),
              Exchange("get_job_type", "/v6/job-types/scale-ingest/1.0.0/")]
    telling = [Exchange("list_workspaces", "/v6/workspaces/"), Exchange("list_files", "/v6/files/?page_size=1000")]
    named, told = ([exchange.answer(exchange.send(server_a)) for exchange in exchanges]
                   for exchanges in (naming, telling))
    only_named = every_record(recorded(tmp_path / "named", named))
    assert {workspace["name"] for workspace in only_named["workspaces.yaml"]} == {"products", "unknown"}
    assert not {file["id"] for file in only_named["files.yaml"]} & {file["id"] for file in told[1].body["results"]}

    folder = recorded(tmp_path / "told", [told[1], named[0], told[0], named[1]])
    records = every_record(folder)
    assert [workspace["id"] for workspace in records["workspaces.yaml"]] == \
        sorted(workspace["id"] for workspace in told[0].body["results"])
    assert {file["id"] for file in records["files.yaml"]} <= {file["id"] for file in told[1].body["results"]}
    multi = {job["id"] for job in named[0].body["results"] if job["num_exes"] > 1}
    assert comparable(replayed(folder, naming[:1])[0], multi) == comparable(named[0].body, multi)


def without_execution_ids(job: dict[str, Any]) -> dict[str, Any]:
    execution = job.get("execution")
    if not execution:
        return job
    tasks = [{**task, "task_id": None} for task in execution["task_results"]["tasks"]]
    return {**job, "execution": {**execution, "id": None, "cluster_id": None,
                                 "task_results": {**execution["task_results"], "tasks": tasks}}}


@pytest.mark.subprocess
def test_a_job_recorded_alone_replays_with_what_it_refers_to(server_a: httpx.Client, tmp_path: Path) -> None:
    details = [Exchange("get_job", f"/v6/jobs/{job_id}/") for job_id in (3, 9)]
    answers = [exchange.answer(exchange.send(server_a)) for exchange in details]
    folder = recorded(tmp_path, answers)
    # Executions are numbered by the mock in the order of its jobs: two jobs alone number theirs from 1.
    assert [without_execution_ids(answer.body) for answer in answers] == \
        [without_execution_ids(doc) for doc in replayed(folder, details)]
    assert [str(problem) for problem in run_checks(["scale"], [folder])] == []


@pytest.mark.subprocess
def test_the_recorded_folder_passes_check(server_a: httpx.Client, tmp_path: Path) -> None:
    reads = [Exchange("list_jobs", "/v6/jobs/?page_size=1000"), Exchange("list_files", "/v6/files/?page_size=1000"),
             Exchange("list_recipes", "/v6/recipes/"), Exchange("list_batches", "/v6/batches/")]
    folder = recorded(tmp_path, [exchange.answer(exchange.send(server_a)) for exchange in reads])
    assert {path.name for path in (folder / "scale").iterdir()} >= {"jobs.yaml", "files.yaml", "events.yaml"}
    assert [str(problem) for problem in run_checks(["scale"], [folder])] == []


def answer(operation_id: str | None, body: Any, status: int = 200) -> Answer:
    return Answer(operation_id, "GET", "/v6/jobs/", {}, {}, None, status, body, T)


JOB = {"id": 5, "job_type": {"id": 2, "name": "parse", "version": "1.0"}, "event": {"id": 7, "type": "USER",
       "occurred": "2026-03-01T11:00:00Z"}, "status": "RUNNING", "num_exes": 1, "queued": "2026-03-01T11:00:00Z",
       "started": "2026-03-01T11:30:00Z", "node": {"id": 2, "hostname": "n2"}}


@pytest.mark.parametrize("operation_id, body", [
    ("list_jobs", [JOB]), ("list_jobs", {"results": {"id": 1}}), ("list_jobs", {"results": [None, 3, "x"]}),
    ("get_job", {**JOB, "id": "5"}), ("get_job", {**JOB, "queued": "yesterday"}), ("get_job", {**JOB, "event": 7}),
    ("get_job", {**JOB, "num_exes": True, "input": {"files": {"a": "b"}}, "input_files": 3}),
    ("get_job", {**JOB, "job_type_rev": {"id": 1, "revision_num": "x"}, "configuration": []}),
    ("get_recipe", {"id": 1, "recipe_type_rev": {"definition": 3}}), ("get_batch", {"id": 1, "recipe_type": []}),
    ("list_files", {"results": [{"id": 1, "workspace": "raw", "url": 5}]}), ("get_job_type", {"manifest": {"job": 3}}),
    ("get_workspace", "not an object"), ("list_nodes", None), (None, {"id": 1}), ("get_version", {"version": "7"}),
])
def test_odd_bodies_describe_what_they_can_and_never_raise(operation_id: str | None, body: Any) -> None:
    described = pack.records_from_answer(answer(operation_id, copy.deepcopy(body)))
    assert all(isinstance(record["id"], int) for records in described.values() for record in records)


def test_an_error_answer_describes_nothing() -> None:
    assert pack.records_from_answer(answer("get_job", JOB, status=404)) == {}
    assert pack.records_from_answer(answer("get_job", {"detail": "Not found."}, status=404)) == {}


def test_a_running_job_is_recorded_running_since_it_started() -> None:
    jobs = pack.records_from_answer(answer("get_job", JOB))["jobs"]
    assert jobs[0]["attempts"] == [{"queued": "-PT1H", "wait": "PT30M", "node": 2}]


# --- through the real recording proxy --------------------------------------------------------------------------

def asked(client: httpx.Client, base: str, method: str, path: str, body: Any = None) -> Any:
    """`path`'s JSON answer, with the server's own address (in links) put aside."""
    response = client.request(method, path, json=body, headers=AUTH)
    assert response.status_code in (200, 201), (path, response.text)
    return json.loads(response.text.replace(base, "http://server"))


@pytest.mark.subprocess
def test_what_a_client_asks_through_the_proxy_replays_alike(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    # The upstream stands in for the real Scale, which keeps no answers in memory: the memo's own behaviour after
    # a write is not what this records.
    with LiveServer(Config(apis=["scale"], speed=0, tokens=[TOKEN], answer_memo=False)) as upstream:
        admin = Mockingjob(upstream)
        admin.clock.set(T)
        admin.reset("scale")
        recorder = Recorder("scale", admin.url("scale"), out, "--upstream-now", T.isoformat())
        last: dict[str, Any] = {}  # each GET's latest answer: what the recording ends up telling
        try:
            with httpx.Client(base_url=recorder.url, timeout=30) as client:
                def get(path: str) -> Any:
                    last[path] = asked(client, recorder.url, "GET", path)
                    return last[path]

                jobs = get("/v6/jobs/?page_size=100")["results"]
                running = next(job for job in jobs if job["status"] == "RUNNING")
                get("/v6/job-types/")
                get(f"/v6/jobs/{jobs[0]['id']}/")
                for _ in range(3):  # a client polling a run's status
                    get(f"/v6/jobs/{running['id']}/")
                get(f"/v6/jobs/{running['id']}/executions/")
                get("/v6/job-types/status/")
                queued = asked(client, recorder.url, "POST", "/v6/jobs/", QUEUED_INPUT)
                for _ in range(2):
                    get(f"/v6/jobs/{queued['id']}/")
                get(f"/v6/jobs/{queued['id']}/input_files/")
                get("/v6/jobs/?status=QUEUED")
                get("/v6/jobs/?page_size=100")
                get("/v6/job-types/status/")
        finally:
            assert recorder.stop() == 0, recorder.err
    assert queued["status"] == "QUEUED"

    with LiveServer(Config(apis=["scale"], speed=0, tokens=[TOKEN], fixtures=[str(out)])) as replay:
        admin = Mockingjob(replay)
        admin.clock.set(T)
        admin.reset("scale")
        with httpx.Client(base_url=admin.url("scale"), timeout=30) as client:
            again = {path: asked(client, admin.url("scale"), "GET", path) for path in last}
    # Only a job's earlier executions, the node of a canceled one and the products' ids differ: see `comparable`.
    multi = {job["id"] for job in jobs if job["num_exes"] > 1}
    assert {path: comparable(doc, multi) for path, doc in again.items()} == \
        {path: comparable(doc, multi) for path, doc in last.items()}

    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "scale", "--fixtures", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
