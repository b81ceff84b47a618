"""Recording the Marquez API: the answers of one server, turned into fixture records (`records_from_answer`) and
written as a fixture folder, make a fresh server serving only them answer the same requests with the same
documents, at the same clock instant."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from mockingjob.check import run_checks
from mockingjob.client import Mockingjob
from mockingjob.core.config import Config
from mockingjob.kit import Answer, Mentioned
from mockingjob.live import LiveServer
from mockingjob.packs.marquez import pack
from mockingjob.packs.marquez.recorded_runs import RUN_EVENT
from mockingjob.recorder.fixture_files import write_fixture_folder
from mockingjob.recorder.records import RecordSet
from tests.support import EPOCH
from tests.support.recorder import Recorder

Exchange = tuple[str, str, dict[str, str], Any]
"""An operation, the path asked, its path parameters, and the answer's JSON."""

# What the fixture files have no room for, and so cannot come back the same (each a UUID or derived from one):
# a job's and a dataset's current version is a row id Marquez draws at random; the version a run read or wrote
# is a hash of its dataset's schema and source, which a run's answer does not tell; a dataset's column lineage
# comes from the columnLineage facets of the events that wrote it, which no answer gives back.
_UNTOLD = {"currentVersion", "columnLineage"}


def _comparable(document: Any, parent: str = "") -> Any:
    """`document` without what cannot come back the same (`_UNTOLD`, and a dataset version's hash)."""
    if isinstance(document, dict):
        return {key: "<untold>" if key in _UNTOLD or (parent == "datasetVersionId" and key == "version")
                else _comparable(value, key) for key, value in document.items()}
    if isinstance(document, list):
        return [_comparable(item, parent) for item in document]
    return document


def _job_path(job: dict[str, Any]) -> str:
    return f"/api/v1/namespaces/{quote(job['namespace'], safe='')}/jobs/{quote(job['name'], safe='')}"


def _params(job: dict[str, Any]) -> dict[str, str]:
    return {"namespace": job["namespace"], "job": job["name"]}


class _Asking:
    """A client of server A keeping every GET it asks, with its answer, as the recorder reads them."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.asked: list[Exchange] = []

    def get(self, operation: str, path: str, params: dict[str, str] | None = None) -> Any:
        answer = self.api.get(path)
        assert answer.status_code == 200, (path, answer.text)
        self.asked.append((operation, path, params or {}, answer.json()))
        return answer.json()

    def lists(self) -> tuple[list[dict[str, Any]], list[str]]:
        """What a client (Marquez's web UI) asks first: the namespaces, every job, each namespace's jobs and
        datasets; answer the jobs and the namespaces."""
        namespaces = [ns["name"] for ns in self.get("list_namespaces", "/api/v1/namespaces")["namespaces"]]
        jobs: list[dict[str, Any]] = self.get("list_all_jobs", "/api/v1/jobs?limit=100")["jobs"]
        for namespace in namespaces:
            self.get("list_jobs", f"/api/v1/namespaces/{namespace}/jobs", {"namespace": namespace})
            self.get("list_datasets", f"/api/v1/namespaces/{namespace}/datasets", {"namespace": namespace})
        return jobs, namespaces

    def job_details(self, job: dict[str, Any]) -> None:
        """A job, its runs (each run's own answer among them) and its versions."""
        self.get("get_job", _job_path(job), _params(job))
        for run in self.get("list_runs", f"{_job_path(job)}/runs", _params(job))["runs"]:
            self.get("get_run", f"/api/v1/jobs/runs/{run['id']}")
        for version in self.get("list_job_versions", f"{_job_path(job)}/versions", _params(job))["versions"]:
            self.get("get_job_version", f"{_job_path(job)}/versions/{version['version']}", _params(job))

    def namespace_details(self, namespace: str) -> None:
        self.get("get_namespace", f"/api/v1/namespaces/{namespace}", {"namespace": namespace})
        datasets = self.api.get(f"/api/v1/namespaces/{namespace}/datasets").json()["datasets"]
        for dataset in datasets[:2]:
            self.get("get_dataset", f"/api/v1/namespaces/{namespace}/datasets/{quote(dataset['name'], safe='')}",
                     {"namespace": namespace, "dataset": dataset["name"]})


def _asked(api: httpx.Client) -> list[Exchange]:
    """A recording of server A in the order a client asks: the lists, then the details of every job (runs in
    every state among them), namespace and some datasets, then the lists again."""
    asking = _Asking(api)
    jobs, namespaces = asking.lists()
    for job in jobs:
        asking.job_details(job)
    for namespace in namespaces:
        asking.namespace_details(namespace)
    asking.lists()
    return asking.asked


def _recorded(folder: Path, asked: list[Exchange], at: datetime) -> dict[str, list[dict[str, Any]]]:
    """The records the answers describe, written as `folder`/marquez (mode: replace)."""
    records = RecordSet(pack)
    for operation, path, params, body in asked:
        records.add_answer(Answer(operation, "GET", path, params, {}, None, 200, body, at))
    by_kind = records.by_kind()
    write_fixture_folder(folder, "marquez", by_kind, origin="http://upstream.example")
    return by_kind


@pytest.fixture(name="server_a")
def server_a_fixture() -> Iterator[str]:
    """The built-in fixtures, seeded relative to EPOCH, the clock stopped there."""
    with LiveServer(Config(apis=["marquez"], speed=0)) as url:
        _set_clock(url)
        yield url


def _set_clock(url: str) -> None:
    admin = Mockingjob(url)
    admin.clock.set(EPOCH)
    admin.reset("marquez")


def _answers_again(folder: Path, asked: list[Exchange]) -> None:
    """Server B, serving only the recorded records at the same instant, answers each request the same."""
    with LiveServer(Config(apis=["marquez"], speed=0, fixtures=[str(folder)])) as url:
        _set_clock(url)
        with httpx.Client(base_url=url, timeout=10) as api:
            for _, path, _, body in asked:
                again = api.get(path)
                assert again.status_code == 200, (path, again.text)
                assert _comparable(again.json()) == _comparable(body), path


@pytest.mark.subprocess
def test_a_recording_serves_the_same_documents(server_a: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server_a, timeout=10) as api:
        asked = _asked(api)
    records = _recorded(tmp_path, asked, EPOCH)

    states = {run["state"] for _, _, _, body in asked if "latestRuns" in body for run in body["latestRuns"] or []}
    assert states == {"NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED"}
    assert {"namespaces", "datasets", "jobs", "events"} <= set(records)
    assert not run_checks(["marquez"], [tmp_path])  # the folder passes `mockingjob check --fixtures`
    _answers_again(tmp_path, asked)


@pytest.mark.subprocess
def test_a_recording_in_any_order_serves_the_same_documents(server_a: str, tmp_path: Path) -> None:
    """Whichever answer comes first (a run's own, its job's, a list's), every told field wins over what another
    answer only names."""
    with httpx.Client(base_url=server_a, timeout=10) as api:
        asked = _asked(api)
    for seed in (7, 2026):
        shuffled = asked.copy()
        random.Random(seed).shuffle(shuffled)
        _recorded(tmp_path / str(seed), shuffled, EPOCH)
        assert not run_checks(["marquez"], [tmp_path / str(seed)])
        _answers_again(tmp_path / str(seed), asked)


@pytest.mark.subprocess
@pytest.mark.parametrize("job_name", ["etl_orders", "delivery_report_dag.etl_delivery_report"])
def test_a_detail_recorded_alone_serves_the_same_document(server_a: str, tmp_path: Path, job_name: str) -> None:
    """A job told by its record (runs with arguments) and one told by events (a step of a DAG run, with facets
    and datasets): each job's own answer, and one of its runs', recorded alone."""
    job = {"namespace": "food_delivery", "name": job_name}
    with httpx.Client(base_url=server_a, timeout=10) as api:
        document = api.get(_job_path(job)).json()
        run_id = document["latestRun"]["id"]
        asked = [("get_job", _job_path(job), _params(job), document)]
        run_path = f"/api/v1/jobs/runs/{run_id}"
        run_asked: list[Exchange] = [("get_run", run_path, {}, api.get(run_path).json())]
    _recorded(tmp_path / "job", asked, EPOCH)
    _answers_again(tmp_path / "job", asked)
    if run_asked[0][3]["jobVersion"]:  # a run's own answer names its job once it finished
        _recorded(tmp_path / "run", run_asked, EPOCH)
        _answers_again(tmp_path / "run", run_asked)


# --- through the real command: a client's visit recorded by ``mockingjob record`` -------------------------

NAMESPACE = "food_delivery"
NEW_JOB = {"namespace": NAMESPACE, "name": "recorded_report"}
LINEAGE_JOB = {"namespace": NAMESPACE, "name": "recorded_lineage"}
LINEAGE_RUN = "0193a1c0-0000-7000-8000-00000000beef"
_FACET = {"_producer": "https://example.com/client", "_schemaURL": "https://example.com/facet.json"}


class _Visit:
    """A client of Marquez (as the web UI and the runs endpoints' clients use it), keeping the last answer to each
    GET it asked."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.last: dict[str, Any] = {}

    def get(self, path: str) -> Any:
        answer = self.api.get(path)
        assert answer.status_code == 200, (path, answer.text)
        self.last[path] = answer.json()
        return answer.json()

    def send(self, method: str, path: str, body: Any, status: int) -> Any:
        answer = self.api.request(method, path, json=body)
        assert answer.status_code == status, (method, path, answer.text)
        return answer.json() if answer.content else None  # Marquez takes an event with no body

    def browse(self) -> None:
        """The lists, and the details of the first jobs (runs polled among them) and datasets."""
        self.get("/api/v1/namespaces")
        self.get("/api/v1/jobs?limit=100")
        jobs = self.get(f"/api/v1/namespaces/{NAMESPACE}/jobs")["jobs"]
        datasets = self.get(f"/api/v1/namespaces/{NAMESPACE}/datasets")["datasets"]
        for job in jobs[:3]:
            self.get(_job_path(job))
            for run in self.get(f"{_job_path(job)}/runs")["runs"][:2]:
                self.get(f"/api/v1/jobs/runs/{run['id']}")
        for dataset in datasets[:2]:
            self.get(f"/api/v1/namespaces/{NAMESPACE}/datasets/{quote(dataset['name'], safe='')}")

    def run_new_job(self) -> str:
        """A job put, a run of it made, started and completed, polled between the steps; answer its id."""
        job_path = _job_path(NEW_JOB)
        self.send("PUT", job_path, {"type": "BATCH", "location": "https://example.com/report.py",
                                    "description": "A report made while recording.",
                                    "inputs": [{"namespace": NAMESPACE, "name": "public.orders"}],
                                    "outputs": [], "context": {"sql": "SELECT 1"}}, 200)
        run_id: str = self.send("POST", f"{job_path}/runs", {"args": {"day": "monday"}}, 201)["id"]
        run_path = f"/api/v1/jobs/runs/{run_id}"
        self.get(run_path)
        self.send("POST", f"{run_path}/start", None, 200)
        self.get(run_path)
        self.send("POST", f"{run_path}/complete", None, 200)
        self.get(run_path)
        return run_id

    def run_by_events(self) -> None:
        """A run told by OpenLineage events, as openlineage-python sends them: START, then COMPLETE, the run polled
        after each."""
        job = {**LINEAGE_JOB, "facets": {"sourceCodeLocation": {**_FACET, "type": "git",
                                                                "url": "https://example.com/lineage.py"}}}
        written = {"namespace": NAMESPACE, "name": "public.recorded_out", "facets": {
            "schema": {**_FACET, "fields": [{"name": "day", "type": "DATE"}]}}}
        start = {"eventType": "START", "eventTime": (EPOCH - timedelta(minutes=30)).isoformat(),
                 "run": {"runId": LINEAGE_RUN, "facets": {}}, "job": job,
                 "inputs": [{"namespace": NAMESPACE, "name": "public.orders"}], "outputs": [written],
                 "producer": "https://example.com/client", "schemaURL": RUN_EVENT}
        self.send("POST", "/api/v1/lineage", start, 201)
        self.get(f"/api/v1/jobs/runs/{LINEAGE_RUN}")
        complete = {**start, "eventType": "COMPLETE", "eventTime": (EPOCH - timedelta(minutes=5)).isoformat()}
        self.send("POST", "/api/v1/lineage", complete, 201)
        self.get(f"/api/v1/jobs/runs/{LINEAGE_RUN}")

    def read_new(self) -> None:
        """The jobs the visit made, their runs, and what they wrote."""
        for job in (NEW_JOB, LINEAGE_JOB):
            self.get(_job_path(job))
            self.get(f"{_job_path(job)}/runs")
        self.get(f"/api/v1/namespaces/{NAMESPACE}/datasets/public.recorded_out")


@pytest.mark.subprocess
def test_a_recorded_visit_serves_the_same_documents(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    with LiveServer(Config(apis=["marquez"], speed=0)) as upstream:
        _set_clock(upstream)
        recorder = Recorder("marquez", upstream, out, "--upstream-now", EPOCH.isoformat())
        try:
            with httpx.Client(base_url=recorder.url, timeout=10) as api:
                visit = _Visit(api)
                visit.browse()
                run_id = visit.run_new_job()
                visit.run_by_events()
                visit.read_new()
                visit.browse()  # the lists again, the new jobs among them
        finally:
            assert recorder.stop() == 0, recorder.err
        with httpx.Client(base_url=upstream, timeout=10) as api:  # nothing changed since each path's last answer
            assert {path: api.get(path).json() for path in visit.last} == visit.last
    assert {visit.last[f"/api/v1/jobs/runs/{run}"]["state"] for run in (run_id, LINEAGE_RUN)} == {"COMPLETED"}

    with LiveServer(Config(apis=["marquez"], speed=0, fixtures=[str(out)])) as replay:
        _set_clock(replay)
        with httpx.Client(base_url=replay, timeout=10) as api:
            for path, document in visit.last.items():
                again = api.get(path)
                assert again.status_code == 200, (path, again.text)
                assert _comparable(again.json()) == _comparable(document), path

    check = subprocess.run([sys.executable, "-m", "mockingjob", "check", "marquez", "--fixtures", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


# --- what an answer describes, read without a server ----------------------------------------------------------

def _answer(operation: str | None, body: Any, status: int = 200, **params: str) -> Answer:
    return Answer(operation, "GET", "/api/v1/x", params, {}, None, status, body, EPOCH)


RUNNING: dict[str, Any] = {
    "id": "0193a1c0-0000-7000-8000-0000000000aa", "state": "RUNNING", "createdAt": "2026-03-02T11:00:00Z",
    "startedAt": "2026-03-02T11:30:00Z", "endedAt": None,
    "facets": {"nominalTime": {"nominalStartTime": "2026-03-02T11:00:00Z"}},
    "inputDatasetVersions": [], "outputDatasetVersions": []}


def test_a_running_run_is_made_again_by_events_at_its_instants() -> None:
    events = pack.records_from_answer(_answer("list_runs", {"runs": [RUNNING]}, namespace="ns", job="j"))["events"]
    assert [(e.get("eventType"), e["eventTime"]) for e in events] == [(None, "-PT1H"), ("START", "-PT30M")]
    assert events[0]["run"]["facets"]["nominalTime"]["nominalStartTime"] == "-PT1H"
    assert {e["job"]["name"] for e in events} == {"j"}


def _written(*answers: Answer) -> dict[str, list[dict[str, Any]]]:
    """The records `answers` describe, merged in that order, as they would be written."""
    records = RecordSet(pack)
    for answer in answers:
        records.add_answer(answer)
    return records.by_kind()


def _run(number: int, state: str = "COMPLETED", **fields: Any) -> dict[str, Any]:
    """A run no event made (no facets, no datasets), created `number` hours after midnight on 2 March."""
    return {"id": f"0193a1c0-0000-7000-8000-{number:012d}", "state": state,
            "createdAt": f"2026-03-02T{number:02d}:00:00Z", "startedAt": f"2026-03-02T{number:02d}:10:00Z",
            "endedAt": f"2026-03-02T{number:02d}:20:00Z" if state == "COMPLETED" else None, "facets": {},
            "inputDatasetVersions": [], "outputDatasetVersions": [], "args": {}, "context": {}, **fields}


def _job(**fields: Any) -> dict[str, Any]:
    return {"id": {"namespace": "ns", "name": "j"}, "namespace": "ns", "name": "j", "type": "SERVICE",
            "createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z", "facets": {},
            "inputs": [], "outputs": [], "location": None, "description": None, **fields}


def test_a_job_record_keeps_the_runs_arguments_and_names_its_namespace() -> None:
    job = _job(inputs=[{"namespace": "other", "name": "t"}], latestRuns=[{**RUNNING, "facets": {},
                                                                          "args": {"retries": "1"}}])
    described = pack.records_from_answer(_answer("get_job", job))
    # What the answer only names is a stand-in, which whatever another answer tells of it wins over.
    assert all(isinstance(ns, Mentioned) for ns in described["namespaces"])
    assert described["datasets"] == [{"namespace": "other", "name": "t"}]
    assert isinstance(described["datasets"][0], Mentioned)
    [record] = _written(_answer("get_job", job))["jobs"]
    assert record["type"] == "SERVICE"
    assert [(run["args"], run["started"]) for run in record["runs"]] == [({"retries": "1"}, "-PT30M")]
    assert {ns["name"] for ns in _written(_answer("get_job", job))["namespaces"]} == {"ns", "other"}


def test_the_runs_of_a_job_told_piecemeal_add_up_in_any_order() -> None:
    """A job's answer tells its type and latest runs, a page of its runs others, a run's own answer one: each
    leaves the others' runs, and none but the job's answer says what type the job is."""
    finished = _run(9, args={"retries": "2"}, jobVersion={"namespace": "ns", "name": "j", "version": "v"})
    answers = [_answer("get_job", _job(latestRuns=[_run(5, args={"day": "monday"})])),
               _answer("list_runs", {"runs": [_run(5, args={"day": "monday"}), _run(1, "FAILED")]},
                       namespace="ns", job="j"),
               _answer("get_run", finished, id=finished["id"])]
    for order in itertools.permutations(answers):
        [job] = _written(*order)["jobs"]
        assert (job["type"], job["created"]) == ("SERVICE", "-P1D")
        assert [(run["id"][-1], run["state"], run["args"]) for run in job["runs"]] == [
            ("1", "FAILED", {}), ("5", "COMPLETED", {"day": "monday"}), ("9", "COMPLETED", {"retries": "2"})]


def test_what_only_runs_tell_of_a_job_is_filled_in() -> None:
    [job] = _written(_answer("list_runs", {"runs": [_run(5, context={"sql": "SELECT 1"})]}, namespace="ns",
                             job="j"))["jobs"]
    assert (job["type"], job["created"], job["context"]) == ("BATCH", "-PT7H", {"sql": "SELECT 1"})


def test_a_stand_in_nothing_names_any_more_is_not_written() -> None:
    before = _answer("put_job", _job(inputs=[{"namespace": "old", "name": "t"}]), namespace="ns", job="j")
    after = _answer("get_job", _job(inputs=[{"namespace": "ns", "name": "t"}]), namespace="ns", job="j")
    written = _written(before, after)
    assert written["datasets"] == [{"namespace": "ns", "name": "t"}]
    assert [ns["name"] for ns in written["namespaces"]] == ["ns"]
    # A dataset described stays, whether a job names it or not.
    described = {"namespace": "old", "name": "t", "fields": [], "createdAt": "2026-03-01T12:00:00Z"}
    written = _written(before, _answer("get_dataset", described), after)
    assert [(d["namespace"], d["name"]) for d in written["datasets"]] == [("old", "t"), ("ns", "t")]


def test_a_run_its_events_make_is_no_run_of_its_jobs_record() -> None:
    """A job with facets is told by its runs' events; a page of its runs alone cannot tell (no facets on the
    runs): the events make them, so the job's record, filled in from that page only, is not written."""
    facets = {"sourceCodeLocation": {"type": "git", "url": "https://example.com/j"}}
    runs = [_run(5), _run(1, "FAILED")]
    answers = [_answer("get_job", _job(facets=facets, latestRuns=runs), namespace="ns", job="j"),
               _answer("list_runs", {"runs": runs}, namespace="ns", job="j")]
    for order in (answers, answers[::-1]):
        written = _written(*order)
        assert "jobs" not in written
        assert {event["run"]["runId"] for event in written["events"]} == {run["id"] for run in runs}


def test_events_are_written_in_the_order_they_happened_whatever_told_them_first() -> None:
    running = {**RUNNING, "id": "0193a1c0-0000-7000-8000-0000000000ab"}  # created 11:00, started 11:30
    earlier = _run(1, facets={"x": {}})  # created 1:00, started 1:10, ended 1:20
    written = _written(_answer("get_run", running, namespace="ns", job="j"),
                       _answer("list_runs", {"runs": [earlier]}, namespace="ns", job="j"))
    assert [(e["eventTime"], e.get("eventType")) for e in written["events"]] == [
        ("-PT11H", None), ("-PT10H50M", "START"), ("-PT10H40M", "COMPLETE"), ("-PT1H", None),
        ("-PT30M", "START")]


@pytest.mark.parametrize(("operation", "body", "status"), [
    ("list_namespaces", {"code": 404, "message": "not found"}, 404),
    ("get_job", {"id": {"namespace": "ns", "name": "j"}, "namespace": "ns", "name": "j", "type": "BATCH",
                 "createdAt": "2026-03-01T12:00:00Z"}, 500),
    ("list_namespaces", [{"name": "x"}], 200),
    ("list_namespaces", {"namespaces": {"name": "x"}}, 200),
    ("list_namespaces", {"namespaces": [None, 3, {"name": 5}, {"name": "x", "createdAt": "yesterday"}]}, 200),
    ("get_job", {"namespace": ["ns"], "name": None}, 200),
    ("list_runs", {"runs": [{"id": "not a uuid!", "state": "RUNNING", "createdAt": "2026-03-01T12:00:00Z"}]},
     200),
    ("list_runs", {"runs": [{"id": RUNNING["id"], "state": "ASLEEP", "createdAt": 12}]}, 200),
    ("get_run", {"id": RUNNING["id"], "state": "NEW", "createdAt": "2026-03-01T12:00:00Z"}, 200),
    ("list_lineage_events", {"events": [{"eventTime": "2026-03-01T12:00:00Z", "run": [], "job": "j"}]}, 200),
    ("get_dataset_version", "a text", 200),
    (None, {"namespaces": [{"name": "x"}]}, 200),
    ("post_lineage", None, 201),
])
def test_an_odd_or_error_answer_describes_nothing_it_cannot_read(operation: str | None, body: Any,
                                                                  status: int) -> None:
    records = pack.records_from_answer(_answer(operation, body, status))
    assert all(isinstance(record, dict) for kind in records.values() for record in kind)
    assert not any(records.get(kind) for kind in ("namespaces", "jobs", "events")), records


def test_a_list_with_odd_items_keeps_the_items_it_can_read() -> None:
    good = {"name": "x", "ownerName": "me", "createdAt": "2026-03-01T12:00:00Z", "updatedAt": None}
    records = pack.records_from_answer(_answer("list_namespaces", {"namespaces": [None, {"name": 3}, good]}))
    assert records == {"namespaces": [{"name": "x", "owner": "me", "description": None, "created": "-P1D",
                                       "updated": "-P1D"}]}
    job = {"namespace": "ns", "name": "j", "createdAt": "2026-03-01T12:00:00Z", "latestRuns": "many", "type": 3}
    records = _written(_answer("get_job", job))
    assert [(j["name"], j["type"], "runs" in j) for j in records["jobs"]] == [("j", "BATCH", False)]
    dataset = {"namespace": "ns", "name": "d", "fields": "id", "facets": [], "createdAt": "2026-03-01T12:00:00Z"}
    records = pack.records_from_answer(_answer("list_datasets", {"datasets": [dataset]}))
    assert records["datasets"] == [{"namespace": "ns", "name": "d", "description": None, "fields": [],
                                    "created": "-P1D"}]
