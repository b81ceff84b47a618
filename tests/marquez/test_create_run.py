"""POST /api/v1/namespaces/{namespace}/jobs/{job}/runs, as the seed documents it and Marquez answers it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from starlette.testclient import TestClient

from mockingjob.http.app import MockApp
from tests.conftest import EPOCH

RUNS = "/api/v1/namespaces/food_delivery/jobs/etl_orders/runs"
RUN_FIELDS = {"id", "createdAt", "updatedAt", "nominalStartTime", "nominalEndTime", "state", "startedAt", "endedAt",
              "durationMs", "args", "jobVersion", "inputDatasetVersions", "outputDatasetVersions", "context",
              "facets"}


def test_the_seed_request_creates_a_new_run_with_its_args_as_strings(client: TestClient) -> None:
    body = {"args": {"email": "me@example.com", "emailOnFailure": False, "emailOnRetry": True, "retries": 1}}
    response = client.post(RUNS, json=body)
    assert response.status_code == 201, response.text
    run = response.json()
    assert set(run) == RUN_FIELDS
    assert uuid.UUID(run["id"]).version == 4
    assert run["args"] == {"email": "me@example.com", "emailOnFailure": "false", "emailOnRetry": "true",
                           "retries": "1"}
    assert run["state"] == "NEW"
    assert run["createdAt"] == run["updatedAt"] == "2026-03-02T12:00:00Z"
    assert run["startedAt"] is None and run["endedAt"] is None and run["durationMs"] is None
    assert run["nominalStartTime"] is None and run["nominalEndTime"] is None
    assert run["jobVersion"] is None
    assert run["inputDatasetVersions"] == [] and run["outputDatasetVersions"] == []
    assert run["facets"] == {}
    assert response.headers["location"] == f"http://testserver/api/v1/jobs/runs/{run['id']}"


def test_a_created_run_can_be_read_back_and_is_listed_for_its_job(client: TestClient) -> None:
    run = client.post(RUNS, json={}).json()
    assert client.get(f"/api/v1/jobs/runs/{run['id']}").json() == run
    listed = client.get(RUNS).json()
    assert run["id"] in [r["id"] for r in listed["runs"]]


def test_the_body_may_be_left_out_or_empty_or_all_null(client: TestClient) -> None:
    without = client.post(RUNS)
    empty = client.post(RUNS, json={})
    nulls = client.post(RUNS, json={"id": None, "nominalStartTime": None, "nominalEndTime": None, "args": None})
    assert without.status_code == empty.status_code == nulls.status_code == 201
    assert len({without.json()["id"], empty.json()["id"], nulls.json()["id"]}) == 3
    assert without.json()["args"] == nulls.json()["args"] == {}


def test_the_run_carries_its_jobs_context(client: TestClient) -> None:
    run = client.post("/api/v1/namespaces/ml-platform/jobs/train_churn_model/runs", json={}).json()
    assert run["context"] == {"framework": "scikit-learn"}


def test_a_given_id_is_used_lowercased(client: TestClient) -> None:
    given = "8F2E7A2C-1C0B-4C8E-9C55-0B6F2A3D4E5F"
    response = client.post(RUNS, json={"id": given})
    assert response.status_code == 201
    assert response.json()["id"] == given.lower()
    assert client.get(f"/api/v1/jobs/runs/{given}").json()["id"] == given.lower()


def test_nominal_times_are_stored_as_utc_instants(client: TestClient) -> None:
    body = {"nominalStartTime": "2026-03-02T13:00:00+01:00", "nominalEndTime": "2026-03-02T13:30:00.250Z"}
    run = client.post(RUNS, json=body).json()
    assert run["nominalStartTime"] == "2026-03-02T12:00:00Z"
    assert run["nominalEndTime"] == "2026-03-02T13:30:00.250Z"


def test_created_at_follows_the_clock(client: TestClient, mock: MockApp) -> None:
    mock.clock.advance(timedelta(minutes=5, microseconds=123456))
    run = client.post(RUNS, json={}).json()
    assert run["createdAt"] == (EPOCH + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S") + ".123456Z"


def test_a_run_id_that_exists_anywhere_is_refused(client: TestClient) -> None:
    # 6d30fe40… is a run of another job, etl_delivery_7_days: run ids are unique across all jobs.
    taken = "6d30fe40-f527-456e-b960-218a256b72e1"
    response = client.post(RUNS, json={"id": taken})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": f"Run '{taken}' already exists for 'etl_orders' under "
                                                       "namespace 'food_delivery'."}
    again = client.post(RUNS, json={"id": str(uuid.uuid4())})
    assert client.post(RUNS, json={"id": again.json()["id"]}).status_code == 400


def test_a_missing_namespace_or_job_is_a_404_in_that_order(client: TestClient) -> None:
    assert client.post("/api/v1/namespaces/nowhere/jobs/nothing/runs", json={}).json() == {
        "code": 404, "message": "Namespace 'nowhere' not found."}
    response = client.post("/api/v1/namespaces/food_delivery/jobs/nothing/runs", json={})
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Job 'nothing' not found."}


def test_the_namespace_is_checked_before_the_run_id(client: TestClient) -> None:
    taken = "6d30fe40-f527-456e-b960-218a256b72e1"
    assert client.post("/api/v1/namespaces/nowhere/jobs/etl_orders/runs", json={"id": taken}).status_code == 404


def test_names_of_1024_characters_are_accepted_and_longer_ones_are_not(client: TestClient) -> None:
    namespace, job = "n" * 1024, "j" * 1024
    assert client.put(f"/api/v1/namespaces/{namespace}", json={"ownerName": "me"}).status_code == 200
    created = client.put(f"/api/v1/namespaces/{namespace}/jobs/{job}", json={"type": "BATCH", "inputs": [],
                                                                           "outputs": []})
    assert created.status_code == 200
    assert client.post(f"/api/v1/namespaces/{namespace}/jobs/{job}/runs", json={}).status_code == 201
    too_long = client.post(f"/api/v1/namespaces/{namespace}/jobs/{job}x/runs", json={})
    assert too_long.status_code == 404
    assert too_long.json() == {"code": 404, "message": "HTTP 404 Not Found"}


def test_malformed_json_is_a_400_in_marquez_shape_not_a_500(client: TestClient) -> None:
    response = client.post(RUNS, content=b'{"args": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["message"].startswith("Unable to process JSON")


def test_bodies_marquez_cannot_read_are_refused(client: TestClient) -> None:
    for body in ({"id": "not-a-uuid"}, {"args": {"nested": {"a": 1}}},
                 {"args": {"gone": None}}, {"nominalStartTime": "yesterday"}, [], "text"):
        response = client.post(RUNS, json=body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"code", "message"}
        assert response.json()["code"] == 400


def test_an_impossible_calendar_date_is_refused(client: TestClient) -> None:
    response = client.post(RUNS, json={"nominalStartTime": "2026-02-30T00:00:00Z"})
    assert response.status_code == 400
    assert "nominalStartTime" in response.json()["message"]


def test_a_body_that_is_not_json_is_a_415(client: TestClient) -> None:
    response = client.post(RUNS, content=b"id=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert response.json() == {"code": 415, "message": "HTTP 415 Unsupported Media Type"}


def test_a_prefer_header_asking_for_an_outcome_is_refused_since_marquez_runs_nothing(client):
    response = client.post("/api/v1/namespaces/default/jobs/example_job/runs", json={},
                           headers={"Prefer": "outcome=FAILED"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and "runs nothing by itself" in body["message"]
    assert client.post("/api/v1/namespaces/default/jobs/example_job/runs", json={},
                       headers={"Prefer": "code=409"}).status_code == 409
