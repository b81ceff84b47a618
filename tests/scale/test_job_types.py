"""The job type endpoints a client uses to find the id it queues a job with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scale.helpers import job, queue


def names(client, params=None):
    response = client.get("/v6/job-types/", params=params)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["results"]}


def test_job_type_names_list_their_versions(client):
    page = client.get("/v6/job-types/").json()
    listed = [item["name"] for item in page["results"]]
    assert listed == sorted(listed)
    assert page["count"] == len(listed) == 6
    by_name = names(client)
    assert by_name["landsat8-parse"]["versions"] == ["1.0.0", "1.1.0"]
    assert by_name["landsat8-parse"]["latest_version"] == "1.1.0"
    assert by_name["ndvi-calc"]["versions"] == ["2.0.0"]
    assert by_name["ndvi-calc"]["title"] == "NDVI Calculator"


@pytest.mark.parametrize(("params", "expected"), [
    ({"keyword": "landsat"}, {"landsat8-parse"}),
    ({"keyword": "NDVI"}, {"ndvi-calc"}),
    ({"is_active": "false"}, {"cloud-mask"}),
    ({"is_system": "true"}, {"scale-ingest", "scale-delete-files"}),
    ([("id", 3), ("id", 5)], {"landsat8-parse", "geotiff-tiler"}),
])
def test_job_type_names_can_be_filtered(client, params, expected):
    assert set(names(client, params)) == expected


def test_the_versions_of_a_job_type_carry_their_ids(client):
    response = client.get("/v6/job-types/landsat8-parse/")
    assert response.status_code == 200
    versions = response.json()["results"]
    assert [(v["version"], v["id"]) for v in versions] == [("1.0.0", 2), ("1.1.0", 3)]
    assert all(v["name"] == "landsat8-parse" for v in versions)
    assert versions[1]["description"] == "Parses Landsat 8 scenes into bands, with QA band"


def test_an_unknown_job_type_name_has_no_versions(client):
    response = client.get("/v6/job-types/no-such-type/")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_versions_can_be_filtered_by_is_active(client):
    assert client.get("/v6/job-types/cloud-mask/", params={"is_active": "true"}).json()["count"] == 0
    inactive = client.get("/v6/job-types/cloud-mask/", params={"is_active": "false"}).json()["results"]
    assert [v["is_active"] for v in inactive] == [False]
    assert inactive[0]["deprecated"] is not None and inactive[0]["is_paused"] is True


def test_job_type_details_have_the_id_and_manifest(client):
    response = client.get("/v6/job-types/ndvi-calc/2.0.0/")
    assert response.status_code == 200
    details = response.json()
    assert details["id"] == 4 and details["name"] == "ndvi-calc" and details["version"] == "2.0.0"
    assert details["manifest"]["job"]["name"] == "ndvi-calc"
    inputs = [f["name"] for f in details["manifest"]["job"]["interface"]["inputs"]["files"]]
    assert inputs == ["red_band", "nir_band"]
    assert details["configuration"]["priority"] == 50
    assert details["docker_image"] == "ndvi-calc-2.0.0-seed:1.0.0"


@pytest.mark.parametrize("path", ["/v6/job-types/ndvi-calc/9.9.9/", "/v6/job-types/no-such-type/1.0.0/"])
def test_an_unknown_job_type_version_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_client_finds_a_job_type_id_and_queues_a_job_with_it(mock, client):
    version = names(client, {"keyword": "landsat"})["landsat8-parse"]["latest_version"]
    details = client.get(f"/v6/job-types/landsat8-parse/{version}/").json()
    file_input = details["manifest"]["job"]["interface"]["inputs"]["files"][0]["name"]
    created = queue(client, details["id"], {"files": {file_input: [41]}})
    assert created["job_type"]["id"] == details["id"] == 3
    assert created["job_type"]["version"] == "1.1.0"
    assert created["job_type_rev"]["docker_image"] == details["docker_image"]
    assert created["configuration"]["priority"] == details["configuration"]["priority"]
    mock.clock.advance(timedelta(minutes=2))
    assert job(client, created["id"])["status"] == "COMPLETED"
