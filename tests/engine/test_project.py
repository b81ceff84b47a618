"""A project of a user's own, as a new user makes one: ``mockingjob init``, then check, serve, test and edit it.

The project folder is made by ``init``; its settings file names its fixtures, which ``check``, ``serve`` and the
pytest plugin all find by themselves, from anywhere inside the folder.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from mockingjob.cli import main
from mockingjob.core import registry
from tests.support.processes import Server


def _init(folder: Path, *args: str) -> CliRunner:
    result = CliRunner().invoke(main, ["init", str(folder), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-project"
    _init(folder)
    monkeypatch.chdir(folder)
    return folder


def _records(project: Path, api: str, kind: str) -> list[dict]:
    return yaml.safe_load((project / "fixtures" / api / f"{kind}.yaml").read_text())


def test_init_writes_a_settings_file_and_a_commented_fixture_folder_per_api(project: Path) -> None:
    assert 'fixtures = ["fixtures"]' in (project / "mockingjob.toml").read_text()
    for api in registry.available():
        folder = project / "fixtures" / api
        assert yaml.safe_load((folder / "_fixtures.yaml").read_text()) == {"mode": "replace"}
        for file in folder.glob("*.yaml"):
            if file.name.startswith("_"):
                continue
            first = file.read_text().splitlines()[0]
            schema = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
            assert schema and (file.parent / schema.group(1)).resolve().is_file(), file  # editors find it
            assert yaml.safe_load(file.read_text()) is not None


def test_init_never_overwrites_unless_forced(project: Path) -> None:
    (project / "mockingjob.toml").write_text("port = 9999\n")
    result = CliRunner().invoke(main, ["init", str(project)])
    assert result.exit_code == 2 and "would be overwritten" in result.output and "--force" in result.output
    assert (project / "mockingjob.toml").read_text() == "port = 9999\n"
    _init(project, "--force")
    assert "port = 9999" not in (project / "mockingjob.toml").read_text()


def test_init_of_one_api(tmp_path: Path) -> None:
    _init(tmp_path / "p", "--api", "coalesce")
    assert sorted(p.name for p in (tmp_path / "p" / "fixtures").iterdir()) == ["_schemas", "coalesce"]
    assert 'apis = ["coalesce"]' in (tmp_path / "p" / "mockingjob.toml").read_text()
    assert CliRunner().invoke(main, ["init", str(tmp_path / "q"), "--api", "scael"]).exit_code == 2


def test_the_new_project_checks_and_serves_its_own_data(project: Path) -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert f"(built-in, then {project / 'fixtures'})" in result.output
    server = Server(cwd=project / "fixtures")  # anywhere inside the project
    try:
        jobs = httpx.get(f"{server.url}/scale/v6/jobs/", params={"page_size": 100}).json()
        assert sorted(j["id"] for j in jobs["results"]) == sorted(j["id"] for j in _records(project, "scale", "jobs"))
        namespaces = httpx.get(f"{server.url}/marquez/api/v1/namespaces").json()["namespaces"]
        assert [n["name"] for n in namespaces] == [n["name"] for n in _records(project, "marquez", "namespaces")]
    finally:
        server.stop()


def test_a_broken_edit_is_named_by_check_and_stops_serve(project: Path) -> None:
    jobs = project / "fixtures" / "scale" / "jobs.yaml"
    jobs.write_text(jobs.read_text().replace("  job_type: 1\n", "  job_typ: 1\n", 1))
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(jobs))}: record \d+ \(id \d+\): job_typ: unknown field", result.output)
    done = subprocess.run([sys.executable, "-m", "mockingjob", "serve"], cwd=project, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "job_typ: unknown field" in done.stderr and "Traceback" not in done.stderr


PROJECT_TESTS = '''
import httpx

def test_serves_the_projects_jobs(mockingjob):
    jobs = httpx.get(mockingjob.url("scale") + "/v6/jobs/", params={"page_size": 100}).json()
    assert jobs["count"] == COUNT

def test_seeds_what_it_needs(mockingjob, mockingjob_seed):
    mockingjob_seed("coalesce", runs=[{"id": 700, "runType": "deploy", "environment": "2", "started": "-PT1M"}])
    runs = httpx.get(mockingjob.url("coalesce") + "/api/v1/runs", params={"limit": 100},
                     headers={"Authorization": "Bearer t"}).json()["data"]
    assert 700 in [run["id"] for run in runs]

def test_and_the_next_test_has_the_project_data_again(mockingjob):
    runs = httpx.get(mockingjob.url("coalesce") + "/api/v1/runs", params={"limit": 100},
                     headers={"Authorization": "Bearer t"}).json()["data"]
    assert 700 not in [run["id"] for run in runs] and len(runs) == RUNS
'''


def test_the_projects_tests_run_on_its_data_and_seed_from_a_test(project: Path, pytester: pytest.Pytester) -> None:
    for item in project.iterdir():
        target = pytester.path / item.name
        if item.is_dir():
            import shutil

            shutil.copytree(item, target)
        else:
            target.write_text(item.read_text())
    tests = PROJECT_TESTS.replace("COUNT", str(len(_records(project, "scale", "jobs"))))
    tests = tests.replace("RUNS", str(len(_records(project, "coalesce", "runs"))))
    pytester.makepyfile(test_project=tests)
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
