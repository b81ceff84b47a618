"""The real server, as a user starts it: worker processes sharing a state file, and restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess  # starts real servers

TOKEN = {"Authorization": "Token any"}


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


@pytest.fixture
def two_workers(state_file: Path) -> Iterator[Server]:
    server = Server("scale", "--workers", "2", "--state", str(state_file))
    yield server
    server.stop()


def test_a_job_created_through_one_worker_is_seen_by_every_following_request(two_workers: Server) -> None:
    base = two_workers.url
    created = httpx.post(f"{base}/v6/jobs/", json={"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}},
                         headers=TOKEN)
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert created.headers["location"] == f"{base}/v6/jobs/{job_id}/"
    # A fresh connection per request, so that both worker processes answer some of them.
    for _ in range(12):
        with httpx.Client() as client:
            assert client.get(f"{base}/v6/jobs/{job_id}/").status_code == 200
            listed = client.get(f"{base}/v6/jobs/", params={"job_id": job_id}).json()
            assert listed["count"] == 1


def test_state_file_survives_a_restart(state_file: Path) -> None:
    first = Server("scale", "--state", str(state_file))
    try:
        job_id = httpx.post(f"{first.url}/v6/jobs/", json={"job_type_id": 2, "input": {"files": {"input_file": [5]}}},
                            headers=TOKEN).json()["id"]
    finally:
        first.stop()
    second = Server("scale", "--state", str(state_file))
    try:
        job = httpx.get(f"{second.url}/v6/jobs/{job_id}/").json()
        assert job["id"] == job_id and job["job_type"]["name"] == "landsat8-parse"
    finally:
        second.stop()


def test_all_apis_are_mounted_under_their_prefix_with_ui_and_spec() -> None:
    server = Server()
    try:
        landing = httpx.get(server.url + "/")
        assert 'href="/scale/ui/"' in landing.text
        assert httpx.get(server.url + "/scale/ui/").status_code == 200
        spec = httpx.get(server.url + "/scale/openapi.json").json()
        assert spec["servers"][0]["url"] == "/scale"
        assert httpx.get(server.url + "/scale/v6/jobs/").json()["count"] >= 50
        assert httpx.get(server.url + "/v6/jobs/").status_code == 404
    finally:
        server.stop()


def test_workers_without_a_state_file_are_refused() -> None:
    result = subprocess.run([sys.executable, "-m", "mockingjob", "serve", "scale", "--workers", "2"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--workers needs --state" in result.stderr


def test_a_sped_up_clock_finishes_jobs_in_a_fraction_of_their_time() -> None:
    server = Server("scale", "--speed", "100")  # scale-ingest: 23 s of job time, 0.23 s here
    try:
        job = httpx.post(f"{server.url}/v6/jobs/", json={"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}}},
                         headers=TOKEN).json()
        assert job["status"] == "QUEUED"
        time.sleep(1.0)
        assert httpx.get(f"{server.url}/v6/jobs/{job['id']}/").json()["status"] == "COMPLETED"
    finally:
        server.stop()


def test_configured_tokens_are_the_only_ones_accepted() -> None:
    server = Server("scale", "--token", "s3cret")
    try:
        body = {"job_ids": [1]}
        wrong = httpx.post(f"{server.url}/v6/jobs/cancel/", json=body, headers={"Authorization": "Token guess"})
        assert wrong.status_code == 403 and wrong.json() == {"detail": "Invalid token."}
        right = httpx.post(f"{server.url}/v6/jobs/cancel/", json=body, headers={"Authorization": "Token s3cret"})
        assert right.status_code == 202
    finally:
        server.stop()
