"""Scenarios and the Prefer header steer the runs startRun and rerun create: outcome, failure reason,
seconds per state, or an immediate error in Coalesce's shape."""

from __future__ import annotations

from datetime import timedelta

from tests.coalesce.helpers import (
    BASIC,
    DAILY_ORDERS,
    FAILED_FINANCE_RUN,
    NIGHTLY_FINANCE,
    PRODUCTION,
    TOKEN,
    error,
    poll_until_final,
    run,
    start,
)
from tests.conftest import EPOCH
from tests.support import at

ADMIN = "/_mockingjob"


def _scenario(client, **body):
    response = client.post(f"{ADMIN}/scenarios", json={"api": "coalesce", **body})
    assert response.status_code == 201, response.text
    return response.json()


def _start(client, headers=None, **details):
    body = {"runDetails": {"environmentID": PRODUCTION, **details}, "userCredentials": BASIC}
    return client.post("/scheduler/startRun", json=body, headers={**TOKEN, **(headers or {})})


def test_a_scenario_makes_a_job_that_completes_fail_with_the_reason_given(mock, client):
    _scenario(client, operation="Jobs_initiateRun", match={"jobName": "Daily Orders"},
              failure="Warehouse TRANSFORM_WH is suspended")
    run_id = start(client, jobID=DAILY_ORDERS)
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    assert run(client, run_id)["runFailureReason"] == "Warehouse TRANSFORM_WH is suspended"


def test_a_scenario_makes_a_failing_job_complete(mock, client):
    _scenario(client, match={"environment": PRODUCTION, "job": 2}, outcome="completed")
    run_id = start(client, jobID=NIGHTLY_FINANCE)
    assert poll_until_final(mock, client, run_id)[-1] == "completed"


def test_scenario_durations_set_how_long_each_state_lasts(mock, client):
    _scenario(client, operation="Jobs_initiateRun", durations={"waitingToRun": "PT1M", "running": "PT10M"})
    run_id = start(client, jobID=DAILY_ORDERS)
    assert poll_until_final(mock, client, run_id, step=30)[-1] == "completed"
    # 60 s waiting, 3 s initializing, 5 s rendering, 600 s running.
    assert at(run(client, run_id)["runEndTime"]) == EPOCH + timedelta(seconds=668)


def test_the_prefer_header_asks_for_an_outcome_for_one_request(mock, client):
    response = _start(client, {"Prefer": 'outcome=failed, failure="quota exceeded"'}, jobID=DAILY_ORDERS)
    run_id = response.json()["runCounter"]
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    assert run(client, run_id)["runFailureReason"] == "quota exceeded"
    assert poll_until_final(mock, client, start(client, jobID=DAILY_ORDERS))[-1] == "completed"


def test_a_rerun_takes_the_scenario_too(mock, client):
    _scenario(client, operation="Jobs_triggerRerun", outcome="failed", failure="still broken")
    body = {"runDetails": {"runID": str(FAILED_FINANCE_RUN)}, "userCredentials": BASIC}
    run_id = client.post("/scheduler/rerun", json=body, headers=TOKEN).json()["runCounter"]
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    assert run(client, run_id)["runFailureReason"] == "still broken"


def test_a_respond_scenario_answers_in_coalesces_error_shape_and_starts_no_run(client):
    _scenario(client, operation="Jobs_initiateRun", respond={"status": 503, "message": "Scheduler unavailable"})
    assert error(_start(client), 503) == "Scheduler unavailable"
    assert client.get("/api/v1/runs", params={"limit": 1}, headers=TOKEN).json()["data"][0]["id"] == 23
