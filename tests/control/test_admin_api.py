"""The admin API in process: clock, reset, scenario and fault bookkeeping, access rules, problem documents."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INGEST, job, queue
from tests.support import at

ADMIN = "/_mockingjob"


def test_the_clock_reads_advances_and_sets(client):
    clock = client.get(f"{ADMIN}/clock").json()
    assert at(clock["now"]) == EPOCH and clock["speed"] == 0 and clock["manual"] is True
    advanced = client.post(f"{ADMIN}/clock/advance", json={"by": "PT1H30M"}).json()
    assert at(advanced["now"]) == EPOCH + timedelta(hours=1, minutes=30)
    moved = client.put(f"{ADMIN}/clock", json={"now": "2027-01-01T00:00:00Z", "speed": 60}).json()
    assert moved["now"].startswith("2027-01-01T00:00") and moved["speed"] == 60 and moved["manual"] is False


def test_advancing_the_clock_moves_runs(client):
    created = queue(client, INGEST)
    client.post(f"{ADMIN}/clock/advance", json={"by": "PT4S"})
    assert job(client, created["id"])["status"] == "RUNNING"
    client.post(f"{ADMIN}/clock/advance", json={"by": "PT1M"})
    assert job(client, created["id"])["status"] == "COMPLETED"


def test_a_malformed_duration_is_a_problem_document(client):
    response = client.post(f"{ADMIN}/clock/advance", json={"by": "5 minutes"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Bad Request" and "by" in problem["detail"]


def test_reset_drops_what_clients_created_and_restores_the_fixtures(client):
    created = queue(client, INGEST)
    client.post(f"{ADMIN}/scenarios", json={"api": "scale", "respond": {"status": 503}, "operation": "get_job"})
    response = client.post(f"{ADMIN}/reset", json={})
    assert response.status_code == 200 and response.json()["apis"] == ["scale"]
    assert client.get(f"/v6/jobs/{created['id']}/").status_code == 404
    assert client.get("/v6/jobs/1/").status_code == 200
    assert client.get(f"{ADMIN}/scenarios").json() == {"scenarios": []}
    assert client.get(f"{ADMIN}/journal/count").json()["count"] == 2  # the two GETs just above


def test_reset_of_one_api_leaves_the_clock_alone(client):
    client.post(f"{ADMIN}/clock/advance", json={"by": "PT1H"})
    client.post(f"{ADMIN}/reset", json={"api": "scale"})
    assert at(client.get(f"{ADMIN}/clock").json()["now"]) == EPOCH + timedelta(hours=1)


def test_reset_of_an_api_not_served_is_refused_naming_those_served(client):
    response = client.post(f"{ADMIN}/reset", json={"api": "nosuchapi"})
    assert response.status_code == 400 and "['scale']" in response.json()["detail"]


def test_the_served_spec_offers_the_apis_and_operations_served(client):
    schemas = client.get(f"{ADMIN}/openapi.json").json()["components"]["schemas"]
    assert schemas["ScenarioInput"]["properties"]["api"]["enum"] == ["scale"]
    assert "queue_job" in schemas["FaultInput"]["properties"]["operation"]["enum"]


def test_apis_lists_each_api_with_its_base_url_and_operations(client):
    (api,) = client.get(f"{ADMIN}/apis").json()["apis"]
    assert api["name"] == "scale" and api["url"] == "http://testserver"
    assert "queue_job" in api["operations"]


def test_scenarios_are_created_listed_fetched_and_removed(client):
    created = client.post(f"{ADMIN}/scenarios", json={
        "api": "scale", "operation": "queue_job", "match": {"job_type": "scale-ingest"},
        "outcome": "failed", "durations": {"running": "PT2M"}, "times": 2})
    assert created.status_code == 201
    scenario = created.json()
    # Outcome and states are spelled as the API spells them, whatever case the client used.
    assert scenario["outcome"] == "FAILED" and scenario["durations"] == {"RUNNING": "PT120S"}
    assert scenario["remaining"] == 2 and scenario["origin"] == "admin"
    assert created.headers["location"].endswith(f"/_mockingjob/scenarios/{scenario['id']}")
    assert client.get(f"{ADMIN}/scenarios/{scenario['id']}").json() == scenario
    assert client.get(f"{ADMIN}/scenarios?api=scale").json()["scenarios"] == [scenario]
    assert client.delete(f"{ADMIN}/scenarios/{scenario['id']}").status_code == 204
    assert client.get(f"{ADMIN}/scenarios/{scenario['id']}").status_code == 404


def test_scenarios_that_cannot_apply_are_refused(client):
    cases = [
        ({"api": "nosuchapi", "outcome": "FAILED"}, "is not one of ['scale']"),
        ({"api": "scale", "operation": "no_such_op", "outcome": "FAILED"}, "is not one of"),
        ({"api": "scale", "match": {"job_typ": "x"}, "outcome": "FAILED"}, "no field 'job_typ'"),
        ({"api": "scale", "operation": "list_jobs", "match": {"input.files": 1}, "respond": {"status": 500}},
         "no field 'input.files'"),
        ({"api": "scale", "durations": {"RUNNING": "P99999D"}}, "between 0 and 3650 days"),
        ({"api": "scale", "durations": {"RUNNING": "P9999999999999999999999W"}}, "durations.RUNNING"),
        ({"api": "scale", "outcome": "EXPLODED"}, "not one of scale's"),
        ({"api": "scale", "operation": "list_jobs", "outcome": "FAILED"}, "starts no run"),
        ({"api": "scale", "durations": {"PENDING": "PT1S"}}, "not one of scale's"),
        ({"api": "scale"}, ""),  # no effect at all
        ({"api": "scale", "respond": {"status": 200}}, ""),  # not an error
    ]
    for body, message in cases:
        response = client.post(f"{ADMIN}/scenarios", json=body)
        assert response.status_code == 400, body
        assert message in response.json()["detail"], response.json()


def test_faults_are_created_listed_and_cleared(client):
    first = client.post(f"{ADMIN}/faults", json={"api": "scale", "error": {"status": 502}}).json()
    assert first["error"] == {"rate": 1, "status": 502} and first["remaining"] is None
    client.post(f"{ADMIN}/faults", json={"latency": {"uniform": {"lower": 1, "upper": 2}}})
    assert len(client.get(f"{ADMIN}/faults").json()["faults"]) == 2
    assert len(client.get(f"{ADMIN}/faults?api=scale").json()["faults"]) == 1
    assert client.delete(f"{ADMIN}/faults").status_code == 204
    assert client.get(f"{ADMIN}/faults").json() == {"faults": []}


def test_faults_that_cannot_apply_are_refused(client):
    for body in ({"api": "scale"}, {"latency": {"fixed": 1, "uniform": {"lower": 1, "upper": 2}}},
                 {"latency": {"uniform": {"lower": 5, "upper": 1}}}, {"error": {"rate": 2}},
                 {"operation": "get_job", "error": {}}):
        assert client.post(f"{ADMIN}/faults", json=body).status_code == 400, body


def test_the_admin_api_answers_only_loopback_clients_without_a_token(mock):
    with TestClient(mock.asgi, client=("203.0.113.9", 4000)) as remote:
        response = remote.get(f"{ADMIN}/clock")
        assert response.status_code == 403 and "loopback" in response.json()["detail"]
        # The mocked APIs themselves answer anyone.
        assert remote.get("/v6/jobs/1/").status_code == 200
    with TestClient(mock.asgi, client=("127.0.0.1", 4000)) as local:
        assert local.get(f"{ADMIN}/clock").status_code == 200
        # Relayed by a proxy on this machine: the real client is elsewhere.
        assert local.get(f"{ADMIN}/clock", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403


def test_an_admin_token_opens_the_admin_api_to_its_holders_only(mock):
    mock.config.admin_token = "s3cret-admin"
    try:
        with TestClient(mock.asgi, client=("203.0.113.9", 4000)) as remote:
            assert remote.get(f"{ADMIN}/clock").status_code == 401
            assert remote.get(f"{ADMIN}/clock", headers={"Authorization": "Bearer wrong"}).status_code == 401
            ok = remote.get(f"{ADMIN}/clock", headers={"Authorization": "Bearer s3cret-admin"})
            assert ok.status_code == 200
    finally:
        mock.config.admin_token = None


@pytest.mark.parametrize(("headers", "why"), [
    ({"Origin": "https://attacker.example"}, "cross-origin"),
    ({"Origin": "null"}, "cross-origin"),
    ({"Origin": "http://127.0.0.1:9999"}, "cross-origin"),  # another port is another origin
    ({"Host": "attacker.example:8080"}, "not a loopback name"),  # DNS rebinding: a name resolved to 127.0.0.1
    ({"Host": "attacker.example:8080", "Origin": "http://attacker.example:8080"}, "not a loopback name"),
])
def test_a_request_a_web_page_could_have_made_is_refused(mock, headers, why):
    with TestClient(mock.asgi, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 4000)) as local:
        for method, path, body in (("POST", "/reset", {}), ("PUT", "/clock", {"speed": 0}), ("GET", "/journal", None),
                                   ("DELETE", "/faults", None)):
            response = local.request(method, f"{ADMIN}{path}", json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert why in response.json()["detail"]


def test_admin_writes_need_a_json_content_type(mock):
    with TestClient(mock.asgi, base_url="http://localhost:8080") as local:
        created = queue(local, INGEST)  # something a reset would wipe
        for content_type in (None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            headers = {"Content-Type": content_type} if content_type else {}
            response = local.post(f"{ADMIN}/reset", headers=headers)
            assert response.status_code == 415, (content_type, response.text)
            assert "Content-Type: application/json" in response.json()["detail"]
        assert local.get(f"/v6/jobs/{created['id']}/").status_code == 200  # nothing was wiped
        assert local.post(f"{ADMIN}/reset", json={}).status_code == 200
        assert local.get(f"/v6/jobs/{created['id']}/").status_code == 404


def test_the_admin_api_is_served_to_loopback_names_and_its_own_pages(mock):
    for base in ("http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "http://app.localhost"):
        with TestClient(mock.asgi, base_url=base, client=("127.0.0.1", 4000)) as local:
            assert local.get(f"{ADMIN}/clock").status_code == 200, base
            # Its own Swagger UI, served from the same origin, sends Origin with each write.
            origin = {"Origin": base}
            assert local.put(f"{ADMIN}/clock", json={"speed": 0}, headers=origin).status_code == 200, base


def test_with_an_admin_token_any_host_name_may_be_used_but_no_foreign_origin(mock):
    mock.config.admin_token = "s3cret-admin"
    bearer = {"Authorization": "Bearer s3cret-admin"}
    try:
        with TestClient(mock.asgi, base_url="http://mock.ci.internal:8080", client=("203.0.113.9", 4000)) as remote:
            assert remote.get(f"{ADMIN}/clock", headers=bearer).status_code == 200
            foreign = remote.get(f"{ADMIN}/clock", headers={**bearer, "Origin": "https://attacker.example"})
            assert foreign.status_code == 403
    finally:
        mock.config.admin_token = None


def test_admin_requests_are_not_journaled(client):
    client.get(f"{ADMIN}/clock")
    client.get("/v6/jobs/1/", headers=TOKEN)
    entries = client.get(f"{ADMIN}/journal").json()["entries"]
    assert [e["path"] for e in entries] == ["/v6/jobs/1/"]


def test_the_admin_api_has_its_own_swagger_ui_and_spec(client):
    assert client.get(f"{ADMIN}/ui/").status_code == 200
    spec = client.get(f"{ADMIN}/openapi.json").json()
    assert spec["info"]["title"] == "mockingjob control plane"


def test_a_fault_is_fetched_and_removed_by_id(client):
    fault = client.post(f"{ADMIN}/faults", json={"api": "scale", "operation": "get_job", "drop": {"rate": 0.5},
                                                 "times": 3}).json()
    assert fault["drop"] == {"rate": 0.5, "after": False}
    assert fault["remaining"] == 3 and fault["operation"] == "get_job"
    assert client.get(f"{ADMIN}/faults/{fault['id']}").json() == fault
    assert client.delete(f"{ADMIN}/faults/{fault['id']}").status_code == 204
    assert client.get(f"{ADMIN}/faults/{fault['id']}").status_code == 404
    assert client.delete(f"{ADMIN}/faults/{fault['id']}").status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/clock", {"now": "9999-12-31T23:59:00Z"}),
    ("PUT", "/clock", {"now": "0001-01-01T00:00:00Z"}),
    ("POST", "/clock/advance", {"by": "P2900000D"}),
    ("POST", "/clock/advance", {"by": "P999999999D"}),
])
def test_the_clock_is_kept_where_every_apis_dates_stay_representable(client, method, path, body):
    response = client.request(method, f"{ADMIN}{path}", json=body)
    assert response.status_code == 400, response.text
    assert "the clock keeps between" in response.json()["detail"] or "by:" in response.json()["detail"]
    assert at(client.get(f"{ADMIN}/clock").json()["now"]) == EPOCH
    assert client.get("/v6/jobs/?page_size=1").status_code == 200


def test_a_fast_clock_stops_at_the_end_of_its_range_instead_of_overflowing(client):
    client.put(f"{ADMIN}/clock", json={"now": "8999-12-31T23:00:00Z", "speed": 1000000})
    time.sleep(0.01)  # at that speed, about three hours: the clock stops at the end of its range
    assert client.get(f"{ADMIN}/clock").json()["now"].startswith("9000-01-01T00:00:00")
    for path in ("/v6/jobs/?page_size=1", f"{ADMIN}/clock"):
        assert client.get(path).status_code == 200
    assert client.post(f"{ADMIN}/reset", json={"api": "scale"}).status_code == 200


@pytest.mark.parametrize(("kind", "doc"), [
    ("faults", {"api": "scale", "error": {"status": 503, "headers": {"X Bad": "1"}}}),
    ("faults", {"api": "scale", "error": {"status": 503, "headers": {"Retry:After": "1"}}}),
    ("faults", {"api": "scale", "error": {"status": 503, "headers": {"Content-Length": "1"}}}),
    ("scenarios", {"api": "scale", "respond": {"status": 503, "headers": {"": "1"}}}),
])
def test_a_header_no_answer_could_carry_is_refused_when_the_rule_is_made(client, kind, doc):
    response = client.post(f"{ADMIN}/{kind}", json=doc)
    assert response.status_code == 400 and "headers" in response.json()["detail"]
    assert client.get(f"{ADMIN}/{kind}").json()[kind] == []
    assert client.get("/v6/jobs/?page_size=1").status_code == 200


def test_scenarios_and_faults_are_kept_up_to_a_bound(client, monkeypatch):
    monkeypatch.setattr("mockingjob.control.rules.MAX_RULES", 3)
    for _ in range(3):
        assert client.post(f"{ADMIN}/faults", json={"api": "scale", "latency": {"fixed": 1}}).status_code == 201
        assert client.post(f"{ADMIN}/scenarios", json={"api": "scale", "respond": {"status": 503}}).status_code == 201
    for kind, doc in (("faults", {"api": "scale", "latency": {"fixed": 1}}),
                      ("scenarios", {"api": "scale", "respond": {"status": 503}})):
        refused = client.post(f"{ADMIN}/{kind}", json=doc)
        assert refused.status_code == 409 and f"already 3 {kind}" in refused.json()["detail"]
