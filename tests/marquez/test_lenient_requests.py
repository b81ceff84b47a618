"""What Marquez accepts only because Dropwizard's object mapper reads leniently (unknown properties ignored, enums in
any case, scalars coerced to text), and the deprecated operations it still serves: accepted and reported as lint
findings; with --strict, the leniencies are refused with Marquez's own 400."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from tests.support import Mode, lint_fixtures

marquez_modes, mode = lint_fixtures("marquez")

JOB = "/api/v1/namespaces/food_delivery/jobs/lenient_job"
RUNS = "/api/v1/namespaces/food_delivery/jobs/etl_orders/runs"
JOB_BODY = {"type": "BATCH", "inputs": [{"namespace": "food_delivery", "name": "public.orders"}], "outputs": []}
DEPRECATED_PUT = ("deprecated", "operation.put_job")
DEPRECATED_RUN = ("deprecated", "operation.create_run")


def refused(mode: Mode, response: Any, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"code": 400, "message": message}


def test_the_java_clients_job_body_with_empty_tags_is_taken_as_it_is(mode: Mode) -> None:
    # Marquez's Java client serialises JobMeta with "tags": [] on every create.
    body = {**JOB_BODY, "location": "https://github.com/example/job.py", "description": "d", "tags": []}
    response = mode.client.put(JOB, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["tags"] == []
    assert mode.findings(response) == [DEPRECATED_PUT]  # deprecated, but served, and never refused


def test_tags_on_a_job_are_read_and_not_stored(mode: Mode) -> None:
    response = mode.client.put(JOB, json={**JOB_BODY, "tags": ["PII"]})
    if mode.strict:
        assert response.status_code == 400
        assert "tags" in response.json()["message"]
        return
    assert response.status_code == 200
    assert response.json()["tags"] == []
    assert mode.findings(response) == [DEPRECATED_PUT, ("ignored-field", "body.tags")]


@pytest.mark.parametrize(("path", "method", "body", "where"), [
    (JOB, "put", {**JOB_BODY, "owner": "me"}, "body.owner"),
    (JOB, "put", {**JOB_BODY, "inputs": [{"namespace": "food_delivery", "name": "public.orders", "version": 1}]},
     "body.inputs.0.version"),
    ("/api/v1/namespaces/lenient", "put", {"ownerName": "me", "colour": "red"}, "body.colour"),
    (RUNS, "post", {"args": {"a": "1"}, "runName": "x"}, "body.runName"),
])
def test_unknown_properties_are_ignored(mode: Mode, path: str, method: str, body: dict[str, Any],
                                        where: str) -> None:
    response = getattr(mode.client, method)(path, json=body)
    unknown = where.rsplit(".", 1)[1]
    if mode.strict:
        refused(mode, response, f'Unable to process JSON: Unrecognized field "{unknown}"')
        return
    assert response.status_code in (200, 201), response.text
    assert ("unknown-field", where) in mode.findings(response)
    assert f"\"{unknown}\"" not in response.text


@pytest.mark.parametrize("spelling", ["batch", "Batch", " stream "])
def test_a_job_type_is_read_in_any_case(mode: Mode, spelling: str) -> None:
    response = mode.client.put(JOB, json={**JOB_BODY, "type": spelling})
    if mode.strict:
        assert response.status_code == 400
        assert response.json()["code"] == 400
        return
    assert response.status_code == 200, response.text
    assert response.json()["type"] == spelling.strip().upper()
    assert mode.findings(response) == [DEPRECATED_PUT, ("case-folded", "body.type")]


def test_a_job_type_marquez_does_not_know_is_refused(mode: Mode) -> None:
    response = mode.client.put(JOB, json={**JOB_BODY, "type": "cron"})
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_numbers_and_booleans_in_args_are_read_as_text(mode: Mode) -> None:
    response = mode.client.post(RUNS, json={"args": {"retries": 3, "email": True, "name": "x"}})
    if mode.strict:
        assert response.status_code == 400
        return
    assert response.status_code == 201, response.text
    assert response.json()["args"] == {"retries": "3", "email": "true", "name": "x"}
    assert mode.findings(response) == [DEPRECATED_RUN, ("coerced", "body.args.retries"),
                                       ("coerced", "body.args.email")]


def test_documented_requests_carry_no_findings_but_their_deprecation(mode: Mode) -> None:
    assert mode.findings(mode.client.put("/api/v1/namespaces/lenient", json={"ownerName": "me"})) == []
    assert mode.findings(mode.client.get("/api/v1/namespaces/food_delivery/jobs")) == []
    created = mode.client.post(RUNS, json={"args": {"a": "1"}})
    assert created.status_code == 201
    assert mode.findings(created) == [DEPRECATED_RUN]
    started = mode.client.post(f"/api/v1/jobs/runs/{created.json()['id']}/start")
    assert mode.findings(started) == [("deprecated", "operation.start_run")]


def test_an_unknown_query_parameter_changes_nothing(mode: Mode) -> None:
    response = mode.client.get("/api/v1/namespaces/food_delivery/jobs", params={"lastRunState": "FAILED"})
    if mode.strict:
        refused(mode, response, "Extra query parameter(s) lastRunState not in spec")
        return
    assert response.status_code == 200
    assert response.json() == mode.client.get("/api/v1/namespaces/food_delivery/jobs").json()
    assert mode.findings(response) == [("unknown-parameter", "query.lastRunState")]


def test_the_python_clients_job_context_is_kept_and_reported(mode: Mode) -> None:
    # Marquez's Python client sends context on create_job; Marquez 0.51's JobMeta has no such field.
    response = mode.client.put(JOB, json={**JOB_BODY, "context": {"sql": "select 1"}})
    if mode.strict:
        assert response.status_code == 400
        assert "context" in response.json()["message"]
        return
    assert response.status_code == 200
    assert mode.findings(response) == [DEPRECATED_PUT, ("ignored-field", "body.context")]
    run = mode.client.post(f"{JOB}/runs", json={}).json()
    assert run["context"] == {"sql": "select 1"}  # as the documented run shows it
    assert mode.findings(mode.client.put(JOB, json={**JOB_BODY, "context": {}})) == [DEPRECATED_PUT]


def test_an_event_marquez_reads_leniently(mode: Mode) -> None:
    # A run id that is no UUID (Spark's application ids) becomes a name-based UUID of it (runToUuid); a namespace
    # Marquez may not name as it is gets `_` for each character it may not have (formatNamespaceName); null
    # facets are none.
    tag = uuid.uuid4().hex[:6]
    event = {"eventType": "START", "eventTime": "2026-03-01T10:00:00+01:00",
             "run": {"runId": f"spark-app-{tag}", "facets": None},
             "job": {"namespace": f"my team {tag}", "name": "job"}, "producer": "https://example.com/producer"}
    response = mode.client.post("/api/v1/lineage", json=event)
    if mode.strict:
        assert response.status_code == 400, response.text
        return
    assert response.status_code == 201, response.text
    assert sorted(mode.findings(response)) == [("null-as-absent", "body.run.facets"),
                                               ("unchecked-value", "body.job.namespace"),
                                               ("unchecked-value", "body.run.runId")]
    run_id = str(uuid.UUID(bytes=hashlib.md5(f"spark-app-{tag}".encode()).digest(), version=3))
    run = mode.client.get(f"/api/v1/jobs/runs/{run_id}").json()
    assert run["state"] == "RUNNING" and run["startedAt"] == "2026-03-01T09:00:00Z"
    job = mode.client.get(f"/api/v1/namespaces/my_team_{tag}/jobs/job").json()
    assert job["latestRun"]["id"] == run_id
