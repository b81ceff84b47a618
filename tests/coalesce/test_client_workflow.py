"""A client of a running ``mockingjob serve coalesce``, over HTTP, doing what a scheduler script or Coalesce's own
clients do: find an environment and a job, start a run of it, poll ``runStatus`` while the clock is moved through
the control plane, then read the run's results to find what failed, or that everything succeeded.

Nothing here knows the fixtures' IDs: every ID comes from an answer, as it would for a client of the real service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

HEADERS = {"Authorization": "Bearer a-client-token", "Accept": "application/json"}
CREDENTIALS = {"snowflakeAuthType": "Basic", "snowflakeUsername": "SVC_SCHEDULER", "snowflakePassword": "s3cret",
               "snowflakeWarehouse": "COMPUTE_WH", "snowflakeRole": "SYSADMIN"}
FINAL = ("completed", "failed", "canceled")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server("coalesce", "--speed", "0")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """A client session on state freshly reset to the fixtures, the clock stopped."""
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=10) as session:
        assert session.post("/_mockingjob/reset", json={}).status_code == 200
        yield session


def read(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, (path, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def environment_named(client: httpx.Client, name: str) -> dict[str, Any]:
    environments = read(client, "/api/v1/environments")["data"]
    return next(env for env in environments if env["name"] == name)


def job_named(client: httpx.Client, environment_id: str, name: str) -> dict[str, Any]:
    jobs = read(client, f"/api/v1/environments/{environment_id}/jobs")["data"]
    return next(job for job in jobs if job["name"] == name)


def start_and_wait(client: httpx.Client, environment_id: str, job_id: str) -> tuple[int, list[str]]:
    """Start the job, then poll its status every second of the mock's clock until it is final."""
    response = client.post("/scheduler/startRun", json={
        "runDetails": {"parallelism": 16, "environmentID": environment_id, "jobID": job_id},
        "userCredentials": CREDENTIALS})
    assert response.status_code == 200, response.text
    run_counter = int(response.json()["runCounter"])
    seen: list[str] = []
    for _ in range(120):
        status = read(client, "/scheduler/runStatus", runCounter=run_counter)["runStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in FINAL:
            return run_counter, seen
        assert client.post("/_mockingjob/clock/advance", json={"by": "PT1S"}).status_code == 200
    raise AssertionError(f"run {run_counter} never finished: {seen}")


def node_outcomes(client: httpx.Client, run_id: int) -> dict[str, dict[str, Any]]:
    """Each node's name → its last query result, as a client flattens /results (the official shape)."""
    results = read(client, f"/api/v1/runs/{run_id}/results")["data"]
    return {result["name"]: result["queryResults"][-1] for result in results}


def test_a_client_finds_a_job_runs_it_and_diagnoses_its_failure(client):
    production = environment_named(client, "Production")
    assert read(client, f"/api/v1/environments/{production['id']}")["name"] == "Production"
    job = job_named(client, production["id"], "Nightly Finance")
    assert read(client, f"/api/v1/environments/{production['id']}/jobs/{job['id']}") == job

    run_id, seen = start_and_wait(client, production["id"], job["id"])
    assert seen[0] == "waitingToRun" and seen[-1] == "failed"

    detail = read(client, f"/api/v1/runs/{run_id}")
    assert detail["runDetails"]["jobID"] == int(job["id"]) and detail["runDetails"]["jobName"] == job["name"]
    outcomes = node_outcomes(client, run_id)
    failing = {name: query for name, query in outcomes.items() if query["status"] == "Failed"}
    assert list(failing) == ["FCT_REVENUE"]
    error = failing["FCT_REVENUE"]["error"]
    assert "AMOUNT_USD" in error["errorString"] and "FCT_REVENUE" in error["errorDetail"]
    assert error["errorString"] == detail["runFailureReason"]
    assert {name for name, query in outcomes.items() if query["success"]} == {"STG_PAYMENTS", "FCT_ORDERS"}

    # The failing node, looked up in the environment's nodes: the client can show where it lives.
    failing_id = next(r["nodeID"] for r in read(client, f"/api/v1/runs/{run_id}/results")["data"]
                      if r["name"] == "FCT_REVENUE")
    node = read(client, f"/api/v1/environments/{production['id']}/nodes/{failing_id}")
    assert (node["locationName"], node["database"], node["schema"]) == ("FCT", "ANALYTICS_PROD", "FCT")

    # Rerun it from the point of failure: only the failed node runs again, and the run completes.
    response = client.post("/scheduler/rerun", json={"runDetails": {"runID": str(run_id)},
                                                     "userCredentials": CREDENTIALS})
    assert response.status_code == 200, response.text
    rerun_id = int(response.json()["runCounter"])
    for _ in range(60):
        if read(client, "/scheduler/runStatus", runCounter=rerun_id)["runStatus"] in FINAL:
            break
        client.post("/_mockingjob/clock/advance", json={"by": "PT5S"})
    rerun = read(client, f"/api/v1/runs/{rerun_id}")
    assert (rerun["runStatus"], rerun["runHistory"], rerun["reRunID"]) == ("completed", [run_id], str(run_id))
    assert {name: q["status"] for name, q in node_outcomes(client, rerun_id).items()} == {"FCT_REVENUE": "Success"}


def test_a_client_runs_a_job_that_succeeds(client):
    production = environment_named(client, "Production")
    job = job_named(client, production["id"], "Daily Orders")
    run_id, seen = start_and_wait(client, production["id"], job["id"])
    assert seen == ["waitingToRun", "initializing", "rendering", "running", "completed"]
    outcomes = node_outcomes(client, run_id)
    assert len(outcomes) == read(client, f"/api/v1/runs/{run_id}")["runDetails"]["nodesInRun"] == 6
    assert all(q["status"] == "Success" and q["success"] and "error" not in q for q in outcomes.values())
    # Listed among the environment's runs, started by this client's user.
    listed = read(client, "/api/v1/runs", environmentID=production["id"], limit=1, detail="true")["data"][0]
    assert listed["id"] == run_id and listed["userID"] == read(client, f"/api/v1/runs/{run_id}")["userID"]


def test_a_client_discovers_jobs_by_id_as_coalesces_mcp_client_does(client):
    # It asks for job IDs one after the other and takes a 404 (in Coalesce's error shape) as "no such job".
    production = environment_named(client, "Production")
    names = []
    for job_id in range(1, 11):
        response = client.get(f"/api/v1/environments/{production['id']}/jobs/{job_id}")
        if response.status_code == 404:
            assert set(response.json()["error"]) == {"errorString", "errorDetail"}
            continue
        assert response.status_code == 200, response.text
        names.append(response.json()["name"])
    assert names == [job["name"] for job in read(client, f"/api/v1/environments/{production['id']}/jobs")["data"]]
