"""Lint findings: a request the real service accepts only leniently is accepted, and the client is told, in the
answer's Mockingjob-Lint header, the journal and the log; ``--strict`` refuses it in the API's own words."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from openapi_schema_validator import OAS30Validator
from starlette.testclient import TestClient

from mockingjob import Config, MockApp
from mockingjob.core.lint import HEADER

TOKEN = {"Authorization": "Token t"}
IGNORED = "Scale ignores it (its views read only the parameters they name, through util/rest.py)"


@pytest.fixture(params=[False, True], ids=["lenient", "strict"])
def scale(request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, bool]]:
    mock = MockApp(Config(apis=["scale"], speed=0, strict=request.param))
    with mock.asgi.test_client() as client:
        yield client, request.param
    mock.close()


def _lint(response: object) -> list[str]:
    return response.headers.get_list(HEADER)  # type: ignore[attr-defined]


@pytest.mark.parametrize("operation", ["cancel", "requeue"])
def test_the_field_scales_web_ui_adds_is_ignored_as_scale_ignores_it(scale: tuple[TestClient, bool],
                                                                      operation: str) -> None:
    client, strict = scale
    # Scale's web UI posts the filter with the URL it was posted to.
    body = {"job_ids": [20], "url": f"http://scale/api/v6/jobs/{operation}/"}
    response = client.post(f"/v6/jobs/{operation}/", json=body, headers=TOKEN)
    if strict:
        assert response.status_code == 400
        assert response.json() == {"detail": 'Unknown parameter(s): "url"'}
        assert _lint(response) == []
        return
    assert response.status_code == 202, response.text
    assert _lint(response) == [f'unknown-field "body.url" {json.dumps(IGNORED)}']
    entry = client.get("/_mockingjob/journal?limit=1").json()["entries"][0]
    assert entry["warnings"] == [{"where": "body.url", "rule": "unknown-field", "message": IGNORED}]


def test_the_filter_applies_as_if_the_unknown_field_were_not_there(scale: tuple[TestClient, bool]) -> None:
    client, strict = scale
    if strict:
        pytest.skip("refused under --strict")
    client.post("/v6/jobs/cancel/", json={"job_ids": [20], "url": "x", "stauts": "RUNNING"}, headers=TOKEN)
    assert client.get("/v6/jobs/20/").json()["status"] == "CANCELED"


def test_every_unknown_field_is_one_finding_and_strict_names_them_all(scale: tuple[TestClient, bool]) -> None:
    client, strict = scale
    response = client.post("/v6/jobs/cancel/", json={"job_ids": [20], "url": "x", "stauts": "RUNNING"},
                           headers=TOKEN)
    if strict:
        assert response.json() == {"detail": 'Unknown parameter(s): "url", "stauts"'}
    else:
        assert [value.split(" ")[1] for value in _lint(response)] == ['"body.url"', '"body.stauts"']


def test_a_request_with_nothing_to_report_carries_no_lint_header(scale: tuple[TestClient, bool]) -> None:
    client, _ = scale
    for response in (client.post("/v6/jobs/cancel/", json={"job_ids": [20]}, headers=TOKEN),
                     client.get("/v6/jobs/"), client.get("/v6/jobs/99999/"),
                     client.post("/v6/jobs/cancel/", json={"job_ids": "x"}, headers=TOKEN)):
        assert HEADER.lower() not in {name.lower() for name in response.headers}, response.text
    entries = client.get("/_mockingjob/journal?limit=10").json()["entries"]
    assert all(entry["warnings"] == [] for entry in entries)


def test_a_hostile_field_name_cannot_break_the_header(scale: tuple[TestClient, bool]) -> None:
    client, strict = scale
    if strict:
        pytest.skip("refused under --strict")
    name = "x\r\nSet-Cookie: evil=1\u00e9\u2603"
    response = client.post("/v6/jobs/cancel/", json={"job_ids": [20], name: 1}, headers=TOKEN)
    assert response.status_code == 202
    assert "set-cookie" not in {key.lower() for key in response.headers}
    (value,) = _lint(response)
    assert value.isascii() and "\r" not in value and "\n" not in value
    entry = re.fullmatch(r'(\S+) ("(?:[^"\\]|\\.)*") (".*")', value)
    assert entry is not None
    assert json.loads(entry.group(2)) == f"body.{name}" and json.loads(entry.group(3)) == IGNORED


def test_each_finding_is_logged(scale: tuple[TestClient, bool], caplog: pytest.LogCaptureFixture) -> None:
    client, strict = scale
    if strict:
        pytest.skip("refused under --strict")
    with caplog.at_level(logging.INFO, logger="mockingjob.lint"):
        client.post("/v6/jobs/requeue/", json={"job_ids": [20], "url": "x"}, headers=TOKEN)
    assert [record.getMessage() for record in caplog.records if record.name == "mockingjob.lint"] == [
        f'scale POST /v6/jobs/requeue/: unknown-field "body.url" {json.dumps(IGNORED)}']


def test_many_findings_are_summed_up_in_the_header_and_kept_in_the_journal(scale: tuple[TestClient, bool]) -> None:
    client, strict = scale
    if strict:
        pytest.skip("refused under --strict")
    # Many HTTP clients refuse an answer with a hundred header lines (http.client, so requests, among them).
    response = client.post("/v6/jobs/cancel/", json={"job_ids": [str(n) for n in range(1, 151)]}, headers=TOKEN)
    assert response.status_code == 202
    lines = _lint(response)
    assert len(lines) == 20 and lines[-1] == 'more "" "131 more findings like these"'
    warnings = client.get("/_mockingjob/journal?limit=1").json()["entries"][0]["warnings"]
    assert len(warnings) == 150 and warnings[-1]["where"] == "body.job_ids.149"


def test_a_finding_never_quotes_a_secret() -> None:
    mock = MockApp(Config(apis=["marquez"], speed=0))
    try:
        with mock.asgi.test_client() as client:
            response = client.post("/api/v1/namespaces/food_delivery/jobs/etl_orders/runs",
                                   json={"args": {"password": 98765432}})
            assert response.status_code == 201
            assert "98765432" not in " ".join(response.headers.get_list(HEADER))
            entry = client.get("/_mockingjob/journal?limit=1").json()["entries"][0]
            assert "98765432" not in json.dumps(entry)
            assert any(warning["where"] == "body.args.password" for warning in entry["warnings"])
    finally:
        mock.close()


def test_a_logged_finding_cannot_forge_a_log_line(scale: tuple[TestClient, bool],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    client, strict = scale
    if strict:
        pytest.skip("refused under --strict")
    with caplog.at_level(logging.INFO, logger="mockingjob.lint"):
        client.post("/v6/jobs/cancel/", json={"job_ids": [20], "x\r\nforged line": 1}, headers=TOKEN)
    (line,) = [record.getMessage() for record in caplog.records if record.name == "mockingjob.lint"]
    assert "\n" not in line and "\r" not in line and '"body.x\\r\\nforged line"' in line


def test_the_strict_servers_spec_admits_what_the_strict_server_accepts() -> None:
    # The documented view closes objects (no unknown fields); requeue's body, the filter and its own priority, is
    # closed whole.
    mock = MockApp(Config(apis=["scale"], speed=0, strict=True))
    try:
        with mock.asgi.test_client() as client:
            spec = client.get("/openapi.json").json()
            body = {"job_ids": [1], "priority": 5}
            assert client.post("/v6/jobs/requeue/", json=body, headers=TOKEN).status_code == 202
    finally:
        mock.close()
    validator = OAS30Validator({"$ref": "#/components/schemas/RequeueJobsRequest", "components": spec["components"]})
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "url": "x"})
