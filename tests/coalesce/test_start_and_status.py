"""POST /scheduler/startRun and what a started run does as the clock moves, seen through runStatus."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.coalesce.helpers import (
    BASIC,
    DAILY_ORDERS,
    NIGHTLY_FINANCE,
    PRODUCTION,
    QA,
    STAGING,
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


def test_a_started_run_goes_through_every_state_and_completes(mock, client):
    run_id = start(client, jobID=DAILY_ORDERS)
    assert poll_until_final(mock, client, run_id) == [
        "waitingToRun", "initializing", "rendering", "running", "completed"]
    done = run(client, run_id)
    assert done["runType"] == "refresh" and done["runStatus"] == "completed"
    assert at(done["runStartTime"]) == EPOCH
    # 2 s waiting, 3 s initializing, 5 s rendering, one batch of six nodes in 10 s.
    assert at(done["runEndTime"]) == EPOCH + timedelta(seconds=20)
    assert "runFailureReason" not in done


def test_run_status_answers_status_type_and_a_link_to_the_run(client):
    run_id = start(client)
    response = client.get("/scheduler/runStatus", params={"runCounter": run_id}, headers=TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"runStatus", "runType", "runLink"}
    assert body["runType"] == "refresh" and body["runStatus"] == "waitingToRun"
    assert body["runLink"].endswith(f"/api/v1/runs/{run_id}")
    assert client.get(body["runLink"], headers=TOKEN).json()["id"] == run_id


def test_run_counters_increase_and_each_new_run_is_listed_as_a_refresh_run(client):
    first, second = start(client), start(client, jobID=DAILY_ORDERS)
    assert second == first + 1
    listed = client.get("/api/v1/runs", params={"limit": 2}, headers=TOKEN).json()["data"]
    assert [r["id"] for r in listed] == [second, first]
    assert {r["runType"] for r in listed} == {"refresh"}
    # Two runs started at the same instant still have distinct start times, a millisecond apart.
    assert at(listed[0]["runStartTime"]) - at(listed[1]["runStartTime"]) == timedelta(milliseconds=1)


def test_a_job_run_records_the_job_its_selection_and_the_default_parallelism(client):
    details = run(client, start(client, jobID=DAILY_ORDERS))["runDetails"]
    assert details["jobID"] == 1 and details["jobName"] == "Daily Orders"
    assert details["parallelism"] == 16
    assert details["nodesInRun"] == 6
    assert details["includeNodesSelector"].startswith("{ location: STG }")
    assert details["canceled"] is False and details["environmentID"] == PRODUCTION


def test_selectors_pick_the_nodes_that_run(mock, client):
    run_id = start(client, includeNodesSelector="{ location: STG } OR DIM_PRODUCT",
                   excludeNodesSelector="{ name: STG_PAYMENTS }")
    assert run(client, run_id)["runDetails"]["nodesInRun"] == 3
    mock.clock.advance(timedelta(seconds=30))
    assert [r["name"] for r in results(client, run_id)] == ["STG_ORDERS", "STG_CUSTOMERS", "DIM_PRODUCT"]


def test_without_a_job_or_selector_every_node_of_the_environment_runs(client):
    assert run(client, start(client))["runDetails"]["nodesInRun"] == 9


def test_parallelism_sets_how_many_nodes_run_at_once(mock, client):
    # Six nodes two at a time: three batches of 10 s after the 10 s before the nodes run.
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=2)
    mock.clock.advance(timedelta(seconds=15))
    assert [r["isRunning"] for r in results(client, run_id)] == [True, True]
    mock.clock.advance(timedelta(seconds=10))
    assert [r["isRunning"] for r in results(client, run_id)] == [False, False, True, True]
    mock.clock.advance(timedelta(seconds=14))
    assert status(client, run_id) == "running"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, run_id) == "completed"
    assert at(run(client, run_id)["runEndTime"]) == EPOCH + timedelta(seconds=40)


def test_a_job_whose_fixture_says_so_fails_with_a_reason(mock, client):
    run_id = start(client, jobID=NIGHTLY_FINANCE)
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    failed = run(client, run_id)
    assert "FCT_REVENUE" in failed["runFailureReason"]
    listed = client.get("/api/v1/runs", params={"runStatus": "failed", "limit": 1}, headers=TOKEN).json()["data"][0]
    assert listed["id"] == run_id and listed["runFailureReason"] == failed["runFailureReason"]


def test_an_environment_that_cannot_connect_fails_while_initializing(mock, client):
    body = {"runDetails": {"environmentID": QA}, "userCredentials": BASIC}
    run_id = client.post("/scheduler/startRun", json=body, headers=TOKEN).json()["runCounter"]
    assert poll_until_final(mock, client, run_id) == ["waitingToRun", "initializing", "failed"]
    assert "password" in run(client, run_id)["runFailureReason"]
    assert results(client, run_id) == []


@pytest.mark.parametrize("parameters", [{"TARGET_DATE": "2026-03-01", "LOAD_MODE": "full"},
                                        '{"TARGET_DATE": "2026-03-01", "LOAD_MODE": "full"}'])
def test_parameters_are_taken_as_an_object_or_as_json_text(client, parameters):
    body = {"runDetails": {"environmentID": PRODUCTION}, "userCredentials": BASIC, "parameters": parameters}
    run_id = client.post("/scheduler/startRun", json=body, headers=TOKEN).json()["runCounter"]
    # The environment's defaults, with what the run was started with on top.
    assert run(client, run_id)["runTimeParameters"] == {
        "TARGET_DB": "ANALYTICS_PROD", "LOAD_MODE": "full", "TARGET_DATE": "2026-03-01"}


@pytest.mark.parametrize("parameters", ["not json", "[1, 2]", '"text"'])
def test_parameters_text_that_is_not_a_json_object_is_a_400(client, parameters):
    body = {"runDetails": {"environmentID": PRODUCTION}, "userCredentials": BASIC, "parameters": parameters}
    assert "parameters must be a JSON object" in error(client.post("/scheduler/startRun", json=body, headers=TOKEN),
                                                       400)


# --- refusals --------------------------------------------------------------------------------------------

def _start(client, details, credentials=BASIC):
    body = {"runDetails": details}
    if credentials is not None:
        body["userCredentials"] = credentials
    return client.post("/scheduler/startRun", json=body, headers=TOKEN)


def test_environment_id_is_required(client):
    assert error(_start(client, {"jobID": "1"}), 400) == "runDetails.environmentID is required."


def test_an_unknown_environment_or_job_is_a_400(client):
    assert error(_start(client, {"environmentID": "99"}), 400) == "Environment 99 not found."
    assert error(_start(client, {"environmentID": PRODUCTION, "jobID": "42"}), 400) == \
        "Job 42 not found in environment 2."
    # A job belongs to one environment.
    assert error(_start(client, {"environmentID": PRODUCTION, "jobID": "3"}), 400) == \
        "Job 3 not found in environment 2."


@pytest.mark.parametrize(("credentials", "message"), [
    ({"snowflakeAuthType": "KeyPair", "snowflakeUsername": "SVC"},
     "snowflakeKeyPairKey is required for KeyPair authentication"),
    ({"snowflakeAuthType": "KeyPair", "snowflakeKeyPairKey": "-----BEGIN PRIVATE KEY-----\nMIIE\n"},
     "snowflakeUsername is required for KeyPair authentication"),
    ({"snowflakeUsername": "ANALYST"}, "snowflakePassword is required for Basic authentication"),
    ({"snowflakeAuthType": "Basic"}, "snowflakeUsername and snowflakePassword are required for Basic authentication"),
    ({"snowflakeAuthType": "KeyPair", "snowflakeUsername": "SVC", "snowflakeKeyPairKey": "k",
      "snowflakePassword": "p"}, "snowflakePassword cannot be used with KeyPair authentication"),
    ({**BASIC, "snowflakeKeyPairKey": "k"}, "snowflakeKeyPairKey cannot be used with Basic authentication"),
    ({"snowflakeAuthType": "OAuth", "snowflakePassword": "p"},
     "snowflakePassword cannot be used with OAuth authentication"),
])
def test_a_wrong_combination_of_credentials_is_a_400_saying_what_is_wrong(client, credentials, message):
    assert error(_start(client, {"environmentID": PRODUCTION}, credentials), 400) == message


def test_a_keypair_start_with_a_key_is_accepted(client):
    credentials = {"snowflakeAuthType": "KeyPair", "snowflakeUsername": "SVC",
                   "snowflakeKeyPairKey": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"}
    assert _start(client, {"environmentID": PRODUCTION}, credentials).status_code == 200


def test_oauth_needs_an_environment_with_an_oauth_connection(client):
    assert error(_start(client, {"environmentID": PRODUCTION}, None), 400) == \
        "userCredentials are required: environment 2 has no OAuth connection"
    assert error(_start(client, {"environmentID": PRODUCTION}, {"snowflakeAuthType": "OAuth"}), 400) == \
        "OAuth is not configured for environment 2"


def test_a_refresh_after_a_failed_deployment_needs_force_ignore_workspace_status(client):
    # Staging's last deployment failed; it has OAuth, so no credentials are needed.
    message = error(_start(client, {"environmentID": STAGING}, None), 400)
    assert message.startswith("The last deployment of environment 3 failed")
    response = _start(client, {"environmentID": STAGING, "forceIgnoreWorkspaceStatus": True}, None)
    assert response.status_code == 200
    assert run(client, response.json()["runCounter"])["userCredentials"]["snowflakeAuthType"] == "OAuth"


@pytest.mark.parametrize(("details", "message"), [
    ({"environmentID": PRODUCTION, "parallelism": 2**31}, "runDetails.parallelism must be at most 2147483647."),
    ({"environmentID": PRODUCTION, "parallelism": "4"}, "runDetails.parallelism must be of type integer."),
    ({"environmentID": PRODUCTION, "workspaceID": "2"}, "Unknown field(s) in runDetails: workspaceID"),
    ({"environmentID": 2}, "runDetails.environmentID must be of type string."),
])
def test_run_details_are_validated(client, details, message):
    assert error(_start(client, details), 400) == message


def test_a_node_selector_with_an_unknown_key_is_refused(client):
    body = {"runDetails": {"environmentID": "2", "includeNodesSelector": "{ bogus: x }"},
            "userCredentials": {"snowflakeUsername": "A", "snowflakePassword": "p", "snowflakeAuthType": "Basic"}}
    response = client.post("/scheduler/startRun", json=body, headers={"Authorization": "Bearer t"})
    assert response.status_code == 400
    assert "Unknown node selector key(s) bogus" in response.json()["error"]["errorDetail"]


@pytest.mark.parametrize(("selector", "reason"), [
    ("{ name: ", "unmatched brace"),
    ("}{", "unmatched brace"),
    ("{ name: }", "Cannot read node selector term"),
    ("{}", "Cannot read node selector term"),
    ("{ name: STG_ORDERS } OR", "OR or AND without a term"),
    ("\u0000", "control character"),
])
def test_a_node_selector_that_does_not_parse_is_refused(client, selector, reason):
    body = {"runDetails": {"environmentID": "2", "includeNodesSelector": selector},
            "userCredentials": {"snowflakeUsername": "A", "snowflakePassword": "p", "snowflakeAuthType": "Basic"}}
    response = client.post("/scheduler/startRun", json=body, headers={"Authorization": "Bearer t"})
    assert response.status_code == 400
    assert reason in response.json()["error"]["errorDetail"]


@pytest.mark.parametrize("parallelism", [0, -3])
def test_a_parallelism_below_one_is_accepted_and_runs_one_node_at_a_time(mock, client, parallelism):
    # The official spec sets no minimum on parallelism. Six nodes one at a time: 10 s before them, 10 s each.
    run_id = start(client, jobID=DAILY_ORDERS, parallelism=parallelism)
    assert run(client, run_id)["runDetails"]["parallelism"] == parallelism
    mock.clock.advance(timedelta(seconds=15))
    assert [r["isRunning"] for r in results(client, run_id)] == [True]
    mock.clock.advance(timedelta(seconds=10))
    assert [r["isRunning"] for r in results(client, run_id)] == [False, True]
    mock.clock.advance(timedelta(seconds=44))
    assert status(client, run_id) == "running"
    mock.clock.advance(timedelta(seconds=1))
    assert status(client, run_id) == "completed"
