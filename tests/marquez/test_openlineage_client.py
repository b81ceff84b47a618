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
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    datasource_dataset,
    documentation_job,
    parent_run,
    schema_dataset,
    source_code_location_job,
)
from openlineage.client.transport.http import HttpCompression, HttpConfig, HttpTransport

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
    client.emit(_event(RunState.COMPLETE, start + timedelta(minutes=5), run_id, job, facets=facets))

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
    # Only the run endpoints mark a dataset modified; events give it a new current version (OpenLineageService).
    assert found["lastModifiedAt"] is None and found["currentVersion"] is not None
    assert listed.json()["totalCount"] >= 1
    versions = httpx.get(f"{server.url}/api/v1/namespaces/{namespace}/datasets/{name}/versions").json()
    # START and COMPLETE said the same of it: one version, written by the run, the dataset's current one.
    assert versions["totalCount"] == 1
    (version,) = versions["versions"]
    assert version["version"] == found["currentVersion"] and version["createdByRun"]["id"] == run_id
    assert version["createdByRun"]["state"] == "COMPLETED" and version["fields"] == found["fields"]
    one = httpx.get(f"{server.url}/api/v1/namespaces/{namespace}/datasets/{name}/versions/{version['version']}")
    assert one.json() == version
    run = httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}").json()
    (output,) = run["outputDatasetVersions"]
    assert output["datasetVersionId"]["namespace"] == DB and output["datasetVersionId"]["name"] == name


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


def _dataset(name: str, *fields: str, lineage: dict[str, list[tuple[str, str]]] | None = None) -> OutputDataset:
    facets: dict[str, object] = {"schema": schema_dataset.SchemaDatasetFacet(fields=[
        schema_dataset.SchemaDatasetFacetFields(name=field, type="VARCHAR") for field in fields])}
    if lineage:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(fields={
            field: column_lineage_dataset.Fields(inputFields=[
                column_lineage_dataset.InputField(namespace=DB, name=source, field=column)
                for source, column in sources], transformationDescription="", transformationType="IDENTITY")
            for field, sources in lineage.items()})
    return OutputDataset(namespace=DB, name=name, facets=facets)  # type: ignore[arg-type]


def _run_job(client: OpenLineageClient, job: str, at: datetime, reads: list[OutputDataset],
             writes: list[OutputDataset], **run_facets: object) -> str:
    """START then COMPLETE of a new run of `job`, as an integration sends them (datasets in full each time)."""
    run_id = str(uuid.uuid4())
    inputs = [InputDataset(namespace=d.namespace, name=d.name, facets=d.facets) for d in reads]
    for state, when in ((RunState.START, at), (RunState.COMPLETE, at + timedelta(minutes=1))):
        client.emit(RunEvent(eventType=state, eventTime=when.isoformat(), producer=PRODUCER,
                             run=Run(runId=run_id, facets=run_facets),  # type: ignore[arg-type]
                             job=Job(namespace="lineage-tests", name=job), inputs=inputs, outputs=writes))
    return run_id


def test_a_pipeline_is_a_lineage_graph_of_its_jobs_and_datasets(server: Server, client: OpenLineageClient) -> None:
    tag = uuid.uuid4().hex[:6]
    raw, clean, report = (_dataset(f"{kind}_{tag}", "id", "city") for kind in ("raw", "clean", "report"))
    at = datetime(2026, 3, 8, tzinfo=UTC)
    first = _run_job(client, f"clean_{tag}", at, [raw], [clean])
    second = _run_job(client, f"report_{tag}", at + timedelta(hours=1), [clean], [report])

    graph = httpx.get(f"{server.url}/api/v1/lineage",
                      params={"nodeId": f"job:lineage-tests:report_{tag}", "depth": 20}).json()["graph"]
    nodes = {node["id"]: node for node in graph}
    ids = [node["id"] for node in graph]
    assert ids == sorted(ids)
    clean_id, report_job = f"dataset:{DB}:clean_{tag}", f"job:lineage-tests:report_{tag}"
    assert {f"job:lineage-tests:clean_{tag}", report_job, f"dataset:{DB}:raw_{tag}", clean_id,
            f"dataset:{DB}:report_{tag}"} <= set(nodes)
    # input -> job -> output, each edge on both of its nodes
    assert {"origin": clean_id, "destination": report_job} in nodes[report_job]["inEdges"]
    assert {"origin": clean_id, "destination": report_job} in nodes[clean_id]["outEdges"]
    assert nodes[clean_id]["inEdges"] == [{"origin": f"job:lineage-tests:clean_{tag}", "destination": clean_id}]
    assert nodes[report_job]["data"]["latestRun"]["id"] == second
    assert [f["name"] for f in nodes[clean_id]["data"]["fields"]] == ["id", "city"]
    # depth 0: the job's own datasets only
    near = httpx.get(f"{server.url}/api/v1/lineage", params={"nodeId": report_job, "depth": 0}).json()["graph"]
    assert {node["id"] for node in near} == {report_job, clean_id, f"dataset:{DB}:report_{tag}"}

    # Upstream of the report's run: the run that wrote what it read.
    upstream = httpx.get(f"{server.url}/api/v1/runlineage/upstream", params={"runId": second}).json()["runs"]
    assert [entry["run"]["id"] for entry in upstream] == [second, first]
    assert upstream[0]["inputs"][0]["producedByRunId"] == first
    assert upstream[0]["job"]["version"] == httpx.get(
        f"{server.url}/api/v1/namespaces/lineage-tests/jobs/report_{tag}").json()["currentVersion"]

    found = httpx.get(f"{server.url}/api/v1/search", params={"q": tag, "filter": "job"}).json()
    assert sorted(result["name"] for result in found["results"]) == [f"clean_{tag}", f"report_{tag}"]
    assert found["totalCount"] == 2 and found["results"][0]["nodeId"] == f"job:lineage-tests:clean_{tag}"


def test_column_lineage_follows_fields_through_jobs(server: Server, client: OpenLineageClient) -> None:
    tag = uuid.uuid4().hex[:6]
    raw = _dataset(f"raw_{tag}", "id", "city")
    clean = _dataset(f"clean_{tag}", "id", "town", lineage={"town": [(f"raw_{tag}", "city")]})
    report = _dataset(f"report_{tag}", "town", lineage={"town": [(f"clean_{tag}", "town")]})
    at = datetime(2026, 3, 9, tzinfo=UTC)
    _run_job(client, f"clean_{tag}", at, [raw], [clean])
    _run_job(client, f"report_{tag}", at + timedelta(hours=1), [clean], [report])

    town = f"datasetField:{DB}:report_{tag}:town"
    graph = httpx.get(f"{server.url}/api/v1/column-lineage", params={"nodeId": town}).json()["graph"]
    nodes = {node["id"]: node for node in graph}
    assert set(nodes) == {town, f"datasetField:{DB}:clean_{tag}:town", f"datasetField:{DB}:raw_{tag}:city"}
    assert [f["field"] for f in nodes[town]["data"]["inputFields"]] == ["town"]
    assert nodes[f"datasetField:{DB}:raw_{tag}:city"]["outEdges"] == [
        {"origin": f"datasetField:{DB}:raw_{tag}:city", "destination": f"datasetField:{DB}:clean_{tag}:town"}]
    found = httpx.get(f"{server.url}/api/v1/namespaces/{quote(DB, safe='')}/datasets/clean_{tag}").json()
    assert found["columnLineage"] == [{"name": "town", "inputFields": [
        {"namespace": DB, "dataset": f"raw_{tag}", "field": "city", "transformationDescription": "",
         "transformationType": "IDENTITY"}], "transformationDescription": "", "transformationType": "IDENTITY"}]
    unknown = httpx.get(f"{server.url}/api/v1/column-lineage", params={"nodeId": f"dataset:{DB}:nothing_{tag}"})
    assert unknown.status_code == 404 and unknown.json() == {"code": 404, "message": "Could not find node"}


def test_a_task_of_a_dag_run_is_the_dag_jobs_child(server: Server, client: OpenLineageClient) -> None:
    tag = uuid.uuid4().hex[:6]
    dag_run, at = str(uuid.uuid4()), datetime(2026, 3, 10, tzinfo=UTC)
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=dag_run),
                                       job=parent_run.Job(namespace="lineage-tests", name=f"dag_{tag}"))
    task_run = _run_job(client, f"dag_{tag}.load", at, [], [_dataset(f"loaded_{tag}", "id")], parent=parent)
    task = httpx.get(f"{server.url}/api/v1/namespaces/lineage-tests/jobs/dag_{tag}.load").json()
    assert (task["simpleName"], task["parentJobName"]) == ("load", f"dag_{tag}")
    dag = httpx.get(f"{server.url}/api/v1/namespaces/lineage-tests/jobs/dag_{tag}").json()
    assert dag["latestRun"]["id"] == dag_run and task["parentJobUuid"] is not None
    run = httpx.get(f"{server.url}/api/v1/jobs/runs/{task_run}").json()
    assert run["args"] == {"run_id": dag_run, "name": f"dag_{tag}", "namespace": "lineage-tests"}
    assert run["facets"]["parent"]["run"]["runId"] == dag_run


def test_static_lineage_job_and_dataset_events(server: Server, client: OpenLineageClient) -> None:
    tag = uuid.uuid4().hex[:6]
    at = datetime(2026, 3, 11, tzinfo=UTC).isoformat()
    client.emit(JobEvent(eventTime=at, producer=PRODUCER, job=Job(namespace="lineage-tests", name=f"static_{tag}"),
                         inputs=[InputDataset(namespace=DB, name=f"source_{tag}")],
                         outputs=[OutputDataset(namespace=DB, name=f"target_{tag}")]))
    client.emit(DatasetEvent(eventTime=at, producer=PRODUCER, dataset=StaticDataset(
        namespace=DB, name=f"declared_{tag}", facets={"schema": schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="INTEGER")])})))
    job = httpx.get(f"{server.url}/api/v1/namespaces/lineage-tests/jobs/static_{tag}").json()
    assert job["latestRun"] is None and job["currentVersion"] is not None
    assert job["inputs"] == [{"namespace": DB, "name": f"source_{tag}"}]
    assert job["outputs"] == [{"namespace": DB, "name": f"target_{tag}"}]
    declared = httpx.get(f"{server.url}/api/v1/namespaces/{quote(DB, safe='')}/datasets/declared_{tag}").json()
    assert declared["currentVersion"] is not None and declared["fields"][0]["name"] == "id"
    # Static events are kept, but the event log lists run events only.
    events = httpx.get(f"{server.url}/api/v1/events/lineage", params={"limit": 1000}).json()["events"]
    assert all("run" in event for event in events)


def test_a_client_that_compresses_its_events(server: Server) -> None:
    # Dropwizard decompresses a gzip body; openlineage-python sends one when told to compress.
    compressing = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, timeout=10,
                                                                       compression=HttpCompression.GZIP)))
    run_id, job = str(uuid.uuid4()), f"job-{uuid.uuid4().hex[:8]}"
    compressing.emit(_event(RunState.START, datetime(2026, 3, 12, tzinfo=UTC), run_id, job))
    assert httpx.get(f"{server.url}/api/v1/jobs/runs/{run_id}").json()["state"] == "RUNNING"
