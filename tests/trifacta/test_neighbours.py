"""What a client follows a run with: the job group, its status, its jobs, the list of job groups."""

from __future__ import annotations

import pytest

from tests.trifacta.helpers import AUTH, REGIONAL_SUMMARY, group, jobs, run

GROUP_FIELDS = {"id", "name", "description", "ranfrom", "ranfor", "status", "profilingEnabled",
                "runParameterReferenceDate", "createdAt", "updatedAt", "workspace", "creator", "updater",
                "snapshot", "wrangledDataset", "flowRun"}
JOB_FIELDS = {"id", "status", "jobType", "sampleSize", "percentComplete", "lastHeartbeatAt", "createdAt",
              "updatedAt", "creator", "jobGroup", "errorMessage", "executionLanguage", "cpJobId",
              "templateLocation", "writeSetting", "scriptResult"}


def _all(client, **params):
    response = client.get("/v4/jobGroups", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_a_job_group_has_the_documented_fields(client):
    document = group(client, 2)
    assert set(document) == GROUP_FIELDS
    assert document["ranfor"] == "recipe"
    assert document["wrangledDataset"] == {"id": REGIONAL_SUMMARY}
    assert document["status"] == "Complete"


def test_embed_adds_the_jobs_and_the_recipe(client):
    document = group(client, 2, embed="jobs,wrangledDataset")
    assert set(document) == GROUP_FIELDS | {"jobs"}
    assert document["wrangledDataset"]["name"] == "POS regional summary"
    assert document["wrangledDataset"]["flow"] == {"id": 1, "name": "2013 POS"}
    assert all(set(job) == JOB_FIELDS for job in document["jobs"]["data"])
    assert [job["jobGroup"] for job in document["jobs"]["data"]] == [{"id": 2}] * len(document["jobs"]["data"])


def test_the_parameters_airflow_sends_are_accepted(client):
    # GoogleDataprepHook.get_job_group sends embed and includeDeleted as given, a Python bool included.
    response = client.get("/v4/jobGroups/2", params={"embed": "", "includeDeleted": "False"}, headers=AUTH)
    assert response.status_code == 200
    assert "jobs" not in response.json()


def test_an_unknown_embed_is_a_400(client):
    response = client.get("/v4/jobGroups/2", params={"embed": "flows"}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["exception"]["details"]["field"] == "embed"


def test_status_is_a_bare_json_string(client):
    response = client.get("/v4/jobGroups/1/status", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.text == '"Complete"'


def test_status_agrees_with_the_job_group(client):
    for group_id in range(1, 10):
        response = client.get(f"/v4/jobGroups/{group_id}/status", headers=AUTH)
        assert response.json() == group(client, group_id)["status"]


def test_jobs_are_listed_in_order_of_execution_with_the_documented_fields(client):
    created = run(client, REGIONAL_SUMMARY)
    listed = jobs(client, created["id"])
    assert [job["id"] for job in listed] == [job["id"] for job in created["jobs"]["data"]]
    assert all(set(job) == JOB_FIELDS for job in listed)
    writers = [job for job in listed if job["jobType"] == "filewriter"]
    assert all(job["writeSetting"] is not None for job in writers)
    assert all(job["writeSetting"] is None for job in listed if job["jobType"] != "filewriter")


@pytest.mark.parametrize("path", ["/v4/jobGroups/999", "/v4/jobGroups/999/status", "/v4/jobGroups/999/jobs"])
def test_an_unknown_job_group_is_a_404(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["exception"] == {"name": "ObjectNotFound",
                                            "message": "jobGroup with id 999 does not exist"}


def test_cancelling_an_unknown_job_group_is_a_404(client):
    assert client.post("/v4/jobGroups/999/cancel", headers=AUTH).status_code == 404


# --- the list ---------------------------------------------------------------------------------------------------

def test_the_list_is_newest_first(client):
    listed = _all(client)
    created = [document["createdAt"] for document in listed]
    assert created == sorted(created, reverse=True)
    assert {document["id"] for document in listed} == set(range(1, 10))


def test_the_list_pages_25_at_a_time_by_default(client):
    for _ in range(20):
        run(client, REGIONAL_SUMMARY)
    assert len(_all(client)) == 25
    everything = _all(client, noLimit="true")
    assert len(everything) == 29
    assert _all(client, limit=10, offset=20) == everything[20:]
    assert _all(client, limit=10, offset=25) == everything[25:]  # fewer than the limit: the end


def test_the_list_can_be_sorted(client):
    assert [d["id"] for d in _all(client, sort="id")] == list(range(1, 10))
    assert [d["id"] for d in _all(client, sort="-id")] == list(range(9, 0, -1))
    created = [d["createdAt"] for d in _all(client, sort="createdAt")]
    assert created == sorted(created)


def test_the_list_embeds_too(client):
    listed = _all(client, embed="jobs", limit=3)
    assert all("jobs" in document for document in listed)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "x"}, {"offset": -1}, {"sort": "name"},
                                    {"noLimit": "maybe"}, {"status": "Complete"}])
def test_bad_list_parameters_are_a_400(client, params):
    response = client.get("/v4/jobGroups", params=params, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["exception"]["name"] == "ApiValidationFailed"


def test_the_documented_trailing_slash_form_of_the_list_works(client):
    # The documentation pages list job groups at /v4/jobGroups/?embed=...&limit=...
    response = client.get("/v4/jobGroups/", params={"embed": "jobs", "limit": 2}, headers=AUTH)
    assert response.status_code == 200
    assert [len(group["jobs"]["data"]) > 0 for group in response.json()["data"]] == [True, True]


def test_the_spec_is_served_with_the_api(client):
    spec = client.get("/openapi.json").json()
    assert spec["servers"][0]["url"] in ("", "/")
    assert "/v4/jobGroups" in spec["paths"]
