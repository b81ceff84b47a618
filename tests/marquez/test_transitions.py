"""POST /api/v1/jobs/runs/{id}/start|complete|fail|abort and GET /api/v1/jobs/runs/{id}."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from mockingjob.http.app import MockApp

RUNS = "/api/v1/namespaces/food_delivery/jobs/etl_orders/runs"
RUNNING_RUN = "99d80d61-b4d3-4f21-997b-eacfcb7b00bb"  # etl_delivery_7_days, started at EPOCH - 9 minutes


def _new_run(client: TestClient) -> str:
    return str(client.post(RUNS, json={}).json()["id"])


def _mark(client: TestClient, run_id: str, action: str, at: str | None = None) -> dict[str, object]:
    response = client.post(f"/api/v1/jobs/runs/{run_id}/{action}", params={"at": at} if at else None)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_new_run_stays_new_however_much_time_passes(client: TestClient, mock: MockApp) -> None:
    run_id = _new_run(client)
    mock.clock.advance(timedelta(days=3))
    assert client.get(f"/api/v1/jobs/runs/{run_id}").json()["state"] == "NEW"


def test_the_full_lifecycle_with_explicit_instants(client: TestClient) -> None:
    run_id = _new_run(client)
    started = _mark(client, run_id, "start", "2026-03-02T12:01:00.500Z")
    assert started["state"] == "RUNNING"
    assert started["startedAt"] == started["updatedAt"] == "2026-03-02T12:01:00.500Z"
    assert started["endedAt"] is None and started["durationMs"] is None
    assert started["createdAt"] == "2026-03-02T12:00:00Z"
    completed = _mark(client, run_id, "complete", "2026-03-02T12:03:01.123456Z")
    assert completed["state"] == "COMPLETED"
    assert completed["startedAt"] == "2026-03-02T12:01:00.500Z"
    assert completed["endedAt"] == completed["updatedAt"] == "2026-03-02T12:03:01.123456Z"
    assert completed["durationMs"] == 120623  # whole milliseconds, truncated
    assert client.get(f"/api/v1/jobs/runs/{run_id}").json() == completed


def test_without_at_the_transition_happens_now(client: TestClient, mock: MockApp) -> None:
    run_id = _new_run(client)
    mock.clock.advance(timedelta(seconds=90))
    started = _mark(client, run_id, "start")
    assert started["startedAt"] == "2026-03-02T12:01:30Z"
    mock.clock.advance(timedelta(seconds=30))
    failed = _mark(client, run_id, "fail")
    assert failed["state"] == "FAILED"
    assert failed["endedAt"] == "2026-03-02T12:02:00Z"
    assert failed["durationMs"] == 30000


@pytest.mark.parametrize(("action", "state"), [("complete", "COMPLETED"), ("fail", "FAILED"), ("abort", "ABORTED")])
def test_finishing_a_run_records_the_job_version(client: TestClient, action: str, state: str) -> None:
    run_id = _new_run(client)
    finished = _mark(client, run_id, action)
    assert finished["state"] == state
    version = finished["jobVersion"]
    assert isinstance(version, dict)
    assert version["namespace"] == "food_delivery" and version["name"] == "etl_orders"
    # The version the run ran is the job's: listed among its versions, with this run as its latest.
    recorded = client.get(f"/api/v1/namespaces/food_delivery/jobs/etl_orders/versions/{version['version']}")
    assert recorded.status_code == 200
    assert recorded.json()["latestRun"]["id"] == run_id
    # A run no lineage event named read and wrote nothing (JobVersionDao.loadJobRowRunDetails): nor did its version.
    assert recorded.json()["inputs"] == [] and recorded.json()["outputs"] == []
    listed = client.get("/api/v1/namespaces/food_delivery/jobs/etl_orders/versions").json()["versions"]
    assert listed[0]["version"] == version["version"]  # newest first, after the fixtures' one
    # Marquez names the job's current version by the version's row id, not by the hash a run gives.
    job = client.get("/api/v1/namespaces/food_delivery/jobs/etl_orders").json()
    assert job["currentVersion"] and job["currentVersion"] != version["version"]


def test_a_run_finished_before_it_started_has_no_start_and_no_duration(client: TestClient) -> None:
    aborted = _mark(client, _new_run(client), "abort")
    assert aborted["startedAt"] is None
    assert aborted["endedAt"] == "2026-03-02T12:00:00Z"
    assert aborted["durationMs"] is None


def test_any_state_may_follow_any_state_and_the_latest_start_counts(client: TestClient) -> None:
    # RunDao.updateStartState sets started_at on every start, unconditionally.
    run_id = _new_run(client)
    _mark(client, run_id, "start", "2026-03-02T12:00:10Z")
    _mark(client, run_id, "complete", "2026-03-02T12:00:20Z")
    restarted = _mark(client, run_id, "start", "2026-03-02T12:00:30Z")
    assert restarted["state"] == "RUNNING"
    assert restarted["startedAt"] == "2026-03-02T12:00:30Z"
    assert restarted["endedAt"] == "2026-03-02T12:00:20Z"
    assert restarted["updatedAt"] == "2026-03-02T12:00:30Z"
    failed = _mark(client, run_id, "fail", "2026-03-02T12:00:40Z")
    assert failed["endedAt"] == "2026-03-02T12:00:40Z"
    assert failed["durationMs"] == 10000


def test_a_second_start_moves_the_start_and_the_duration(client: TestClient) -> None:
    run_id = _new_run(client)
    _mark(client, run_id, "start", "2026-03-02T12:00:00Z")
    _mark(client, run_id, "start", "2026-03-02T13:00:00Z")
    completed = _mark(client, run_id, "complete", "2026-03-02T14:00:00Z")
    assert completed["startedAt"] == "2026-03-02T13:00:00Z"
    assert completed["durationMs"] == 3_600_000


def test_an_end_before_the_start_gives_a_negative_duration(client: TestClient) -> None:
    run_id = _new_run(client)
    _mark(client, run_id, "start", "2026-03-02T12:00:10Z")
    assert _mark(client, run_id, "complete", "2026-03-02T12:00:09.9995Z")["durationMs"] == 0
    assert _mark(client, run_id, "complete", "2026-03-02T12:00:08Z")["durationMs"] == -2000


def test_at_may_carry_an_offset_and_nanoseconds(client: TestClient) -> None:
    started = _mark(client, _new_run(client), "start", "2026-03-02T14:00:00.123456789+02:00")
    assert started["startedAt"] == "2026-03-02T12:00:00.123456Z"


def test_a_fixture_run_can_be_completed(client: TestClient) -> None:
    completed = _mark(client, RUNNING_RUN, "complete", "2026-03-02T12:00:00Z")
    assert completed["startedAt"] == "2026-03-02T11:51:00Z"
    assert completed["durationMs"] == 9 * 60 * 1000


def test_an_unknown_run_is_a_404(client: TestClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for path in ("", "/start", "/complete?at=2026-03-02T12:00:00Z", "/fail", "/abort"):
        method = client.get if not path else client.post
        response = method(f"/api/v1/jobs/runs/{unknown}{path}")
        assert response.status_code == 404, path
        assert response.json() == {"code": 404, "message": f"Run '{unknown}' not found."}


def test_a_run_id_that_is_not_a_uuid_is_a_plain_404(client: TestClient) -> None:
    response = client.get("/api/v1/jobs/runs/42")
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "HTTP 404 Not Found"}


@pytest.mark.parametrize("at", ["yesterday", "2026-03-02 12:00:00", "2026-13-02T12:00:00Z", "2026-03-02T12:00:00"])
def test_an_unreadable_at_is_a_400_not_a_500(client: TestClient, at: str) -> None:
    response = client.post(f"/api/v1/jobs/runs/{RUNNING_RUN}/complete", params={"at": at})
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert client.get(f"/api/v1/jobs/runs/{RUNNING_RUN}").json()["state"] == "RUNNING"


def test_transitions_take_no_other_method(client: TestClient) -> None:
    response = client.get(f"/api/v1/jobs/runs/{RUNNING_RUN}/start")
    assert response.status_code == 405
    assert response.json() == {"code": 405, "message": "HTTP 405 Method Not Allowed"}
