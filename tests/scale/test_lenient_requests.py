"""What Scale accepts only because util/rest.py reads parameters leniently: accepted and applied as Scale applies
it, each leniency reported as a lint finding; with --strict, refused with Scale's own 400."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.scale.helpers import INGEST, TILER, job, queue
from tests.support import Mode, lint_fixtures

scale_modes, mode = lint_fixtures("scale")


def post(mode: Mode, path: str, body: Any) -> Any:
    return mode.client.post(path, json=body, headers=TOKEN)


def refused(mode: Mode, response: Any, detail: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": detail}
    assert mode.findings(response) == []


ONE = [("scalar-as-list", "body.job_ids")]
DIGITS = [("coerced", "body.job_ids.0")]
NOT_A_LIST = 'Parameter must be a list: "job_ids"'
NOT_AN_INTEGER = 'Parameter must be a valid integer: "job_ids"'


@pytest.mark.parametrize(("ids", "findings", "strict_detail"), [
    (lambda id_: id_, ONE, NOT_A_LIST),
    (lambda id_: str(id_), ONE + DIGITS, NOT_A_LIST),
    (lambda id_: [str(id_)], DIGITS, NOT_AN_INTEGER),
    (lambda id_: [f" {id_} "], DIGITS, NOT_AN_INTEGER),
    (lambda id_: [f"+{id_}"], DIGITS, NOT_AN_INTEGER),
], ids=["one-id", "one-digit-string", "digit-strings", "spaced-digits", "signed-digits"])
def test_ids_as_one_value_or_digit_strings_cancel_those_jobs(mode: Mode, ids: Any, findings: Any,
                                                             strict_detail: str) -> None:
    chosen, other = (queue(mode.client, INGEST)["id"] for _ in range(2))
    response = post(mode, "/v6/jobs/cancel/", {"job_ids": ids(chosen)})
    if mode.strict:
        refused(mode, response, strict_detail)
        assert job(mode.client, chosen)["status"] == "QUEUED"
        return
    assert response.status_code == 202, response.text
    assert mode.findings(response) == findings
    assert [job(mode.client, id_)["status"] for id_ in (chosen, other)] == ["CANCELED", "QUEUED"]


def test_a_finding_says_what_the_value_was_read_as(mode: Mode) -> None:
    if mode.strict:
        pytest.skip("refused under --strict")
    response = post(mode, "/v6/jobs/cancel/", {"job_ids": ["7"]})
    (value,) = response.headers.get_list("Mockingjob-Lint")
    assert value == ('coerced "body.job_ids.0" "Scale reads the string with int() (util/rest.py parse_int); '
                     'read as 7"')


def test_a_null_filter_is_no_filter(mode: Mode) -> None:
    queued = queue(mode.client, INGEST)["id"]
    response = post(mode, "/v6/jobs/cancel/", {"job_ids": [queued], "status": None, "started": None})
    if mode.strict:
        refused(mode, response, 'Parameter must be a string: "status"')
        return
    assert response.status_code == 202
    assert mode.findings(response) == [("null-as-absent", "body.status"), ("null-as-absent", "body.started")]
    assert job(mode.client, queued)["status"] == "CANCELED"


def test_requeue_reads_a_digit_string_priority_and_a_flag_string(mode: Mode) -> None:
    chosen, other = (queue(mode.client, TILER)["id"] for _ in range(2))
    mode.mock.clock.advance(timedelta(seconds=60))
    assert [job(mode.client, id_)["status"] for id_ in (chosen, other)] == ["FAILED", "FAILED"]
    response = post(mode, "/v6/jobs/requeue/", {"job_ids": [chosen], "priority": " 1", "is_superseded": "F"})
    if mode.strict:
        refused(mode, response, 'Parameter must be a valid integer: "priority"')
        return
    assert response.status_code == 202
    assert mode.findings(response) == [("coerced", "body.priority"), ("coerced", "body.is_superseded")]
    post(mode, "/v6/jobs/requeue/", {"job_ids": [other]})
    # Equal priorities would put `other` (the higher id) first.
    order = [("status", "QUEUED"), ("order", "priority"), ("order", "-id")]
    assert mode.client.get("/v6/jobs/", params=order).json()["results"][0]["id"] == chosen


def test_filters_in_the_query_string_come_before_the_body(mode: Mode) -> None:
    first, second = (queue(mode.client, INGEST)["id"] for _ in range(2))
    response = mode.client.post(f"/v6/jobs/cancel/?job_ids={first}", json={"job_ids": [second]}, headers=TOKEN)
    if mode.strict:
        refused(mode, response, 'Unknown parameter(s): "job_ids"')
        return
    assert response.status_code == 202
    assert mode.findings(response) == [("query-for-body", "query.job_ids")]
    assert [job(mode.client, id_)["status"] for id_ in (first, second)] == ["CANCELED", "QUEUED"]


def test_queue_reads_a_digit_string_job_type_and_ignores_unknown_fields(mode: Mode) -> None:
    response = post(mode, "/v6/jobs/", {"job_type_id": str(INGEST), "input": {"files": {"INPUT_FILE": [61]}},
                                        "configuration": None, "note": "nightly"})
    if mode.strict:
        refused(mode, response, 'Parameter must be a valid integer: "job_type_id"')
        return
    assert response.status_code == 201, response.text
    assert response.json()["job_type"]["id"] == INGEST
    assert mode.findings(response) == [("coerced", "body.job_type_id"), ("null-as-absent", "body.configuration"),
                                       ("unknown-field", "body.note")]


@pytest.mark.parametrize(("body", "detail"), [
    ({"job_ids": ["x"]}, 'Parameter must be a valid integer: "job_ids"'),
    ({"job_ids": [1, "two"]}, 'Parameter must be a valid integer: "job_ids"'),
    ({"job_type_ids": "x"}, 'Parameter must be a valid integer: "job_type_ids"'),
    ({"is_superseded": "maybe"}, 'Parameter must be a valid boolean: "is_superseded"'),
])
def test_what_scale_cannot_read_is_refused_naming_the_parameter_not_the_item(mode: Mode, body: Any,
                                                                            detail: str) -> None:
    refused(mode, post(mode, "/v6/jobs/cancel/", body), detail)


def test_documented_requests_carry_no_findings(mode: Mode) -> None:
    queued = queue(mode.client, INGEST)["id"]
    for response in (post(mode, "/v6/jobs/cancel/", {"job_ids": [queued], "error_ids": ["11"]}),
                     mode.client.get("/v6/jobs/", params={"job_id": queued, "is_superseded": "true"})):
        assert response.status_code in (200, 202), response.text
        assert mode.findings(response) == []


@pytest.mark.parametrize(("path", "params"), [
    ("/v6/jobs/", [("status", "RUNING")]),
    ("/v6/jobs/", [("status", "RUNNING"), ("status", "running")]),
    ("/v6/jobs/", [("error_category", "NETWORK")]),
    ("/v6/jobs/5/executions/", [("status", "QUEUED")]),
])
def test_a_filter_value_scale_does_not_know_matches_nothing(mode: Mode, path: str, params: Any) -> None:
    # util/rest.py's parse_string_list checks no choices: an unknown value filters on a value no job has.
    response = mode.client.get(path, params=params)
    name = params[-1][0]
    if mode.strict:
        assert response.status_code == 400
        assert response.json()["detail"].startswith(f'Parameter "{name}" values must be one of: [')
        return
    known = [(key, value) for key, value in params if value.isupper() and value not in ("RUNING", "NETWORK")]
    assert response.json()["count"] == (mode.client.get(path, params=known).json()["count"] if known else 0)
    assert mode.findings(response) == [("unchecked-value", f"query.{name}.{len(params) - 1}")]


def test_a_cancel_status_scale_does_not_know_cancels_nothing(mode: Mode) -> None:
    queued = queue(mode.client, INGEST)["id"]
    response = post(mode, "/v6/jobs/cancel/", {"status": "queued"})
    if mode.strict:
        refused(mode, response, "Parameter \"status\" values must be one of: ['PENDING', 'BLOCKED', 'QUEUED', "
                                "'RUNNING', 'FAILED', 'COMPLETED', 'CANCELED']")
        return
    assert response.status_code == 202
    assert mode.findings(response) == [("unchecked-value", "body.status")]
    assert job(mode.client, queued)["status"] == "QUEUED"
