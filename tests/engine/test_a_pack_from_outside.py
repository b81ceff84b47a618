"""A fifth API added from outside mockingjob's source tree, exactly as docs/writing-a-pack.md describes it.

The example pack in docs/example-pack is copied into a temporary folder with an entry point of its own, then
checked and served by ``mockingjob`` in child processes: no engine file knows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

EXAMPLE = Path(__file__).parents[2] / "docs" / "example-pack" / "taskrunner"
BEARER = {"Authorization": "Bearer anything"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder on PYTHONPATH holding the pack and the distribution metadata that declares its entry point."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(EXAMPLE, folder / "taskrunner")
    info = folder / "taskrunner-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: taskrunner\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mockingjob.packs]\ntasks = taskrunner:pack\n")
    return folder


def _env(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[Server]:
    served = Server("tasks", "--speed", "0", env=_env(site))
    yield served
    served.stop()


def test_the_pack_is_listed_and_passes_the_checks(site: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mockingjob", "check", "tasks"], capture_output=True,
                            text=True, env={**os.environ, **_env(site)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: tasks")


def test_the_pack_serves_its_fixtures_at_its_real_paths(server: Server) -> None:
    tasks = httpx.get(f"{server.url}/tasks").json()["tasks"]
    assert [(t["name"], t["state"]) for t in tasks] == [("warehouse-load", "RUNNING"), ("nightly-export", "SUCCEEDED")]
    assert httpx.get(f"{server.url}/tasks/99").json() == {"error": "no task 99"}


def test_a_task_runs_on_the_clock_and_a_scenario_fails_the_next(server: Server) -> None:
    refused = httpx.post(f"{server.url}/tasks", json={"name": "report"})
    assert (refused.status_code, refused.json()) == (401, {"error": "a bearer token is required"})
    started = httpx.post(f"{server.url}/tasks", json={"name": "report", "seconds": 30}, headers=BEARER)
    assert started.status_code == 201 and started.json()["state"] == "QUEUED"
    failing = httpx.post(f"{server.url}/tasks", json={"name": "doomed"},
                         headers={**BEARER, "Prefer": "outcome=FAILED"}).json()
    httpx.post(f"{server.url}/_mockingjob/clock/advance", json={"by": "PT1M"}).raise_for_status()
    assert httpx.get(started.headers["location"]).json()["state"] == "SUCCEEDED"
    assert httpx.get(f"{server.url}/tasks/{failing['id']}").json()["state"] == "FAILED"


def test_a_fault_answers_in_the_packs_error_shape_with_the_status_asked_for(server: Server) -> None:
    fault = httpx.post(f"{server.url}/_mockingjob/faults", json={"api": "tasks", "operation": "get_task",
                                                                 "error": {"status": 503, "message": "down"}})
    assert fault.status_code == 201, fault.text
    answer = httpx.get(f"{server.url}/tasks/1")
    assert (answer.status_code, answer.json()) == (503, {"error": "down"})
    httpx.delete(f"{server.url}/_mockingjob/faults").raise_for_status()


def test_a_pack_without_add_records_says_so_when_a_test_seeds_it(server: Server) -> None:
    response = httpx.post(f"{server.url}/_mockingjob/records",
                          json={"api": "tasks", "records": {"tasks": [{"id": 9, "name": "x"}]}})
    assert response.status_code == 501, response.text
    assert response.json()["detail"] == "the tasks API cannot add records to a running server"
