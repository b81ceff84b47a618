"""Bodies no real service accepts get the API's own 400, never a 500 or an answer that is not JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob import Config, MockApp

# One write per API (and the admin API), with a non-finite number where the schema takes any value or a number.
WRITES = {
    "scale": ("POST", "/scale/v6/jobs/", {"Authorization": "Token t"},
              '{"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {"x": %s}}}', "detail"),
    "marquez": ("PUT", "/marquez/api/v1/namespaces/hostile", {}, '{"ownerName": "me", "description": %s}', "message"),
    "coalesce": ("POST", "/coalesce/scheduler/startRun", {"Authorization": "Bearer t"},
                 '{"runDetails": {"environmentID": "2", "parallelism": %s}}', "error"),
    "trifacta": ("POST", "/trifacta/v4/jobGroups", {"Authorization": "Bearer t"},
                 '{"wrangledDataset": {"id": %s}}', "exception"),
    "admin": ("PUT", "/_mockingjob/clock", {}, '{"speed": %s}', "detail"),
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    mock = MockApp(Config(speed=0))
    with mock.asgi.test_client() as test_client:
        yield test_client
    mock.close()


def _strict(text: str) -> object:
    def refuse(literal: str) -> object:
        raise ValueError(f"not JSON: {literal}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
@pytest.mark.parametrize("api", list(WRITES))
def test_a_non_finite_number_is_refused_in_the_apis_shape(client: TestClient, api: str, number: str) -> None:
    method, path, headers, template, key = WRITES[api]
    response = client.request(method, path, content=(template % number).encode(),
                              headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 400, response.text
    answer = _strict(response.text)
    assert isinstance(answer, dict) and key in answer
    assert "Out of range float values are not JSON compliant" in response.text


# A JSON body sent with no Content-Type at all (as `requests.post(url, data=text)` sends it): refused as each
# real service refuses an unsupported media type (Coalesce documents no 415: its 400).
NO_MEDIA_TYPE = {
    "scale": (415, {"detail": 'Unsupported media type "" in request.'}),
    "marquez": (415, {"code": 415, "message": "HTTP 415 Unsupported Media Type"}),
    "coalesce": (400, None),
    "trifacta": (415, None),
    "admin": (415, None),
}


@pytest.mark.parametrize("api", list(WRITES))
def test_a_body_without_a_content_type_is_an_unsupported_media_type(client: TestClient, api: str) -> None:
    method, path, headers, template, key = WRITES[api]
    response = client.request(method, path, content=(template % "1").encode(), headers=headers)
    status, body = NO_MEDIA_TYPE[api]
    assert response.status_code == status, response.text
    assert key in response.json()
    if body is not None:
        assert response.json() == body


def test_no_body_and_no_content_type_is_still_an_empty_body(client: TestClient) -> None:
    # Scale's cancel takes an empty body as "no filter", as DRF reads it.
    response = client.post("/scale/v6/jobs/cancel/", headers={"Authorization": "Token t"})
    assert response.status_code == 202


def test_a_lone_surrogate_in_free_text_is_stored_as_a_replacement_character(client: TestClient) -> None:
    # JSON text may carry "\udfff"; no database driver stores it. Marquez's descriptions take free text.
    json_type = {"Content-Type": "application/json"}
    namespace = client.put("/marquez/api/v1/namespaces/surrogates", headers=json_type,
                           content=b'{"ownerName": "me", "description": "a\\udfffb"}')
    assert namespace.status_code == 200 and namespace.json()["description"] == "a\ufffdb"
    job = client.put("/marquez/api/v1/namespaces/surrogates/jobs/j", headers=json_type,
                     content=b'{"type": "BATCH", "inputs": [], "outputs": [], "description": "\\ud800"}')
    assert job.status_code == 200 and job.json()["description"] == "\ufffd"
