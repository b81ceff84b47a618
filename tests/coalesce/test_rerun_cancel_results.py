"""Rerunning a failed run, canceling one in flight, and the per-node results that fill in as a run goes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.coalesce.helpers import (
    BASIC,
    DAILY_ORDERS,
    FAILED_FINANCE_RUN,
    NIGHTLY_FINANCE,
    PRODUCTION,
    RUNNING_REFRESH,
    TOKEN,
    error,
    poll_until_final,
    results,
    run,
    start,
    status,
)
from tests.conftest import EPOCH
from tests.support import at


def rerun(client, run_id, credentials=BASIC, **details):
    body = {"runDetails": {"runID": str(run_id), **details}, "userCredentials": credentials}
    return client.post("/scheduler/rerun", json=body, headers=TOKEN)


def cancel(client, run_id, **extra):
    return client.post("/scheduler/cancelRun", json={"runID": run_id, **extra}, headers=TOKEN)


# --- rerun -------------------------------------------------------------------------------------------------

def test_rerunning_a_failed_run_processes_only_the_nodes_that_did_not_succeed(mock, client):
    failed_nodes = {r["name"]: r["queryResults"][0]["status"] for r in results(client, FAILED_FINANCE_RUN)}
    # Parallelism 2: STG_PAYMENTS and FCT_ORDERS succeeded, FCT_REVENUE failed.
    assert failed_nodes == {"STG_PAYMENTS": "Success", "FCT_ORDERS": "Success", "FCT_REVENUE": "Failed"}
    response = rerun(client, FAILED_FINANCE_RUN)
    assert response.status_code == 200, response.text
    new_id = response.json()["runCounter"]
    assert poll_until_final(mock, client, new_id)[-1] == "completed"  # the job's second attempt completes
    again = run(client, new_id)
    assert again["reRunID"] == str(FAILED_FINANCE_RUN)
    assert again["runType"] == "refresh"
    assert again["runDetails"]["jobID"] == 2 and again["runDetails"]["nodesInRun"] == 1
    assert [r["name"] for r in results(client, new_id)] == ["FCT_REVENUE"]
    # Parameters of the previous run are not kept.
    assert "CLOSE_MONTH" not in again["runTimeParameters"]


def test_a_rerun_that_fails_again_can_be_rerun_itself(mock, client):
    first = start(client, jobID=NIGHTLY_FINANCE)
    assert poll_until_final(mock, client, first)[-1] == "failed"
    second = rerun(client, first).json()["runCounter"]
    assert poll_until_final(mock, client, second)[-1] == "completed"


@pytest.mark.parametrize(("run_id", "message"), [
    (3, "Run 3 is a completed refresh run; only failed or canceled refresh runs can be rerun."),
    (6, "Run 6 is a failed deploy run; only failed or canceled refresh runs can be rerun."),
    (RUNNING_REFRESH, "Run 17 is a running refresh run; only failed or canceled refresh runs can be rerun."),
    (999, "Run 999 not found."),
    ("abc", "Run abc not found."),
])
def test_only_failed_or_canceled_refresh_runs_can_be_rerun(client, run_id, message):
    assert error(rerun(client, run_id), 400) == message


def test_rerun_requires_credentials(client):
    response = client.post("/scheduler/rerun", json={"runDetails": {"runID": "11"}}, headers=TOKEN)
    assert error(response, 400) == "userCredentials is required."


# --- cancel ------------------------------------------------------------------------------------------------

def test_canceling_a_running_run_stops_it_and_its_running_nodes(mock, client):
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=2)
    mock.clock.advance(timedelta(seconds=25))  # the second batch is running
    assert status(client, run_id) == "running"
    response = cancel(client, run_id, orgID="org-1", environmentID=PRODUCTION)
    assert response.status_code == 204 and response.content == b""
    assert status(client, run_id) == "canceled"
    canceled = run(client, run_id)
    assert canceled["runDetails"]["canceled"] is True
    assert at(canceled["runEndTime"]) == EPOCH + timedelta(seconds=25)
    states = [r["queryResults"][0]["status"] for r in results(client, run_id)]
    assert states == ["Success", "Success", "Canceled", "Canceled"]
    mock.clock.advance(timedelta(minutes=5))
    assert status(client, run_id) == "canceled" and len(results(client, run_id)) == 4


def test_a_run_canceled_while_waiting_never_runs(mock, client):
    run_id = start(client)
    assert cancel(client, run_id).status_code == 204
    mock.clock.advance(timedelta(minutes=5))
    assert status(client, run_id) == "canceled" and results(client, run_id) == []
    listed = client.get("/api/v1/runs", params={"runStatus": "canceled", "limit": 1}, headers=TOKEN).json()
    assert listed["data"][0]["id"] == run_id


def test_a_fixture_run_in_flight_can_be_canceled(client):
    assert status(client, RUNNING_REFRESH) == "running"
    assert cancel(client, RUNNING_REFRESH).status_code == 204
    assert status(client, RUNNING_REFRESH) == "canceled"


def test_a_canceled_run_can_be_rerun(mock, client):
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=2)
    mock.clock.advance(timedelta(seconds=25))
    cancel(client, run_id)
    new_id = rerun(client, run_id).json()["runCounter"]
    assert run(client, new_id)["runDetails"]["nodesInRun"] == 4
    assert poll_until_final(mock, client, new_id)[-1] == "completed"


@pytest.mark.parametrize(("run_id", "extra", "message"), [
    (3, {}, "Run 3 is already completed and cannot be canceled."),
    (FAILED_FINANCE_RUN, {}, "Run 11 is already failed and cannot be canceled."),
    (999, {}, "Run 999 not found."),
    (RUNNING_REFRESH, {"environmentID": "3"}, "Run 17 not found in environment 3."),
])
def test_only_a_run_in_flight_can_be_canceled(client, run_id, extra, message):
    assert error(cancel(client, run_id, **extra), 400) == message


def test_cancel_takes_run_id_not_run_counter(client):
    response = client.post("/scheduler/cancelRun", json={"runCounter": 17}, headers=TOKEN)
    assert error(response, 400) == "runID is required."


# --- results -----------------------------------------------------------------------------------------------

def test_results_fill_in_as_the_run_progresses(mock, client):
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=4)
    assert results(client, run_id) == []  # waiting, initializing, rendering: no node has started
    mock.clock.advance(timedelta(seconds=12))
    first = results(client, run_id)
    assert len(first) == 4 and all(r["isRunning"] for r in first)
    query = first[0]["queryResults"][0]
    assert query["status"] == "Running" and query["isRunning"] is True and query["success"] is False
    assert "endTime" not in query and "rowsInserted" not in query
    assert first[0]["renderQueryResult"]["success"] is True
    mock.clock.advance(timedelta(seconds=10))
    second = results(client, run_id)
    assert [r["isRunning"] for r in second] == [False] * 4 + [True] * 2
    done = second[0]["queryResults"][0]
    assert done["status"] == "Success" and done["success"] is True and done["rowsInserted"] >= 0
    assert at(done["endTime"]) - at(done["startTime"]) == timedelta(seconds=10)
    mock.clock.advance(timedelta(seconds=10))
    final = results(client, run_id)
    assert status(client, run_id) == "completed"
    assert [r["name"] for r in final] == ["STG_ORDERS", "STG_CUSTOMERS", "STG_PAYMENTS", "DIM_CUSTOMER",
                                          "DIM_PRODUCT", "FCT_ORDERS"]
    assert all(r["queryResults"][0]["success"] for r in final)
    assert final == results(client, run_id)  # stable once the run is over


def test_a_failed_nodes_result_carries_the_error(client):
    node = next(r for r in results(client, FAILED_FINANCE_RUN) if r["name"] == "FCT_REVENUE")
    failed = node["queryResults"][0]
    assert failed["success"] is False and failed["status"] == "Failed"
    assert "AMOUNT_USD" in failed["error"]["errorDetail"]


def test_results_and_run_of_an_unknown_run_are_404(client):
    assert error(client.get("/api/v1/runs/999/results", headers=TOKEN), 404) == "Run 999 not found."
    assert error(client.get("/api/v1/runs/999", headers=TOKEN), 404) == "Run 999 not found."


def test_run_status_of_an_unknown_run_is_a_400(client):
    response = client.get("/scheduler/runStatus", params={"runCounter": 999}, headers=TOKEN)
    assert error(response, 400) == "Run 999 not found."
    assert error(client.get("/scheduler/runStatus", headers=TOKEN), 400) == "runCounter is required."


def test_a_run_id_is_taken_as_a_number_or_as_its_digits_in_rerun_and_cancel(mock, client):
    # The official spec types rerun's runID as a string and cancel's as an integer; clients send either.
    response = client.post("/scheduler/rerun", json={"runDetails": {"runID": FAILED_FINANCE_RUN},
                                                     "userCredentials": BASIC}, headers=TOKEN)
    assert response.status_code == 200, response.text
    new_id = response.json()["runCounter"]
    response = client.post("/scheduler/cancelRun", json={"runID": str(new_id)}, headers=TOKEN)
    assert response.status_code == 204, response.text
    assert status(client, new_id) == "canceled"


# The official spec's RunResult and QueryResult: a node's state is in its query results, not on the node.
RESULT_FIELDS = {"nodeID", "name", "isRunning", "queryResults", "renderQueryResult"}


def test_each_nodes_state_and_error_are_in_its_query_results_as_the_official_spec_has_them(mock, client):
    run_id = start(client, jobID=NIGHTLY_FINANCE, parallelism=2)  # STG_PAYMENTS and FCT_ORDERS, then FCT_REVENUE
    mock.clock.advance(timedelta(seconds=12))
    running = results(client, run_id)
    assert [(r["name"], r["isRunning"], r["queryResults"][0]["status"]) for r in running] == [
        ("STG_PAYMENTS", True, "Running"), ("FCT_ORDERS", True, "Running")]  # FCT_REVENUE has not started
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    final = results(client, run_id)
    assert all(set(r) == RESULT_FIELDS for r in final)
    states = {r["name"]: (r["isRunning"], r["queryResults"][0]["status"], r["queryResults"][0]["success"])
              for r in final}
    assert states == {"STG_PAYMENTS": (False, "Success", True), "FCT_ORDERS": (False, "Success", True),
                      "FCT_REVENUE": (False, "Failed", False)}
    failed = next(r for r in final if r["name"] == "FCT_REVENUE")["queryResults"][0]
    reason = run(client, run_id)["runFailureReason"]
    assert failed["error"]["errorString"] == reason
    assert failed["error"]["errorDetail"] == f"Insert Data failed for node FCT_REVENUE: {reason}"
    assert "rowsInserted" not in failed and at(failed["endTime"]) == at(run(client, run_id)["runEndTime"])
    assert all("error" not in r["queryResults"][0] for r in final if r["name"] != "FCT_REVENUE")


def test_nodes_canceled_while_running_carry_a_canceled_error(mock, client):
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=4)
    mock.clock.advance(timedelta(seconds=12))
    cancel(client, run_id)
    canceled = [r["queryResults"][0] for r in results(client, run_id)]
    assert {q["status"] for q in canceled} == {"Canceled"} and len(canceled) == 4
    assert all(q["success"] is False and q["error"]["errorString"] == "Query canceled" for q in canceled)
    assert canceled[0]["error"]["errorDetail"] == f"Run {run_id} was canceled while node STG_ORDERS was running."
