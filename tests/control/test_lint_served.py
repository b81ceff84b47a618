"""Lint as a user running ``mockingjob serve`` meets it: findings in the server's log, and under --strict the
spec served as documented."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess


def test_each_finding_is_a_line_in_the_servers_log() -> None:
    server = Server("scale")
    try:
        response = httpx.post(server.url + "/v6/jobs/cancel/", json={"job_ids": ["20"], "url": "x"},
                              headers={"Authorization": "Token t"})
        assert response.status_code == 202
        deadline = time.monotonic() + 5
        while 'unknown-field "body.url"' not in server.output and time.monotonic() < deadline:
            time.sleep(0.05)
        output = server.output
    finally:
        server.stop()
    assert 'scale POST /v6/jobs/cancel/: coerced "body.job_ids.0" "Scale reads the string with int()' in output
    assert 'scale POST /v6/jobs/cancel/: unknown-field "body.url" "Scale ignores it' in output


def test_a_strict_server_serves_each_spec_as_documented() -> None:
    lenient, strict = Server("scale"), Server("scale", "--strict")
    try:
        served = {name: httpx.get(server.url + "/openapi.json").json()
                  for name, server in (("lenient", lenient), ("strict", strict))}
    finally:
        lenient.stop()
        strict.stop()
    job_ids = {name: spec["components"]["schemas"]["IdList"] for name, spec in served.items()}
    assert len(job_ids["lenient"]["anyOf"]) == 3
    assert job_ids["strict"]["type"] == "array" and "anyOf" not in job_ids["strict"]
    assert "x-lenient" in str(served["lenient"]) and "x-lenient" not in str(served["strict"])
