"""A job requeued through two instances sharing one state file at once, as ``--workers 2`` serves them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.conftest import TOKEN
from tests.scale.helpers import TILER, executions, job, queue
from tests.support import Meanwhile


@pytest.fixture
def clients(tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, MockApp, MockApp]]:
    state = str(tmp_path / "state.sqlite")
    first = MockApp(Config(apis=["scale"], state=state, speed=0))
    second = MockApp(Config(apis=["scale"], state=state, speed=0))
    try:
        with first.asgi.test_client() as one, second.asgi.test_client() as two:
            yield one, two, first, second
    finally:
        first.close()
        second.close()


def test_a_job_requeued_elsewhere_meanwhile_is_requeued_once(
        clients: tuple[TestClient, TestClient, MockApp, MockApp]) -> None:
    one, two, first, second = clients
    failed = queue(one, TILER)["id"]
    first.clock.advance(timedelta(minutes=5))
    assert job(two, failed)["status"] == "FAILED" and job(two, failed)["num_exes"] == 1
    # After the second instance has found the job to requeue, before it writes anything.
    elsewhere = Meanwhile(second, "UPDATE scale_jobs",
                          lambda: one.post("/v6/jobs/requeue/", json={"job_ids": [failed]}, headers=TOKEN))
    here = two.post("/v6/jobs/requeue/", json={"job_ids": [failed]}, headers=TOKEN)
    assert elsewhere.result().status_code == 202, elsewhere.result().text
    assert here.status_code == 202, here.text
    requeued = job(one, failed)
    assert requeued["status"] == "QUEUED" and requeued["num_exes"] == 2
    first.clock.advance(timedelta(seconds=15))  # executions are listed once they run
    assert [e["exe_num"] for e in executions(one, failed)] == [2, 1]
