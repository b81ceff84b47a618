"""Apache Airflow's GoogleDataprepHook (apache-airflow-providers-google) against a running ``mockingjob serve
trifacta``: every API method of the hook, in the order Airflow's example Dataprep pipeline calls them, then the
job groups polled to their end as its sensor polls them, and the pipeline's clean-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests

from tests.support.airflow_dataprep import dataprep_hook, dataprep_hook_class, dataprep_log  # noqa: F401
from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

BUCKET = "gs://airflow-dataprep-tests/task_results/"
TERMINAL = ("Complete", "Failed", "Canceled")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # One API alone is served at its real paths, as the hook needs (it joins some paths with a leading slash).
    running = Server("trifacta", "--speed", "0")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def hook(server: Server, dataprep_hook: Any) -> Any:  # noqa: F811
    httpx.post(f"{server.url}/_mockingjob/reset", json={}).raise_for_status()
    return dataprep_hook(server.url, token="airflow-token")


def _advance(server: Server, by: str) -> None:
    httpx.post(f"{server.url}/_mockingjob/clock/advance", json={"by": by}).raise_for_status()


def _until_done(server: Server, hook: Any, *job_group_ids: int) -> dict[int, list[str]]:
    """Poll as the pipeline's sensors do, side by side, the clock moving between polls, until every job group
    has ended; the statuses each sensor saw."""
    seen: dict[int, list[str]] = {ident: [] for ident in job_group_ids}
    for _ in range(200):
        for ident, statuses in seen.items():
            if not statuses or statuses[-1] not in TERMINAL:
                statuses.append(hook.get_job_group_status(job_group_id=ident))
        if all(statuses[-1] in TERMINAL for statuses in seen.values()):
            return seen
        _advance(server, "PT5S")
    raise AssertionError(f"job groups still running after 200 polls: {seen}")


def _get(server: Server, path: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Authorization": "Bearer airflow-token"})


def test_the_example_pipeline_runs_end_to_end(server: Server, hook: Any) -> None:
    dataset = hook.create_imported_dataset(body_request={
        "uri": "gs://airflow-dataprep-tests/dataprep/dataset-00000.parquet", "name": "dataset_dataprep"})
    flow = hook.create_flow(body_request={"name": "test_flow_dataprep", "description": "Test flow"})
    wrangled = hook.create_wrangled_dataset(body_request={
        "importedDataset": {"id": dataset["id"]}, "flow": {"id": flow["id"]}, "name": "wrangled_dataset_dataprep"})
    output = hook.create_output_object(body_request={
        "execution": "dataflow", "profiler": False, "flowNodeId": wrangled["id"]})
    setting = hook.create_write_settings(body_request={
        "path": BUCKET + "adhoc_wrangled_dataset_dataprep.csv", "action": "create", "format": "csv",
        "outputObjectId": output["id"]})
    assert setting["outputObject"] == {"id": output["id"]}
    copy = hook.copy_flow(flow_id=flow["id"], name="copy_dataset_dataprep")
    assert copy["id"] != flow["id"] and copy["name"] == "copy_dataset_dataprep"

    job_group = hook.run_job_group(body_request={
        "wrangledDataset": {"id": wrangled["id"]},
        "overrides": {"writesettings": [{"path": BUCKET + "adhoc_override.csv", "action": "create",
                                         "format": "csv"}]}})
    flow_run = hook.run_flow(flow_id=copy["id"], body_request={})
    from_flow = flow_run["data"][0]["id"]

    group = hook.get_job_group(job_group_id=from_flow, embed="", include_deleted=False)
    assert group["status"] == "Created" and group["flowRun"] == {"id": flow_run["flowRunId"]}
    # The copied flow runs its own copy of the recipe, with the output object's settings copied along.
    assert group["wrangledDataset"]["id"] != wrangled["id"]
    jobs = hook.get_jobs_for_job_group(job_id=from_flow)["data"]
    assert [job["jobType"] for job in jobs] == ["wrangle", "filewriter"]
    assert {job["executionLanguage"] for job in jobs} == {"dataflow"}

    for statuses in _until_done(server, hook, from_flow, job_group["id"]).values():
        assert statuses[-1] == "Complete"
        assert "InProgress" in statuses  # the sensor saw it run before it ended

    outputs = _get(server, f"/v4/jobGroups/{from_flow}/outputs").json()
    assert [file["uri"] for file in outputs["files"]] == [BUCKET + "adhoc_wrangled_dataset_dataprep.csv"]
    outputs = _get(server, f"/v4/jobGroups/{job_group['id']}/outputs").json()
    assert [file["uri"] for file in outputs["files"]] == [BUCKET + "adhoc_override.csv"]
    assert _get(server, f"/v4/flowRuns/{flow_run['flowRunId']}/status").json() == "Complete"

    # The pipeline's clean-up.
    hook.delete_imported_dataset(dataset_id=dataset["id"])
    hook.delete_flow(flow_id=copy["id"])
    hook.delete_flow(flow_id=flow["id"])
    for path in (f"/v4/flows/{flow['id']}", f"/v4/flows/{copy['id']}", f"/v4/importedDatasets/{dataset['id']}",
                 f"/v4/wrangledDatasets/{wrangled['id']}"):
        assert _get(server, path).status_code == 404, path


def test_a_failing_recipe_ends_the_sensor_with_failed(server: Server, hook: Any) -> None:
    # Recipe 20 of the fixtures fails in its wrangle job; the sensor stops at any status but InProgress.
    job_group = hook.run_job_group(body_request={"wrangledDataset": {"id": 20}})
    assert _until_done(server, hook, job_group["id"])[job_group["id"]][-1] == "Failed"
    jobs = hook.get_jobs_for_job_group(job_id=job_group["id"])["data"]
    assert "sku" in jobs[0]["errorMessage"]


def test_an_error_reaches_the_hook_in_the_api_shape(server: Server, dataprep_hook: Any,  # noqa: F811
                                                     dataprep_log: Any) -> None:  # noqa: F811
    hook = dataprep_hook(server.url, retries="none")
    with pytest.raises(requests.HTTPError) as caught:
        hook.copy_flow(flow_id=987654)
    assert caught.value.response.status_code == 404
    # The hook logs the body's "exception" on every HTTP error.
    assert any("ObjectNotFound" in record.getMessage() for record in dataprep_log.records)


def test_running_a_flow_without_outputs_is_refused(server: Server, dataprep_hook: Any) -> None:  # noqa: F811
    httpx.post(f"{server.url}/_mockingjob/reset", json={}).raise_for_status()
    hook = dataprep_hook(server.url, retries="none")
    flow = hook.create_flow(body_request={"name": "empty"})
    with pytest.raises(requests.HTTPError) as caught:
        hook.run_flow(flow_id=flow["id"], body_request={})
    assert caught.value.response.status_code == 400
    assert caught.value.response.json()["exception"]["name"] == "ApiValidationFailed"
