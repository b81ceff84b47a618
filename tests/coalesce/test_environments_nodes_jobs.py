"""What a client looks up before it starts a run: environments, their nodes, and the jobs of an environment or of
a workspace; with their details, paging, and Coalesce's 404 for anything unknown."""

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
    start,
)
from tests.conftest import EPOCH
from tests.support import at

FCT_REVENUE = "cd80dc85-576f-500a-bd8e-7aaddcd60f1e"  # a node of Production
STG_EVENTS = "8db41e36-140f-5941-829f-66da30b01c71"  # a node of Staging
RETAIL_WORKSPACE, FINANCE_WORKSPACE, MONTH_END_SPEND = "1", "5", "4"
SUMMARY = {"id", "name", "project", "status", "connectionAccount", "defaultStorageMapping", "oauthEnabled",
           "runTimeParameters", "createdAt", "createdBy", "description", "tagColors"}
DETAIL_ONLY = {"updatedAt", "currentGitBranch", "currentGitURL", "currentGitCommit", "deployedCommit",
               "currentlyRunningJobs", "currentMappings"}
NODE_SUMMARY = {"id", "name", "nodeType", "locationName", "database", "schema"}


def get(client, path, **params):
    response = client.get(path, params=params, headers=TOKEN)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body):
    return [item["id"] for item in body["data"]]


# --- environments ---------------------------------------------------------------------------------------


def test_environments_are_listed_by_id_as_summaries(client):
    body = get(client, "/api/v1/environments")
    assert ids(body) == [PRODUCTION, STAGING, QA] and "next" not in body
    production = body["data"][0]
    assert set(production) == SUMMARY
    assert (production["name"], production["project"], production["oauthEnabled"]) == ("Production", "1", False)
    assert production["createdBy"] == {"id": "3Yq0dKpLw8ZfR2mNcT5vXa1bE7u9", "firstName": "Dana",
                                       "lastName": "Whitfield"}
    assert at(production["createdAt"]) == EPOCH - timedelta(days=120)
    assert production["runTimeParameters"] == {"TARGET_DB": "ANALYTICS_PROD", "LOAD_MODE": "incremental"}
    # QA has no description nor tag colors: left out, never null.
    assert {"description", "tagColors"}.isdisjoint(body["data"][2])


def test_detail_and_get_environment_give_the_full_environment(client):
    listed = get(client, "/api/v1/environments", detail="true")["data"][0]
    single = get(client, f"/api/v1/environments/{PRODUCTION}")
    assert listed == single
    assert set(single) == SUMMARY | DETAIL_ONLY
    # The last completed deployment is run 7 (four days ago); the deployments after it are still in flight.
    assert single["deployedCommit"] == single["currentGitCommit"] == "1b2c3d4e5f60718293a4b5c6d7e8f9012345678a"
    assert single["currentMappings"] == {
        location: {"database": "ANALYTICS_PROD", "schema": location} for location in ("DIM", "FCT", "RAW", "STG")}
    assert (single["currentGitBranch"], single["currentGitURL"]) == (
        "main", "https://github.com/acme/retail-analytics.git")


def test_an_environments_status_and_running_jobs_follow_its_runs_on_the_clock(mock, client):
    statuses = {item["id"]: item["status"] for item in get(client, "/api/v1/environments")["data"]}
    # Deployments of Production are in flight; Staging's last deployment failed; QA's last refresh failed.
    assert statuses == {PRODUCTION: "Deploying", STAGING: "Failed Deploy", QA: "Failed Refresh"}
    assert get(client, f"/api/v1/environments/{PRODUCTION}")["currentlyRunningJobs"] == [1]
    mock.clock.advance(timedelta(hours=3))  # every fixture run has ended
    production = get(client, f"/api/v1/environments/{PRODUCTION}")
    assert (production["status"], production["currentlyRunningJobs"]) == ("Waiting", [])
    assert production["deployedCommit"] == "5f60718293a4b5c6d7e8f9012345678a1b2c3d4e"  # run 22, the last deployed
    run_id = start(client, jobID=NIGHTLY_FINANCE)
    production = get(client, f"/api/v1/environments/{PRODUCTION}")
    assert (production["status"], production["currentlyRunningJobs"]) == ("Refreshing", [2])
    assert poll_until_final(mock, client, run_id)[-1] == "failed"
    assert get(client, f"/api/v1/environments/{PRODUCTION}")["status"] == "Failed Refresh"


def test_an_unknown_environment_is_a_404(client):
    for path in ("/api/v1/environments/99", "/api/v1/environments/99/nodes", "/api/v1/environments/99/jobs",
                 "/api/v1/environments/99/nodes/x", "/api/v1/environments/99/jobs/1"):
        assert error(client.get(path, headers=TOKEN), 404) == "Environment 99 not found."


# --- nodes ----------------------------------------------------------------------------------------------


def test_nodes_are_listed_by_id_as_summaries_or_with_detail(client):
    body = get(client, f"/api/v1/environments/{STAGING}/nodes")
    assert ids(body) == sorted(ids(body)) and len(ids(body)) == 4 and "next" not in body
    assert all(set(node) == NODE_SUMMARY for node in body["data"])
    detailed = get(client, f"/api/v1/environments/{STAGING}/nodes", detail="true")["data"]
    assert all(set(node) == NODE_SUMMARY | {"description"} for node in detailed)


def test_get_node_gives_the_node_with_its_description(client):
    node = get(client, f"/api/v1/environments/{PRODUCTION}/nodes/{FCT_REVENUE}")
    assert node == {"id": FCT_REVENUE, "name": "FCT_REVENUE", "nodeType": "Fact", "locationName": "FCT",
                    "database": "ANALYTICS_PROD", "schema": "FCT",
                    "description": "Revenue per order line in US dollars"}


def test_a_node_of_another_environment_or_an_unknown_node_is_a_404(client):
    response = client.get(f"/api/v1/environments/{PRODUCTION}/nodes/{STG_EVENTS}", headers=TOKEN)
    assert error(response, 404) == f"Node {STG_EVENTS} not found in environment 2."
    assert error(client.get(f"/api/v1/environments/{PRODUCTION}/nodes/nope", headers=TOKEN), 404) == \
        "Node nope not found in environment 2."


# --- jobs -----------------------------------------------------------------------------------------------


def test_an_environments_jobs_are_the_jobs_deployed_to_it(client):
    body = get(client, f"/api/v1/environments/{PRODUCTION}/jobs")
    assert body == {"data": [
        {"id": "1", "name": "Daily Orders", "excludeSelector": "",
         "includeSelector": "{ location: STG } OR { location: DIM } OR { location: FCT name: FCT_ORDERS }"},
        {"id": "2", "name": "Nightly Finance", "excludeSelector": "",
         "includeSelector": "{ location: STG name: STG_PAYMENTS } OR { location: FCT }"},
    ]}
    assert get(client, f"/api/v1/environments/{PRODUCTION}/jobs/{DAILY_ORDERS}") == body["data"][0]
    assert ids(get(client, f"/api/v1/environments/{QA}/jobs")) == [MONTH_END_SPEND]


def test_a_workspaces_jobs_are_the_jobs_defined_in_it(client):
    assert ids(get(client, f"/api/v1/workspaces/{RETAIL_WORKSPACE}/jobs")) == ["1", "2", "3"]
    job = get(client, f"/api/v1/workspaces/{RETAIL_WORKSPACE}/jobs/3")
    assert job == {"id": "3", "name": "Hourly Visits", "includeSelector": "",
                   "excludeSelector": "{ nodeType: Dimension }"}
    assert ids(get(client, f"/api/v1/workspaces/{FINANCE_WORKSPACE}/jobs")) == [MONTH_END_SPEND]


@pytest.mark.parametrize(("path", "message"), [
    ("/api/v1/environments/2/jobs/3", "Job 3 not found in environment 2."),  # job 3 is Staging's
    ("/api/v1/environments/2/jobs/42", "Job 42 not found in environment 2."),
    ("/api/v1/environments/2/jobs/abc", "Job abc not found in environment 2."),
    ("/api/v1/environments/2/jobs/99999999999999999999", "Job 99999999999999999999 not found in environment 2."),
    ("/api/v1/workspaces/5/jobs/1", "Job 1 not found in workspace 5."),
    ("/api/v1/workspaces/2/jobs", "Workspace 2 not found."),  # an environment's ID is not a workspace's
    ("/api/v1/workspaces/2/jobs/1", "Workspace 2 not found."),
])
def test_unknown_jobs_and_workspaces_are_404s(client, path, message):
    assert error(client.get(path, headers=TOKEN), 404) == message


def test_jobs_can_be_discovered_by_asking_for_ids_one_after_the_other(client):
    # Coalesce's MCP client lists an environment's jobs so: GET …/jobs/1, …/jobs/2, … taking a 404 as "none".
    found = []
    for job_id in range(1, 51):
        response = client.get(f"/api/v1/environments/{PRODUCTION}/jobs/{job_id}", headers=TOKEN)
        assert response.status_code in (200, 404), response.text
        if response.status_code == 200:
            found.append(response.json()["name"])
    assert found == ["Daily Orders", "Nightly Finance"]


def test_a_listed_job_starts_a_run_of_that_job(client):
    job = get(client, f"/api/v1/environments/{PRODUCTION}/jobs")["data"][0]
    response = client.post("/scheduler/startRun", headers=TOKEN, json={
        "runDetails": {"environmentID": PRODUCTION, "jobID": job["id"]}, "userCredentials": BASIC})
    assert response.status_code == 200, response.text
    details = get(client, f"/api/v1/runs/{response.json()['runCounter']}")["runDetails"]
    assert (str(details["jobID"]), details["jobName"]) == (job["id"], job["name"])


# --- paging ---------------------------------------------------------------------------------------------

LISTS = [("/api/v1/environments", [PRODUCTION, STAGING, QA]),
         (f"/api/v1/environments/{PRODUCTION}/nodes", None),
         (f"/api/v1/workspaces/{RETAIL_WORKSPACE}/jobs", ["1", "2", "3"])]


@pytest.mark.parametrize(("path", "expected"), LISTS)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_paging_with_next_lists_everything_once_in_order(client, path, expected, direction):
    whole = ids(get(client, path, orderByDirection=direction))
    if expected is not None:
        assert whole == (expected if direction == "asc" else expected[::-1])
    seen, params = [], {"limit": 2, "orderBy": "id", "orderByDirection": direction}
    while True:
        page = get(client, path, **params)
        assert len(page["data"]) <= 2
        seen += ids(page)
        if "next" not in page:
            break
        assert page["next"] == seen[-1]
        params["startingFrom"] = page["next"]
    assert seen == whole


def test_starting_from_is_exclusive_and_need_not_be_an_existing_id(client):
    assert ids(get(client, "/api/v1/environments", startingFrom=PRODUCTION)) == [STAGING, QA]
    assert ids(get(client, "/api/v1/environments", startingFrom="10")) == []  # environment IDs order as numbers
    assert ids(get(client, "/api/v1/environments", startingFrom="25", orderByDirection="desc")) == [
        QA, STAGING, PRODUCTION]
    assert ids(get(client, f"/api/v1/environments/{PRODUCTION}/jobs", startingFrom="1")) == ["2"]
    assert ids(get(client, f"/api/v1/environments/{PRODUCTION}/jobs", startingFrom="0")) == ["1", "2"]


def test_limit_zero_lists_nothing(client):
    assert get(client, "/api/v1/environments", limit=0) == {"data": []}


@pytest.mark.parametrize(("path", "params", "message"), [
    ("/api/v1/environments", {"limit": -1}, "limit must be at least 0."),
    ("/api/v1/environments", {"limit": 1001}, "limit must be at most 1000."),
    ("/api/v1/environments", {"limit": "ten"}, "limit must be of type integer."),
    ("/api/v1/environments", {"detail": "maybe"}, "detail must be of type boolean."),
    ("/api/v1/environments", {"orderBy": "name"}, "orderBy must be one of: id."),
    ("/api/v1/environments", {"orderByDirection": "up"}, "orderByDirection must be one of: asc, desc."),
    ("/api/v1/environments", {"startingFrom": "x" * 65}, "startingFrom must be at most 64 characters long."),
    ("/api/v1/environments", {"environmentID": "2"}, "Unknown query parameter(s): environmentID"),
    ("/api/v1/environments/2/nodes", {"limit": 1.5}, "limit must be of type integer."),
    ("/api/v1/environments/2/jobs", {"startingFrom": "two"}, "startingFrom must be a job ID."),
    ("/api/v1/workspaces/1/jobs", {"startingFrom": "-1"}, "startingFrom must be a job ID."),
    ("/api/v1/environments/2/jobs", {"detail": "true"}, "Unknown query parameter(s): detail"),
])
def test_bad_parameters_are_400s(client, path, params, message):
    assert error(client.get(path, params=params, headers=TOKEN), 400) == message


def test_a_404_names_a_long_id_cut_short(client):
    response = client.get(f"/api/v1/environments/{'9' * 5000}/jobs/{'1' * 3000}", headers=TOKEN)
    assert error(response, 404) == f"Environment {'9' * 64}… not found."
    response = client.get(f"/api/v1/environments/{PRODUCTION}/jobs/{'1' * 3000}", headers=TOKEN)
    assert error(response, 404) == f"Job {'1' * 64}… not found in environment 2."
