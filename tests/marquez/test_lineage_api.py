"""Marquez's lineage API in process: events of every kind, the versions and tags they leave, the lineage reads
and search, with their errors in Marquez's words."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient

NS = "lineage-api"
PRODUCER = "https://github.com/example/producer"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def _schema(*fields: str) -> dict[str, Any]:
    return {"schema": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/x.json",
                       "fields": [{"name": field, "type": "varchar"} for field in fields]}}


def _event(kind: str, run_id: str, job: str, at: str, *, inputs: list[Any] = (), outputs: list[Any] = (),
           **extra: Any) -> dict[str, Any]:
    return {"eventType": kind, "eventTime": at, "run": {"runId": run_id}, "job": {"namespace": NS, "name": job},
            "inputs": list(inputs), "outputs": list(outputs), "producer": PRODUCER, "schemaURL": RUN_EVENT, **extra}


def _dataset(name: str, *fields: str) -> dict[str, Any]:
    return {"namespace": NS, "name": name, "facets": _schema(*fields)}


def _post(client: TestClient, event: dict[str, Any]) -> None:
    response = client.post("/api/v1/lineage", json=event)
    assert response.status_code == 201, response.text


def _pipeline(client: TestClient) -> tuple[str, str, str]:
    """raw -> clean_job -> clean -> report_job -> report; returns a tag and the two runs."""
    tag = uuid.uuid4().hex[:6]
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    raw, clean, report = (_dataset(f"{kind}_{tag}", "id") for kind in ("raw", "clean", "report"))
    for kind, at in (("START", "2026-03-01T10:00:00Z"), ("COMPLETE", "2026-03-01T10:05:00Z")):
        _post(client, _event(kind, first, f"clean_{tag}", at, inputs=[raw], outputs=[clean]))
    for kind, at in (("START", "2026-03-01T11:00:00Z"), ("COMPLETE", "2026-03-01T11:05:00Z")):
        _post(client, _event(kind, second, f"report_{tag}", at, inputs=[clean], outputs=[report]))
    return tag, first, second


def test_a_job_version_is_recorded_when_a_run_finishes_and_kept_while_the_job_is_unchanged(
        client: TestClient) -> None:
    tag, first, _ = _pipeline(client)
    run = client.get(f"/api/v1/jobs/runs/{first}").json()
    job = client.get(f"/api/v1/namespaces/{NS}/jobs/clean_{tag}").json()
    versions = client.get(f"/api/v1/namespaces/{NS}/jobs/clean_{tag}/versions").json()["versions"]
    assert len(versions) == 1 and versions[0]["version"] == run["jobVersion"]["version"]
    assert versions[0]["inputs"] == [{"namespace": NS, "name": f"raw_{tag}"}]
    assert versions[0]["outputs"] == [{"namespace": NS, "name": f"clean_{tag}"}]
    assert versions[0]["latestRun"]["id"] == first
    assert job["outputs"] == [{"namespace": NS, "name": f"clean_{tag}"}]
    # A second run reading and writing the same: the same version, with that run as its latest.
    again = str(uuid.uuid4())
    for kind, at in (("START", "2026-03-02T10:00:00Z"), ("COMPLETE", "2026-03-02T10:01:00Z")):
        _post(client, _event(kind, again, f"clean_{tag}", at, inputs=[_dataset(f"raw_{tag}", "id")],
                             outputs=[_dataset(f"clean_{tag}", "id")]))
    versions = client.get(f"/api/v1/namespaces/{NS}/jobs/clean_{tag}/versions").json()["versions"]
    assert len(versions) == 1 and versions[0]["latestRun"]["id"] == again
    # A START alone records no version: the run has none until it finishes.
    started = str(uuid.uuid4())
    _post(client, _event("START", started, f"clean_{tag}", "2026-03-03T10:00:00Z"))
    assert client.get(f"/api/v1/jobs/runs/{started}").json()["jobVersion"] is None


def test_a_dataset_version_becomes_current_when_its_run_completes_not_when_it_fails(client: TestClient) -> None:
    tag, run_id = uuid.uuid4().hex[:6], str(uuid.uuid4())
    _post(client, _event("START", run_id, f"job_{tag}", "2026-03-01T10:00:00Z",
                         outputs=[_dataset(f"out_{tag}", "a")]))
    path = f"/api/v1/namespaces/{NS}/datasets/out_{tag}"
    assert client.get(path).json()["currentVersion"] is None
    _post(client, _event("FAIL", run_id, f"job_{tag}", "2026-03-01T10:01:00Z", outputs=[_dataset(f"out_{tag}", "a")]))
    assert client.get(path).json()["currentVersion"] is None
    listed = client.get(f"{path}/versions").json()
    assert listed["totalCount"] == 1 and listed["versions"][0]["createdByRun"]["state"] == "FAILED"
    other = str(uuid.uuid4())
    _post(client, _event("COMPLETE", other, f"job_{tag}", "2026-03-01T11:00:00Z",
                         outputs=[_dataset(f"out_{tag}", "a", "b")]))
    dataset = client.get(path).json()
    newest = client.get(f"{path}/versions").json()["versions"][0]
    assert dataset["currentVersion"] == newest["version"] and [f["name"] for f in dataset["fields"]] == ["a", "b"]
    missing = client.get(f"{path}/versions/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["message"].startswith("Dataset version '")
    assert client.get(f"{path}/versions/not-a-uuid").json() == {"code": 404, "message": "HTTP 404 Not Found"}


def test_delete_hides_a_dataset_until_an_event_names_it_again(client: TestClient) -> None:
    tag, run_id = uuid.uuid4().hex[:6], str(uuid.uuid4())
    _post(client, _event("START", run_id, f"job_{tag}", "2026-03-01T10:00:00Z", inputs=[_dataset(f"in_{tag}", "a")]))
    path = f"/api/v1/namespaces/{NS}/datasets/in_{tag}"
    found = client.get(path).json()
    deleted = client.delete(path)
    assert deleted.status_code == 200 and deleted.json() == found  # as it was
    assert client.get(path).json() == {"code": 404, "message": f"Dataset 'in_{tag}' not found."}
    assert f"in_{tag}" not in [d["name"] for d in client.get(
        f"/api/v1/namespaces/{NS}/datasets", params={"limit": 1000}).json()["datasets"]]
    _post(client, _event("COMPLETE", run_id, f"job_{tag}", "2026-03-01T10:01:00Z", inputs=[{"namespace": NS,
                                                                                           "name": f"in_{tag}"}]))
    assert client.get(path).status_code == 200


def test_tags_on_datasets_fields_and_jobs(client: TestClient) -> None:
    tag, run_id = uuid.uuid4().hex[:6], str(uuid.uuid4())
    _post(client, _event("COMPLETE", run_id, f"job_{tag}", "2026-03-01T10:00:00Z",
                         outputs=[_dataset(f"out_{tag}", "email", "id")]))
    path = f"/api/v1/namespaces/{NS}/datasets/out_{tag}"
    assert client.post(f"{path}/tags/gdpr-{tag}").json()["tags"] == [f"gdpr-{tag}"]  # made as it is used
    assert f"gdpr-{tag}" in [t["name"] for t in client.get("/api/v1/tags", params={"limit": 1000}).json()["tags"]]
    assert client.delete(f"{path}/tags/gdpr-{tag}").json()["tags"] == []
    fields = client.post(f"{path}/fields/email/tags/pii").json()["fields"]
    assert fields == [{"name": "email", "type": "varchar", "tags": ["PII"], "description": None},
                      {"name": "id", "type": "varchar", "tags": [], "description": None}]
    assert client.get(path).json()["fields"][0]["tags"] == ["PII"]
    assert client.delete(f"{path}/fields/email/tags/PII").json()["fields"][0]["tags"] == []
    assert client.post(f"{path}/fields/nothing/tags/pii").json() == {
        "code": 404, "message": f"Field 'nothing' not found for dataset 'out_{tag}'."}

    job_path = f"/api/v1/namespaces/{NS}/jobs/job_{tag}"
    tagged = client.post(f"{job_path}/tags/nightly")
    # Marquez answers a job's tag change with the job as its DAO finds it: no runs, no outputs.
    assert tagged.status_code == 200 and tagged.json()["tags"] == ["nightly"]
    assert tagged.json()["latestRun"] is None and tagged.json()["outputs"] == []
    assert client.get(job_path).json()["tags"] == ["nightly"]
    assert client.delete(f"{job_path}/tags/nightly").json()["tags"] == []
    assert client.post(f"/api/v1/namespaces/{NS}/jobs/nothing/tags/x").json() == {
        "code": 404, "message": "Job 'nothing' not found."}


def test_the_lineage_graph_and_its_errors(client: TestClient) -> None:
    tag, _, _ = _pipeline(client)
    graph = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:raw_{tag}", "depth": 1}).json()["graph"]
    # From a dataset: its latest writer, else its latest reader, and the jobs one hop from it.
    assert [node["id"] for node in graph] == [f"dataset:{NS}:clean_{tag}", f"dataset:{NS}:raw_{tag}",
                                              f"dataset:{NS}:report_{tag}", f"job:{NS}:clean_{tag}",
                                              f"job:{NS}:report_{tag}"]
    raw = graph[1]
    assert raw["type"] == "DATASET" and raw["inEdges"] == []
    assert raw["outEdges"] == [{"origin": f"dataset:{NS}:raw_{tag}", "destination": f"job:{NS}:clean_{tag}"}]
    assert graph[3]["data"]["inputs"] == [{"namespace": NS, "name": f"raw_{tag}"}]

    lonely = uuid.uuid4().hex[:6]
    client.post("/api/v1/lineage", json={"eventTime": "2026-03-01T00:00:00Z", "producer": PRODUCER,
                                        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
                                        "dataset": {"namespace": NS, "name": f"alone_{lonely}"}})
    alone = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{NS}:alone_{lonely}"}).json()["graph"]
    assert [(node["id"], node["inEdges"], node["outEdges"]) for node in alone] == [
        (f"dataset:{NS}:alone_{lonely}", [], [])]

    def error(**params: str) -> tuple[int, Any]:
        response = client.get("/api/v1/lineage", params=params)
        return response.status_code, response.json()

    assert error() == (400, {"errors": ["query param nodeId must not be null"]})
    assert error(nodeId="") == (400, {"errors": ["query param nodeId must not be null"]})
    assert error(nodeId="table:x:y") == (404, {"code": 404, "message": "HTTP 404 Not Found"})
    assert error(nodeId=f"job:{NS}:nothing") == (404, {"code": 404, "message": "Job 'nothing' not found."})
    assert error(nodeId=f"dataset:{NS}:nothing") == (404, {"code": 404, "message": "Dataset 'nothing' not found."})
    assert error(nodeId=f"job:{NS}:clean_{tag}", depth="deep") == (404, {"code": 404,
                                                                        "message": "HTTP 404 Not Found"})
    unknown_run = uuid.uuid4()
    assert error(nodeId=f"run:{unknown_run}") == (404, {"code": 404, "message": f"Run '{unknown_run}' not found."})


def test_a_dataset_namespace_with_colons_is_read_as_marquez_reads_it(client: TestClient) -> None:
    tag, run_id, db = uuid.uuid4().hex[:6], str(uuid.uuid4()), "postgres://db:5432"
    _post(client, _event("COMPLETE", run_id, f"job_{tag}", "2026-03-01T10:00:00Z",
                         outputs=[{"namespace": db, "name": f"public.t_{tag}"}]))
    graph = client.get("/api/v1/lineage", params={"nodeId": f"dataset:{db}:public.t_{tag}"}).json()["graph"]
    assert f"dataset:{db}:public.t_{tag}" in [node["id"] for node in graph]


def test_upstream_runs_and_their_errors(client: TestClient) -> None:
    _, first, second = _pipeline(client)
    runs = client.get("/api/v1/runlineage/upstream", params={"runId": second, "depth": 0}).json()["runs"]
    assert [entry["run"]["id"] for entry in runs] == [second]
    assert runs[0]["inputs"][0]["producedByRunId"] == first
    assert runs[0]["run"]["status"] == "COMPLETED" and runs[0]["run"]["end"] == "2026-03-01T11:05:00Z"
    unknown = str(uuid.uuid4())
    assert client.get("/api/v1/runlineage/upstream", params={"runId": unknown}).json() == {
        "code": 404, "message": f"Run '{unknown}' not found."}
    assert client.get("/api/v1/runlineage/upstream").json() == {"errors": ["query param runId must not be null"]}
    assert client.get("/api/v1/runlineage/upstream", params={"runId": "x"}).status_code == 404


def test_search_and_its_errors(client: TestClient) -> None:
    tag, _, _ = _pipeline(client)
    found = client.get("/api/v1/search", params={"q": tag.upper()}).json()
    # Matched in any case, by name (Marquez leaves the order undefined; by name is one it may give).
    assert [(r["type"], r["name"]) for r in found["results"]] == [
        ("DATASET", f"clean_{tag}"), ("JOB", f"clean_{tag}"), ("DATASET", f"raw_{tag}"),
        ("DATASET", f"report_{tag}"), ("JOB", f"report_{tag}")]
    assert found["totalCount"] == 5
    datasets = client.get("/api/v1/search", params={"q": tag, "filter": "dataset", "limit": 2}).json()
    assert datasets["totalCount"] == 2 and {r["type"] for r in datasets["results"]} == {"DATASET"}
    assert datasets["results"][0]["nodeId"] == f"dataset:{NS}:{datasets['results'][0]['name']}"
    assert client.get("/api/v1/search", params={"q": tag, "namespace": "elsewhere"}).json() == {
        "results": [], "totalCount": 0}
    assert client.get("/api/v1/search", params={"q": tag, "before": "2000-01-01"}).json()["totalCount"] == 0
    assert client.get("/api/v1/search").json() == {"errors": ["query param q must not be blank"]}
    assert client.get("/api/v1/search", params={"q": " "}).json() == {"errors": ["query param q must not be blank"]}
    assert client.get("/api/v1/search", params={"q": "a", "sort": "updated_at"}).json() == {
        "code": 400, "message": "query param sort must be one of [NAME, UPDATE_AT]"}
    assert client.get("/api/v1/search", params={"q": "a", "after": "yesterday"}).json() == {
        "errors": ['query param after must match "^\\d{4}-\\d{2}-\\d{2}$"']}


def test_an_event_lacking_what_its_kind_needs_is_a_422(client: TestClient) -> None:
    base = {"eventTime": "2026-03-01T00:00:00Z", "producer": PRODUCER}
    for body, missing in (({**base, "job": {"namespace": NS, "name": "j"}}, "run must not be null"),
                          ({**base, "run": {"runId": str(uuid.uuid4())}}, "job must not be null"),
                          ({**base, "schemaURL": "https://x/spec#/$defs/JobEvent"}, "job must not be null"),
                          ({**base, "schemaURL": "https://x/spec#/$defs/DatasetEvent"}, "dataset must not be null")):
        response = client.post("/api/v1/lineage", json=body)
        assert (response.status_code, response.json()) == (422, {"errors": [missing]}), body


def test_a_parent_run_whose_id_is_no_uuid_gets_one_derived_from_it(client: TestClient) -> None:
    tag, run_id = uuid.uuid4().hex[:6], str(uuid.uuid4())
    parent = {"_producer": PRODUCER, "_schemaURL": "https://x/ParentRunFacet.json",
              "run": {"runId": "scheduled__2026-03-01"}, "job": {"namespace": NS, "name": f"dag_{tag}"}}
    event = _event("START", run_id, "task", "2026-03-01T00:00:00Z")
    event["run"]["facets"] = {"parent": parent}
    _post(client, event)
    task = client.get(f"/api/v1/namespaces/{NS}/jobs/dag_{tag}.task").json()
    assert (task["name"], task["simpleName"], task["parentJobName"]) == (f"dag_{tag}.task", "task", f"dag_{tag}")
    expected = str(uuid.uuid3(uuid.NAMESPACE_URL, f"{NS}.dag_{tag}.scheduled__2026-03-01"))
    dag = client.get(f"/api/v1/namespaces/{NS}/jobs/dag_{tag}").json()
    assert dag["latestRun"]["id"] == expected and dag["latestRun"]["state"] == "RUNNING"


def test_column_lineage_errors(client: TestClient) -> None:
    assert client.get("/api/v1/column-lineage", params={"nodeId": f"dataset:{NS}:nothing"}).json() == {
        "code": 404, "message": "Could not find node"}
    versioned = client.get("/api/v1/column-lineage", params={"nodeId": f"dataset:{NS}:x#{uuid.uuid4()}",
                                                            "withDownstream": "true"})
    assert versioned.status_code == 400


def test_the_web_uis_charts(client: TestClient) -> None:
    # The fixtures' events, at most a day old, fall in the last 24 hours and the last 7 days.
    hours = client.get("/api/v1/stats/lineage-events", params={"period": "day"}).json()
    assert len(hours) == 24 and hours[-1]["startInterval"] == "2026-03-02T12:00:00Z"
    assert [hours[k]["endInterval"] for k in range(23)] == [hours[k + 1]["startInterval"] for k in range(23)]
    _post(client, _event("START", str(uuid.uuid4()), "charted", "2026-03-02T12:00:00Z"))
    after = client.get("/api/v1/stats/lineage-events", params={"period": "DAY"}).json()
    assert after[-1]["start"] == hours[-1]["start"] + 1
    week = client.get("/api/v1/stats/jobs", params={"period": "WEEK", "timezone": "America/New_York"}).json()
    # Days in New York, the last one today there (12:00 UTC is 07:00 in New York), written as local midnights.
    assert [day["startInterval"] for day in week][-2:] == ["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"]
    # every job made by now (none deleted yet), and fewer a week ago
    assert week[-1]["count"] == client.get("/api/v1/jobs").json()["totalCount"]
    assert week[0]["count"] < week[-1]["count"]
    assert client.get("/api/v1/stats/datasets", params={"period": "WEEK"}).json() == {
        "code": 400, "message": "Timezone must be specified for period 'WEEK'"}
    assert client.get("/api/v1/stats/sources").json() == {"code": 400, "message": "Invalid period"}
    assert client.get("/api/v1/stats/sources", params={"period": "month"}).json() == {
        "code": 400, "message": "query param period must be one of [DAY, WEEK]"}


def test_a_streaming_job_is_versioned_by_every_event(client: TestClient) -> None:
    tag, run_id = uuid.uuid4().hex[:6], str(uuid.uuid4())
    event = _event("START", run_id, f"stream_{tag}", "2026-03-01T10:00:00Z", inputs=[_dataset(f"topic_{tag}", "v")],
                   outputs=[_dataset(f"sink_{tag}", "v")])
    event["job"]["facets"] = {"jobType": {"_producer": PRODUCER, "_schemaURL": "https://x/JobTypeJobFacet.json",
                                          "processingType": "STREAMING", "integration": "FLINK", "jobType": "JOB"}}
    _post(client, event)
    job = client.get(f"/api/v1/namespaces/{NS}/jobs/stream_{tag}").json()
    assert job["type"] == "STREAM" and job["currentVersion"] is not None and job["labels"] == ["JOB", "FLINK"]
    assert len(client.get(f"/api/v1/namespaces/{NS}/jobs/stream_{tag}/versions").json()["versions"]) == 1
    # what it writes is current at once, and it is in the lineage graph while it runs
    assert client.get(f"/api/v1/namespaces/{NS}/datasets/sink_{tag}").json()["currentVersion"] is not None
    graph = client.get("/api/v1/lineage", params={"nodeId": f"job:{NS}:stream_{tag}"}).json()["graph"]
    assert f"dataset:{NS}:sink_{tag}" in [node["id"] for node in graph]


def test_a_datasets_facets_are_its_current_versions(client: TestClient) -> None:
    tag = uuid.uuid4().hex[:6]
    owned = _dataset(f"owned_{tag}", "a")
    owned["facets"]["ownership"] = {"_producer": PRODUCER, "_schemaURL": "https://x/OwnershipDatasetFacet.json",
                                    "owners": [{"name": "team:data"}]}
    _post(client, _event("COMPLETE", str(uuid.uuid4()), f"job_{tag}", "2026-03-01T10:00:00Z", outputs=[owned]))
    path = f"/api/v1/namespaces/{NS}/datasets/owned_{tag}"
    assert set(client.get(path).json()["facets"]) == {"schema", "ownership"}
    _post(client, _event("COMPLETE", str(uuid.uuid4()), f"job_{tag}", "2026-03-01T11:00:00Z",
                         outputs=[_dataset(f"owned_{tag}", "a")]))
    assert set(client.get(path).json()["facets"]) == {"schema"}
    assert client.get(f"{path}/versions").json()["totalCount"] == 2


def test_runs_of_the_run_endpoints_and_of_events_are_the_same_runs(client: TestClient) -> None:
    tag = uuid.uuid4().hex[:6]
    client.put(f"/api/v1/namespaces/{NS}", json={"ownerName": "me"})
    made = client.post(f"/api/v1/namespaces/{NS}/jobs/job_{tag}/runs", json={})
    assert made.status_code == 404  # the job must exist for the run endpoints
    _post(client, _event("START", str(uuid.uuid4()), f"job_{tag}", "2026-03-01T10:00:00Z"))
    created = client.post(f"/api/v1/namespaces/{NS}/jobs/job_{tag}/runs", json={}).json()
    # An event finishes the run the run endpoint made...
    _post(client, _event("COMPLETE", created["id"], f"job_{tag}", "2026-03-01T10:05:00Z"))
    assert client.get(f"/api/v1/jobs/runs/{created['id']}").json()["state"] == "COMPLETED"
    # ...and the run endpoints mark a run an event started.
    started = str(uuid.uuid4())
    _post(client, _event("START", started, f"job_{tag}", "2026-03-01T11:00:00Z"))
    failed = client.post(f"/api/v1/jobs/runs/{started}/fail", params={"at": "2026-03-01T11:01:00Z"}).json()
    assert (failed["state"], failed["durationMs"]) == ("FAILED", 60_000)
    runs = client.get(f"/api/v1/namespaces/{NS}/jobs/job_{tag}/runs").json()
    assert {run["id"] for run in runs["runs"]} >= {created["id"], started} and runs["totalCount"] == 3


def test_a_dataset_is_found_by_its_symlinks(client: TestClient) -> None:
    # Spark names a table's files by their path, and the table by a symlink: Marquez finds it by either.
    tag = uuid.uuid4().hex[:6]
    files = {"namespace": "hdfs://cluster", "name": f"/warehouse/sales_{tag}",
             "facets": {**_schema("id"), "symlinks": {"_producer": PRODUCER, "_schemaURL": "https://x/Symlinks.json",
                                                     "identifiers": [{"namespace": "hive://metastore",
                                                                      "name": f"db.sales_{tag}", "type": "TABLE"}]}}}
    _post(client, _event("COMPLETE", str(uuid.uuid4()), f"job_{tag}", "2026-03-01T10:00:00Z", outputs=[files]))
    hive, hdfs = quote("hive://metastore", safe=""), quote("hdfs://cluster", safe="")
    primary = client.get(f"/api/v1/namespaces/{hdfs}/datasets/{quote(files['name'], safe='')}").json()
    by_symlink = client.get(f"/api/v1/namespaces/{hive}/datasets/db.sales_{tag}")
    assert by_symlink.status_code == 200 and by_symlink.json() == primary  # reported under its own name
    listed = client.get(f"/api/v1/namespaces/{hive}/datasets", params={"limit": 1000}).json()
    mine = [d for d in listed["datasets"] if d["name"] == f"db.sales_{tag}"]
    assert len(mine) == 1 and mine[0]["namespace"] == "hive://metastore" and listed["totalCount"] >= 1
    found = client.get("/api/v1/search", params={"q": f"sales_{tag}", "filter": "DATASET"}).json()["results"]
    assert sorted((r["namespace"], r["name"]) for r in found) == [
        ("hdfs://cluster", f"/warehouse/sales_{tag}"), ("hive://metastore", f"db.sales_{tag}")]
