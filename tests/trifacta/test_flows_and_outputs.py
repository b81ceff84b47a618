"""Flows, imported and wrangled datasets, output objects, write settings and publications as one model: what
is created through the API is listed, runs, and decides what the next run writes; flow runs follow their job
groups; a job group shows its inputs, outputs, publications and profile as the clock moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.trifacta.helpers import AUTH, REGIONAL_SUMMARY, jobs, run, status, wait_until_done

ATTRIBUTION_FLOW = 2  # recipes 10, 11 (reads 10), 13, 12 (reads 11 and 13); 12 has output object 2
ATTRIBUTION = 12


def post(client: Any, path: str, body: Any, expected: int = 201) -> Any:
    response = client.post(path, json=body, headers=AUTH)
    assert response.status_code == expected, response.text
    return response.json()


def get(client: Any, path: str, expected: int = 200, **params: Any) -> Any:
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == expected, response.text
    return response.json()


def _new_recipe(client: Any, **output: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A flow with one recipe reading a new imported dataset; with `output`, an output object for it."""
    dataset = post(client, "/v4/importedDatasets", {"uri": "gs://bucket/in/orders.csv"})
    flow = post(client, "/v4/flows", {"name": "orders"})
    recipe = post(client, "/v4/wrangledDatasets", {"name": "orders clean", "flow": {"id": flow["id"]},
                                                   "importedDataset": {"id": dataset["id"]}})
    if output:
        post(client, "/v4/outputObjects", {"flowNodeId": recipe["id"], **output})
    return flow, recipe


# --- flows ------------------------------------------------------------------------------------------------------

def test_a_created_flow_is_read_listed_changed_and_deleted(client):
    flow = post(client, "/v4/flows", {"name": "My Flow", "description": "This is my flow.", "folder": {"id": 2}})
    assert flow["folder"] == {"id": 2} and flow["workspace"] == {"id": 1}
    assert get(client, f"/v4/flows/{flow['id']}") == flow
    assert flow["id"] in [f["id"] for f in get(client, "/v4/flows", noLimit="true")["data"]]
    response = client.patch(f"/v4/flows/{flow['id']}", json={"name": "Renamed"}, headers=AUTH)
    assert response.status_code == 200
    assert set(response.json()) == {"id", "updater", "updatedAt"}
    assert get(client, f"/v4/flows/{flow['id']}")["name"] == "Renamed"
    assert client.delete(f"/v4/flows/{flow['id']}", headers=AUTH).status_code == 204
    gone = get(client, f"/v4/flows/{flow['id']}", 404)
    assert gone["exception"]["name"] == "ObjectNotFound"
    assert get(client, f"/v4/flows/{flow['id']}", includeDeleted="true")["name"] == "Renamed"
    assert client.delete(f"/v4/flows/{flow['id']}", headers=AUTH).status_code == 404


def test_lists_page_and_count(client):
    first = get(client, "/v4/flows", limit=2, includeCount="true")
    assert len(first["data"]) == 2 and first["count"] == 4
    rest = get(client, "/v4/flows", limit=2, offset=2)
    assert "count" not in rest
    assert [f["id"] for f in first["data"] + rest["data"]] == [1, 2, 3, 4]
    assert [f["id"] for f in get(client, "/v4/flows", sort="-id")["data"]] == [4, 3, 2, 1]


def test_a_flow_embeds_its_recipes(client):
    flow = get(client, f"/v4/flows/{ATTRIBUTION_FLOW}", embed="flowNodes.recipe")
    nodes = flow["flowNodes"]["data"]
    assert sorted(node["id"] for node in nodes) == [10, 11, 12, 13]
    assert all(node["wrangled"] and node["recipe"]["name"] == node["name"] for node in nodes)


def test_a_copy_has_its_own_recipes_reading_each_other_and_its_own_outputs(client):
    copy = post(client, f"/v4/flows/{ATTRIBUTION_FLOW}/copy", {"name": "", "description": "",
                                                               "copyDatasources": False})
    assert copy["name"] == "Copy of Campaign analytics"
    nodes = get(client, f"/v4/flows/{copy['id']}", embed="flowNodes")["flowNodes"]["data"]
    assert len(nodes) == 4 and not {node["id"] for node in nodes} & {10, 11, 12, 13}
    by_name = {node["name"]: node["id"] for node in nodes}
    copied = by_name["campaign attribution"]
    outputs = get(client, f"/v4/wrangledDatasets/{copied}", embed="outputObjects")["outputObjects"]["data"]
    assert len(outputs) == 1 and outputs[0]["id"] != 2
    # Running the copy runs the copies of the recipes it reads, in order.
    created = run(client, copied)
    assert [job["jobType"] for job in jobs(client, created["id"])] == ["wrangle"] * 4 + ["filewriter", "profile"]
    assert {job["executionLanguage"] for job in jobs(client, created["id"])} == {"spark"}


def test_a_copy_with_its_datasources_reads_copies_of_them(client):
    flow, recipe = _new_recipe(client)
    copy = post(client, f"/v4/flows/{flow['id']}/copy", {"copyDatasources": True})
    node = get(client, f"/v4/flows/{copy['id']}", embed="flowNodes")["flowNodes"]["data"][0]
    assert node["name"] == recipe["name"] and node["id"] != recipe["id"]
    first_run = {"execution": "photon", "profiler": False,
                 "writeSettings": [{"path": "/o.csv", "action": "create", "format": "csv"}]}
    inputs = get(client, f"/v4/jobGroups/{run(client, node['id'], overrides=first_run)['id']}/inputs")["data"]
    assert len(inputs) == 1 and inputs[0]["uri"] == "gs://bucket/in/orders.csv"
    original = get(client, f"/v4/jobGroups/{run(client, recipe['id'], overrides=first_run)['id']}/inputs")
    assert inputs[0]["id"] != original["data"][0]["id"]


# --- running flows ----------------------------------------------------------------------------------------------

def test_running_a_flow_starts_a_job_group_per_output_and_a_flow_run_follows_them(client, mock):
    started = post(client, f"/v4/flows/{ATTRIBUTION_FLOW}/run", {})
    assert len(started["data"]) == 1 and started["data"][0]["reason"] == "JobStarted"
    group_id, run_id = started["data"][0]["id"], started["flowRunId"]
    group = get(client, f"/v4/jobGroups/{group_id}")
    assert group["wrangledDataset"] == {"id": ATTRIBUTION} and group["flowRun"] == {"id": run_id}
    assert get(client, f"/v4/flowRuns/{run_id}/status") == "Created"
    assert [g["id"] for g in get(client, f"/v4/flowRuns/{run_id}/jobGroups")["data"]] == [group_id]
    assert get(client, f"/v4/flowRuns/{run_id}")["flow"] == {"id": ATTRIBUTION_FLOW}
    assert wait_until_done(client, mock, group_id)[0] == "Complete"
    assert get(client, f"/v4/flowRuns/{run_id}/status") == "Complete"


def test_a_flow_run_retried_with_its_execution_id_runs_nothing_again(client):
    headers = {**AUTH, "x-execution-id": "nightly-2026-12-06"}
    first = client.post(f"/v4/flows/{ATTRIBUTION_FLOW}/run", json={}, headers=headers)
    assert first.status_code == 201
    again = client.post(f"/v4/flows/{ATTRIBUTION_FLOW}/run", json={}, headers=headers)
    assert again.status_code == 304 and again.content == b""
    listed = get(client, "/v4/jobGroups", flowNodeId=ATTRIBUTION, noLimit="true")["data"]
    assert [g["flowRun"] for g in listed if g["flowRun"]] == [{"id": first.json()["flowRunId"]}]


def test_a_flow_run_takes_overrides_per_recipe_name(client):
    started = post(client, f"/v4/flows/{ATTRIBUTION_FLOW}/run", {
        "overrides": {"campaign attribution": {"profiler": False, "execution": "photon"}}})
    listed = jobs(client, started["data"][0]["id"])
    assert listed[-1]["jobType"] == "filewriter" and {j["executionLanguage"] for j in listed} == {"photon"}


def test_a_flow_run_of_recipes_outside_the_flow_or_without_outputs_is_refused(client):
    refused = post(client, f"/v4/flows/{ATTRIBUTION_FLOW}/run", {"wrangledDatasetIds": [1]}, 400)
    assert refused["exception"]["name"] == "ApiValidationFailed"
    flow, _ = _new_recipe(client)
    assert "has no outputs" in post(client, f"/v4/flows/{flow['id']}/run", {}, 400)["exception"]["message"]
    assert get(client, "/v4/flowRuns/999", 404)["exception"]["name"] == "ObjectNotFound"


# --- recipes, output objects, write settings --------------------------------------------------------------------

def test_an_imported_dataset_describes_its_storage(client):
    dataset = post(client, "/v4/importedDatasets", {"uri": "gs://bucket/dir/file.csv", "detectStructure": True})
    assert (dataset["name"], dataset["type"], dataset["bucket"], dataset["path"]) == (
        "file.csv", "gcs", "bucket", "/dir/file.csv")
    assert dataset["hasStructuring"] is True
    assert get(client, f"/v4/importedDatasets/{dataset['id']}") == dataset
    listed = get(client, "/v4/importedDatasets", includeCount="true")
    assert listed["data"][-1] == dataset and listed["count"] == 7  # six from the fixtures
    assert client.delete(f"/v4/importedDatasets/{dataset['id']}", headers=AUTH).status_code == 204
    get(client, f"/v4/importedDatasets/{dataset['id']}", 404)
    assert get(client, f"/v4/importedDatasets/{dataset['id']}", includeDeleted="true")["id"] == dataset["id"]
    assert dataset["id"] not in [d["id"] for d in get(client, "/v4/importedDatasets")["data"]]


def test_a_new_recipe_without_an_output_object_needs_overrides_the_first_time(client):
    _, recipe = _new_recipe(client)
    response = client.post("/v4/jobGroups", json={"wrangledDataset": {"id": recipe["id"]}}, headers=AUTH)
    assert response.status_code == 400 and "has never been run" in response.json()["exception"]["message"]


def test_a_recipe_runs_with_its_output_object_and_the_write_settings_added_to_it(client, mock):
    _, recipe = _new_recipe(client, execution="dataflow", profiler=False)
    output = get(client, f"/v4/wrangledDatasets/{recipe['id']}", embed="outputObjects")["outputObjects"]["data"][0]
    first = run(client, recipe["id"])
    assert [job["jobType"] for job in jobs(client, first["id"])] == ["wrangle"]  # nothing to write yet
    setting = post(client, "/v4/writeSettings", {"path": "gs://out/a.csv", "action": "create", "format": "csv",
                                                 "outputObjectId": output["id"]})
    post(client, "/v4/writeSettings", {"path": "gs://out/a.json", "action": "create", "format": "json",
                                       "outputObject": {"id": output["id"]}})
    second = run(client, recipe["id"])
    writers = [job for job in jobs(client, second["id"]) if job["jobType"] == "filewriter"]
    assert len(writers) == 2 and writers[0]["writeSetting"] == {"id": setting["id"]}
    assert get(client, f"/v4/jobGroups/{second['id']}/outputs")["files"] == []
    assert wait_until_done(client, mock, second["id"])[0] == "Complete"
    files = get(client, f"/v4/jobGroups/{second['id']}/outputs")["files"]
    assert [(f["uri"], f["isPrimaryOutput"]) for f in files] == [("gs://out/a.csv", True), ("gs://out/a.json", False)]
    embedded = get(client, f"/v4/outputObjects/{output['id']}", embed="writeSettings,publications")
    assert [w["path"] for w in embedded["writeSettings"]["data"]] == ["gs://out/a.csv", "gs://out/a.json"]
    assert embedded["publications"] == {"data": []}


def test_overrides_win_over_the_output_object(client):
    _, recipe = _new_recipe(client, execution="photon", profiler=True,
                            writeSettings={"data": [{"path": "/a.csv", "action": "create", "format": "csv"}]})
    created = run(client, recipe["id"], overrides={"profiler": False, "writesettings": [
        {"path": "/b.csv", "action": "create", "format": "csv"}, {"path": "/c.csv", "action": "create",
                                                                 "format": "csv"}]})
    assert [job["jobType"] for job in jobs(client, created["id"])] == ["wrangle", "filewriter", "filewriter"]


def test_a_recipe_reading_another_runs_it_first(client):
    flow, recipe = _new_recipe(client)
    second = post(client, "/v4/wrangledDatasets", {"name": "orders by day", "flow": {"id": flow["id"]},
                                                   "wrangledDataset": {"id": recipe["id"]}})
    created = run(client, second["id"], overrides={"execution": "photon", "profiler": False, "writeSettings": [
        {"path": "/d.csv", "action": "create", "format": "csv"}]})
    assert created["jobGraph"]["edges"][0] == {"source": created["jobs"]["data"][0]["id"],
                                               "target": created["jobs"]["data"][1]["id"]}
    assert [job["jobType"] for job in jobs(client, created["id"])] == ["wrangle", "wrangle", "filewriter"]


def test_a_recipe_whose_file_was_deleted_fails(client, mock):
    dataset = post(client, "/v4/importedDatasets", {"uri": "/uploads/gone.csv", "name": "gone"})
    flow = post(client, "/v4/flows", {"name": "f"})
    recipe = post(client, "/v4/wrangledDatasets", {"name": "r", "flow": {"id": flow["id"]},
                                                   "importedDataset": {"id": dataset["id"]}})
    client.delete(f"/v4/importedDatasets/{dataset['id']}", headers=AUTH)
    created = run(client, recipe["id"], overrides={"execution": "photon", "profiler": False, "writeSettings": [
        {"path": "/e.csv", "action": "create", "format": "csv"}]})
    assert wait_until_done(client, mock, created["id"])[0] == "Failed"
    assert "has been deleted" in jobs(client, created["id"])[0]["errorMessage"]


@pytest.mark.parametrize(("path", "body", "reason"), [
    ("/v4/wrangledDatasets", {"name": "x", "flow": {"id": 1}}, "exactly one primary input"),
    ("/v4/wrangledDatasets", {"name": "x", "flow": {"id": 1}, "importedDataset": {"id": 1},
                              "wrangledDataset": {"id": 1}}, "exactly one primary input"),
    ("/v4/outputObjects", {"execution": "photon", "profiler": False}, "flowNodeId is required"),
    ("/v4/outputObjects", {"execution": "photon", "profiler": False, "flowNodeId": 1}, "has an output object"),
    ("/v4/outputObjects", {"execution": "photon", "profiler": False, "flowNodeId": 8, "flowNode": {"id": 7}},
     "name different objects"),
    ("/v4/writeSettings", {"path": "/a", "action": "create", "format": "csv"}, "outputObjectId is required"),
    ("/v4/publications", {"path": ["default"], "tableName": "t", "targetType": "hive", "action": "create"},
     "outputObjectId is required"),
])
def test_what_the_schema_cannot_say_is_a_400(client, path, body, reason):
    refused = post(client, path, body, 400)
    assert refused["exception"]["name"] == "ApiValidationFailed" and reason in refused["exception"]["message"]


@pytest.mark.parametrize(("path", "body"), [
    ("/v4/wrangledDatasets", {"name": "x", "flow": {"id": 99}, "importedDataset": {"id": 1}}),
    ("/v4/wrangledDatasets", {"name": "x", "flow": {"id": 1}, "importedDataset": {"id": 99}}),
    ("/v4/outputObjects", {"execution": "photon", "profiler": False, "flowNodeId": 999}),
    ("/v4/writeSettings", {"path": "/a", "action": "create", "format": "csv", "outputObjectId": 99}),
])
def test_naming_a_missing_object_is_a_404(client, path, body):
    assert post(client, path, body, 404)["exception"]["name"] == "ObjectNotFound"


# --- a job group's parts ----------------------------------------------------------------------------------------

def test_a_job_group_lists_its_inputs_and_a_completed_one_its_publications_as_tables(client, mock):
    created = run(client, ATTRIBUTION)
    inputs = get(client, f"/v4/jobGroups/{created['id']}/inputs")["data"]
    assert [d["name"] for d in inputs] == ["clickstream-2013.csv", "campaign_costs.csv"]
    publications = get(client, f"/v4/jobGroups/{created['id']}/publications")["data"]
    assert [p["tableName"] for p in publications] == ["campaign_attribution"]
    assert get(client, f"/v4/jobGroups/{created['id']}/outputs")["tables"] == []
    wait_until_done(client, mock, created["id"])
    tables = get(client, f"/v4/jobGroups/{created['id']}/outputs")["tables"]
    assert [(t["tableName"], t["publication"]) for t in tables] == [("campaign_attribution", {"id": 1})]


def test_a_profile_exists_once_the_profile_job_has_run(client, mock):
    created = run(client, REGIONAL_SUMMARY)  # its last run profiled
    refused = get(client, f"/v4/jobGroups/{created['id']}/profile", 400)
    assert refused["exception"]["name"] == "ProfilingDataNotFoundException"
    wait_until_done(client, mock, created["id"])
    profile = get(client, f"/v4/jobGroups/{created['id']}/profile")
    assert profile["columnTypes"] == {"region": ["String"], "total_sales": ["Decimal"]}
    assert {c["key"]: c["count"] for c in profile["profilerTypeCheckHistograms"]["total_sales"]} == {
        "VALID": 11, "INVALID": 1, "EMPTY": 0}
    assert profile["profilerValidValueHistograms"]["region"]["k"] == 4
    assert get(client, "/v4/jobGroups/1/profile", 400)["exception"]["name"] == "ProfilingDataNotFoundException"


def test_job_groups_are_listed_by_flow_node(client):
    created = run(client, REGIONAL_SUMMARY)
    listed = get(client, "/v4/jobGroups", flowNodeId=REGIONAL_SUMMARY, noLimit="true")["data"]
    assert {g["wrangledDataset"]["id"] for g in listed} == {REGIONAL_SUMMARY}
    assert created["id"] in [g["id"] for g in listed] and 2 in [g["id"] for g in listed]


def test_a_deleted_flow_takes_its_recipes_and_outputs_with_it_but_not_its_runs(client, mock):
    _, recipe = _new_recipe(client, execution="photon", profiler=False,
                            writeSettings=[{"path": "/w.csv", "action": "create", "format": "csv"}],
                            publications=[{"path": ["db"], "tableName": "t", "targetType": "hive",
                                           "action": "create"}])
    output = get(client, f"/v4/wrangledDatasets/{recipe['id']}", embed="outputObjects")["outputObjects"]["data"][0]
    owned = get(client, f"/v4/outputObjects/{output['id']}", embed="writeSettings,publications")
    setting, publication = owned["writeSettings"]["data"][0], owned["publications"]["data"][0]
    created = run(client, recipe["id"])
    flow_id = recipe["flow"]["id"]
    client.delete(f"/v4/flows/{flow_id}", headers=AUTH)
    get(client, f"/v4/wrangledDatasets/{recipe['id']}", 404)
    for path in (f"/v4/outputObjects/{output['id']}", f"/v4/writeSettings/{setting['id']}",
                 f"/v4/publications/{publication['id']}"):
        get(client, path, 404)
        assert get(client, path, includeDeleted="true")["id"] == int(path.rsplit("/", 1)[1])
    assert setting["id"] not in [w["id"] for w in get(client, "/v4/writeSettings", noLimit="true")["data"]]
    nodes = get(client, f"/v4/flows/{flow_id}", includeDeleted="true", embed="flowNodes")["flowNodes"]["data"]
    assert [node["id"] for node in nodes] == [recipe["id"]]
    assert client.post("/v4/jobGroups", json={"wrangledDataset": {"id": recipe["id"]}},
                       headers=AUTH).status_code == 404
    mock.clock.advance(timedelta(minutes=5))
    assert status(client, created["id"]) == "Complete"


def test_jobs_embed_their_script_results_once_they_have_produced_them(client, mock):
    # The trifacta Python SDK reads the file writer's script result to build its download URL.
    created = run(client, REGIONAL_SUMMARY)
    embedded = get(client, f"/v4/jobGroups/{created['id']}", embed="jobs.scriptResults")["jobs"]["data"]
    assert all(job["scriptResults"] == {"data": []} for job in embedded)
    wait_until_done(client, mock, created["id"])
    embedded = get(client, f"/v4/jobGroups/{created['id']}", embed="jobs.scriptResults")["jobs"]["data"]
    writers = [job for job in embedded if job["jobType"] == "filewriter"]
    assert writers and all(job["scriptResults"]["data"] == [{"id": job["id"]}] for job in writers)
    assert [job["scriptResults"] for job in embedded if job["jobType"] == "profile"] == [{"data": []}]
    assert "scriptResults" not in get(client, f"/v4/jobGroups/{created['id']}", embed="jobs")["jobs"]["data"][0]
