"""Bearer auth on every endpoint, and bad requests answered in Coalesce's error shape, never a 500."""

from __future__ import annotations

import pytest

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.coalesce.helpers import BASIC, PRODUCTION, TOKEN, error
from tests.conftest import EPOCH

UNAUTHENTICATED = {"error": {
    "errorString": "401: Unable to authenticate, please ensure your token is valid.",
    "errorDetail": "401: Unable to authenticate, please ensure your token is valid.",
}}
START = {"runDetails": {"environmentID": PRODUCTION}, "userCredentials": BASIC}
EVERY_ENDPOINT = [
    ("GET", "/api/v1/runs", None),
    ("GET", "/api/v1/runs/3", None),
    ("GET", "/api/v1/runs/3/results", None),
    ("GET", "/scheduler/runStatus?runCounter=3", None),
    ("POST", "/scheduler/startRun", START),
    ("POST", "/scheduler/rerun", {"runDetails": {"runID": "11"}, "userCredentials": BASIC}),
    ("POST", "/scheduler/cancelRun", {"runID": 17}),
    ("GET", "/api/v1/environments", None),
    ("GET", "/api/v1/environments/2", None),
    ("GET", "/api/v1/environments/2/nodes", None),
    ("GET", "/api/v1/environments/2/nodes/cd80dc85-576f-500a-bd8e-7aaddcd60f1e", None),
    ("GET", "/api/v1/environments/2/jobs", None),
    ("GET", "/api/v1/environments/2/jobs/1", None),
    ("GET", "/api/v1/workspaces/1/jobs", None),
    ("GET", "/api/v1/workspaces/1/jobs/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ENDPOINT)
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Token test-token", "Basic dXNlcjpwYXNz",
                                    "Bearer two words"])
def test_every_endpoint_needs_a_bearer_token(client, method, path, body, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


@pytest.mark.parametrize(("method", "path", "body"), EVERY_ENDPOINT)
def test_any_bearer_token_is_accepted_by_default(client, method, path, body):
    response = client.request(method, path, json=body, headers={"Authorization": "bearer anything"})
    assert response.status_code in (200, 204), response.text


def test_auth_is_checked_before_the_request_is_validated(client):
    response = client.post("/scheduler/startRun", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    # And before an unknown environment is looked for: a 401 says nothing of what exists.
    assert client.get("/api/v1/environments/99/jobs?limit=x").json() == UNAUTHENTICATED


def test_configured_tokens_are_the_only_ones_accepted():
    mock = MockApp(Config(apis=["coalesce"], speed=0, tokens=["s3cret"]))
    try:
        mock.clock.start(speed=0, at=EPOCH)
        with mock.asgi.test_client() as client:
            assert client.get("/api/v1/runs", headers={"Authorization": "Bearer other"}).json() == UNAUTHENTICATED
            assert client.get("/api/v1/runs", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    finally:
        mock.close()


@pytest.mark.parametrize(("content", "content_type", "message"), [
    (b"{not json", "application/json", "The request body is not valid JSON: "),
    (b"\xff\xfe", "application/json", "The request body is not valid JSON: "),
    (b"", "application/json", "The request body is required."),
    (b"runDetails=1", "application/x-www-form-urlencoded",
     "The request body must be JSON (Content-Type: application/json)."),
    (b"null", "application/json", "request body must be of type object."),
    (b"[]", "application/json", "request body must be of type object."),
    (b"[" * 100000 + b"]" * 100000, "application/json", "The request body is not valid JSON: "),
])
def test_unusable_bodies_are_400s(client, content, content_type, message):
    response = client.post("/scheduler/startRun", content=content, headers={**TOKEN, "Content-Type": content_type})
    assert error(response, 400).startswith(message)


def test_unknown_body_fields_are_refused(client):
    response = client.post("/scheduler/startRun", json={**START, "dryRun": True}, headers=TOKEN)
    assert error(response, 400) == "Unknown field(s) in request body: dryRun"
    credentials = {**BASIC, "SnowflakePassword": "x"}
    response = client.post("/scheduler/startRun", json={**START, "userCredentials": credentials}, headers=TOKEN)
    assert error(response, 400).startswith("userCredentials must be Basic")


def test_an_unknown_route_or_a_non_numeric_run_id_is_a_404_in_coalesce_shape(client):
    assert error(client.get("/api/v1/jobs", headers=TOKEN), 404) == "Not Found"
    assert error(client.get("/api/v1/runs/abc", headers=TOKEN), 404) == "Not Found"


def test_a_wrong_method_is_a_405_listing_the_allowed_ones(client):
    response = client.get("/scheduler/startRun", headers=TOKEN)
    assert error(response, 405) == "Method Not Allowed"
    assert response.headers["allow"] == "POST"


def test_run_ids_out_of_range_are_400s(client):
    response = client.get("/scheduler/runStatus", params={"runCounter": 2**31}, headers=TOKEN)
    assert error(response, 400) == "runCounter must be at most 2147483647."
    assert error(client.get("/scheduler/runStatus", params={"runCounter": "x"}, headers=TOKEN), 400) == \
        "runCounter must be of type integer."
