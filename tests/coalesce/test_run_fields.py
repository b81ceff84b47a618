"""The fields of a run document that say where it came from: `version`, `runHistory` (the runs it reruns),
`userID` (whose token started it), and in its details `forceIgnoreEnvironmentStatus`, `refreshDescription` and
`nodesForRefresh` beside `nodesInRun`."""

from __future__ import annotations

from tests.coalesce.helpers import (
    BASIC,
    DAILY_ORDERS,
    FAILED_FINANCE_RUN,
    NIGHTLY_FINANCE,
    PRODUCTION,
    STAGING,
    TOKEN,
    poll_until_final,
    run,
    runs,
    start,
)

FIXTURE_USER = "3Yq0dKpLw8ZfR2mNcT5vXa1bE7u9"  # users.yaml's first user


def rerun(client, run_id, headers=TOKEN):
    response = client.post("/scheduler/rerun", headers=headers, json={
        "runDetails": {"runID": str(run_id)}, "userCredentials": BASIC})
    assert response.status_code == 200, response.text
    return int(response.json()["runCounter"])


def test_every_run_document_has_a_version_a_history_and_a_user(client):
    for detail in ("false", "true"):
        for item in runs(client, limit=1000, detail=detail)["data"]:
            assert item["version"] == 1
            assert isinstance(item["runHistory"], list) and isinstance(item["userID"], str)
    fixture = run(client, 5)  # the rerun of run 4
    assert (fixture["runHistory"], fixture["reRunID"], fixture["userID"]) == ([4], "4", FIXTURE_USER)
    assert run(client, 13)["userID"] == "Hc4sU6jWq1oN8xBz0rLf5KeT2ym3"  # a fixture run that names its user


def test_the_user_is_the_one_of_the_token_that_started_the_run(client):
    def started_by(token):
        body = {"runDetails": {"environmentID": PRODUCTION}, "userCredentials": BASIC}
        response = client.post("/scheduler/startRun", json=body, headers={"Authorization": f"Bearer {token}"})
        return run(client, response.json()["runCounter"])["userID"]

    first, again, other = started_by("token-of-ana"), started_by("token-of-ana"), started_by("token-of-bo")
    assert first == again != other
    assert len(first) == 28 and "token" not in first
    assert "token-of-ana" not in client.get("/api/v1/runs", params={"detail": "true"}, headers=TOKEN).text


def test_a_rerun_records_the_run_before_it(mock, client):
    first = start(client, jobID=NIGHTLY_FINANCE)
    assert run(client, first)["runHistory"] == []
    assert poll_until_final(mock, client, first)[-1] == "failed"
    assert run(client, rerun(client, first))["runHistory"] == [first]


def test_a_rerun_of_a_rerun_names_both(mock, client):
    response = client.post("/_mockingjob/scenarios", json={
        "api": "coalesce", "operation": "Jobs_triggerRerun", "outcome": "failed", "failure": "still broken"})
    assert response.status_code == 201, response.text
    second = rerun(client, FAILED_FINANCE_RUN)
    assert poll_until_final(mock, client, second)[-1] == "failed"
    third = rerun(client, second)
    document = run(client, third)
    assert document["runHistory"] == [FAILED_FINANCE_RUN, second]
    assert document["reRunID"] == str(second)
    assert document["runDetails"]["refreshDescription"] == f"Rerun of run {second} (job Nightly Finance)"


def test_nodes_for_refresh_is_the_selection_and_nodes_in_run_what_runs(client):
    details = run(client, start(client, jobID=NIGHTLY_FINANCE))["runDetails"]
    assert (details["nodesForRefresh"], details["nodesInRun"]) == (3, 3)
    # The failed fixture run's rerun runs the one node that failed, of the three its job picks.
    again = run(client, rerun(client, FAILED_FINANCE_RUN))["runDetails"]
    assert (again["nodesForRefresh"], again["nodesInRun"]) == (3, 1)


def test_force_ignore_environment_status_says_how_the_refresh_was_started(client):
    assert run(client, start(client))["runDetails"]["forceIgnoreEnvironmentStatus"] is False
    body = {"runDetails": {"environmentID": STAGING, "forceIgnoreWorkspaceStatus": True}}
    forced = client.post("/scheduler/startRun", json=body, headers=TOKEN).json()["runCounter"]
    assert run(client, forced)["runDetails"]["forceIgnoreEnvironmentStatus"] is True


def test_the_refresh_description_says_what_is_refreshed(client):
    assert run(client, start(client, jobID=DAILY_ORDERS))["runDetails"]["refreshDescription"] == "Job Daily Orders"
    assert run(client, start(client, includeNodesSelector="{ location: STG }"))["runDetails"][
        "refreshDescription"] == "Nodes picked by the run's selectors"
    assert run(client, start(client))["runDetails"]["refreshDescription"] == "Every node of the environment"


def test_deployments_carry_none_of_the_refresh_fields(client):
    details = run(client, 1)["runDetails"]
    assert {"forceIgnoreEnvironmentStatus", "refreshDescription", "nodesForRefresh"}.isdisjoint(details)
