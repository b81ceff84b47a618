"""The published OpenLineage client (openlineage-python, its HTTP transport) emitting run events to a running
``mockingjob serve marquez``, and Marquez's read API showing what the events recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    datasource_dataset,
    documentation_job,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.transport.http import HttpConfig, HttpTransport

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

PRODUCER = "https://github.com/example/producer"
DB = "postgres://warehouse:5432"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server("marquez")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(server: Server) -> OpenLineageClient:
    return OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=10)))


def _event(state: RunState, at: datetime, run_id: str, job: str, **extra: object) -> RunEvent:
    return RunEvent(eventType=state, eventTime=at.isoformat(), run=Run(runId=run_id), producer=PRODUCER,
                    job=Job(namespace="lineage-tests", name=job, **extra),  # type: ignore[arg-type]
                    inputs=[InputDataset(namespace=DB, name="public.orders")],
                    outputs=[OutputDataset(namespace=DB, name="public.order_totals")])


def test_a_run_emitted_by_the_client_is_recorded_with_its_times(server: Server,
                                                                  client: OpenLineageClient) -> None:
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    facets = {"documentation": documentation_job.DocumentationJobFacet(description="Sums the orders."),
              "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                  type="git", url="https://github.com/example/jobs/blob/main/totals.py")}
    client.emit(_event(RunState.START, start, run_id, job, facets=facets))
    client.emit(_event(RunState.COMPLETE, start + timedelta(minutes=5), run_id, job))

    run = httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}").json()
    assert (run["state"], run["startedAt"], run["endedAt"], run["durationMs"]) == (
        "COMPLETED", "2026-03-02T12:00:00Z", "2026-03-02T12:05:00Z", 300_000)
    recorded = httpx.get(f"{server.url}/api/v1/namespaces/lineage-tests/jobs/{job}").json()
    assert recorded["description"] == "Sums the orders."
    assert recorded["location"] == "https://github.com/example/jobs/blob/main/totals.py"
    assert recorded["inputs"] == [{"namespace": DB, "name": "public.orders"}]
    assert recorded["outputs"] == [{"namespace": DB, "name": "public.order_totals"}]
    assert recorded["latestRun"]["id"] == run_id
    namespaces = {ns["name"]: ns for ns in httpx.get(f"{server.url}/api/v1/namespaces").json()["namespaces"]}
    assert namespaces["lineage-tests"]["ownerName"] == "anonymous" and DB in namespaces


def test_a_failed_run_and_the_event_log(server: Server, client: OpenLineageClient) -> None:
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    client.emit(_event(RunState.START, start, run_id, job))
    client.emit(_event(RunState.FAIL, start + timedelta(seconds=30), run_id, job))
    assert httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}").json()["state"] == "FAILED"
    events = httpx.get(f"{server.url}/api/v1/events/lineage",
                       params={"after": "2026-03-03T00:00:00Z", "before": "2026-03-04T00:00:00Z"}).json()
    mine = [event for event in events["events"] if event["run"]["runId"] == run_id]
    assert [event["eventType"] for event in mine] == ["FAIL", "START"]  # newest first
    assert mine[0]["producer"] == PRODUCER


def test_events_out_of_order_apply_as_they_arrive(server: Server, client: OpenLineageClient) -> None:
    # OpenLineageDao applies each event as it comes: a late START after COMPLETE leaves the run RUNNING.
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    client.emit(_event(RunState.COMPLETE, start + timedelta(minutes=1), run_id, job))
    client.emit(_event(RunState.START, start, run_id, job))
    run = httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}").json()
    assert (run["state"], run["startedAt"], run["endedAt"]) == (
        "RUNNING", "2026-03-04T08:00:00Z", "2026-03-04T08:01:00Z")


def test_the_datasets_an_event_names_are_listed_with_their_schema_and_source(server: Server,
                                                                              client: OpenLineageClient) -> None:
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    name = f"public.totals_{uuid.uuid4().hex[:6]}"
    start = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    written = OutputDataset(namespace=DB, name=name, facets={
        "schema": schema_dataset.SchemaDatasetFacet(fields=[
            schema_dataset.SchemaDatasetFacetFields(name="order_id", type="INTEGER"),
            schema_dataset.SchemaDatasetFacetFields(name="total", type="DECIMAL", description="in cents")]),
        "dataSource": datasource_dataset.DatasourceDatasetFacet(name="warehouse", uri=DB)})
    for state, at in ((RunState.START, start), (RunState.COMPLETE, start + timedelta(minutes=2))):
        client.emit(RunEvent(eventType=state, eventTime=at.isoformat(), run=Run(runId=run_id), producer=PRODUCER,
                             job=Job(namespace="lineage-tests", name=job), inputs=[], outputs=[written]))
    # The namespace holds "/": sent encoded (%2F), as Marquez's clients and web UI send it.
    namespace = quote(DB, safe="")
    found = httpx.get(f"{server.url}/api/v1/namespaces/{namespace}/datasets/{name}").json()
    listed = httpx.get(f"{server.url}/api/v1/namespaces/{namespace}/datasets", params={"limit": 1000})
    assert {item["name"]: item for item in listed.json()["datasets"]}[name] == found
    assert found["id"] == {"namespace": DB, "name": name}
    assert found["sourceName"] == "warehouse" and found["type"] == "DB_TABLE"
    assert [(f["name"], f["type"], f["description"]) for f in found["fields"]] == [
        ("order_id", "INTEGER", None), ("total", "DECIMAL", "in cents")]
    assert found["lastModifiedAt"] == "2026-03-05T09:02:00Z" and found["currentVersion"] is not None
    assert listed.json()["totalCount"] >= 1


def test_the_source_an_event_names_is_recorded(server: Server, client: OpenLineageClient) -> None:
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    source = f"lake-{uuid.uuid4().hex[:6]}"
    read = InputDataset(namespace="lake", name="raw.events", facets={
        "dataSource": datasource_dataset.DatasourceDatasetFacet(name=source, uri="s3://lake/raw")})
    client.emit(RunEvent(eventType=RunState.START, eventTime=datetime(2026, 3, 6, tzinfo=UTC).isoformat(),
                         run=Run(runId=run_id), producer=PRODUCER, job=Job(namespace="lineage-tests", name=job),
                         inputs=[read], outputs=[]))
    recorded = httpx.get(f"{server.url}/api/v1/sources/{source}").json()
    # OpenLineageDao.getSourceType: every source an event makes is a POSTGRESQL one.
    assert (recorded["name"], recorded["type"], recorded["connectionUrl"]) == (source, "POSTGRESQL", "s3://lake/raw")


def test_the_facets_a_runs_events_carried(server: Server, client: OpenLineageClient) -> None:
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    start = datetime(2026, 3, 7, tzinfo=UTC)
    documented = {"documentation": documentation_job.DocumentationJobFacet(description="First.")}
    client.emit(_event(RunState.START, start, run_id, job, facets=documented))
    client.emit(_event(RunState.COMPLETE, start + timedelta(minutes=1), run_id, job, facets={
        "documentation": documentation_job.DocumentationJobFacet(description="Second.")}))
    facets = httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}/facets", params={"type": "JOB"}).json()
    assert facets["runId"] == run_id
    assert facets["facets"]["documentation"]["description"] == "Second."  # the later event's
    missing = httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}/facets")
    assert missing.status_code == 400 and missing.json() == {"errors": ["query param type must not be null"]}
