"""Who may call, and how the API says no: always `{"exception": {...}}`, never a 500."""

from __future__ import annotations

import pytest

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH
from tests.trifacta.helpers import AUTH

RUN = {"wrangledDataset": {"id": 7}}


def _exception(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["exception"]
    assert set(body["exception"]) <= {"name", "message", "details"}
    return body["exception"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
@pytest.mark.parametrize(("method", "path"), [("GET", "/v4/jobGroups"), ("GET", "/v4/jobGroups/1"),
                                              ("GET", "/v4/jobGroups/1/status"), ("GET", "/v4/jobGroups/1/jobs"),
                                              ("POST", "/v4/jobGroups/1/cancel")])
def test_every_endpoint_needs_a_bearer_token(client, headers, method, path):
    response = client.request(method, path, headers=headers)
    assert _exception(response, 401)["name"] == "Unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_auth_is_checked_before_the_body(client):
    response = client.post("/v4/jobGroups", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_a_run_without_a_token_starts_nothing(client):
    assert client.post("/v4/jobGroups", json=RUN).status_code == 401
    assert len(client.get("/v4/jobGroups", headers=AUTH).json()["data"]) == 9


def test_configured_tokens_are_the_only_ones_accepted():
    mock = MockApp(Config(apis=["trifacta"], speed=0, tokens=["s3cret"]))
    try:
        mock.clock.start(speed=0, at=EPOCH)
        client = mock.asgi.test_client()
        assert _exception(client.get("/v4/jobGroups", headers=AUTH), 401)["message"] == "Invalid access token"
        assert client.get("/v4/jobGroups", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    finally:
        mock.close()


def test_malformed_json_is_a_400(client):
    response = client.post("/v4/jobGroups", content=b'{"wrangledDataset": ', headers={
        **AUTH, "Content-Type": "application/json"})
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


def test_invalid_utf8_is_a_400(client):
    response = client.post("/v4/jobGroups", content=b'{"ranfrom": "\xff"}', headers={
        **AUTH, "Content-Type": "application/json"})
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


def test_a_json_null_body_is_a_400(client):
    response = client.post("/v4/jobGroups", content=b"null", headers={**AUTH, "Content-Type": "application/json"})
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


def test_an_empty_body_is_a_400(client):
    response = client.post("/v4/jobGroups", content=b"", headers={**AUTH, "Content-Type": "application/json"})
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post("/v4/jobGroups", content=b"wrangledDataset=7", headers={
        **AUTH, "Content-Type": "application/x-www-form-urlencoded"})
    assert _exception(response, 415)["name"] == "UnsupportedMediaType"


def test_a_cancel_body_must_be_empty(client):
    response = client.post("/v4/jobGroups/8/cancel", json={"reason": "x"}, headers=AUTH)
    assert _exception(response, 400)["name"] == "ApiValidationFailed"


@pytest.mark.parametrize("path", ["/v4/jobGroups/abc", "/v4/jobGroups/0", "/v4/jobGroups/99999999999",
                                  "/v4/jobGroups/1/nothing", "/v4/connections"])
def test_paths_that_name_nothing_are_a_404(client, path):
    assert _exception(client.get(path, headers=AUTH), 404)["name"] == "RouteNotFoundException"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/v4/jobGroups/1", "GET"), ("DELETE", "/v4/jobGroups", "GET, POST"),
    ("GET", "/v4/jobGroups/1/cancel", "POST"), ("PATCH", "/v4/jobGroups/1/status", "GET")])
def test_a_wrong_method_is_a_405_with_allow(client, method, path, allow):
    response = client.request(method, path, headers=AUTH)
    assert _exception(response, 405)["name"] == "MethodNotAllowed"
    assert response.headers["allow"] == allow


def test_a_deeply_nested_body_is_a_400_not_a_500(client):
    deep = b'{"wrangledDataset": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    response = client.post("/v4/jobGroups", content=deep, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
