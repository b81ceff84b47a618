"""The control plane applies to every pack without the pack doing anything for it: faults, respond
scenarios, the Prefer header, the journal and redaction, each answered in the API's own error shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob.core import registry
from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, STATE

SECRET = "zz-secret-credential-77"
HEADERS = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(scope="module")
def every_api() -> Iterator[MockApp]:
    mock = MockApp(Config(speed=0, state=STATE))
    yield mock
    mock.close()


@pytest.fixture
def client(every_api: MockApp) -> Iterator[TestClient]:
    every_api.reset(control=True, at=EPOCH)
    with every_api.asgi.test_client() as test_client:
        yield test_client


def _plain_get(mock: MockApp, api: str) -> tuple[str, str]:
    """A GET operation of `api` without path parameters: (operationId, path)."""
    for path, item in mock.specs[api]["paths"].items():
        operation = item.get("get")
        required = [p for p in operation.get("parameters", []) + item.get("parameters", [])
                    if p.get("required")] if operation else []
        if operation and "{" not in path and not required:
            return operation["operationId"], mock.prefixes[api] + path
    raise AssertionError(f"{api} has no plain GET")


def _error_shaped(api_reply: dict[str, object], normal_error: dict[str, object]) -> bool:
    return set(api_reply) == set(normal_error)


@pytest.mark.parametrize("api", registry.available())
def test_an_error_fault_keeps_its_status_in_the_apis_own_shape(every_api, client, api):
    unknown = client.get(f"/{api}/no/such/path", headers=HEADERS)
    assert unknown.status_code == 404
    client.post("/_mockingjob/faults", json={"api": api, "error": {"status": 503}})
    faulted = client.get(f"/{api}/no/such/path", headers=HEADERS)
    assert faulted.status_code == 503
    assert _error_shaped(faulted.json(), unknown.json()), (faulted.json(), unknown.json())


@pytest.mark.parametrize("api", registry.available())
def test_a_respond_scenario_and_prefer_keep_their_status(every_api, client, api):
    operation, path = _plain_get(every_api, api)
    normal = client.get(path, headers=HEADERS)
    assert normal.status_code == 200, normal.text
    assert client.get(path, headers={**HEADERS, "Prefer": "code=429"}).status_code == 429
    client.post("/_mockingjob/scenarios", json={"api": api, "operation": operation,
                                                  "respond": {"status": 502, "message": "upstream down"}})
    answered = client.get(path, headers=HEADERS)
    assert answered.status_code == 502 and "upstream down" in answered.text


@pytest.mark.parametrize("api", registry.available())
def test_every_request_is_journaled_with_its_credentials_redacted(every_api, client, api):
    operation, path = _plain_get(every_api, api)
    client.get(path, headers=HEADERS)
    journal = client.get(f"/_mockingjob/journal?api={api}").json()["entries"]
    assert [(e["operation"], e["status"]) for e in journal] == [(operation, 200)]
    assert journal[0]["requestHeaders"]["authorization"] == "Bearer [REDACTED]"
    assert SECRET not in client.get("/_mockingjob/journal").text
