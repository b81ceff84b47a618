"""Registering, editing, pausing, deprecating and validating job types, as Scale's job type views do."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import job, jobs
from tests.support import at

MANIFEST = {
    "seedVersion": "1.0.0",
    "job": {
        "name": "edge-detect", "jobVersion": "1.0.0", "packageVersion": "1.0.0", "title": "Edge Detect",
        "description": "Finds edges in an image", "maintainer": {"name": "Ann", "email": "ann@example.com"},
        "timeout": 120, "tags": ["vision"],
        "interface": {
            "command": "detect ${image} -o ${OUTPUT_DIR}",
            "inputs": {"files": [{"name": "image", "required": True}], "json": []},
            "outputs": {"files": [{"name": "edges", "pattern": "*.png", "multiple": True}]},
            "settings": [{"name": "API_KEY", "secret": True}, {"name": "MODE"}],
        },
        "resources": {"scalar": [{"name": "cpus", "value": 2.0}, {"name": "mem", "value": 512.0}]},
    },
}
CONFIGURATION = {"output_workspaces": {"default": "products"}, "priority": 30,
                 "settings": {"API_KEY": "s3cr3t", "MODE": "fast"}}
PLAN = {"queued": 2, "running": 10, "outcomes": ["COMPLETED"], "output_size": 4096}


def register(client, **fields):
    body = {"docker_image": "edge-detect:1.0.0", "manifest": MANIFEST, "configuration": CONFIGURATION, **fields}
    return client.post("/v6/job-types/", json=body, headers=TOKEN)


def patch(client, body, name="edge-detect", version="1.0.0"):
    return client.patch(f"/v6/job-types/{name}/{version}/", json=body, headers=TOKEN)


def queue_edge_job(client, job_type_id):
    response = client.post("/v6/jobs/", json={"job_type_id": job_type_id, "input": {"files": {"image": [41]}}},
                           headers=TOKEN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- registering ---------------------------------------------------------------------------------------


def test_a_registered_job_type_is_answered_with_its_details_and_location(client):
    response = register(client, icon_code="f03e", max_scheduled=4)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == "http://testserver/v6/job-types/edge-detect/1.0.0/"
    assert (created["name"], created["version"], created["title"]) == ("edge-detect", "1.0.0", "Edge Detect")
    assert created["revision_num"] == 1 and created["max_tries"] == 3 and created["max_scheduled"] == 4
    assert created["is_active"] is True and created["is_paused"] is False and created["is_system"] is False
    assert created["icon_code"] == "f03e" and created["is_published"] is False
    assert at(created["created"]) == EPOCH and created["deprecated"] is None and created["paused"] is None
    # Shown as Scale shows a configuration: no schema version, no secret settings.
    assert created["configuration"] == {"output_workspaces": {"default": "products", "outputs": {}},
                                        "priority": 30, "settings": {"MODE": "fast"}, "mounts": {}}
    assert client.get("/v6/job-types/edge-detect/1.0.0/").json() == created
    listed = client.get("/v6/job-types/", params={"keyword": "vision"}).json()["results"]
    assert [(t["id"], t["name"]) for t in listed] == [(created["id"], "edge-detect")]
    assert client.get("/v6/job-type-names/", params={"keyword": "edge"}).json()["results"][0]["versions"] == [
        "1.0.0"]
    revisions = client.get("/v6/job-types/edge-detect/1.0.0/revisions/").json()["results"]
    assert [(r["revision_num"], r["docker_image"]) for r in revisions] == [(1, "edge-detect:1.0.0")]


def test_a_registered_job_type_takes_jobs_at_once_and_runs_them_by_its_plan(mock, client):
    job_type_id = register(client, plan=PLAN).json()["id"]
    job_id = queue_edge_job(client, job_type_id)
    queued = job(client, job_id)
    assert queued["status"] == "QUEUED" and queued["configuration"]["priority"] == 30
    assert "API_KEY" not in queued["configuration"]["settings"]
    mock.clock.advance(timedelta(seconds=3))
    assert job(client, job_id)["status"] == "RUNNING"
    mock.clock.advance(timedelta(seconds=10))
    done = job(client, job_id)
    assert done["status"] == "COMPLETED" and at(done["ended"]) == EPOCH + timedelta(seconds=12)
    products = client.get("/v6/files/", params={"job_id": job_id}).json()["results"]
    assert sorted(f["id"] for f in products) == sorted(done["output"]["files"]["edges"])
    assert len(products) == 2  # a `multiple` output
    assert {f["file_size"] for f in products} == {4096} and {f["media_type"] for f in products} == {"image/png"}
    assert all(f["file_name"].endswith(".png") and f["workspace"]["name"] == "products" for f in products)
    assert [j["id"] for j in jobs(client, {"job_type_name": "edge-detect"})] == [job_id]


def test_a_job_type_registered_without_a_plan_runs_jobs_for_35_seconds(mock, client):
    job_id = queue_edge_job(client, register(client).json()["id"])
    mock.clock.advance(timedelta(seconds=34))
    assert job(client, job_id)["status"] == "RUNNING"
    mock.clock.advance(timedelta(seconds=1))
    assert job(client, job_id)["status"] == "COMPLETED"


def test_registering_an_existing_name_and_version_edits_it_with_a_new_revision(client):
    first = register(client).json()
    response = register(client, docker_image="edge-detect:1.0.1", icon_code="f1b2")
    assert response.status_code == 200
    assert response.json() == {"is_valid": True, "errors": [], "warnings": []}
    assert "location" not in response.headers
    edited = client.get("/v6/job-types/edge-detect/1.0.0/").json()
    assert edited["id"] == first["id"] and edited["revision_num"] == 2
    assert edited["docker_image"] == "edge-detect:1.0.1" and edited["icon_code"] == "f1b2"
    revisions = client.get("/v6/job-types/edge-detect/1.0.0/revisions/").json()["results"]
    assert [(r["revision_num"], r["docker_image"]) for r in revisions] == [(2, "edge-detect:1.0.1"),
                                                                            (1, "edge-detect:1.0.0")]


@pytest.mark.parametrize(("change", "detail"), [
    (lambda m: m["job"].pop("title"),
     "Seed Manifest invalid: Error validating against schema: 'title' is a required property"),
    (lambda m: m["job"].update(name="Not A Name!"), None),
    (lambda m: m["job"].update(name="validation"), 'Unable to create job type named "validation"'),
])
def test_a_manifest_scale_refuses_is_a_400_in_its_words(client, change, detail):
    manifest = copy.deepcopy(MANIFEST)
    change(manifest)
    response = client.post("/v6/job-types/", json={"docker_image": "x:1", "manifest": manifest,
                                                   "configuration": CONFIGURATION}, headers=TOKEN)
    assert response.status_code == 400
    if detail is not None:
        assert response.json()["detail"].startswith(detail)
    else:
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(("configuration", "detail"), [
    ({}, "Job type configuration invalid: Missing workspace for outputs '[u'edges']'"),
    ({"output_workspaces": {"default": "nowhere"}}, "Job type configuration invalid: No workspace named 'nowhere'"),
    ({"version": "5", "output_workspaces": {"default": "products"}},
     "Job type configuration invalid: Invalid configuration version: 5"),
])
def test_a_configuration_scale_refuses_is_a_400_in_its_words(client, configuration, detail):
    response = client.post("/v6/job-types/", json={"docker_image": "x:1", "manifest": MANIFEST,
                                                   "configuration": configuration}, headers=TOKEN)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert client.get("/v6/job-types/edge-detect/1.0.0/").status_code == 404


def test_an_unknown_field_is_refused_naming_scale_s_fields(client):
    response = register(client, colour="blue")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("colour is not a valid field. Valid fields are: set([u'icon_code', ")


def test_an_empty_field_name_is_refused_as_scale_words_it(client):
    response = client.patch("/v6/job-types/scale-ingest/1.0.0/", json={"auto_update": True, "": 1}, headers=TOKEN)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(" is not a valid field. Valid fields are: set([u'icon_code', ")


def test_registering_needs_a_token(client):
    response = client.post("/v6/job-types/", json={"docker_image": "x:1", "manifest": MANIFEST})
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- editing -------------------------------------------------------------------------------------------


def test_a_paused_job_type_keeps_its_queued_jobs_queued_until_resumed(mock, client):
    job_type_id = register(client, plan=PLAN).json()["id"]
    running = queue_edge_job(client, job_type_id)
    mock.clock.advance(timedelta(seconds=3))
    waiting = queue_edge_job(client, job_type_id)
    response = patch(client, {"is_paused": True})
    assert response.status_code == 200 and response.json() == {"is_valid": True, "errors": [], "warnings": []}
    paused = client.get("/v6/job-types/edge-detect/1.0.0/").json()
    assert paused["is_paused"] is True and at(paused["paused"]) == EPOCH + timedelta(seconds=3)
    late = queue_edge_job(client, job_type_id)  # Scale queues jobs of a paused type; it does not run them
    mock.clock.advance(timedelta(hours=1))
    assert job(client, running)["status"] == "COMPLETED"  # what runs goes on
    assert [job(client, i)["status"] for i in (waiting, late)] == ["QUEUED", "QUEUED"]
    assert job(client, waiting)["execution"] is None
    assert client.get("/v6/files/", params={"job_id": waiting}).json()["count"] == 0

    assert patch(client, {"is_paused": False}).status_code == 200
    resumed = EPOCH + timedelta(hours=1, seconds=3)
    assert client.get("/v6/job-types/edge-detect/1.0.0/").json()["paused"] is None
    assert [job(client, i)["status"] for i in (waiting, late)] == ["RUNNING", "RUNNING"]
    assert at(job(client, waiting)["started"]) == resumed
    mock.clock.advance(timedelta(seconds=10))
    done = job(client, waiting)
    assert done["status"] == "COMPLETED" and at(done["ended"]) == resumed + timedelta(seconds=10)
    assert client.get("/v6/files/", params={"job_id": waiting}).json()["count"] == 2


def test_a_job_of_a_paused_type_can_be_canceled(mock, client):
    job_type_id = register(client, plan=PLAN).json()["id"]
    patch(client, {"is_paused": True})
    job_id = queue_edge_job(client, job_type_id)
    assert client.post("/v6/jobs/cancel/", json={"job_ids": [job_id]}, headers=TOKEN).status_code == 202
    patch(client, {"is_paused": False})
    mock.clock.advance(timedelta(minutes=5))
    assert job(client, job_id)["status"] == "CANCELED"


def test_deprecating_a_job_type_deprecates_its_recipe_types_with_a_warning(mock, client):
    mock.clock.advance(timedelta(minutes=1))
    response = patch(client, {"is_active": False}, "ndvi-calc", "2.0.0")
    assert response.status_code == 200
    assert response.json()["warnings"] == [{
        "name": "DEPRECATED_RECIPES",
        "description": "The following recipes were deprecated as a result of deprecating this job type: "
                       "[u'landsat-ndvi'] "}]
    deprecated = client.get("/v6/job-types/ndvi-calc/2.0.0/").json()
    assert deprecated["is_active"] is False and at(deprecated["deprecated"]) == EPOCH + timedelta(minutes=1)
    assert deprecated["recipe_types"][0]["is_active"] is False
    assert client.get("/v6/job-types/", params={"is_active": "false", "keyword": "ndvi"}).json()["count"] == 1
    reactivated = patch(client, {"is_active": True}, "ndvi-calc", "2.0.0")
    assert reactivated.json()["warnings"] == []
    assert client.get("/v6/job-types/ndvi-calc/2.0.0/").json()["deprecated"] is None


def test_editing_the_plan_changes_how_later_jobs_run(mock, client):
    job_type_id = register(client, plan=PLAN).json()["id"]
    assert patch(client, {"plan": {"queued": 1, "running": 5, "outcomes": ["FAILED"], "error": "timeout"}}
                 ).status_code == 200
    job_id = queue_edge_job(client, job_type_id)
    mock.clock.advance(timedelta(seconds=6))
    failed = job(client, job_id)
    assert failed["status"] == "FAILED" and failed["error"]["name"] == "timeout"


def test_a_new_manifest_makes_a_revision_and_must_keep_the_name_and_version(client):
    register(client)
    manifest = copy.deepcopy(MANIFEST)
    manifest["job"]["title"] = "Edge Detector"
    assert patch(client, {"manifest": manifest}).status_code == 200
    edited = client.get("/v6/job-types/edge-detect/1.0.0/").json()
    assert edited["title"] == "Edge Detector" and edited["revision_num"] == 2
    manifest["job"]["jobVersion"] = "2.0.0"
    response = patch(client, {"manifest": manifest})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Manifest version 2.0.0 does not match current Job Type version 1.0.0."}


def test_a_system_job_type_may_only_be_paused(client):
    response = patch(client, {"icon_code": "f000"}, "scale-ingest", "1.0.0")
    assert response.status_code == 400
    assert response.json() == {"detail": "You can only modify the is_paused field for a System Job"}
    assert patch(client, {"is_paused": True}, "scale-ingest", "1.0.0").status_code == 200


def test_editing_an_unknown_job_type_is_a_404(client):
    response = patch(client, {"is_paused": True}, "no-such-type", "1.0.0")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


# --- validating ----------------------------------------------------------------------------------------


def test_validation_reports_warnings_of_a_valid_job_type(client):
    response = client.post("/v6/job-types/validation/", json={
        "manifest": MANIFEST, "configuration": {"output_workspaces": {"default": "products"},
                                                "settings": {"MODE": "x", "COLOR": "y"},
                                                "mounts": {"tmp": {"type": "host", "host_path": "/tmp"}}}})
    assert response.status_code == 200
    result = response.json()
    assert result["is_valid"] is True and result["errors"] == []
    assert {(w["name"], w["description"]) for w in result["warnings"]} == {
        ("UNKNOWN_SETTING", "Unknown setting 'COLOR' ignored"),
        ("MISSING_SETTING", "Missing configuration for setting 'API_KEY'"),
        ("UNKNOWN_MOUNT", "Unknown mount 'tmp' ignored")}


@pytest.mark.parametrize(("manifest_change", "configuration", "error"), [
    (lambda m: m["job"].pop("maintainer"), CONFIGURATION, "JSON_VALIDATION_ERROR"),
    (lambda m: None, {}, "MISSING_WORKSPACE"),
    (lambda m: None, {"output_workspaces": {"default": "nowhere"}}, "INVALID_WORKSPACE"),
    (lambda m: None, {"version": "1.0", "output_workspaces": {"default": "products"}}, "INVALID_VERSION"),
    # Scale's configuration schema refuses a priority below 1 before its own priority check would.
    (lambda m: None, {"priority": 0, "output_workspaces": {"default": "products"}}, "INVALID_CONFIGURATION"),
    (lambda m: None, {"colour": "red", "output_workspaces": {"default": "products"}}, "INVALID_CONFIGURATION"),
    (lambda m: None, {"settings": {"MODE": None}, "output_workspaces": {"default": "products"}}, "INVALID_SETTING"),
])
def test_validation_answers_200_with_the_error_of_an_invalid_job_type(client, manifest_change, configuration,
                                                                      error):
    manifest = copy.deepcopy(MANIFEST)
    manifest_change(manifest)
    response = client.post("/v6/job-types/validation/", json={"manifest": manifest, "configuration": configuration})
    assert response.status_code == 200
    result = response.json()
    # Scale stops at the first error, and reports no warning then.
    assert result["is_valid"] is False and [e["name"] for e in result["errors"]] == [error]
    assert result["warnings"] == []


def test_a_manifest_s_errors_become_scale_errors(mock, client):
    manifest = copy.deepcopy(MANIFEST)
    manifest["job"]["errors"] = [{"code": 3, "name": "edge-blur", "title": "Too Blurry", "category": "data"},
                                 {"code": 4, "name": "edge-crash"}]
    assert client.post("/v6/job-types/", json={"docker_image": "x:1", "manifest": manifest,
                                               "configuration": CONFIGURATION}, headers=TOKEN).status_code == 201
    listed = client.get("/v6/errors/", params={"job_type_name": "edge-detect"}).json()["results"]
    assert {(e["name"], e["title"], e["category"], e["is_builtin"]) for e in listed} == {
        ("edge-blur", "Too Blurry", "DATA", False), ("edge-crash", "edge-crash", "ALGORITHM", False)}
    assert patch(client, {"plan": {"outcomes": ["FAILED"], "error": "edge-blur", "queued": 0, "running": 1}}
                 ).status_code == 200


def test_validation_needs_a_configuration_and_no_token(client):
    response = client.post("/v6/job-types/validation/", json={"manifest": MANIFEST})
    assert response.status_code == 400
    assert response.json() == {"detail": 'Missing required parameter: "configuration"'}


def test_a_job_keeps_the_revision_it_was_queued_with(mock, client):
    job_type_id = register(client, plan=PLAN).json()["id"]
    job_id = queue_edge_job(client, job_type_id)
    queued_with = job(client, job_id)["job_type_rev"]
    manifest = copy.deepcopy(MANIFEST)
    manifest["job"]["title"] = "Edge Detector"
    assert patch(client, {"manifest": manifest, "docker_image": "edge-detect:1.0.1"}).status_code == 200
    kept = job(client, job_id)["job_type_rev"]
    assert kept["id"] == queued_with["id"] and kept["revision_num"] == 1
    assert kept["docker_image"] == "edge-detect:1.0.0" and kept["manifest"]["job"]["title"] == "Edge Detect"
    later = job(client, queue_edge_job(client, job_type_id))["job_type_rev"]
    assert later["revision_num"] == 2 and later["docker_image"] == "edge-detect:1.0.1"


def test_an_edit_through_post_words_a_configuration_error_as_a_creation_does(client):
    register(client)
    response = register(client, configuration={"output_workspaces": {"default": "nowhere"}})
    assert response.status_code == 400
    assert response.json() == {"detail": "Job type configuration invalid: No workspace named 'nowhere'"}


def test_a_zero_max_scheduled_is_ignored_as_scale_ignores_it(client):
    register(client, max_scheduled=3)
    assert patch(client, {"max_scheduled": 0}).status_code == 200
    assert client.get("/v6/job-types/edge-detect/1.0.0/").json()["max_scheduled"] == 3


def test_a_keyword_is_matched_literally_within_one_tag(client):
    manifest = copy.deepcopy(MANIFEST)
    manifest["job"]["tags"] = ["Météo", "50%_off"]
    client.post("/v6/job-types/", json={"docker_image": "x:1", "manifest": manifest, "configuration": CONFIGURATION},
                headers=TOKEN)

    def found(keyword):
        return {t["name"] for t in client.get("/v6/job-types/", params={"keyword": keyword}).json()["results"]}

    assert found("mété") == {"edge-detect"} and found("MÉTÉO") == {"edge-detect"}
    assert found("u00e9") == set() and found('"') == set()
    assert found("%_") == {"edge-detect"} and found("%") == {"edge-detect"}
    assert found("_") == {"edge-detect"}  # only the tag that holds an underscore
    assert "scale-ingest" not in found("_")
