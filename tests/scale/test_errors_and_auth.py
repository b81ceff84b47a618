"""Bad input answered the way Scale (Django REST framework) answers it, and who may change state."""

from __future__ import annotations

import pytest

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import EPOCH, TOKEN
from tests.scale.helpers import INPUTS, jobs

JOB = {"job_type_id": 1, "input": INPUTS[1]}


def detail(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["detail"]
    return body["detail"]


# --- query parameters --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["job_id", "job_type_id", "batch_id", "recipe_id", "error_id"])
def test_a_non_integer_id_filter_is_a_400_naming_the_parameter(client, name):
    response = client.get("/v6/jobs/", params={name: "abc"})
    assert detail(response, 400) == f'Parameter must be a valid integer: "{name}"'


def test_a_non_boolean_is_superseded_is_a_400(client):
    assert detail(client.get("/v6/jobs/", params={"is_superseded": "maybe"}), 400) == \
        'Parameter must be a valid boolean: "is_superseded"'


@pytest.mark.parametrize(("name", "value", "message"), [
    ("started", "2026-13-01T00:00:00Z", "Invalid ISO timestamp format for parameter: started"),
    ("ended", "yesterdayZ", "Invalid ISO timestamp format for parameter: ended"),
    ("started", "P3Y", "Invalid ISO timestamp format for parameter: started"),
    ("ended", "P1W", "Invalid ISO timestamp format for parameter: ended"),
    ("source_started", "PT3X", "Invalid ISO timestamp format for parameter: source_started"),
    ("started", "2026-01-01T00:00:00", "Invalid ISO timestamp format for parameter: started"),
    ("started", "2026-01-01T00:00:00-05:00", "Invalid ISO timestamp format for parameter: started"),
    ("source_ended", "2026-01-01T00:00:00-05:00", "Invalid ISO timestamp format for parameter: source_ended"),
])
def test_every_bad_time_gets_scales_one_time_message(client, name, value, message):
    # util/rest.py's parse_timestamp catches every failure (a bad duration, a missing timezone) with a bare
    # except and words them all alike.
    assert detail(client.get("/v6/jobs/", params={name: value}), 400) == message


@pytest.mark.parametrize("names", [("started", "ended"), ("source_started", "source_ended")])
def test_a_start_after_the_end_is_a_400(client, names):
    start, end = names
    response = client.get("/v6/jobs/", params={start: "2026-02-02T00:00:00Z", end: "2026-02-01T00:00:00Z"})
    assert detail(response, 400) == "Start time must come before end time"
    # The same check applies when the times are durations: P1D (a day ago) is after P2D.
    assert detail(client.get("/v6/jobs/", params={start: "P1D", end: "P2D"}), 400) == \
        "Start time must come before end time"


def test_an_empty_time_range_is_a_400(client):
    response = client.get("/v6/jobs/", params={"started": "2026-02-01T00:00:00Z", "ended": "2026-02-01T00:00:00Z"})
    assert detail(response, 400) == "Start and end values must be different"
    # +01:00 names the same instant as 00:00Z an hour earlier.
    response = client.get("/v6/jobs/", params={"started": "2026-02-01T01:00:00+01:00",
                                               "ended": "2026-02-01T00:00:00Z"})
    assert detail(response, 400) == "Start and end values must be different"


def test_time_errors_apply_to_input_files_and_logs_too(client):
    assert detail(client.get("/v6/jobs/3/input_files/", params={"started": "P3Y"}), 400) == \
        "Invalid ISO timestamp format for parameter: started"
    assert detail(client.get("/v6/job-executions/1/logs/combined/", params={"started": "2026-01-01"}), 400) == \
        "Invalid ISO timestamp format for parameter: started"


def test_an_unknown_query_parameter_is_ignored_as_scale_ignores_it_and_reported(client):
    everything = client.get("/v6/jobs/").json()["count"]
    response = client.get("/v6/jobs/", params={"colour": "blue", "job_type_version": "1.0"})
    assert response.status_code == 200 and response.json()["count"] == everything
    assert [value.split(" ")[:2] for value in response.headers.get_list("mockingjob-lint")] == [
        ["unknown-parameter", '"query.colour"'], ["unknown-parameter", '"query.job_type_version"']]


def test_under_strict_an_unknown_query_parameter_is_a_400():
    strict = MockApp(Config(apis=["scale"], speed=0, strict=True))
    try:
        with strict.asgi.test_client() as client:
            assert detail(client.get("/v6/job-types/", params={"order": "name"}), 400) == \
                'Unknown parameter(s): "order"'
    finally:
        strict.close()


def test_a_bad_enum_value_in_time_field_is_a_400(client):
    message = detail(client.get("/v6/jobs/3/input_files/", params={"time_field": "created_at"}), 400)
    assert "time_field" in message


# --- routes and methods ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v6/nothing/", "/v7/jobs/x/", "/v6/jobs/3/bogus/", "/v6/jobs/abc/",
                                  "/v6/job-executions/1/logs/everything/"])
def test_an_unknown_route_is_a_404_not_found(client, path):
    assert detail(client.get(path), 404) == "Not found."


def test_a_missing_job_is_a_404_not_found(client):
    assert detail(client.get("/v6/jobs/999999/"), 404) == "Not found."


@pytest.mark.parametrize(("method", "path"), [("PUT", "/v6/jobs/"), ("DELETE", "/v6/jobs/3/"),
                                              ("GET", "/v6/jobs/cancel/"), ("PATCH", "/v6/jobs/requeue/")])
def test_a_wrong_method_is_a_405_naming_it(client, method, path):
    response = client.request(method, path, json={}, headers=TOKEN)
    assert detail(response, 405) == f'Method "{method}" not allowed.'


# --- request bodies ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v6/jobs/", "/v6/jobs/cancel/", "/v6/jobs/requeue/"])
def test_a_body_that_is_not_json_is_a_415(client, path):
    response = client.post(path, content=b"job_type_id=1", headers={**TOKEN, "Content-Type": "text/plain"})
    assert detail(response, 415) == 'Unsupported media type "text/plain" in request.'


@pytest.mark.parametrize("path", ["/v6/jobs/", "/v6/jobs/cancel/", "/v6/jobs/requeue/"])
def test_malformed_json_is_a_400_json_parse_error(client, path):
    response = client.post(path, content=b'{"job_type_id": 1,', headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400).startswith("JSON parse error - ")


def test_invalid_utf8_in_a_json_body_is_a_400_not_a_500(client):
    body = b'{"job_type_id": 1, "input": {"json": {"x": "\xff\xfe"}}}'
    response = client.post("/v6/jobs/", content=body, headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400).startswith("JSON parse error - ")
    response = client.post("/v6/jobs/cancel/", content=b'{"job_type_names": ["\xc3"]}',
                           headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400).startswith("JSON parse error - ")


def test_rejected_bodies_change_nothing(client):
    before = jobs(client)
    client.post("/v6/jobs/", content=b"{", headers={**TOKEN, "Content-Type": "application/json"})
    client.post("/v6/jobs/cancel/", content=b"x", headers={**TOKEN, "Content-Type": "text/plain"})
    assert jobs(client) == before


def test_a_misspelt_cancel_filter_is_ignored_as_scale_ignores_it_and_reported(client):
    # Scale reads only the filters it names: "jobs_ids" filters nothing, so every job is canceled. The client
    # is told which field did nothing.
    assert jobs(client, {"status": "RUNNING"})
    response = client.post("/v6/jobs/cancel/", json={"jobs_ids": [1]}, headers=TOKEN)
    assert response.status_code == 202
    assert response.headers["mockingjob-lint"].startswith('unknown-field "body.jobs_ids" "Scale ignores it')
    assert jobs(client, {"status": "RUNNING"}) == []


def test_a_wrongly_typed_body_field_is_a_400(client):
    response = client.post("/v6/jobs/", json={"job_type_id": "one", "input": {}}, headers=TOKEN)
    assert detail(response, 400) == 'Parameter must be a valid integer: "job_type_id"'


# --- authentication ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body"), [("/v6/jobs/", JOB), ("/v6/jobs/cancel/", {"job_ids": [20]}),
                                            ("/v6/jobs/requeue/", {"job_ids": [44]})])
def test_posts_without_a_token_are_forbidden_and_change_nothing(client, path, body):
    before = jobs(client)
    response = client.post(path, json=body)
    assert detail(response, 403) == "Authentication credentials were not provided."
    assert jobs(client) == before


@pytest.mark.parametrize(("header", "message"), [
    ("Token", "Invalid token header. No credentials provided."),
    ("Token a b", "Invalid token header. Token string should not contain spaces."),
    ("Bearer abc", "Authentication credentials were not provided."),
])
def test_malformed_authorization_headers_are_forbidden(client, header, message):
    response = client.post("/v6/jobs/cancel/", json={"job_ids": [20]}, headers={"Authorization": header})
    assert detail(response, 403) == message
    assert client.get("/v6/jobs/20/").json()["status"] == "RUNNING"


def test_reads_need_no_token(client):
    for path in ("/v6/jobs/", "/v6/jobs/3/", "/v6/jobs/3/executions/", "/v6/jobs/3/executions/1/",
                 "/v6/jobs/3/input_files/", "/v6/job-types/", "/v6/job-types/scale-ingest/",
                 "/v6/job-types/scale-ingest/1.0.0/"):
        assert client.get(path).status_code == 200, path


def test_any_token_is_accepted_when_none_are_configured(client):
    response = client.post("/v6/jobs/", json=JOB, headers={"Authorization": "Token whatever"})
    assert response.status_code == 201


def test_configured_tokens_are_checked():
    guarded = MockApp(Config(apis=["scale"], speed=0, tokens=["s3cret"]))
    guarded.clock.start(speed=0, at=EPOCH)
    guarded.reset()
    with guarded.asgi.test_client() as client:
        wrong = client.post("/v6/jobs/", json=JOB, headers={"Authorization": "Token test-token"})
        assert detail(wrong, 403) == "Invalid token."
        assert detail(client.post("/v6/jobs/", json=JOB), 403) == "Authentication credentials were not provided."
        right = client.post("/v6/jobs/", json=JOB, headers={"Authorization": "Token s3cret"})
        assert right.status_code == 201
        lowercase_keyword = client.post("/v6/jobs/cancel/", json={"job_ids": [right.json()["id"]]},
                                        headers={"Authorization": "token s3cret"})
        assert lowercase_keyword.status_code == 202
        assert client.get(f"/v6/jobs/{right.json()['id']}/").json()["status"] == "CANCELED"
        assert client.get("/v6/jobs/").status_code == 200


# --- paths ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v6/jobs/1%0A/", "/v6/job-types/scale-ingest/1.0.0%0A/", "/v6/jobs/%7F/"])
def test_control_characters_in_a_path_are_a_plain_404_not_a_redirect_loop(client, path):
    assert detail(client.get(path, follow_redirects=False), 404) == "Not found."


def test_a_missing_trailing_slash_redirects_to_the_real_path_keeping_the_method(client):
    response = client.post("/v6/jobs", json=JOB, headers=TOKEN, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/v6/jobs/")
    assert client.post("/v6/jobs", json=JOB, headers=TOKEN).status_code == 201


def test_an_empty_queue_request_names_the_missing_field(client):
    response = client.post("/v6/jobs/", headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400) == 'Missing required parameter: "job_type_id"'


def test_absurdly_nested_json_is_a_400_not_a_crash(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/v6/jobs/", content=body, headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400).startswith("JSON parse error - ")


def test_lone_surrogates_in_json_strings_are_stored_and_echoed_escaped(client):
    body = b'{"job_type_id": 7, "input": {"files": {}, "json": {"files": ["\\udb6d"]}}}'
    created = client.post("/v6/jobs/", content=body, headers={**TOKEN, "Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    assert b'"files":["\\udb6d"]' in created.content
    assert created.json()["input"]["json"] == {"files": ["\udb6d"]}


def test_lone_surrogates_in_filters_match_nothing(client):
    body = b'{"job_types": [{"name": "\\ud800", "version": "1.0.0"}]}'
    response = client.post("/v6/jobs/cancel/", content=body, headers={**TOKEN, "Content-Type": "application/json"})
    assert detail(response, 400) == "Job Type with name: \ud800 and version: 1.0.0 does not exist"


def test_a_priority_beyond_32_bits_is_refused(client):
    response = client.post("/v6/jobs/", json={**JOB, "configuration": {"priority": -2**70}}, headers=TOKEN)
    # JobConfigurationV6 validates against its schema; the queue view prefixes its error (job/views.py)
    assert detail(response, 400).startswith("Job type configuration invalid: Invalid configuration: ")
