"""What a job document links to, read as Scale serves it: recipes, batches, nodes, workspaces, errors, the
version; and the job type status lists the web UI's dashboards poll."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, INPUTS, NDVI, job, queue
from tests.support import at


def page(client, path, params=None):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# --- recipes and batches -------------------------------------------------------------------------------


def test_a_recipe_counts_its_jobs_by_their_state_now(mock, client):
    recipe = page(client, "/v6/recipes/2/")
    statuses = [j["status"] for j in page(client, "/v6/jobs/", {"recipe_id": 2, "page_size": 100})["results"]]
    assert recipe["jobs_total"] == len(statuses) == 4
    for status in ("QUEUED", "RUNNING", "FAILED", "COMPLETED", "CANCELED"):
        assert recipe[f"jobs_{status.lower()}"] == statuses.count(status)
    assert recipe["is_completed"] is False and recipe["completed"] is None
    assert recipe["batch"]["id"] == 2 and recipe["recipe_type"]["name"] == "landsat-ndvi"
    running = recipe["jobs_running"]
    assert running > 0
    mock.clock.advance(timedelta(days=1))  # its running jobs finish
    later = page(client, "/v6/recipes/2/")
    assert later["jobs_running"] == 0 and later["jobs_completed"] == recipe["jobs_completed"] + running


def test_a_recipe_s_details_show_its_nodes_with_their_jobs(client):
    recipe = page(client, "/v6/recipes/3/")
    nodes = recipe["details"]["nodes"]
    assert set(nodes) == {"landsat8-parse", "ndvi-calc"}
    ndvi = nodes["ndvi-calc"]
    assert ndvi["dependencies"] == [{"name": "landsat8-parse"}]
    assert ndvi["node_type"]["node_type"] == "job" and ndvi["node_type"]["job_type_version"] == "2.0.0"
    assert job(client, ndvi["node_type"]["job_id"])["status"] == ndvi["node_type"]["status"]
    assert recipe["recipe_type_rev"]["definition"]["nodes"]["ndvi-calc"]["node_type"]["job_type_name"] == "ndvi-calc"
    assert [t["name"] for t in recipe["job_types"]] == ["landsat8-parse", "ndvi-calc"]
    assert recipe["input"] == {"files": {"input_file": [41]}, "json": {}}
    assert recipe["superseded_by_recipe"] is None and recipe["event"]["type"] == "RECIPE"


def test_a_completed_recipe_has_its_completion_time(client):
    recipe = page(client, "/v6/recipes/1/")
    assert recipe["is_completed"] is True and recipe["jobs_completed"] == recipe["jobs_total"] == 1
    assert recipe["completed"] == job(client, 3)["ended"]


def test_a_superseded_recipe_links_to_its_successor(client):
    old = page(client, "/v6/recipes/4/")
    assert old["is_superseded"] is True and old["superseded_by_recipe"]["id"] == 6
    assert page(client, "/v6/recipes/6/")["superseded_recipe"]["id"] == 4


@pytest.mark.parametrize(("params", "expected"), [
    ({"batch_id": 1}, {1}),
    ({"is_superseded": "true"}, {4}),
    ({"is_completed": "true"}, {1}),
    ({"recipe_type_name": "my-recipe-type"}, {1}),
    ({"root_recipe_id": 4}, {6}),
    ([("recipe_id", 2), ("recipe_id", 5)], {2, 5}),
])
def test_the_recipe_list_filters(client, params, expected):
    assert {r["id"] for r in page(client, "/v6/recipes/", params)["results"]} == expected


def test_the_recipe_list_orders_by_last_change(client):
    listed = page(client, "/v6/recipes/")["results"]
    assert [r["last_modified"] for r in listed] == sorted(r["last_modified"] for r in listed)
    newest = page(client, "/v6/recipes/", {"order": "-last_modified", "page_size": 2})
    assert newest["count"] == 6 and newest["results"][0]["last_modified"] == max(r["last_modified"] for r in listed)


def test_a_batch_counts_its_jobs_and_recipes_and_has_metrics_per_job_type(mock, client):
    batch = page(client, "/v6/batches/1/")
    jobs = page(client, "/v6/jobs/", {"batch_id": 1, "page_size": 100})["results"]
    assert batch["jobs_total"] == len(jobs) and batch["recipes_total"] == 1 and batch["recipes_completed"] == 1
    metrics = batch["job_metrics"]
    assert set(metrics) == {j["job_type"]["name"] for j in jobs}
    ingest = metrics["scale-ingest"]
    assert ingest["jobs_total"] == sum(1 for j in jobs if j["job_type"]["name"] == "scale-ingest")
    assert ingest["min_job_duration"].startswith("PT") and ingest["min_job_duration"].endswith("S")
    assert batch["definition"]["previous_batch"] is None and batch["configuration"]["priority"] == 100
    assert batch["event"]["description"] == {}
    second = page(client, "/v6/batches/2/")
    assert second["root_batch"]["id"] == 1 and second["jobs_running"] > 0


def test_the_batch_list_filters(client):
    assert {b["id"] for b in page(client, "/v6/batches/")["results"]} == {1, 2, 3}
    assert {b["id"] for b in page(client, "/v6/batches/", {"is_creation_done": "false"})["results"]} == {3}
    assert {b["id"] for b in page(client, "/v6/batches/", {"root_batch_id": 1})["results"]} == {2}


@pytest.mark.parametrize("path", ["/v6/recipes/99/", "/v6/batches/99/", "/v6/nodes/99/", "/v6/workspaces/99/",
                                  "/v6/errors/99/"])
def test_an_unknown_object_is_a_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


# --- nodes, workspaces, errors, version ----------------------------------------------------------------


def test_nodes_list_every_node_unless_filtered(client):
    every = page(client, "/v6/nodes/")["results"]
    assert len(every) == 4 and [n["last_modified"] for n in every] == sorted(n["last_modified"] for n in every)
    active = page(client, "/v6/nodes/", {"is_active": "true", "page_size": 1000})["results"]
    assert {n["hostname"] for n in active} == {n["hostname"] for n in every if n["is_active"]}
    paused = page(client, "/v6/nodes/3/")
    assert paused["is_paused"] is True and paused["pause_reason"] == "Disk replacement scheduled"


def test_new_executions_run_on_active_nodes_that_are_not_paused(mock, client):
    hosts = set()
    for _ in range(6):
        created = queue(client, INGEST)
        mock.clock.advance(timedelta(seconds=4))
        hosts.add(job(client, created["id"])["node"]["hostname"])
    assert hosts == {"node-a.scale.example.domain", "node-b.scale.example.domain"}


def test_workspaces_are_listed_by_name_and_their_keys_are_masked(client):
    listed = page(client, "/v6/workspaces/")["results"]
    assert [w["name"] for w in listed] == ["archive", "products", "raw"]
    assert "configuration" not in listed[0]
    assert [w["name"] for w in page(client, "/v6/workspaces/", {"order": "title"})["results"]] == [
        "archive", "products", "raw"]
    products = page(client, "/v6/workspaces/2/")
    broker = products["configuration"]["broker"]
    assert broker["type"] == "s3" and broker["bucket_name"] == "scale-products"
    assert broker["credentials"] == {"access_key_id": "************", "secret_access_key": "************"}
    assert "version" not in products["configuration"]


def test_errors_are_listed_and_filtered(client):
    every = page(client, "/v6/errors/")["results"]
    assert len(every) == 8
    assert [e["last_modified"] for e in every] == sorted(e["last_modified"] for e in every)
    tiler = page(client, "/v6/errors/", {"job_type_name": "geotiff-tiler", "order": "-last_modified"})["results"]
    assert [e["name"] for e in tiler] == ["data-corrupt", "out-of-memory"]
    assert {e["name"] for e in page(client, "/v6/errors/", {"category": "DATA"})["results"]} == {
        "data-corrupt", "invalid-input"}
    assert {e["name"] for e in page(client, "/v6/errors/", {"is_builtin": "false"})["results"]} == {
        e["name"] for e in every if not e["is_builtin"]}
    assert page(client, "/v6/errors/5/")["name"] == "algorithm-error"
    refused = client.get("/v6/errors/", params={"started": "2026-03-02T00:00:00Z", "ended": "2026-03-01T00:00:00Z"})
    assert refused.status_code == 400 and refused.json() == {"detail": "Start time must come before end time"}


def test_the_version_is_scale_s(client):
    assert page(client, "/v6/version/") == {"version": "7.2.2"}


# --- job type status lists -----------------------------------------------------------------------------


def test_job_type_status_counts_running_jobs_and_recent_changes(mock, client):
    created = queue(client, NDVI, INPUTS[NDVI])
    results = page(client, "/v6/job-types/status/", {"page_size": 1000})["results"]
    assert len(results) == 7
    modified = [r["job_type"]["id"] for r in results]
    assert len(modified) == len(set(modified))
    ndvi = next(r for r in results if r["job_type"]["name"] == "ndvi-calc")
    queued = next(c for c in ndvi["job_counts"] if c["status"] == "QUEUED")
    assert queued["count"] >= 1 and at(queued["most_recent"]) == at(created["last_status_change"])
    mock.clock.advance(timedelta(seconds=6))
    ndvi = next(r for r in page(client, "/v6/job-types/status/")["results"] if r["job_type"]["name"] == "ndvi-calc")
    assert any(c["status"] == "RUNNING" for c in ndvi["job_counts"])
    window = page(client, "/v6/job-types/status/", {"started": "PT1S", "is_active": "true"})["results"]
    counted = {c["status"] for r in window for c in r["job_counts"]}
    assert counted <= {"RUNNING", "QUEUED"} and all(r["job_type"]["is_active"] for r in window)


def test_running_job_types_are_listed_longest_running_first(mock, client):
    listed = page(client, "/v6/job-types/running/", {"page": 1, "page_size": 20})["results"]
    running = page(client, "/v6/jobs/", {"status": "RUNNING", "page_size": 100})["results"]
    assert sum(r["count"] for r in listed) == len(running)
    assert [r["longest_running"] for r in listed] == sorted(r["longest_running"] for r in listed)
    assert all(r["job_type"]["is_system"] is False for r in listed)  # Scale loads only a few fields here
    mock.clock.advance(timedelta(days=1))
    assert page(client, "/v6/job-types/running/")["count"] == 0


def test_system_failures_are_grouped_by_job_type_and_error(client):
    listed = page(client, "/v6/job-types/system-failures/")["results"]
    assert listed and all(r["error"]["category"] == "SYSTEM" for r in listed)
    assert [r["last_error"] for r in listed] == sorted((r["last_error"] for r in listed), reverse=True)
    failed = page(client, "/v6/jobs/", {"status": "FAILED", "error_category": "SYSTEM", "page_size": 100})
    assert sum(r["count"] for r in listed) == failed["count"]


def test_no_job_is_pending_in_the_mock(client):
    assert page(client, "/v6/job-types/pending/") == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_cancel_shows_in_the_status_counts(mock, client):
    created = queue(client, INGEST)
    client.post("/v6/jobs/cancel/", json={"job_ids": [created["id"]]}, headers=TOKEN)
    ingest = next(r for r in page(client, "/v6/job-types/status/")["results"] if r["job_type"]["id"] == INGEST)
    assert any(c["status"] == "CANCELED" for c in ingest["job_counts"])


def test_an_empty_error_filter_is_no_filter(client):
    assert page(client, "/v6/errors/", {"name": ""})["count"] == page(client, "/v6/errors/")["count"] == 8


@pytest.mark.parametrize("order", ["jobs_total", "-jobs_running", "recipe_type", "-recipes_completed"])
def test_batches_sort_by_the_web_ui_s_columns(client, order):
    listed = page(client, "/v6/batches/", {"order": order})["results"]
    field = order.lstrip("-")
    values = [(b["recipe_type"]["id"] if field == "recipe_type" else b[field]) for b in listed]
    assert values == sorted(values, reverse=order.startswith("-"))


def test_a_product_s_meta_data_has_its_url(client):
    [product] = page(client, "/v6/files/", {"job_id": 3})["results"]
    details = page(client, f"/v6/files/{product['id']}/")
    assert details["meta_data"]["url"] == product["url"] and product["url"].startswith("http://")


def test_a_paused_node_gets_no_new_executions_until_resumed(mock, client):
    assert client.patch("/v6/nodes/1/", json={"is_paused": True, "pause_reason": "Kernel update", "is_active": True},
                        headers=TOKEN).status_code == 204
    paused = page(client, "/v6/nodes/1/")
    assert paused["is_paused"] is True and paused["pause_reason"] == "Kernel update" and paused["deprecated"] is None
    hosts = set()
    for _ in range(4):
        created = queue(client, INGEST)
        mock.clock.advance(timedelta(seconds=4))
        hosts.add(job(client, created["id"])["node"]["hostname"])
    assert hosts == {"node-b.scale.example.domain"}
    assert client.patch("/v6/nodes/1/", json={"is_paused": False}, headers=TOKEN).status_code == 204
    assert page(client, "/v6/nodes/1/")["pause_reason"] is None


def test_deprecating_a_node_dates_it(mock, client):
    assert client.patch("/v6/nodes/2/", json={"is_active": False}, headers=TOKEN).status_code == 204
    assert at(page(client, "/v6/nodes/2/")["deprecated"]) == EPOCH
    assert "node-b.scale.example.domain" not in {
        n["hostname"] for n in page(client, "/v6/nodes/", {"is_active": "true"})["results"]}


@pytest.mark.parametrize(("body", "answer"), [
    ({"hostname": "x", "is_paused": True, "colour": "red"}, "Unexpected fields: hostname, colour"),
    ({}, "No fields specified for update."),
])
def test_a_node_update_scale_refuses_is_answered_with_the_message_alone(client, body, answer):
    response = client.patch("/v6/nodes/1/", json=body, headers=TOKEN)
    assert response.status_code == 400 and response.json() == answer


def test_the_scheduler_is_never_paused_as_a_whole(client):
    assert page(client, "/v6/scheduler/") == {"is_paused": False, "num_message_handlers": 1,
                                              "system_logging_level": "INFO", "queue_mode": "FIFO"}


def test_with_every_node_paused_a_job_still_runs_on_an_active_one(mock, client):
    for node in (1, 2, 3):
        client.patch(f"/v6/nodes/{node}/", json={"is_paused": True}, headers=TOKEN)
    created = queue(client, INGEST)
    mock.clock.advance(timedelta(seconds=4))
    assert job(client, created["id"])["node"]["hostname"] != "node-d.scale.example.domain"  # node-d is retired
