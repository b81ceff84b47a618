"""Faults and the journal through the Scale API, in process (dropped connections over TCP: test_live.py)."""

from __future__ import annotations

import json

from tests.conftest import TOKEN
from tests.scale.helpers import INGEST, INPUTS

ADMIN = "/_mockingjob"


def _fault(client, **body):
    response = client.post(f"{ADMIN}/faults", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_an_error_fault_answers_with_its_status_in_the_apis_own_shape(client):
    _fault(client, api="scale", operation="list_jobs", error={"status": 503})
    response = client.get("/v6/jobs/")
    assert response.status_code == 503 and response.json() == {"detail": "Service Unavailable"}
    assert client.get("/v6/jobs/1/").status_code == 200  # other operations are untouched


def test_a_fault_added_between_requests_applies_to_the_next_one_and_stops_when_deleted(client):
    # Requests with no fault in place are answered without reading the faults again: adding or deleting one
    # must still be seen at once.
    assert [client.get("/v6/jobs/1/").status_code for _ in range(3)] == [200, 200, 200]
    fault = _fault(client, api="scale", error={"status": 503})
    assert client.get("/v6/jobs/1/").status_code == 503
    assert client.delete(f"{ADMIN}/faults/{fault['id']}").status_code == 204
    assert client.get("/v6/jobs/1/").status_code == 200


def test_an_error_fault_with_times_fails_the_next_requests_only(client):
    _fault(client, api="scale", error={"status": 500, "message": "boom"}, times=2)
    statuses = [client.get("/v6/jobs/1/").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_an_error_rate_of_zero_never_fires_and_of_one_always_does(client):
    zero = _fault(client, error={"status": 502, "rate": 0})
    assert all(client.get("/v6/jobs/1/").status_code == 200 for _ in range(5))
    client.delete(f"{ADMIN}/faults/{zero['id']}")
    _fault(client, error={"status": 502, "rate": 1})
    assert all(client.get("/v6/jobs/1/").status_code == 502 for _ in range(5))


def test_a_latency_fault_delays_the_answer_and_the_journal_shows_it(client):
    _fault(client, api="scale", operation="get_job", latency={"fixed": 120})
    assert client.get("/v6/jobs/1/").status_code == 200
    (entry,) = client.get(f"{ADMIN}/journal").json()["entries"]
    assert entry["latencyMs"] >= 120 and entry["fault"].endswith("latency 120 ms")


def test_the_journal_records_method_path_query_status_and_bodies(client):
    body = {"job_type_id": INGEST, "input": INPUTS[INGEST]}
    created = client.post("/v6/jobs/", json=body, headers=TOKEN).json()
    client.get("/v6/jobs/?status=RUNNING&page_size=2")
    client.get("/v6/jobs/999999/")
    entries = client.get(f"{ADMIN}/journal?order=asc").json()["entries"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v6/jobs/", 201), ("GET", "/v6/jobs/", 200), ("GET", "/v6/jobs/999999/", 404)]
    post, listing, missing = entries
    assert json.loads(post["requestBody"]) == body
    assert json.loads(post["responseBody"])["id"] == created["id"]
    assert post["operation"] == "queue_job" and post["api"] == "scale"
    assert listing["query"] == "status=RUNNING&page_size=2"
    assert missing["operation"] == "get_job"


def test_the_journal_filters_and_counts(client):
    client.get("/v6/jobs/1/")
    client.get("/v6/jobs/999999/")
    client.get("/v6/no-such-path/")
    client.post("/v6/jobs/", json={}, headers=TOKEN)
    count = lambda query: client.get(f"{ADMIN}/journal/count?{query}").json()["count"]  # noqa: E731
    assert count("") == 4
    assert count("status=4xx") == 3 and count("status=404") == 2 and count("status=2xx") == 1
    assert count("operation=get_job") == 2 and count("method=POST") == 1
    unrouted = client.get(f"{ADMIN}/journal?status=404").json()["entries"]
    assert {e["operation"] for e in unrouted} == {"get_job", None}
    newest = client.get(f"{ADMIN}/journal?limit=1").json()["entries"][0]
    assert newest["method"] == "POST"
    assert count(f"since={newest['id'] - 1}") == 1
    assert client.get(f"{ADMIN}/journal/{newest['id']}").json() == newest


def test_the_journal_keeps_only_the_newest_entries(mock, client):
    size = mock.config.journal_size
    mock.config.journal_size = 5
    try:
        for job_id in range(1, 9):
            client.get(f"/v6/jobs/{job_id}/")
        entries = client.get(f"{ADMIN}/journal").json()["entries"]
        assert [e["path"] for e in entries] == [f"/v6/jobs/{i}/" for i in range(8, 3, -1)]
        assert client.get(f"{ADMIN}/journal/count").json()["count"] == 5
    finally:
        mock.config.journal_size = size


def test_clearing_the_journal(client):
    client.get("/v6/jobs/1/")
    assert client.delete(f"{ADMIN}/journal").status_code == 204
    assert client.get(f"{ADMIN}/journal/count").json()["count"] == 0


def test_docs_and_specs_are_not_journaled(client):
    client.get("/ui/")
    client.get("/openapi.json")
    assert client.get(f"{ADMIN}/journal/count").json()["count"] == 0


def test_an_error_fault_can_add_headers(client):
    _fault(client, api="scale", error={"status": 503, "headers": {"Retry-After": "30"}})
    response = client.get("/v6/jobs/1/")
    assert response.status_code == 503 and response.headers["retry-after"] == "30"


def test_the_journal_filters_by_path_prefix(client):
    client.get("/v6/jobs/1/")
    client.get("/v6/job-types/")
    assert client.get(f"{ADMIN}/journal/count?path=/v6/jobs/").json()["count"] == 1
    assert client.get(f"{ADMIN}/journal/count?path=/v6/").json()["count"] == 2
    assert client.get(f"{ADMIN}/journal/count?path=/v6/jobs%25").json()["count"] == 0  # no wildcards
