"""What a request may be: how deep its JSON nests, how large its body is, how it is framed; and how much of it an
error message may quote. Each API answers the limits in its own shape."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob import Config, MockApp
from mockingjob.core.errors import QUOTED_CHARS
from mockingjob.http.validation import NESTING_LIMIT

SCALE = {"Authorization": "Token t"}
BEARER = {"Authorization": "Bearer t"}
JSON = {"Content-Type": "application/json"}
CREDENTIALS = '"userCredentials": {"snowflakeAuthType": "Basic", "snowflakeUsername": "u", "snowflakePassword": "p"}'

# Writes with a free-form field, where any JSON value (however nested) passes the spec: %s is that value.
FREE_FORM = {
    "scale input.json": ("POST", "/scale/v6/jobs/", SCALE,
                         '{"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {"x": %s}}}',
                         "detail", 3),
    "coalesce startRun parameters": ("POST", "/coalesce/scheduler/startRun", BEARER,
                                     '{"runDetails": {"environmentID": "2", "jobID": "1"}, ' + CREDENTIALS
                                     + ', "parameters": {"x": %s}}', "error", 2),
    "coalesce rerun parameters": ("POST", "/coalesce/scheduler/rerun", BEARER,
                                  '{"runDetails": {"runID": "11"}, ' + CREDENTIALS + ', "parameters": {"x": %s}}',
                                  "error", 2),
}
"""Each: method, path, headers, body template, the key of the API's error document, the levels around %s."""


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture(scope="module")
def mock() -> Iterator[MockApp]:
    served = MockApp(Config(speed=0, max_body=64 * 1024))
    yield served
    served.close()


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    mock.reset(control=True)
    with mock.asgi.test_client() as test_client:
        yield test_client


@pytest.mark.parametrize("depth", [NESTING_LIMIT + 1, 930, 945, 960, 5000])
@pytest.mark.parametrize("where", list(FREE_FORM))
def test_json_nested_deeper_than_the_limit_is_refused_as_malformed(client: TestClient, where: str,
                                                                   depth: int) -> None:
    method, path, headers, template, key, around = FREE_FORM[where]
    response = client.request(method, path, content=template % nested(depth - around), headers={**JSON, **headers})
    assert response.status_code == 400, response.text
    assert key in response.json()
    assert f"nesting too deep (the limit is {NESTING_LIMIT} levels)" in response.text


@pytest.mark.parametrize("where", list(FREE_FORM))
def test_json_nested_up_to_the_limit_is_taken_and_answered_back_whole(client: TestClient, where: str) -> None:
    method, path, headers, template, _key, around = FREE_FORM[where]
    response = client.request(method, path, content=template % nested(NESTING_LIMIT - around),
                              headers={**JSON, **headers})
    assert response.status_code in (200, 201), response.text
    if where.startswith("scale"):
        job = client.get(f"/scale/v6/jobs/{response.json()['id']}/", headers=SCALE).json()
        value = job["input"]["json"]["x"]
        depth = 0
        while value == [] or isinstance(value, list):
            depth, value = depth + 1, value[0] if value else None
        assert depth == NESTING_LIMIT - around


def _chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_chunked_body_is_read_like_any_other(client: TestClient) -> None:
    body = json.dumps({"ownerName": "chunky", "description": "sent in pieces"}).encode()
    response = client.put("/marquez/api/v1/namespaces/chunked", content=_chunks(body), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["ownerName"] == "chunky" and response.json()["description"] == "sent in pieces"
    job = json.dumps({"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {}}}).encode()
    queued = client.post("/scale/v6/jobs/", content=_chunks(job), headers={**JSON, **SCALE})
    assert queued.status_code == 201, queued.text


def test_a_chunked_body_that_is_empty_is_a_missing_body(client: TestClient) -> None:
    response = client.put("/marquez/api/v1/namespaces/chunked", content=iter([b""]), headers=JSON)
    assert response.json() == {"code": 400, "message": "Unable to process JSON: the request body is missing"}


TOO_LARGE = {
    "scale": ("POST", "/scale/v6/jobs/", SCALE, {"detail": "Request body too large: the limit is 65536 bytes"}),
    "marquez": ("PUT", "/marquez/api/v1/namespaces/big", {},
                {"code": 413, "message": "Request body too large: the limit is 65536 bytes"}),
    "coalesce": ("POST", "/coalesce/scheduler/startRun", BEARER,
                 {"error": {"errorString": "413: Request body too large: the limit is 65536 bytes",
                            "errorDetail": "413: Request body too large: the limit is 65536 bytes"}}),
    "trifacta": ("POST", "/trifacta/v4/jobGroups", BEARER,
                 {"exception": {"name": "ApiError", "message": "Request body too large: the limit is 65536 bytes"}}),
    "admin": ("POST", "/_mockingjob/scenarios", {},
              {"type": "about:blank", "title": "Request Entity Too Large", "status": 413,
               "detail": "Request body too large: the limit is 65536 bytes"}),
}


@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
@pytest.mark.parametrize("api", list(TOO_LARGE))
def test_a_body_over_the_limit_is_refused_with_413_in_the_apis_shape(client: TestClient, api: str,
                                                                     chunked: bool) -> None:
    method, path, headers, expected = TOO_LARGE[api]
    body = b'{"description": "' + b"x" * (64 * 1024) + b'"}'
    response = client.request(method, path, content=_chunks(body, 4096) if chunked else body,
                              headers={**JSON, **headers})
    assert response.status_code == 413, response.text
    assert response.json() == expected
    assert response.headers["connection"] == "close"


def test_a_body_at_the_limit_is_read(client: TestClient) -> None:
    padding = 64 * 1024 - len('{"ownerName": "me", "description": ""}')
    body = '{"ownerName": "me", "description": "%s"}' % ("y" * padding)
    assert len(body) == 64 * 1024
    response = client.put("/marquez/api/v1/namespaces/full", content=body, headers=JSON)
    assert response.status_code == 200, response.text[:200]


@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
def test_the_journal_records_a_refused_large_body(client: TestClient, chunked: bool) -> None:
    body = b'{"description": "' + b"x" * (64 * 1024) + b'"}'
    client.post("/scale/v6/jobs/", content=_chunks(body, 4096) if chunked else body, headers={**JSON, **SCALE})
    entries = client.get("/_mockingjob/journal", params={"api": "scale"}).json()["entries"]
    assert entries[0]["status"] == 413 and entries[0]["operation"] == "queue_job"


HUGE = "z" * (2 * 1024 * 1024)


@pytest.mark.parametrize(("method", "path", "headers", "body"), [
    ("POST", "/_mockingjob/scenarios", {}, {"api": "scale", "outcome": HUGE}),
    ("PUT", "/_mockingjob/clock", {}, {"now": HUGE}),
    ("POST", "/_mockingjob/faults", {}, {"api": HUGE}),
    ("POST", "/scale/v6/jobs/", SCALE, {"job_type_id": HUGE}),
    ("PUT", "/marquez/api/v1/namespaces/quoted", {}, {"ownerName": ["list", HUGE]}),
    ("POST", "/coalesce/scheduler/startRun", BEARER, {"runDetails": {"environmentID": HUGE}}),
    ("POST", "/trifacta/v4/jobGroups", BEARER, {"wrangledDataset": {"id": HUGE}}),
])
def test_an_error_quotes_at_most_a_bounded_part_of_the_request(mock: MockApp, method: str, path: str,
                                                               headers: dict[str, str], body: object) -> None:
    big = MockApp(Config(speed=0, max_body=8 * 1024 * 1024)) if mock.config.max_body < 3 * 1024 * 1024 else mock
    try:
        with big.asgi.test_client() as client:
            response = client.request(method, path, json=body, headers=headers)
    finally:
        if big is not mock:
            big.close()
    assert 400 <= response.status_code < 500, response.text[:300]
    assert len(response.content) < 4 * QUOTED_CHARS, response.text[:300]


@pytest.mark.parametrize(("path", "headers"), [
    ("/scale/v6/jobs/{n}/", SCALE), ("/scale/v6/jobs/{n}/executions/{n}/", SCALE),
    ("/coalesce/api/v1/runs/{n}", BEARER), ("/trifacta/v4/jobGroups/{n}", BEARER),
    ("/_mockingjob/faults/{n}", {}), ("/_mockingjob/journal/{n}", {}),
])
def test_an_integer_id_of_more_digits_than_python_converts_is_no_such_id(client: TestClient, path: str,
                                                                         headers: dict[str, str]) -> None:
    response = client.get(path.format(n="9" * 5000), headers=headers)
    assert response.status_code == 404, response.text[:300]
    response.json()


@pytest.mark.parametrize("api", ["scale", "coalesce", "admin"])
def test_an_integer_of_more_digits_than_python_converts_is_malformed_json(client: TestClient, api: str) -> None:
    method, path, headers, body = {
        "scale": ("POST", "/scale/v6/jobs/", SCALE, '{"job_type_id": %s, "input": {}}'),
        "coalesce": ("POST", "/coalesce/scheduler/startRun", BEARER,
                     '{"runDetails": {"environmentID": "2", "jobID": "1"}, "parameters": {"a": %s}}'),
        "admin": ("POST", "/_mockingjob/clock/advance", {}, '{"by": %s}'),
    }[api]
    response = client.request(method, path, content=body % ("9" * 5000), headers={**JSON, **headers})
    assert response.status_code == 400, response.text[:300]
    assert "Exceeds the limit (4300 digits)" in response.text


@pytest.mark.parametrize(("method", "path"), [("GET", "/scale/v6/jobs/"), ("GET", "/marquez/api/v1/namespaces"),
                                              ("GET", "/_mockingjob/clock"), ("DELETE", "/_mockingjob/faults")])
def test_a_body_sent_where_an_operation_takes_none_is_ignored_however_deep(client: TestClient, method: str,
                                                                           path: str) -> None:
    for body in ("[" * 5000, '{"a":' * 3000, "not json"):
        response = client.request(method, path, content=body, headers={**JSON, **SCALE})
        assert response.status_code in (200, 204), response.text[:300]


@pytest.mark.parametrize("media_type", ["APPLICATION/JSON", "Application/Json", "application/JSON; charset=utf-8",
                                        "application/json ; charset=utf-8", "application/json;charset=UTF-8"])
@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), [
    ("PUT", "/_mockingjob/clock", {}, '{"speed": 0}', 200),
    ("POST", "/scale/v6/jobs/", SCALE, '{"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {}}}',
     201),
    ("POST", "/coalesce/scheduler/startRun", BEARER,
     '{"runDetails": {"environmentID": "2", "jobID": "1"}, ' + CREDENTIALS + "}", 200),
    ("PUT", "/marquez/api/v1/namespaces/cased", {}, '{"ownerName": "me"}', 200),
    ("POST", "/trifacta/v4/jobGroups", BEARER, '{"wrangledDataset": {"id": 33}}', 201),
])
def test_a_media_type_is_read_whatever_its_case_and_spacing(client: TestClient, media_type: str, method: str,
                                                            path: str, headers: dict[str, str], body: str,
                                                            status: int) -> None:
    response = client.request(method, path, content=body, headers={**headers, "Content-Type": media_type})
    assert response.status_code == status, response.text


# --- compressed bodies ---------------------------------------------------------------------------------

GZIP = {**JSON, "Content-Encoding": "gzip"}


def test_a_gzip_body_is_read_where_the_real_service_decompresses_it(client: TestClient) -> None:
    body = gzip.compress(b'{"ownerName": "zipped", "description": "Sent compressed."}')
    response = client.put("/marquez/api/v1/namespaces/zipped", content=body, headers=GZIP)
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "Sent compressed."
    entry = client.get("/_mockingjob/journal", params={"api": "marquez"}).json()["entries"][0]
    assert "Sent compressed." in json.dumps(entry)  # journaled as read


def test_a_gzip_body_is_held_to_the_limit_once_decompressed(client: TestClient) -> None:
    body = b'{"ownerName": "me", "description": "' + b"x" * (1024 * 1024) + b'"}'
    small = gzip.compress(body)
    assert len(small) < 64 * 1024  # under the limit as sent, far over it decompressed
    response = client.put("/marquez/api/v1/namespaces/bomb", content=small, headers=GZIP)
    assert response.status_code == 413 and response.json() == {
        "code": 413, "message": "Request body too large: the limit is 65536 bytes"}


@pytest.mark.parametrize("body", [b"not gzip at all", gzip.compress(b'{"ownerName": "me"}')[:-12]],
                         ids=["not-gzip", "cut-short"])
def test_a_body_not_in_the_encoding_it_says_is_refused_in_the_apis_shape(client: TestClient, body: bytes) -> None:
    response = client.put("/marquez/api/v1/namespaces/broken", content=body, headers=GZIP)
    assert (response.status_code, response.json()) == (400, {"code": 400, "message": "Not in GZIP format"})


def test_an_api_that_does_not_decompress_reads_the_body_as_it_comes(client: TestClient) -> None:
    body = gzip.compress(b'{"job_type_id": 1}')
    response = client.post("/scale/v6/jobs/", content=body, headers={**GZIP, **SCALE})
    assert response.status_code == 400  # not JSON to Scale, whose server does not decompress requests
