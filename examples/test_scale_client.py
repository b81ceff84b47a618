"""A client developer's tests, run against mockingjob through its pytest plugin.

`JobRunner` below stands for your own code: it queues a Scale job and waits for it to finish. The tests use
the `mockingjob` fixture (installed with the package) to steer time, force the rare paths and check what the
client sent. Run them with ``pytest examples/`` once mockingjob is installed.
"""

from __future__ import annotations

import time

import httpx
import pytest


class JobFailed(Exception):
    pass


class JobRunner:
    """Your client: queue a job, poll until it ends, retry once on a 503."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=timeout)

    def start(self, job_type_id: int, files: dict[str, list[int]]) -> int:
        body = {"job_type_id": job_type_id, "input": {"files": files}}
        response = self.http.post("/v6/jobs/", json=body)
        if response.status_code == 503:  # Scale restarts now and then: one retry
            response = self.http.post("/v6/jobs/", json=body)
        response.raise_for_status()
        return int(response.json()["id"])

    def status(self, job_id: int) -> str:
        return str(self.http.get(f"/v6/jobs/{job_id}/").json()["status"])

    def wait(self, job_id: int, poll: float = 0.05, limit: float = 10.0) -> str:
        deadline = time.monotonic() + limit
        while (status := self.status(job_id)) in ("PENDING", "QUEUED", "RUNNING"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {status}")
            time.sleep(poll)
        if status != "COMPLETED":
            job = self.http.get(f"/v6/jobs/{job_id}/").json()
            raise JobFailed(f"job {job_id} {status}: {job['error']['name']}")
        return status


INGEST = {"job_type_id": 1, "files": {"INPUT_FILE": [61]}}  # scale-ingest in mockingjob's fixtures


@pytest.fixture
def runner(mockingjob):
    runner = JobRunner(mockingjob.url("scale"), token="my-secret-token")
    yield runner
    runner.http.close()


def test_a_job_runs_to_completion(mockingjob, runner):
    mockingjob.clock.set_speed(600)  # ten minutes a second: the job's 23 s take a few hundredths
    job_id = runner.start(**INGEST)
    assert runner.wait(job_id) == "COMPLETED"


def test_a_failed_job_raises_with_its_error(mockingjob, runner):
    mockingjob.scenarios.add("scale", operation="queue_job", match={"job_type": "scale-ingest"},
                             failure="node-lost")
    job_id = runner.start(**INGEST)
    mockingjob.clock.advance("PT5M")  # the clock moves only when told (the default for tests)
    with pytest.raises(JobFailed, match="node-lost"):
        runner.wait(job_id)


def test_the_client_retries_once_on_503(mockingjob, runner):
    mockingjob.faults.add("scale", operation="queue_job", error=503, times=1)
    runner.start(**INGEST)
    assert mockingjob.journal.count("scale", operation="queue_job", status=503) == 1
    assert mockingjob.journal.count("scale", operation="queue_job", status=201) == 1


def test_what_the_client_sent(mockingjob, runner):
    runner.start(**INGEST)
    sent = mockingjob.journal.last("scale", operation="queue_job")
    assert sent.method == "POST" and sent.json() == {"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}}
    assert sent.request_headers["authorization"] == "Token [REDACTED]"  # secrets never reach the journal


def test_a_slow_server_times_the_client_out(mockingjob):
    mockingjob.faults.add("scale", operation="get_job", latency_ms=1000)
    impatient = JobRunner(mockingjob.url("scale"), token="t", timeout=0.2)
    with impatient.http, pytest.raises(httpx.TimeoutException):
        impatient.status(1)


def test_a_dropped_connection(mockingjob, runner):
    job_id = runner.start(**INGEST)
    mockingjob.faults.add("scale", operation="get_job", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        runner.status(job_id)
    assert runner.status(job_id) == "QUEUED"  # the next poll gets through
    assert mockingjob.journal.count("scale", status="dropped") == 1
