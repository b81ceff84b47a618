"""``/v6/files/``: the fixtures' files and the products completed executions wrote, with Scale's filters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.scale.helpers import INGEST, TILER, job, queue
from tests.support import at


def files(client, params=None):
    response = client.get("/v6/files/", params=[*(params or []), ("page_size", 1000)])
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["count"] == len(page["results"])
    return page["results"]


def test_a_completed_fixture_job_s_outputs_are_file_rows(client):
    done = job(client, 3)  # a completed scale-ingest job of recipe 1, batch 1
    assert done["status"] == "COMPLETED"
    listed = files(client, [("job_id", 3)])
    assert [f["id"] for f in listed] == done["output"]["files"]["output_file"]
    product = listed[0]
    assert product["file_type"] == "PRODUCT" and product["job_output"] == "output_file"
    assert product["job"] == {"id": 3} and product["job_exe"] == {"id": done["execution"]["id"]}
    assert product["job_type"]["name"] == "scale-ingest" and product["recipe"] == {"id": 1}
    assert product["recipe_type"]["name"] == "my-recipe-type" and product["recipe_node"] == "scale-ingest"
    assert product["batch"]["id"] == 1 and product["batch"]["title"] == "My Batch"
    assert product["created"] == done["ended"] and product["workspace"]["name"] == "products"
    assert product["url"] == "http://scale.example.com/workspaces/products/" + product["file_path"]
    details = client.get(f"/v6/files/{product['id']}/").json()
    assert details["meta_data"]["job_name"] == "scale-ingest" and details["id"] == product["id"]


def test_a_product_appears_when_its_execution_completes(mock, client):
    new = queue(client, INGEST)
    assert files(client, [("job_id", new["id"])]) == []
    mock.clock.advance(timedelta(seconds=22))
    assert job(client, new["id"])["status"] == "RUNNING"
    assert files(client, [("job_id", new["id"])]) == []
    mock.clock.advance(timedelta(seconds=1))
    [product] = files(client, [("job_id", new["id"])])
    assert at(product["created"]) == at(job(client, new["id"])["ended"])
    assert client.get(f"/v6/files/{product['id']}/").status_code == 200


def test_a_failed_or_canceled_execution_leaves_no_products(mock, client):
    failing = queue(client, TILER)["id"]
    canceled = queue(client, INGEST)["id"]
    mock.clock.advance(timedelta(seconds=4))
    client.post("/v6/jobs/cancel/", json={"job_ids": [canceled]}, headers={"Authorization": "Token t"})
    mock.clock.advance(timedelta(minutes=5))
    assert job(client, failing)["status"] == "FAILED" and job(client, canceled)["status"] == "CANCELED"
    assert files(client, [("job_id", failing), ("job_id", canceled)]) == []


@pytest.mark.parametrize(("params", "check"), [
    ([("file_type", "SOURCE")], lambda f: f["file_type"] == "SOURCE"),
    ([("media_type", "image/png")], lambda f: f["media_type"] == "image/png"),
    ([("job_output", "tiles")], lambda f: f["job_output"] == "tiles"),
    ([("job_type_name", "geotiff-tiler")], lambda f: (f["job_type"] or {}).get("name") == "geotiff-tiler"),
    ([("batch_id", 1), ("batch_id", 3)], lambda f: (f["batch"] or {}).get("id") in (1, 3)),
    ([("recipe_id", 3)], lambda f: f["recipe"] == {"id": 3}),
    ([("file_name_search", "b5.tif")], lambda f: "b5.tif" in f["file_name"].lower()),
    ([("countries", "CAN")], lambda f: "CAN" in f["countries"]),
    ([("source_task", "my-task")], lambda f: f["source_task"] == "my-task"),
])
def test_the_list_filters_as_scale_does(client, params, check):
    every = files(client)
    chosen = files(client, params)
    assert chosen and len(chosen) < len(every)
    assert all(check(f) for f in chosen)
    assert [f["id"] for f in every if check(f)] == [f["id"] for f in chosen]


def test_time_filters_and_orders(client):
    every = files(client)
    middle = sorted(f["created"] for f in every)[len(every) // 2]
    later = files(client, [("created_started", middle)])
    assert later and all(f["created"] >= middle for f in later)
    assert len(later) == sum(1 for f in every if f["created"] >= middle)
    by_default = [f["last_modified"] for f in every]
    assert by_default == sorted(by_default)
    newest = [f["created"] for f in files(client, [("order", "-created")])]
    assert newest == sorted(newest, reverse=True)
    named = [f["file_name"].lower() for f in files(client, [("order", "file_name")])]
    assert named == sorted(named)  # ascending names compare without case, as Scale's alphabetize does


def test_the_web_ui_s_sort_parameters_are_ignored_and_reported(client):
    response = client.get("/v6/files/", params={"job_id": 3, "sortField": "last_modified", "sortOrder": "desc"})
    assert response.status_code == 200 and response.json()["count"] == 1
    assert "sortField" in response.headers["Mockingjob-Lint"]


def test_an_unknown_file_is_a_404(client):
    response = client.get("/v6/files/999999/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
