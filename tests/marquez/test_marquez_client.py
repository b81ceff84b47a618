"""The published Marquez client (marquez-python) against a running `mockingjob serve marquez`.

The client builds its own URLs under ``/api/v1`` and sends what it sends (its PUT job body, ``at`` percent-
encoded, no body on transitions); every answer must be what it expects.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from marquez_client import MarquezClient
from marquez_client.errors import APIError
from marquez_client.models import DatasetId, DatasetType, JobType

# The client marks its run endpoints deprecated (Marquez prefers OpenLineage events); they are what we test.
pytestmark = [pytest.mark.subprocess, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(*options: str) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "mockingjob", "serve", "marquez", "--port", str(port),
                                "--speed", "0", *options], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v1/namespaces", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server did not start: {log.read().decode(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    yield from _serve()


@pytest.fixture(scope="module")
def strict_server_url() -> Iterator[str]:
    yield from _serve("--strict")


@pytest.fixture
def marquez(server_url: str) -> MarquezClient:
    return MarquezClient(url=server_url)


@pytest.fixture
def job(marquez: MarquezClient) -> tuple[str, str]:
    """A fresh namespace and job, created through the client."""
    namespace, name = f"ns-{uuid.uuid4().hex[:8]}", f"job-{uuid.uuid4().hex[:8]}"
    assert marquez.create_namespace(namespace, "owner", "Made by the client.")["name"] == namespace
    created = marquez.create_job(namespace, name, JobType.BATCH, location="https://example.com/job.py",
                                 description="A job.", context={"sql": "SELECT 1"})
    assert created["id"] == {"namespace": namespace, "name": name}
    return namespace, name


def test_namespaces_through_the_client(marquez: MarquezClient) -> None:
    made = marquez.create_namespace("client-ns", "alice")
    assert made["ownerName"] == "alice" and made["isHidden"] is False
    assert marquez.get_namespace("client-ns")["name"] == "client-ns"
    assert "client-ns" in [ns["name"] for ns in marquez.list_namespaces()["namespaces"]]


def test_a_job_with_datasets_through_the_client(marquez: MarquezClient) -> None:
    job = marquez.create_job("food_delivery", "client_job", JobType.SERVICE,
                             inputs=[DatasetId("food_delivery", "public.orders")],
                             outputs=[DatasetId("food_delivery", "public.delivery_7_days")])
    assert job["inputs"] == [{"namespace": "food_delivery", "name": "public.orders"}]
    assert marquez.get_job("food_delivery", "client_job")["type"] == "SERVICE"
    assert "client_job" in [j["name"] for j in marquez.list_jobs("food_delivery")["jobs"]]


def test_create_a_run_without_an_id_and_walk_it_to_completion(marquez: MarquezClient,
                                                               job: tuple[str, str]) -> None:
    namespace, name = job
    run = marquez.create_job_run(namespace, name, run_args={"retries": 1, "dry": False})
    assert run["state"] == "NEW"
    assert run["args"] == {"retries": "1", "dry": "false"}
    assert run["context"] == {"sql": "SELECT 1"}
    started = marquez.mark_job_run_as_started(run["id"])
    assert started["state"] == "RUNNING" and started["startedAt"] is not None
    completed = marquez.mark_job_run_as_completed(run["id"], at="2030-01-01T00:00:00.250000Z")
    assert completed["state"] == "COMPLETED"
    assert completed["endedAt"] == "2030-01-01T00:00:00.250Z"
    assert isinstance(completed["durationMs"], int) and completed["durationMs"] > 0
    assert completed["jobVersion"]["name"] == name
    assert marquez.get_job_run(run["id"]) == completed
    assert marquez.get_job(namespace, name)["latestRun"]["id"] == run["id"]


def test_create_a_run_with_an_id_and_nominal_times(marquez: MarquezClient, job: tuple[str, str]) -> None:
    namespace, name = job
    run_id = str(uuid.uuid4())
    run = marquez.create_job_run(namespace, name, run_id=run_id, nominal_start_time="2030-01-01T00:00:00Z",
                                 nominal_end_time="2030-01-01T01:00:00Z")
    assert run["id"] == run_id
    assert run["nominalStartTime"] == "2030-01-01T00:00:00Z"
    assert run["nominalEndTime"] == "2030-01-01T01:00:00Z"
    with pytest.raises(APIError):
        marquez.create_job_run(namespace, name, run_id=run_id)  # 400: the id exists


def test_create_a_run_marked_as_running(marquez: MarquezClient, job: tuple[str, str]) -> None:
    namespace, name = job
    run = marquez.create_job_run(namespace, name, mark_as_running=True)
    assert run["state"] == "RUNNING"
    assert run["startedAt"] == run["updatedAt"]


def test_fail_and_abort_through_the_client(marquez: MarquezClient, job: tuple[str, str]) -> None:
    namespace, name = job
    failed = marquez.mark_job_run_as_failed(marquez.create_job_run(namespace, name)["id"])
    assert failed["state"] == "FAILED" and failed["endedAt"] is not None and failed["startedAt"] is None
    aborted = marquez.mark_job_run_as_aborted(marquez.create_job_run(namespace, name, mark_as_running=True)["id"])
    assert aborted["state"] == "ABORTED" and aborted["durationMs"] is not None


def test_list_job_runs_through_the_client(marquez: MarquezClient, job: tuple[str, str]) -> None:
    namespace, name = job
    first = marquez.create_job_run(namespace, name, mark_as_running=True)
    second = marquez.create_job_run(namespace, name)
    listed = marquez.list_job_runs(namespace, name)
    assert [r["id"] for r in listed["runs"]] == [first["id"], second["id"]]
    assert listed["totalCount"] == 2
    assert [r["id"] for r in marquez.list_job_runs(namespace, name, limit=1, offset=1)["runs"]] == [second["id"]]


def test_errors_reach_the_client_as_api_errors(marquez: MarquezClient) -> None:
    with pytest.raises(APIError):
        marquez.create_job_run("nowhere", "nothing")
    with pytest.raises(APIError):
        marquez.get_job_run(str(uuid.uuid4()))
    with pytest.raises(APIError):
        marquez.mark_job_run_as_completed(str(uuid.uuid4()))


def test_the_clients_documented_calls_pass_a_strict_server(strict_server_url: str) -> None:
    # Used as documented (no context, which Marquez 0.51 ignores; run arguments as text), the official client
    # relies on no leniency: --strict refuses none of its requests.
    marquez = MarquezClient(url=strict_server_url)
    namespace, name = f"ns-{uuid.uuid4().hex[:8]}", f"job-{uuid.uuid4().hex[:8]}"
    marquez.create_namespace(namespace, "owner", "Made by the client.")
    marquez.create_job(namespace, name, JobType.BATCH, inputs=[], outputs=[], location="https://example.com/j.py",
                       description="A job.")
    run = marquez.create_job_run(namespace, name, run_args={"retries": "1"})
    assert marquez.mark_job_run_as_started(run["id"])["state"] == "RUNNING"
    assert marquez.mark_job_run_as_completed(run["id"])["state"] == "COMPLETED"
    assert marquez.get_job_run(run["id"])["args"] == {"retries": "1"}
    assert [job["name"] for job in marquez.list_jobs(namespace)["jobs"]] == [name]


def test_sources_and_tags_through_the_client(marquez: MarquezClient) -> None:
    name = f"source-{uuid.uuid4().hex[:8]}"
    made = marquez.create_source(name, "postgresql", "jdbc:postgresql://db:5432/shop", "The shop.")
    assert (made["name"], made["type"], made["connectionUrl"], made["description"]) == (
        name, "POSTGRESQL", "jdbc:postgresql://db:5432/shop", "The shop.")
    assert marquez.get_source(name) == made
    assert name in [source["name"] for source in marquez.list_sources(limit=1000)["sources"]]
    with pytest.raises(APIError):
        marquez.get_source("no-such-source")
    tag = marquez.create_tag(f"PII-{uuid.uuid4().hex[:4]}", "Personal data.")
    assert tag["description"] == "Personal data."
    assert tag in marquez.list_tags(limit=1000)["tags"]


def test_datasets_through_the_client(marquez: MarquezClient) -> None:
    source, name = f"source-{uuid.uuid4().hex[:8]}", f"public.table_{uuid.uuid4().hex[:6]}"
    marquez.create_source(source, "postgresql", "jdbc:postgresql://db:5432/shop")
    marquez.create_tag("PII", "Personal data.")
    made = marquez.create_dataset("food_delivery", name, DatasetType.DB_TABLE, name, source,
                                  description="Orders.", fields=[{"name": "id", "type": "INTEGER"},
                                                                  {"name": "email", "type": "VARCHAR",
                                                                   "tags": ["PII"]}],
                                  tags=["PII", "NO-SUCH-TAG"])
    assert (made["sourceName"], made["physicalName"], made["description"]) == (source, name, "Orders.")
    assert made["tags"] == ["PII"]  # Marquez leaves out a tag that does not exist
    assert [(f["name"], f["type"], f["tags"]) for f in made["fields"]] == [("id", "INTEGER", []),
                                                                           ("email", "VARCHAR", ["PII"])]
    assert marquez.get_dataset("food_delivery", name) == made
    # What a PUT says is a version of the dataset, and its current one (DatasetVersionDao.upsertDatasetVersion).
    (version,) = marquez.list_dataset_versions("food_delivery", name)["versions"]
    assert version["version"] == made["currentVersion"] and version["fields"] == made["fields"]
    assert marquez.get_dataset_version("food_delivery", name, version["version"]) == version
    assert name in [d["name"] for d in marquez.list_datasets("food_delivery", limit=1000)["datasets"]]
    marquez.create_tag("SENSITIVE")
    assert marquez.tag_dataset("food_delivery", name, "SENSITIVE")["tags"] == ["PII", "SENSITIVE"]
    with pytest.raises(APIError):
        marquez.create_dataset("food_delivery", "other", DatasetType.DB_TABLE, "other", "no-such-source")


def test_dataset_versions_and_field_tags_through_the_client(marquez: MarquezClient) -> None:
    # The fixtures' lineage events wrote public.customers (etl_customers) and public.delivery_report.
    versions = marquez.list_dataset_versions("food_delivery", "public.customers")
    assert versions["totalCount"] == len(versions["versions"]) >= 1
    newest = versions["versions"][0]
    assert newest["createdByRun"]["state"] == "COMPLETED"
    assert marquez.get_dataset_version("food_delivery", "public.customers", newest["version"]) == newest
    tagged = marquez.tag_dataset_field("food_delivery", "public.customers", "email", "pii")
    # Marquez upper-cases a field's tag and creates it if it is new.
    assert next(f for f in tagged["fields"] if f["name"] == "email")["tags"] == ["PII"]
    assert "PII" in [tag["name"] for tag in marquez.list_tags(limit=1000)["tags"]]
    assert marquez.tag_dataset("food_delivery", "public.customers", f"new-{uuid.uuid4().hex[:4]}")["tags"]
    with pytest.raises(APIError):
        marquez.tag_dataset_field("food_delivery", "public.customers", "no_such_field", "PII")


def test_column_lineage_through_the_client(marquez: MarquezClient) -> None:
    by_field = marquez.get_column_lineage_by_dataset_field("food_delivery", "public.delivery_report", "city")
    ids = {node["id"] for node in by_field["graph"]}
    assert ids == {"datasetField:food_delivery:public.delivery_report:city",
                   "datasetField:food_delivery:public.customers:city",
                   "datasetField:food_delivery:public.signups:city"}
    by_dataset = marquez.get_column_lineage_by_dataset("food_delivery", "public.delivery_report", depth=1)
    assert {node["id"] for node in by_dataset["graph"]} >= {
        "datasetField:food_delivery:public.delivery_report:orders",
        "datasetField:food_delivery:public.delivery_times_7_days:order_id"}
    downstream = marquez.get_column_lineage_by_dataset_field("food_delivery", "public.customers", "city",
                                                             with_downstream=True)
    assert "datasetField:food_delivery:public.delivery_report:city" in {n["id"] for n in downstream["graph"]}
    by_job = marquez.get_column_lineage_by_job("food_delivery", "etl_customers")
    assert "datasetField:food_delivery:public.customers:email" in {node["id"] for node in by_job["graph"]}
