"""Scenarios and the Prefer header, seen through the Scale API: forced outcomes, failure reasons, durations,
immediate errors, and how many times a scenario applies."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, INPUTS, NDVI, TILER, job, queue
from tests.support import at

ADMIN = "/_mockingjob"


def _scenario(client, **body):
    response = client.post(f"{ADMIN}/scenarios", json={"api": "scale", **body})
    assert response.status_code == 201, response.text
    return response.json()


def _advance(mock, **delta):
    mock.clock.advance(timedelta(**delta))


def test_a_scenario_makes_a_job_type_that_completes_fail_with_the_error_named(client, mock):
    _scenario(client, operation="queue_job", match={"job_type": "scale-ingest"}, failure="node-lost")
    created = queue(client, INGEST)
    _advance(mock, minutes=5)
    failed = job(client, created["id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["name"] == "node-lost" and failed["error"]["category"] == "SYSTEM"


def test_a_failure_category_picks_an_error_of_that_category(client, mock):
    _scenario(client, operation="queue_job", outcome="FAILED", failure="data")
    created = queue(client, INGEST)
    _advance(mock, minutes=5)
    assert job(client, created["id"])["error"]["category"] == "DATA"


def test_a_scenario_makes_a_failing_job_type_complete(client, mock):
    _scenario(client, match={"job_type_id": TILER}, outcome="COMPLETED")
    created = queue(client, TILER)
    _advance(mock, minutes=5)
    done = job(client, created["id"])
    assert done["status"] == "COMPLETED" and done["error"] is None


def test_durations_set_how_long_each_state_lasts(client, mock):
    _scenario(client, operation="queue_job", durations={"QUEUED": "PT1M", "RUNNING": "PT10M"})
    created = queue(client, INGEST)
    _advance(mock, seconds=59)
    assert job(client, created["id"])["status"] == "QUEUED"
    _advance(mock, minutes=1)
    running = job(client, created["id"])
    assert running["status"] == "RUNNING" and at(running["started"]) == EPOCH + timedelta(minutes=1)
    _advance(mock, minutes=10)
    done = job(client, created["id"])
    assert done["status"] == "COMPLETED" and at(done["ended"]) == EPOCH + timedelta(minutes=11)


def test_a_scenario_with_times_applies_that_many_times_then_goes(client, mock):
    scenario = _scenario(client, operation="queue_job", outcome="FAILED", times=2)
    ids = [queue(client, INGEST)["id"] for _ in range(3)]
    _advance(mock, minutes=5)
    assert [job(client, i)["status"] for i in ids] == ["FAILED", "FAILED", "COMPLETED"]
    assert client.get(f"{ADMIN}/scenarios/{scenario['id']}").status_code == 404


def test_only_matching_requests_use_a_scenario(client, mock):
    _scenario(client, match={"job_type": "ndvi-calc"}, outcome="COMPLETED", times=1)
    other = queue(client, INGEST)
    client.get("/v6/jobs/?page_size=5")  # polling in between does not use it up either
    ndvi = queue(client, NDVI)  # fails on its first attempt without the scenario
    _advance(mock, minutes=5)
    assert job(client, other["id"])["status"] == "COMPLETED"
    assert job(client, ndvi["id"])["status"] == "COMPLETED"


def test_requeue_takes_the_scenario_too(client, mock):
    created = queue(client, TILER)
    _advance(mock, minutes=5)
    assert job(client, created["id"])["status"] == "FAILED"
    _scenario(client, operation="requeue_jobs", outcome="COMPLETED")
    assert client.post("/v6/jobs/requeue/", json={"job_ids": [created["id"]]}, headers=TOKEN).status_code == 202
    _advance(mock, minutes=5)
    assert job(client, created["id"])["status"] == "COMPLETED"


def test_a_respond_scenario_answers_in_scales_error_shape_and_the_job_is_not_created(client):
    _scenario(client, operation="queue_job", respond={"status": 503, "message": "Scale is down for upgrade"},
              times=1)
    refused = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]}, headers=TOKEN)
    assert refused.status_code == 503
    assert refused.json() == {"detail": "Scale is down for upgrade"}
    count = client.get("/v6/jobs/").json()["count"]
    queue(client, INGEST)  # used up: the next one goes through
    assert client.get("/v6/jobs/").json()["count"] == count + 1


def test_a_respond_scenario_without_operation_answers_every_request_of_its_api(client):
    _scenario(client, respond={"status": 429})
    assert client.get("/v6/jobs/").status_code == 429
    assert client.get("/v6/job-types/").status_code == 429


def test_the_prefer_header_asks_for_an_outcome_for_one_request(client, mock):
    failing = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]},
                          headers={**TOKEN, "Prefer": 'outcome=failed, failure="timeout", duration.RUNNING=PT2S'})
    assert failing.status_code == 201
    plain = queue(client, INGEST)
    _advance(mock, seconds=6)
    failed = job(client, failing.json()["id"])
    assert failed["status"] == "FAILED" and failed["error"]["name"] == "timeout"
    assert job(client, plain["id"])["status"] == "RUNNING"


def test_the_prefer_header_asks_for_an_error_status_as_prism_does(client):
    response = client.get("/v6/jobs/1/", headers={"Prefer": "code=404"})
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


def test_a_malformed_prefer_is_refused_in_the_apis_own_shape(client):
    response = client.get("/v6/jobs/1/", headers={"Prefer": "code=200"})
    assert response.status_code == 400 and "Prefer" in response.json()["detail"]
    response = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]},
                           headers={**TOKEN, "Prefer": "outcome=EXPLODED"})
    assert response.status_code == 400 and "EXPLODED" in response.json()["detail"]


def test_prefer_preferences_the_mock_does_not_know_are_ignored(client):
    assert client.get("/v6/jobs/1/", headers={"Prefer": "return=minimal, respond-async"}).status_code == 200


def test_the_journal_names_the_scenario_that_applied(client):
    scenario = _scenario(client, operation="queue_job", outcome="FAILED")
    queue(client, INGEST)
    (entry,) = client.get(f"{ADMIN}/journal?operation=queue_job").json()["entries"]
    assert entry["scenario"] == scenario["id"]


def test_the_newest_matching_scenario_applies(client, mock):
    _scenario(client, operation="queue_job", failure="unknown")
    _scenario(client, operation="queue_job", match={"job_type": "scale-ingest"}, failure="node-lost", times=1)
    first, second = queue(client, INGEST), queue(client, INGEST)
    _advance(mock, minutes=5)
    assert job(client, first["id"])["error"]["name"] == "node-lost"
    assert job(client, second["id"])["error"]["name"] == "unknown"


def test_a_matched_field_can_be_a_dotted_path_into_the_body(client, mock):
    _scenario(client, match={"input.files.INPUT_FILE.0": 61}, outcome="FAILED")
    created = queue(client, INGEST)
    _advance(mock, minutes=5)
    assert job(client, created["id"])["status"] == "FAILED"


def test_a_quoted_prefer_value_may_hold_commas_and_semicolons(client, mock):
    created = client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]},
                          headers={**TOKEN, "Prefer": 'outcome=FAILED, failure="node-lost", x="a, b; c"'})
    assert created.status_code == 201
    _advance(mock, minutes=5)
    assert job(client, created.json()["id"])["error"]["name"] == "node-lost"


def test_a_respond_scenario_can_add_headers(client):
    _scenario(client, operation="list_jobs", respond={"status": 429, "headers": {"Retry-After": "7"}})
    response = client.get("/v6/jobs/")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"


def test_the_journal_shows_the_effect_asked_for_by_prefer(client):
    client.post("/v6/jobs/", json={"job_type_id": INGEST, "input": INPUTS[INGEST]},
                headers={**TOKEN, "Prefer": "outcome=failed, duration.RUNNING=PT2S"})
    (entry,) = client.get(f"{ADMIN}/journal").json()["entries"]
    assert entry["effect"] == {"outcome": "FAILED", "durations": {"RUNNING": 2.0}} and entry["scenario"] is None
