"""POST /v6/jobs/ and what happens to a queued job as the mock's clock moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, INPUTS, NDVI, PARSE, TILER, executions, ids, job, jobs, queue
from tests.support import at

# Every field of the job details documented in the Scale v6 job services docs.
DETAIL_FIELDS = {
    "id", "job_type", "job_type_rev", "event", "recipe", "batch", "is_superseded", "superseded_job",
    "superseded_by_job", "status", "node", "resources", "error", "max_tries", "num_exes", "execution", "input",
    "input_file_size", "input_files", "output", "source_started", "source_ended", "source_sensor_class",
    "source_sensor", "source_collection", "source_task", "created", "queued", "started", "ended",
    "last_status_change", "superseded", "last_modified", "configuration",
}


def test_queueing_a_job_answers_201_with_its_full_details(client):
    response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]}, headers=TOKEN)
    assert response.status_code == 201
    created = response.json()
    assert set(created) >= DETAIL_FIELDS
    assert created["status"] == "QUEUED"
    assert created["execution"] is None
    assert created["num_exes"] == 1
    assert created["node"] is None and created["error"] is None
    assert created["started"] is None and created["ended"] is None
    assert at(created["created"]) == EPOCH and at(created["queued"]) == EPOCH
    assert created["job_type"]["id"] == INGEST and created["job_type"]["name"] == "scale-ingest"
    assert created["job_type_rev"]["job_type"]["id"] == INGEST
    assert created["job_type_rev"]["manifest"]["job"]["name"] == "scale-ingest"
    assert created["event"]["type"] == "USER"
    assert created["input"]["files"] == {"INPUT_FILE": [61]}
    assert created["input_files"] == {"INPUT_FILE": ["my-file.file"]}
    assert created["input_file_size"] == 64.0
    assert created["output"] == {"files": {}, "json": {}}
    assert created["resources"]["resources"]["cpus"] == 0.25
    assert created["max_tries"] == 3
    assert created["is_superseded"] is False and created["superseded_by_job"] is None


def test_the_location_header_points_at_the_new_job(client):
    response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]}, headers=TOKEN)
    location = response.headers["location"]
    assert location == f"http://testserver/v6/jobs/{response.json()['id']}/"
    assert client.get(location).json() == response.json()


def test_new_jobs_get_new_ids_and_show_in_the_list(client):
    before = ids(jobs(client))
    first, second = queue(client, INGEST), queue(client, PARSE)
    assert first["id"] not in before and second["id"] not in before and first["id"] != second["id"]
    listed = ids(jobs(client))
    # Ordered by last_modified: the newest jobs come last.
    assert listed[-2:] == [first["id"], second["id"]]
    assert ids(jobs(client, {"status": "QUEUED", "job_type_id": PARSE}))[-1] == second["id"]


def test_a_job_runs_after_its_queue_time_on_the_clock(mock, client):
    new = queue(client, INGEST)
    mock.clock.advance(timedelta(seconds=2))
    assert job(client, new["id"])["status"] == "QUEUED"
    assert executions(client, new["id"]) == []
    mock.clock.advance(timedelta(seconds=2))
    running = job(client, new["id"])
    assert running["status"] == "RUNNING"
    assert at(running["started"]) == EPOCH + timedelta(seconds=3)
    assert running["ended"] is None
    assert running["node"]["hostname"].endswith(".scale.example.domain")
    assert running["execution"]["status"] == "RUNNING" and running["execution"]["exe_num"] == 1
    assert running["output"] == {"files": {}, "json": {}}
    assert running["execution"]["output"] is None
    exes = executions(client, new["id"])
    assert [(x["exe_num"], x["status"]) for x in exes] == [(1, "RUNNING")]
    assert exes[0]["node"] == running["node"]
    assert exes[0]["ended"] is None


def test_a_job_completes_with_its_output_after_running(mock, client):
    new = queue(client, INGEST)
    mock.clock.advance(timedelta(seconds=22))
    assert job(client, new["id"])["status"] == "RUNNING"
    mock.clock.advance(timedelta(seconds=2))
    done = job(client, new["id"])
    assert done["status"] == "COMPLETED"
    assert at(done["ended"]) == EPOCH + timedelta(seconds=23)
    assert at(done["last_status_change"]) == at(done["ended"])
    assert at(done["last_modified"]) >= at(done["ended"])
    [product] = done["output"]["files"]["output_file"]
    assert done["error"] is None
    assert done["execution"]["status"] == "COMPLETED" and done["execution"]["ended"] == done["ended"]
    assert executions(client, new["id"])[0]["status"] == "COMPLETED"
    assert done["execution"]["output"] == {"output_data": [{"name": "output_file", "file_id": product}]}
    listed = client.get("/v6/files/", params={"job_id": new["id"]}).json()["results"]
    assert [(f["id"], f["job_output"], f["job_exe"]["id"]) for f in listed] == [
        (product, "output_file", done["execution"]["id"])]
    assert listed[0]["created"] == done["ended"] and listed[0]["file_type"] == "PRODUCT"


def test_listing_by_status_follows_the_clock(mock, client):
    new = queue(client, INGEST)["id"]

    def where():
        return {s for s in ("QUEUED", "RUNNING", "COMPLETED") if new in ids(jobs(client, {"status": s}))}

    assert where() == {"QUEUED"}
    mock.clock.advance(timedelta(seconds=5))
    assert where() == {"RUNNING"}
    mock.clock.advance(timedelta(seconds=30))
    assert where() == {"COMPLETED"}


def test_a_failing_job_type_ends_failed_with_its_error(mock, client):
    new = queue(client, TILER)
    mock.clock.advance(timedelta(seconds=39))
    assert job(client, new["id"])["status"] == "RUNNING"
    assert new["id"] not in ids(jobs(client, {"status": "FAILED"}))
    mock.clock.advance(timedelta(seconds=2))
    failed = job(client, new["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["name"] == "data-corrupt" and failed["error"]["category"] == "DATA"
    assert failed["output"] == {"files": {}, "json": {}}
    assert failed["execution"]["status"] == "FAILED"
    assert failed["execution"]["error"]["name"] == "data-corrupt"
    assert new["id"] in ids(jobs(client, [("status", "FAILED"), ("error_category", "DATA")]))
    assert new["id"] in ids(jobs(client, {"error_id": failed["error"]["id"]}))
    assert new["id"] not in ids(jobs(client, {"error_category": "ALGORITHM"}))


def test_ndvi_fails_its_first_attempt_with_an_algorithm_error(mock, client):
    new = queue(client, NDVI)
    mock.clock.advance(timedelta(seconds=66))
    failed = job(client, new["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["name"] == "algorithm-error" and failed["error"]["category"] == "ALGORITHM"
    assert new["id"] in ids(jobs(client, {"error_category": "ALGORITHM"}))


def test_the_configuration_given_at_queue_time_is_kept(client):
    response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST],
                                              "configuration": {"priority": 1}}, headers=TOKEN)
    assert response.status_code == 201
    assert response.json()["configuration"]["priority"] == 1
    assert response.json()["configuration"]["output_workspaces"]["default"] == "products"


def test_json_inputs_and_several_files_are_accepted(client):
    created = queue(client, TILER, {"files": {"geotiff": [14, 32]}, "json": {"zoom_levels": "1-12"}})
    assert created["input"] == {"files": {"geotiff": [14, 32]}, "json": {"zoom_levels": "1-12"}}
    assert len(created["input_files"]["geotiff"]) == 2


def test_an_unknown_job_type_is_a_404(client):
    before = len(jobs(client))
    response = client.post("/v6/jobs/", json={"job_type_id": 999, "input": {}}, headers=TOKEN)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert len(jobs(client)) == before


def test_a_missing_job_type_id_is_a_400(client):
    response = client.post("/v6/jobs/", json={"input": INPUTS[INGEST]}, headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == {"detail": 'Missing required parameter: "job_type_id"'}


@pytest.mark.parametrize(("job_type_id", "data", "words"), [
    (INGEST, {"files": {}}, "INPUT_FILE"),
    (NDVI, {"files": {"red_band": [11]}}, "nir_band"),
    (PARSE, {"files": {"input_file": [41, 42]}}, "input_file"),
])
def test_input_that_does_not_fit_the_job_type_is_a_400(client, job_type_id, data, words):
    before = len(jobs(client))
    response = client.post("/v6/jobs/", json={"job_type_id": job_type_id, "input": data}, headers=TOKEN)
    assert response.status_code == 400
    # Scale's queue view answers with the message alone, a JSON string, not DRF's {"detail": ...}.
    assert response.json().startswith("Invalid job data: ") and words in response.json()
    assert len(jobs(client)) == before


def test_an_unknown_file_id_is_a_400(client):
    before = len(jobs(client))
    response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": {"files": {"INPUT_FILE": [987654]}}},
                           headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == "Invalid job data: file(s) [987654] do not exist"
    assert len(jobs(client)) == before


def test_seeded_jobs_in_flight_move_on_as_well(mock, client):
    running = jobs(client, {"status": "RUNNING"})
    queued = jobs(client, {"status": "QUEUED"})
    assert running and queued
    mock.clock.advance(timedelta(days=1))
    later = {j["id"]: j for j in jobs(client)}
    assert all(later[j["id"]]["status"] in ("COMPLETED", "FAILED") for j in running + queued)
    assert jobs(client, {"status": "RUNNING"}) == [] and jobs(client, {"status": "QUEUED"}) == []


def test_a_superseded_job_links_to_the_job_that_replaced_it(client):
    old, new = job(client, 1), job(client, 50)
    assert old["is_superseded"] is True and old["superseded"] is not None
    assert old["superseded_by_job"]["id"] == 50
    assert old["superseded_by_job"]["status"] == new["status"]
    assert old["superseded_by_job"]["job_type"]["name"] == new["job_type"]["name"]
    assert new["superseded_job"]["id"] == 1 and new["superseded_by_job"] is None
    assert jobs(client, {"job_id": 50})[0]["superseded_job"] == {"id": 1}
