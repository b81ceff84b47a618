"""``mockingjob serve --reload``: a project edited while its server runs.

A real server in a project folder (settings file, fixtures, scenarios): an edited fixture file reloads that
API's data, a broken one keeps what is served and says why on the console, an edited scenarios file replaces
the start-up faults, and an edited settings file applies its fixtures (or names what needs a restart).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server

pytestmark = pytest.mark.subprocess

OURS = "- {name: ours, owner: us, description: Ours., created: -P3D}\n"
THEIRS = "- {name: theirs, owner: them, description: Theirs., created: -P2D}\n"


def _wait_for(condition: Callable[[], bool], what: str, server: Server, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen; the server said:\n{server.output}")


def _write(path: Path, text: str) -> None:
    """Write as an editor would, and make sure the change is seen even on a file system with a coarse clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        time.sleep(0.05)
        path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "fixtures" / "marquez").mkdir(parents=True)
    (tmp_path / "fixtures" / "marquez" / "_fixtures.yaml").write_text("mode: replace\n")
    (tmp_path / "fixtures" / "marquez" / "namespaces.yaml").write_text(OURS)
    (tmp_path / "other" / "marquez").mkdir(parents=True)
    (tmp_path / "other" / "marquez" / "_fixtures.yaml").write_text("mode: replace\n")
    (tmp_path / "other" / "marquez" / "namespaces.yaml").write_text(THEIRS)
    (tmp_path / "scenarios.yaml").write_text("faults: []\n")
    (tmp_path / "mockingjob.toml").write_text(
        'apis = ["marquez"]\nfixtures = ["fixtures"]\nscenarios = "scenarios.yaml"\nreload = true\n')
    return tmp_path


@pytest.fixture
def server(project: Path) -> Iterator[Server]:
    running = Server(cwd=project)
    yield running
    running.stop()


def _namespaces(server: Server) -> list[str]:
    answer = httpx.get(f"{server.url}/api/v1/namespaces", timeout=5)
    return sorted(n["name"] for n in answer.json()["namespaces"]) if answer.status_code == 200 else []


def test_an_edited_fixture_file_reloads_that_api_as_a_reset_would(project: Path, server: Server) -> None:
    assert _namespaces(server) == ["ours"]
    assert "Reloading on changes to" in server.output
    # What a client made goes with the reload, as with a reset.
    made = httpx.put(f"{server.url}/api/v1/namespaces/scratch", json={"ownerName": "me"}, timeout=5)
    assert made.status_code == 200 and _namespaces(server) == ["ours", "scratch"]

    _write(project / "fixtures" / "marquez" / "namespaces.yaml", OURS + THEIRS)
    _wait_for(lambda: _namespaces(server) == ["ours", "theirs"], "the reload", server)
    assert "Reloaded the fixtures of marquez (marquez/namespaces.yaml changed)" in server.output


def test_a_broken_edit_keeps_the_data_and_says_what_is_wrong(project: Path, server: Server) -> None:
    namespaces = project / "fixtures" / "marquez" / "namespaces.yaml"
    _write(namespaces, "- {name: ours, owner: [not, a, string], created: -P3D}\n")
    _wait_for(lambda: "Fixtures not reloaded" in server.output, "the refusal", server)
    assert f"{namespaces}: record 1 (ours): owner:" in server.output
    assert "Traceback" not in server.output
    assert _namespaces(server) == ["ours"]

    _write(namespaces, "- {name: ours\n")  # not even YAML
    _wait_for(lambda: server.output.count("Fixtures not reloaded") == 2, "the second refusal", server)
    assert _namespaces(server) == ["ours"]

    _write(namespaces, THEIRS)  # mended: served at once
    _wait_for(lambda: _namespaces(server) == ["theirs"], "the reload once mended", server)
    assert "Traceback" not in server.output


def test_an_edited_scenarios_file_replaces_the_start_up_faults(project: Path, server: Server) -> None:
    assert httpx.get(f"{server.url}/api/v1/namespaces", timeout=5).status_code == 200
    _write(project / "scenarios.yaml", "faults:\n  - {api: marquez, error: {rate: 1, status: 503}}\n")
    _wait_for(lambda: httpx.get(f"{server.url}/api/v1/namespaces", timeout=5).status_code == 503,
              "the fault", server)
    assert "Reloaded the start-up scenarios and faults" in server.output

    _write(project / "scenarios.yaml", "faults: [{api: marquez, error: {rate: 2}}]\n")  # a rate above 1
    _wait_for(lambda: "Scenarios not reloaded" in server.output, "the refusal", server)
    assert httpx.get(f"{server.url}/api/v1/namespaces", timeout=5).status_code == 503  # the fault stays

    _write(project / "scenarios.yaml", "faults: []\n")
    _wait_for(lambda: httpx.get(f"{server.url}/api/v1/namespaces", timeout=5).status_code == 200,
              "the fault's end", server)


def test_an_edited_settings_file_applies_its_fixtures_and_names_what_needs_a_restart(project: Path,
                                                                                     server: Server) -> None:
    settings = project / "mockingjob.toml"
    _write(settings, settings.read_text().replace('fixtures = ["fixtures"]', 'fixtures = ["other"]'))
    _wait_for(lambda: _namespaces(server) == ["theirs"], "the switch to the other folder", server)

    # The new folder is watched from now on.
    _write(project / "other" / "marquez" / "namespaces.yaml", THEIRS + OURS)
    _wait_for(lambda: _namespaces(server) == ["ours", "theirs"], "the reload of the other folder", server)

    _write(settings, settings.read_text() + "strict = true\n")
    _wait_for(lambda: "take effect at the next start: strict" in server.output, "the warning", server)

    _write(settings, settings.read_text() + "port = \n")  # broken TOML
    _wait_for(lambda: "Settings not reloaded" in server.output, "the refusal", server)
    assert "not valid TOML" in server.output and _namespaces(server) == ["ours", "theirs"]


def test_reload_needs_one_worker(project: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mockingjob", "serve", "--workers", "2", "--state",
                           str(project / "s.db")], cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--reload serves with one worker" in done.stderr
