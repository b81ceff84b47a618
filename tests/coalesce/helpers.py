"""Requests and checks the Coalesce behaviour tests share."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

TOKEN = {"Authorization": "Bearer test-token"}
BASIC = {"snowflakeUsername": "ANALYST", "snowflakePassword": "pa55-word", "snowflakeAuthType": "Basic"}

# See fixtures/coalesce: environment 2 (Production) runs complete; job 1 (Daily Orders) picks six of its nine
# nodes; job 2 (Nightly Finance) fails at FCT_REVENUE on a first run and completes when rerun. Environment 3
# (Staging) has OAuth and a failed last deployment; every run of environment 4 (QA) fails while connecting.
PRODUCTION, STAGING, QA = "2", "3", "4"
DAILY_ORDERS, NIGHTLY_FINANCE, HOURLY_VISITS = "1", "2", "3"
FAILED_FINANCE_RUN = 11  # job 2's failed run, never rerun
RUNNING_REFRESH = 17  # in "running" when the mock starts, for minutes yet



def start(client: Any, credentials: dict[str, Any] | None = BASIC, **details: Any) -> int:
    body: dict[str, Any] = {"runDetails": {"environmentID": PRODUCTION, **details}}
    if credentials is not None:
        body["userCredentials"] = credentials
    response = client.post("/scheduler/startRun", json=body, headers=TOKEN)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"runCounter"}
    return int(response.json()["runCounter"])


def status(client: Any, run_id: int) -> str:
    response = client.get("/scheduler/runStatus", params={"runCounter": run_id}, headers=TOKEN)
    assert response.status_code == 200, response.text
    return str(response.json()["runStatus"])


def run(client: Any, run_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/runs/{run_id}", headers=TOKEN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def results(client: Any, run_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/runs/{run_id}/results", headers=TOKEN)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def runs(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/runs", params=params, headers=TOKEN)
    assert response.status_code == 200, response.text
    return dict(response.json())


def poll_until_final(mock: Any, client: Any, run_id: int, step: float = 1, limit: int = 600) -> list[str]:
    """Every status a client polling each `step` seconds would see, up to the final one."""
    seen: list[str] = []
    for _ in range(limit):
        current = status(client, run_id)
        if not seen or seen[-1] != current:
            seen.append(current)
        if current in ("completed", "failed", "canceled"):
            return seen
        mock.clock.advance(timedelta(seconds=step))
    raise AssertionError(f"run {run_id} still {seen[-1]} after {limit} polls")


def error(response: Any, status_code: int) -> str:
    """The message of a Coalesce error body, after checking its shape."""
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"] and set(body["error"]) == {"errorString", "errorDetail"}
    assert body["error"]["errorString"] == body["error"]["errorDetail"]
    assert body["error"]["errorString"].startswith(f"{status_code}: ")
    return str(body["error"]["errorString"][len(f"{status_code}: "):])
