"""Over TCP with the typed client: dropped connections, start-up scenarios and faults, and the CLI options."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from click.testing import CliRunner

from mockingjob.cli import main
from mockingjob.client import AdminError, Mockingjob
from mockingjob.core.config import Config
from mockingjob.live import LiveServer

pytestmark = pytest.mark.subprocess  # starts real servers


@pytest.fixture
def mj(mockingjob_live_url):
    handle = Mockingjob(mockingjob_live_url)
    handle.reset()
    return handle


def test_a_drop_fault_closes_the_connection_without_an_answer(mj):
    mj.faults.add("scale", operation="get_job", drop=True, times=1)
    with httpx.Client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(mj.url("scale") + "/v6/jobs/1/")
        assert http.get(mj.url("scale") + "/v6/jobs/1/").status_code == 200
    dropped = mj.journal.entries("scale", status="dropped")
    assert len(dropped) == 1 and dropped[0].status is None and "dropped connection" in dropped[0].fault


def test_the_typed_client_round_trips_every_control(mj):
    assert mj.clock.speed == 0
    start = mj.clock.now()
    assert mj.clock.advance("PT2H") - start == timedelta(hours=2)
    scenario = mj.scenarios.add("scale", operation="queue_job", outcome="failed", durations={"RUNNING": 90},
                                times=3)
    assert scenario.outcome == "FAILED" and scenario.durations == {"RUNNING": "PT90S"} and scenario.remaining == 3
    assert mj.scenarios.get(scenario.id) == scenario and mj.scenarios.list("scale") == [scenario]
    fault = mj.faults.add("scale", latency_ms=(1, 2))
    assert fault.latency == {"uniform": {"lower": 1, "upper": 2}} and mj.faults.list() == [fault]
    httpx.get(mj.url("scale") + "/v6/jobs/?page_size=1")
    entry = mj.journal.last("scale")
    assert entry is not None and entry.params == {"page_size": ["1"]} and entry.response_json()["count"] > 0
    mj.scenarios.remove(scenario.id)
    mj.faults.clear()
    with pytest.raises(AdminError) as refused:
        mj.scenarios.get(scenario.id)
    assert refused.value.status == 404
    with pytest.raises(AdminError) as unknown:
        mj.url("nosuchapi")
    assert unknown.value.status == 404


def test_start_up_scenarios_and_faults_come_back_on_reset(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "scenarios:\n"
        "  - {api: scale, operation: get_job, respond: {status: 418, message: teapot}}\n"
        "faults:\n"
        "  - {api: scale, operation: list_jobs, error: {status: 502}}\n", encoding="utf-8")
    config = Config(apis=["scale"], speed=0, scenarios_file=str(rules), latency="1", mount="prefix")
    with LiveServer(config) as url:
        mj = Mockingjob(url)
        base = mj.url("scale")
        assert httpx.get(base + "/v6/jobs/1/").json() == {"detail": "teapot"}
        assert httpx.get(base + "/v6/jobs/").status_code == 502
        assert {f.origin for f in mj.faults.list()} == {"startup"} and len(mj.faults.list()) == 2
        mj.scenarios.clear()
        mj.faults.clear()
        assert httpx.get(base + "/v6/jobs/1/").status_code == 200
        mj.reset()
        assert httpx.get(base + "/v6/jobs/1/").status_code == 418
        assert len(mj.faults.list()) == 2


def test_an_error_rate_from_the_command_line_answers_in_each_apis_shape():
    with LiveServer(Config(apis=["scale"], speed=0, error_rate=1.0, error_status=503)) as url:
        response = httpx.get(url + "/v6/jobs/")
        assert response.status_code == 503 and response.json() == {"detail": "Service Unavailable"}
        assert httpx.get(url + "/_mockingjob/clock").status_code == 200  # the admin API is never disturbed


@pytest.mark.parametrize(("content", "message"), [
    ("scenarios: [{api: scale}]\n", "scenarios[0]"),
    ("scenarios: [{api: nosuchapi, outcome: FAILED}]\n", "no API 'nosuchapi'"),
    ("faults: [{latency: {fixed: -1}}]\n", "faults[0]"),
    ("jobs: []\n", "expected a mapping"),
    ("scenarios: [\n", "--scenarios"),
])
def test_a_bad_scenarios_file_stops_the_server_before_it_starts(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "scale", "--scenarios", str(path), "--port", "0"])
    assert result.exit_code != 0
    assert message in result.output


def test_a_bad_latency_option_is_a_usage_error():
    result = CliRunner().invoke(main, ["serve", "scale", "--latency", "fast", "--port", "0"])
    assert result.exit_code != 0 and "--latency" in result.output


def test_a_slow_answer_still_handles_the_request_so_a_timed_out_post_may_have_started_a_job(mj):
    mj.faults.add("scale", operation="queue_job", latency_ms=600, times=1)
    base = mj.url("scale")
    count = httpx.get(base + "/v6/jobs/?page_size=1").json()["count"]
    body = {"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}}
    with pytest.raises(httpx.TimeoutException):
        httpx.post(base + "/v6/jobs/", json=body, headers={"Authorization": "Token t"}, timeout=0.2)
    time.sleep(0.6)  # the server finishes its slow answer
    assert httpx.get(base + "/v6/jobs/?page_size=1").json()["count"] == count + 1
    (entry,) = mj.journal.entries("scale", operation="queue_job")
    assert entry.status == 201 and entry.json() == body and "latency 600 ms" in (entry.fault or "")


def test_a_connection_dropped_after_handling_loses_only_the_answer(mj):
    mj.faults.add("scale", operation="queue_job", drop=True, drop_after=True, times=1)
    base = mj.url("scale")
    count = httpx.get(base + "/v6/jobs/?page_size=1").json()["count"]
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(base + "/v6/jobs/", json={"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}},
                   headers={"Authorization": "Token t"})
    assert httpx.get(base + "/v6/jobs/?page_size=1").json()["count"] == count + 1
    assert mj.journal.count("scale", status="dropped") == 1


def test_the_typed_client_writes_durations_without_exponents(mj):
    start = mj.clock.now()
    assert mj.clock.advance(1_000_000) - start == timedelta(seconds=1_000_000)
    assert mj.clock.advance(timedelta(microseconds=1)) - start == timedelta(seconds=1_000_000, microseconds=1)
    with pytest.raises(AdminError) as refused:
        mj.scenarios.add("scale", respond=503, times=0)
    assert refused.value.status == 400


def test_the_plugin_applies_its_clock_speed_to_a_server_given_by_url(pytester, tmp_path):
    with LiveServer(Config(apis=["scale"], speed=10, mount="prefix")) as url:
        pytester.makeini("[pytest]\nmockingjob_speed = 0\n")
        pytester.makepyfile(test_speed='''
def test_stopped(mockingjob):
    assert mockingjob.clock.speed == 0
''')
        result = pytester.runpytest_subprocess("-q", f"--mockingjob-url={url}")
        result.assert_outcomes(passed=1)
