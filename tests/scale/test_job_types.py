"""The job type endpoints: every version with its id, the names, the versions of a name, the details."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scale.helpers import job, queue


def versions(client, params=None):
    response = client.get("/v6/job-types/", params=params)
    assert response.status_code == 200, response.text
    return [(item["name"], item["version"]) for item in response.json()["results"]]


def names(client, params=None):
    response = client.get("/v6/job-type-names/", params=params)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["results"]}


def test_the_job_type_list_has_one_record_per_version_with_its_id(client):
    page = client.get("/v6/job-types/").json()
    assert page["count"] == len(page["results"]) == 7
    listed = [(item["name"], item["version"], item["id"]) for item in page["results"]]
    assert [name for name, _, _ in listed] == sorted(name for name, _, _ in listed)
    assert ("landsat8-parse", "1.0.0", 2) in listed and ("landsat8-parse", "1.1.0", 3) in listed
    parse = next(item for item in page["results"] if item["id"] == 3)
    assert parse["max_tries"] == 3 and parse["revision_num"] == 1 and parse["is_paused"] is False
    assert parse["docker_image"] == "landsat8-parse-1.1.0-seed:1.0.0"
    assert "manifest" not in parse


@pytest.mark.parametrize(("params", "expected"), [
    ({"keyword": "landsat"}, {("landsat8-parse", "1.0.0"), ("landsat8-parse", "1.1.0"), ("ndvi-calc", "2.0.0")}),
    ({"keyword": "NDVI"}, {("ndvi-calc", "2.0.0")}),
    ({"keyword": "raster"}, {("ndvi-calc", "2.0.0"), ("geotiff-tiler", "1.2.0"), ("cloud-mask", "0.9.0")}),
    ([("keyword", "tiler"), ("keyword", "ingest")], {("geotiff-tiler", "1.2.0"), ("scale-ingest", "1.0.0")}),
    ({"is_active": "false"}, {("cloud-mask", "0.9.0")}),
    ({"is_system": "true"}, {("scale-ingest", "1.0.0"), ("scale-delete-files", "1.0.0")}),
    ([("id", 3), ("id", 5)], {("landsat8-parse", "1.1.0"), ("geotiff-tiler", "1.2.0")}),
])
def test_the_versions_can_be_filtered_by_keyword_name_or_tag(client, params, expected):
    assert set(versions(client, params)) == expected


def test_job_type_names_list_each_name_with_its_versions(client):
    page = client.get("/v6/job-type-names/").json()
    listed = [item["name"] for item in page["results"]]
    assert listed == sorted(listed)
    assert page["count"] == len(listed) == 6
    parse = names(client)["landsat8-parse"]
    assert parse["versions"] == ["1.0.0", "1.1.0"] and parse["latest_version"] == "1.1.0"
    assert parse["title"] == "Landsat 8 Parse" and "id" not in parse and "version" not in parse
    assert parse["is_active"] is True and parse["unmet_resources"] is None


def test_a_name_shows_all_its_versions_whatever_the_filter(client):
    # The filters choose the names; each name then lists every version (JobTypeManager.get_job_type_names_v6).
    assert names(client, [("id", 2)])["landsat8-parse"]["versions"] == ["1.0.0", "1.1.0"]
    assert names(client, [("id", 2)])["landsat8-parse"]["latest_version"] == "1.1.0"


def test_the_versions_of_a_name_come_newest_version_first(client):
    response = client.get("/v6/job-types/landsat8-parse/")
    assert response.status_code == 200
    listed = response.json()["results"]
    assert [(v["version"], v["id"]) for v in listed] == [("1.1.0", 3), ("1.0.0", 2)]
    assert listed[0]["description"] == "Parses Landsat 8 scenes into bands, with QA band"


def test_an_unknown_job_type_name_has_no_versions(client):
    response = client.get("/v6/job-types/no-such-type/")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_versions_can_be_filtered_by_is_active(client):
    assert client.get("/v6/job-types/cloud-mask/", params={"is_active": "true"}).json()["count"] == 0
    inactive = client.get("/v6/job-types/cloud-mask/", params={"is_active": "false"}).json()["results"]
    assert [v["is_active"] for v in inactive] == [False]
    assert inactive[0]["deprecated"] is not None and inactive[0]["is_paused"] is True
    assert inactive[0]["paused"] is not None


def test_job_type_details_have_the_manifest_configuration_and_recipe_types(client):
    response = client.get("/v6/job-types/ndvi-calc/2.0.0/")
    assert response.status_code == 200
    details = response.json()
    assert details["id"] == 4 and details["name"] == "ndvi-calc" and details["version"] == "2.0.0"
    assert details["max_tries"] == 3
    inputs = [f["name"] for f in details["manifest"]["job"]["interface"]["inputs"]["files"]]
    assert inputs == ["red_band", "nir_band"]
    assert details["configuration"]["priority"] == 50
    assert "version" not in details["configuration"]  # Scale strips the schema version
    assert details["docker_image"] == "ndvi-calc-2.0.0-seed:1.0.0"
    assert [r["name"] for r in details["recipe_types"]] == ["landsat-ndvi"]
    assert details["recipe_types"][0]["is_active"] is True
    assert client.get("/v6/job-types/landsat8-parse/1.0.0/").json()["recipe_types"] == []


@pytest.mark.parametrize("path", ["/v6/job-types/ndvi-calc/9.9.9/", "/v6/job-types/no-such-type/1.0.0/",
                                  "/v6/job-types/ndvi-calc/9.9.9/revisions/"])
def test_an_unknown_job_type_version_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_job_type_lists_its_revisions_newest_first(client):
    page = client.get("/v6/job-types/ndvi-calc/2.0.0/revisions/").json()
    assert [(r["revision_num"], r["id"]) for r in page["results"]] == [(3, 21), (2, 20), (1, 19)]
    assert page["results"][0]["job_type"]["id"] == 4
    assert page["results"][0]["created"] >= page["results"][-1]["created"]
    revision = client.get("/v6/job-types/ndvi-calc/2.0.0/revisions/2/").json()
    assert revision["id"] == 20 and revision["manifest"]["job"]["name"] == "ndvi-calc"
    assert client.get("/v6/job-types/ndvi-calc/2.0.0/revisions/4/").status_code == 404


def test_a_job_details_job_type_revision_is_its_type_s_current_revision(mock, client):
    created = queue(client, 4, {"files": {"red_band": [11], "nir_band": [7]}})
    assert created["job_type_rev"]["id"] == 21 and created["job_type_rev"]["revision_num"] == 3


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
