"""Answers to reads kept in memory: a GET asked again is answered with the bytes of last time only while nothing it
depends on has changed (the API's state, the clock, scenarios), and faults, lint, the journal and Prefer still
see every request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp

EPOCH = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
TOKEN = {"Authorization": "Token dev"}
NDVI = {"job_type_id": 4, "input": {"files": {"red_band": [11], "nir_band": [7]}, "json": {}}}
"""A job of ndvi-calc 2.0.0, whose inputs are fixture files."""


def _steered(queued: str, running: str) -> dict[str, str]:
    return {**TOKEN, "Prefer": f"outcome=COMPLETED, duration.QUEUED={queued}, duration.RUNNING={running}"}


def _served(**options: Any) -> MockApp:
    mock = MockApp(Config(apis=["scale"], speed=0, **options))
    mock.reset(control=True, at=EPOCH)
    return mock


@pytest.fixture
def mock() -> Iterator[MockApp]:
    served = _served()
    yield served
    served.close()


@pytest.fixture
def client(mock: MockApp) -> TestClient:
    return mock.asgi.test_client()


def _hits(mock: MockApp) -> int:
    assert mock.memo is not None
    return mock.memo.hits


def test_a_poll_asked_again_gets_the_same_bytes_from_memory(mock: MockApp, client: TestClient) -> None:
    first = client.get("/v6/jobs/3/")
    again = client.get("/v6/jobs/3/")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert _hits(mock) == 1
    # Another query, another path or other credentials are other answers.
    client.get("/v6/jobs/3/?foo=1")
    client.get("/v6/jobs/4/")
    client.get("/v6/jobs/3/", headers=TOKEN)
    assert _hits(mock) == 1


def test_every_request_is_journaled_and_faulted_though_answered_from_memory(mock: MockApp, client: TestClient) -> None:
    for _ in range(3):
        assert client.get("/v6/jobs/3/").status_code == 200
    assert _hits(mock) == 2
    entries = client.get("/_mockingjob/journal?api=scale").json()["entries"]
    assert [entry["path"] for entry in entries].count("/v6/jobs/3/") == 3
    added = client.post("/_mockingjob/faults", json={"api": "scale", "operation": "get_job",
                                                    "error": {"status": 503}})
    assert added.status_code == 201, added.text
    assert client.get("/v6/jobs/3/").status_code == 503


def test_a_write_is_seen_by_the_next_read(mock: MockApp, client: TestClient) -> None:
    listed = client.get("/v6/jobs/?status=CANCELED").json()["count"]
    queued = client.post("/v6/jobs/", headers=TOKEN, json=NDVI)
    assert queued.status_code == 201
    canceled = client.post("/v6/jobs/cancel/", headers=TOKEN, json={"job_ids": [queued.json()["id"]]})
    assert canceled.status_code == 202
    assert client.get("/v6/jobs/?status=CANCELED").json()["count"] == listed + 1


def test_a_clock_set_past_a_runs_next_state_changes_the_answer(mock: MockApp, client: TestClient) -> None:
    queued = client.post("/v6/jobs/", headers=_steered("PT1M", "PT1M"), json=NDVI)
    path = f"/v6/jobs/{queued.json()['id']}/"
    assert client.get(path).json()["status"] == "QUEUED"
    assert client.get(path).json()["status"] == "QUEUED"
    client.post("/_mockingjob/clock/advance", json={"by": "PT90S"})
    assert client.get(path).json()["status"] == "RUNNING"
    client.post("/_mockingjob/clock/advance", json={"by": "PT1M"})
    assert client.get(path).json()["status"] == "COMPLETED"


@pytest.mark.subprocess
def test_a_running_clock_passing_a_runs_next_state_changes_the_answer() -> None:
    # 600 virtual seconds a second: a 30-second queue ends within a tenth of a second of real time.
    mock = MockApp(Config(apis=["scale"], speed=600))
    try:
        client = mock.asgi.test_client()
        queued = client.post("/v6/jobs/", headers=_steered("PT30S", "PT1H"), json=NDVI)
        path = f"/v6/jobs/{queued.json()['id']}/"
        assert client.get(path).json()["status"] == "QUEUED"
        client.get(path)
        deadline = time.monotonic() + 5
        while client.get(path).json()["status"] == "QUEUED":
            assert time.monotonic() < deadline, "the answer never left QUEUED"
            time.sleep(0.02)
        assert client.get(path).json()["status"] == "RUNNING"
    finally:
        mock.close()


def test_a_scenario_answers_though_the_answer_was_kept(mock: MockApp, client: TestClient) -> None:
    client.get("/v6/jobs/3/")
    client.get("/v6/jobs/3/")
    added = client.post("/_mockingjob/scenarios", json={"api": "scale", "operation": "get_job",
                                                       "respond": {"status": 500}, "times": 1})
    assert added.status_code == 201, added.text
    assert client.get("/v6/jobs/3/").status_code == 500
    assert client.get("/v6/jobs/3/").status_code == 200


def test_a_prefer_header_is_never_answered_from_memory(mock: MockApp, client: TestClient) -> None:
    client.get("/v6/jobs/3/")
    client.get("/v6/jobs/3/")
    assert client.get("/v6/jobs/3/", headers={"Prefer": "code=503"}).status_code == 503


def test_lint_findings_are_told_on_every_answer(mock: MockApp, client: TestClient) -> None:
    # Scale ignores a query parameter it does not know: a finding, on the kept answer too.
    first = client.get("/v6/jobs/3/?no_such_parameter=1")
    again = client.get("/v6/jobs/3/?no_such_parameter=1")
    assert first.headers.get_list("Mockingjob-Lint")
    assert again.headers.get_list("Mockingjob-Lint") == first.headers.get_list("Mockingjob-Lint")
    assert _hits(mock) == 1


def test_error_answers_are_computed_each_time(mock: MockApp, client: TestClient) -> None:
    assert client.get("/v6/jobs/999999/").status_code == 404
    assert client.get("/v6/jobs/999999/").status_code == 404
    assert _hits(mock) == 0


def test_a_reset_is_seen_by_the_next_read(mock: MockApp, client: TestClient) -> None:
    running = client.get("/v6/jobs/?status=RUNNING").json()["results"][0]["id"]
    assert client.post("/v6/jobs/cancel/", headers=TOKEN, json={"job_ids": [running]}).status_code == 202
    assert client.get(f"/v6/jobs/{running}/").json()["status"] == "CANCELED"
    assert client.get(f"/v6/jobs/{running}/").json()["status"] == "CANCELED"
    client.post("/_mockingjob/reset", json={"api": "scale"})
    assert client.get(f"/v6/jobs/{running}/").json()["status"] == "RUNNING"


def test_without_the_memo_nothing_is_kept() -> None:
    mock = _served(answer_memo=False)
    try:
        client = mock.asgi.test_client()
        assert client.get("/v6/jobs/3/").content == client.get("/v6/jobs/3/").content
        assert mock.memo is None
    finally:
        mock.close()


@pytest.mark.subprocess
def test_writes_and_clock_changes_through_another_process_are_seen(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    reader = MockApp(Config(apis=["scale"], speed=0, state=state))
    writer = MockApp(Config(apis=["scale"], speed=0, state=state))
    try:
        read, write = reader.asgi.test_client(), writer.asgi.test_client()
        running = read.get("/v6/jobs/?status=RUNNING").json()["results"][0]["id"]
        assert read.get(f"/v6/jobs/{running}/").json()["status"] == "RUNNING"
        assert read.get(f"/v6/jobs/{running}/").json()["status"] == "RUNNING"
        assert write.post("/v6/jobs/cancel/", headers=TOKEN, json={"job_ids": [running]}).status_code == 202
        assert read.get(f"/v6/jobs/{running}/").json()["status"] == "CANCELED"

        queued = write.post("/v6/jobs/", headers=_steered("PT1M", "PT1M"), json=NDVI)
        path = f"/v6/jobs/{queued.json()['id']}/"
        assert read.get(path).json()["status"] == "QUEUED"
        assert read.get(path).json()["status"] == "QUEUED"
        writer.clock.advance(timedelta(minutes=5))
        assert read.get(path).json()["status"] == "COMPLETED"
        assert _hits(reader) >= 2
    finally:
        reader.close()
        writer.close()
