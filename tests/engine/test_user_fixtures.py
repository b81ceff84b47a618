"""Your own data: ``serve --fixtures DIR`` and ``check --fixtures DIR``.

A project keeps its fixtures in a folder shaped like the built-in ``fixtures/``: a sub-folder per API, files of
the same names. Here Scale's are extended (a node replaced by id, a node and an error added) and Marquez's
replaced (``_fixtures.yaml``: ``mode: replace``): served in process and by a real ``mockingjob serve``, reset
back to them, checked, and refused in one line each when broken.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from mockingjob.check import run_checks
from mockingjob.cli import main
from mockingjob.core.config import Config
from mockingjob.core.errors import FixtureError
from mockingjob.core.fixtures import load_fixtures, read_user_fixtures, seeding
from mockingjob.core.resources import fixtures_dir
from mockingjob.http.app import MockApp
from tests.support import EPOCH, at
from tests.support.processes import Server

SCALE_NODES = """\
- {id: 2, hostname: our-node.example.org, pause_reason: null, is_paused: false, is_active: true, deprecated: null,
  created: -P5D, last_modified: -P1D}
- {id: 10, hostname: our-extra-node.example.org, pause_reason: null, is_paused: false, is_active: true,
  deprecated: null, created: -P2D, last_modified: -P2D}
"""
SCALE_ERRORS = """\
- {id: 20, name: our-error, title: Our Error, description: Something of ours broke, job_type_name: null,
  category: DATA, is_builtin: false, should_be_retried: false, created: -P10D, last_modified: -P10D}
"""
MARQUEZ_NAMESPACES = """\
- {name: our-team, owner: us, description: Only ours., created: -P3D}
"""


def _project(root: Path) -> Path:
    """``root/fixtures``: Scale extended, Marquez replaced."""
    folder = root / "fixtures"
    (folder / "scale").mkdir(parents=True)
    (folder / "scale" / "nodes.yaml").write_text(SCALE_NODES)
    (folder / "scale" / "errors.yaml").write_text(SCALE_ERRORS)
    (folder / "marquez").mkdir()
    (folder / "marquez" / "_fixtures.yaml").write_text("mode: replace\n")
    (folder / "marquez" / "namespaces.yaml").write_text(MARQUEZ_NAMESPACES)
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _project(tmp_path_factory.mktemp("project"))


def _nodes(client: object, prefix: str = "/scale") -> dict[int, dict[str, object]]:
    body = client.get(f"{prefix}/v6/nodes/").json()  # type: ignore[attr-defined]
    return {node["id"]: node for node in body["results"]}


def _namespaces(client: object, prefix: str = "/marquez") -> list[str]:
    body = client.get(f"{prefix}/api/v1/namespaces").json()  # type: ignore[attr-defined]
    return [ns["name"] for ns in body["namespaces"]]


# --- served in process --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mock(project: Path) -> object:
    served = MockApp(Config(apis=["scale", "marquez"], speed=0, validate_responses=True, fixtures=[str(project)]))
    yield served
    served.close()


def test_an_extended_api_serves_the_built_in_records_with_ours_over_them(mock: MockApp) -> None:
    mock.reset(control=True, at=EPOCH)
    with mock.asgi.test_client() as client:
        nodes = _nodes(client)
        assert sorted(nodes) == [1, 2, 3, 4, 10]  # built-in 1-4, ours 10
        assert nodes[2]["hostname"] == "our-node.example.org"  # the same id: ours replaces the built-in one
        assert nodes[1]["hostname"] == "node-a.scale.example.domain"
        assert at(str(nodes[10]["created"])) == EPOCH - timedelta(days=2)  # times relative to the seeding
        errors = {e["name"] for e in client.get("/scale/v6/errors/?page_size=100").json()["results"]}
        assert {"our-error", "unknown", "invalid-input"} <= errors


def test_a_replaced_api_serves_only_our_records(mock: MockApp) -> None:
    mock.reset(control=True, at=EPOCH)
    with mock.asgi.test_client() as client:
        assert _namespaces(client) == ["our-team"]
        # A file left out of a replaced API means no records of that kind.
        assert client.get("/marquez/api/v1/jobs").json()["totalCount"] == 0


def test_a_reset_returns_to_our_records(mock: MockApp) -> None:
    mock.reset(control=True, at=EPOCH)
    with mock.asgi.test_client() as client:
        created = client.put("/marquez/api/v1/namespaces/scratch", json={"ownerName": "me"})
        assert created.status_code == 200, created.text
        paused = client.patch("/scale/v6/nodes/10/", json={"is_paused": True, "pause_reason": "x"},
                              headers={"Authorization": "Token t"})
        assert paused.status_code in (200, 204), paused.text
        assert "scratch" in _namespaces(client) and _nodes(client)[10]["is_paused"] is True
        assert client.post("/_mockingjob/reset", json={}).status_code == 200
        assert _namespaces(client) == ["our-team"]
        assert _nodes(client)[10]["is_paused"] is False and _nodes(client)[2]["hostname"] == "our-node.example.org"
    mock.reset("marquez")  # one API's reset too
    with mock.asgi.test_client() as client:
        assert _namespaces(client) == ["our-team"]


def test_folders_apply_in_order(project: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    (later / "scale").mkdir(parents=True)
    (later / "scale" / "nodes.yaml").write_text(SCALE_NODES.replace("our-extra-node", "later-node"))
    (later / "marquez").mkdir()  # extends the replaced records of the first folder
    (later / "marquez" / "namespaces.yaml").write_text(MARQUEZ_NAMESPACES.replace("our-team", "their-team"))
    served = MockApp(Config(apis=["scale", "marquez"], speed=0, fixtures=[str(project), str(later)]))
    try:
        with served.asgi.test_client() as client:
            assert _nodes(client)[10]["hostname"] == "later-node.example.org"
            assert _namespaces(client) == ["our-team", "their-team"]
    finally:
        served.close()


def test_an_api_without_a_sub_folder_keeps_its_built_in_records(project: Path) -> None:
    served = MockApp(Config(apis=["coalesce"], speed=0, fixtures=[str(project)]))
    plain = MockApp(Config(apis=["coalesce"], speed=0))
    try:
        served.reset(control=True, at=EPOCH)
        plain.reset(control=True, at=EPOCH)
        headers = {"Authorization": "Bearer t"}
        with served.asgi.test_client() as ours, plain.asgi.test_client() as theirs:
            assert ours.get("/api/v1/environments", headers=headers).json() == \
                theirs.get("/api/v1/environments", headers=headers).json()
    finally:
        served.close()
        plain.close()


# --- the kit: packs read merged records without knowing ---------------------------------------------------

def test_load_fixtures_merges_only_while_the_pack_seeds_from_its_own_folder(project: Path) -> None:
    user = read_user_fixtures([project], {"scale": ["nodes", "errors", "jobs"]}, ["scale", "marquez"])
    assert user.problems == []
    own = fixtures_dir() / "scale"
    built_in = load_fixtures(own, ["nodes", "jobs"])
    with seeding("scale", own, user.layers["scale"]):
        merged = load_fixtures(own, ["nodes", "jobs"])
        elsewhere = load_fixtures(fixtures_dir() / "marquez", ["namespaces"])  # another folder: untouched
    assert [n["id"] for n in merged["nodes"]] == [1, 2, 3, 4, 10]
    assert merged["jobs"] == built_in["jobs"]  # no file of ours: the built-in records
    assert [n["name"] for n in elsewhere["namespaces"]] == ["default", "food_delivery", "ml-platform"]
    assert load_fixtures(own, ["nodes"]) == {"nodes": built_in["nodes"]}  # after seeding: the built-in ones


def test_every_file_of_ours_is_held_to_its_kind_s_schema(tmp_path: Path) -> None:
    project = _project(tmp_path)
    nodes = project / "scale" / "nodes.yaml"
    nodes.write_text(nodes.read_text().replace("hostname: our-node.example.org", "hostnme: our-node.example.org"))
    user = read_user_fixtures([project], {"scale": ["nodes", "errors"]}, ["scale", "marquez"])
    problems = [str(p) for p in user.problems]
    assert problems == [f"{nodes}: record 1 (id 2): hostname: missing (required)",
                        f"{nodes}: record 1 (id 2): hostnme: unknown field (did you mean 'hostname'?)"]
    assert "scale" not in user.layers  # a file with problems is not served


# --- check --------------------------------------------------------------------------------------------------

def test_check_passes_on_good_data(project: Path) -> None:
    assert run_checks(["scale", "marquez"], [project]) == []
    result = CliRunner().invoke(main, ["check", "scale", "marquez", "--fixtures", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: scale, marquez: ")


# Each: (file under DIR, its text, what its one line says after "DIR/").
BROKEN = {
    "bad YAML": ("scale/nodes.yaml", "- {id: 1, hostname: [\n", "scale/nodes.yaml: not valid YAML: "),
    "not a list": ("scale/nodes.yaml", "id: 1\n", "scale/nodes.yaml: expected a list of records, not a mapping"),
    "not a record": ("scale/nodes.yaml", "- {id: 1}\n- just text\n",
                     "scale/nodes.yaml: record 2: expected a mapping of fields, not a string"),
    "the same id twice": ("scale/errors.yaml", "- {id: 7}\n- {id: 8}\n- {id: 7}\n",
                          "scale/errors.yaml: record 3 (id 7): the same id as record 1"),
    "an unknown file": ("scale/node.yaml", "[]\n", "scale/node.yaml: not a fixture file of scale "
                        "(did you mean 'nodes.yaml'?); the known ones: batches.yaml, errors.yaml"),
    "an unknown API": ("scael/nodes.yaml", "[]\n", "scael: no API is called 'scael' (did you mean 'scale'?)"),
    "a file outside any API": ("nodes.yaml", "[]\n", "nodes.yaml: fixture files go in a sub-folder per API"),
    "a bad mode": ("marquez/_fixtures.yaml", "mode: overwrite\n",
                   "marquez/_fixtures.yaml: mode: 'overwrite' is neither extend nor replace"),
    "an unknown setting": ("marquez/_fixtures.yaml", "replace: true\n",
                           "marquez/_fixtures.yaml: unknown setting 'replace'"),
    "a field the pack needs": ("scale/job_types.yaml", "- {id: 50, name: ours}\n",
                               "scale/job_types.yaml: record 1 (id 50): created: missing (required)"),
    # (A record its schema accepts always yields documents the spec accepts: tests/engine/test_minimal_records.py.)
    "a value the schema refuses": (
        "marquez/jobs.yaml", "- {namespace: our-team, name: j, type: BATCH, created: -P1D, runs: [{id: "
        "6d30fe40-f527-456e-b960-218a256b7200, state: SLEEPING, created: -P1D}]}\n",
        "marquez/jobs.yaml: record 1 (our-team/j): runs[0].state: 'SLEEPING' is not one of"),
    "an error the pack's seed finds": (  # every field right, a reference to a job type that does not exist
        "scale/jobs.yaml", "- {id: 900, job_type: 999, event: 101, priority: 200, input: {json: {}}, created: -P1D,"
        " attempts: [{queued: -P1D, wait: PT1M, run: PT7M30S, outcome: COMPLETED, node: 3}]}\n",
        "DIR/scale/jobs.yaml: record 1 (id 900): job_type: no job type 999 among the fixtures"),
}


def _broken(tmp_path: Path, case: str) -> Path:
    folder = _project(tmp_path)
    name, text, _ = BROKEN[case]
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def _expected(folder: Path, case: str) -> str:
    said = BROKEN[case][2]
    return said.replace("DIR", str(folder)) if "DIR" in said else f"{folder}/{said}"


@pytest.mark.parametrize("case", BROKEN)
def test_check_tells_each_problem_in_one_line_naming_the_file(tmp_path: Path, case: str) -> None:
    folder = _broken(tmp_path, case)
    result = CliRunner().invoke(main, ["check", "scale", "marquez", "--fixtures", str(folder)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[-1].endswith("problem(s) found") and all(line.startswith("FAIL ") for line in lines[:-1])
    assert any(_expected(folder, case) in line for line in lines), result.output
    assert "Traceback" not in result.output


def test_check_tells_every_problem_at_once(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    (folder / "scale" / "nodes.yaml").write_text("- 1\n- 2\n")
    (folder / "scale" / "job_typs.yaml").write_text("[]\n")
    (folder / "nope").mkdir()
    problems = [str(p) for p in run_checks(["scale", "marquez"], [folder])]
    assert len(problems) == 4, problems
    assert problems[0].startswith(f"fixtures: {folder / 'nope'}: no API is called 'nope'")


@pytest.mark.parametrize("case", ["bad YAML", "an unknown file", "a field the pack needs",
                                  "an error the pack's seed finds"])
def test_serve_refuses_a_broken_folder_in_one_line_without_a_traceback(tmp_path: Path, case: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def serving(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr("uvicorn.run", serving)
    folder = _broken(tmp_path, case)
    result = CliRunner().invoke(main, ["serve", "scale", "marquez", "--port", "0", "--fixtures", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert lines and all(line.startswith("Error: ") for line in lines), result.output
    assert any(_expected(folder, case) in line for line in lines), result.output


def test_a_missing_folder_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output
    with pytest.raises(FixtureError, match="nope: no such folder"):
        MockApp(Config(apis=["scale"], fixtures=[str(tmp_path / "nope")]))


def test_folders_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served: list[Config] = []
    monkeypatch.setattr("mockingjob.cli.run", lambda config, watch=None: served.append(config))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    variable = f"{tmp_path / 'a'}:{tmp_path / 'b'}"
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_SERVE_FIXTURES": variable})
    assert result.exit_code == 0, result.output
    assert served[0].fixtures == [str(tmp_path / "a"), str(tmp_path / "b")]


# --- a real server --------------------------------------------------------------------------------------------

@pytest.mark.subprocess
def test_a_real_server_answers_with_our_records_and_resets_to_them(project: Path) -> None:
    server = Server("scale", "marquez", "--fixtures", str(project))
    try:
        with httpx.Client(base_url=server.url) as client:
            assert _nodes(client)[10]["hostname"] == "our-extra-node.example.org"
            assert client.put("/marquez/api/v1/namespaces/scratch", json={"ownerName": "me"}).status_code == 200
            assert client.post("/_mockingjob/reset", json={}).status_code == 200
            assert _namespaces(client) == ["our-team"]
    finally:
        server.stop()


@pytest.mark.subprocess
def test_every_worker_serves_and_resets_to_our_records(project: Path, tmp_path: Path) -> None:
    server = Server("scale", "marquez", "--fixtures", str(project), "--state", str(tmp_path / "state.db"),
                    "--workers", "2")
    try:
        for _ in range(6):  # new connections: each may reach either worker
            with httpx.Client(base_url=server.url) as client:
                assert client.put("/marquez/api/v1/namespaces/scratch", json={"ownerName": "me"}).status_code == 200
                assert client.post("/_mockingjob/reset", json={}).status_code == 200
            with httpx.Client(base_url=server.url) as client:
                assert _namespaces(client) == ["our-team"]
                assert _nodes(client)[2]["hostname"] == "our-node.example.org"
    finally:
        server.stop()


@pytest.mark.subprocess
def test_a_real_serve_refuses_a_broken_folder_without_a_traceback(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "an unknown file")
    done = subprocess.run([sys.executable, "-m", "mockingjob", "serve", "--fixtures", str(folder)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {_expected(folder, 'an unknown file')}"), done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.subprocess
def test_the_pytest_plugin_resets_to_our_records(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makeini(f"[pytest]\nmockingjob_apis = scale marquez\nmockingjob_fixtures = {project}\n")
    pytester.makepyfile(test_client='''
import httpx

def test_one(mockingjob):
    base = mockingjob.url("marquez")
    assert httpx.put(base + "/api/v1/namespaces/scratch", json={"ownerName": "me"}).status_code == 200

def test_two(mockingjob):
    names = [n["name"] for n in httpx.get(mockingjob.url("marquez") + "/api/v1/namespaces").json()["namespaces"]]
    assert names == ["our-team"]
''')
    result = pytester.runpytest_subprocess("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
