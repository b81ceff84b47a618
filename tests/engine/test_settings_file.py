"""A project's settings file: ``mockingjob.toml`` or ``[tool.mockingjob]`` in ``pyproject.toml``.

Found from the working directory up, or named with ``--config``; the command line wins over ``MOCKINGJOB_*``
variables, which win over the file, which wins over the defaults; ``serve --print-config`` shows the result,
where each value came from, and no secret.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockingjob.cli import main
from mockingjob.core.config import Config


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    calls: list[Config] = []
    monkeypatch.setattr("mockingjob.cli.run", lambda config, watch=None: calls.append(config))
    return calls


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding a settings file, with the working directory in a sub-folder of it."""
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "scenarios.yaml").write_text("scenarios: []\n")
    (tmp_path / "mockingjob.toml").write_text(
        'apis = ["scale", "coalesce"]\nport = 9001\nspeed = 60\nfixtures = ["fixtures"]\n'
        'scenarios = "scenarios.yaml"\nerror-rate = 0.25\nstrict = true\nmax-body = "1MB"\n')
    (tmp_path / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "deep")
    for variable in ("MOCKINGJOB_CONFIG", "MOCKINGJOB_PORT", "MOCKINGJOB_SERVE_PORT"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def test_the_nearest_settings_file_sets_every_option(served: list[Config], project: Path) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    config = served[0]
    assert (config.apis, config.port, config.speed, config.error_rate, config.strict, config.max_body) == (
        ["scale", "coalesce"], 9001, 60.0, 0.25, True, 1024 * 1024)
    # Paths are the file's, wherever the command runs in the project.
    assert config.fixtures == [str(project / "fixtures")]
    assert config.scenarios_file == str(project / "scenarios.yaml")


def test_the_command_line_wins_then_the_environment_then_the_file(served: list[Config], project: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "marquez", "--port", "9003"],
                                env={"MOCKINGJOB_PORT": "9002", "MOCKINGJOB_SPEED": "0"})
    assert result.exit_code == 0, result.output
    config = served[0]
    assert (config.apis, config.port, config.speed, config.error_rate) == (["marquez"], 9003, 0.0, 0.25)


def test_the_earlier_environment_names_still_work(served: list[Config], project: Path) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_SERVE_PORT": "9004",
                                                      "MOCKINGJOB_ERROR_RATE": "0.5"})
    assert result.exit_code == 0, result.output
    assert (served[0].port, served[0].error_rate) == (9004, 0.5)


def test_pyproject_tool_table_counts_and_mockingjob_toml_comes_first(served: list[Config], tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.mockingjob]\nport = 9010\n'
                                             'access_log = false\n')
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert (served[-1].port, served[-1].access_log) == (9010, False)
    (tmp_path / "mockingjob.toml").write_text("port = 9011\n")
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert served[-1].port == 9011


def test_a_pyproject_without_the_table_is_passed_over(served: list[Config], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mockingjob.toml").write_text("port = 9020\n")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    monkeypatch.chdir(tmp_path / "inner")
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert served[-1].port == 9020


def test_config_names_the_file(served: list[Config], project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("elsewhere") / "ci.toml"
    other.write_text("port = 9030\nstate = 'state.db'\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(other)])
    assert result.exit_code == 0, result.output
    assert served[0].port == 9030 and served[0].apis == []  # the project's file is not read at all
    assert served[0].state == str(other.parent / "state.db")
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_CONFIG": str(other)})
    assert served[1].port == 9030


@pytest.mark.parametrize(("text", "message"), [
    ("portt = 1\n", "portt: not a setting (did you mean 'port'?)"),
    ('port = "abc"\n', "port: 'abc' is not a valid integer"),
    ("speed = -1\n", "speed:"),
    ('mount = "sideways"\n', "mount:"),
    ("port = \n", "not valid TOML"),
    ("port = 1\nport-x = 2\n", "port-x: not a setting"),
    ("error_rate = 0.1\nerror-rate = 0.2\n", "set twice"),
    ('latency = "abc"\n', "latency: expected milliseconds (150) or a range (100..300), not 'abc'"),
    ('apis = ["scale", "airflow"]\n', "apis: unknown API 'airflow'; choose from"),
])
def test_a_broken_settings_file_is_refused_in_one_line(served: list[Config], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, text: str,
                                                        message: str) -> None:
    (tmp_path / "mockingjob.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert served == []


def test_a_missing_config_file_is_refused(served: list[Config], project: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--config", "nowhere.toml"])
    assert result.exit_code == 2 and "--config nowhere.toml: no such file" in result.output


def test_print_config_shows_each_value_and_where_it_came_from(served: list[Config], project: Path) -> None:
    (project / "mockingjob.toml").write_text(
        (project / "mockingjob.toml").read_text()
        + 'admin-token = "file-admin-secret"\nstate = "postgresql+psycopg://me:db-secret@db/mj"\n')
    result = CliRunner().invoke(main, ["serve", "--print-config", "--host", "0.0.0.0"],
                                env={"MOCKINGJOB_TOKEN": "env-secret", "MOCKINGJOB_SPEED": "0"})
    assert result.exit_code == 0, result.output
    assert served == []  # printed, not served
    text = result.output
    for secret in ("file-admin-secret", "db-secret", "env-secret"):
        assert secret not in text
    lines = {line.split("=")[0].strip().lstrip("# "): line for line in text.splitlines() if "=" in line}
    source = str(project / "mockingjob.toml")
    assert lines["host"].endswith("# command line")
    assert lines["speed"].endswith("# environment: MOCKINGJOB_SPEED")
    assert lines["token"].endswith("# environment: MOCKINGJOB_TOKEN")
    assert lines["port"].endswith(f"# {source}") and lines["admin-token"].endswith(f"# {source}")
    assert lines["workers"].endswith("# default")
    assert lines["latency"].startswith("# latency =") and lines["latency"].endswith("# default: not set")
    # What it prints is TOML a settings file can hold (the secrets masked).
    parsed = tomllib.loads(text)
    assert parsed["port"] == 9001 and parsed["host"] == "0.0.0.0" and parsed["fixtures"] == [
        str(project / "fixtures")]
    assert parsed["state"] == "postgresql+psycopg://me:***@db/mj"


def test_check_reads_the_apis_and_fixtures_of_the_settings_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fixtures" / "scale").mkdir(parents=True)
    (tmp_path / "fixtures" / "scale" / "nodes.yaml").write_text(
        "- {id: 70, hostname: ours.example.org, created: -P1D, last_modified: -P1D}\n")
    (tmp_path / "mockingjob.toml").write_text('apis = ["scale"]\nfixtures = ["fixtures"]\nport = 1234\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert f"OK: scale: specs, handlers and fixtures (built-in, then {tmp_path / 'fixtures'})" in result.output
    (tmp_path / "fixtures" / "scale" / "nodes.yaml").write_text("- {id: 70}\n")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1 and "hostname" in result.output


def test_the_apis_can_come_from_the_environment(served: list[Config], project: Path) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_APIS": "marquez trifacta"})
    assert result.exit_code == 0, result.output
    assert served[0].apis == ["marquez", "trifacta"]


def test_print_config_says_what_an_unset_setting_means(served: list[Config], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = CliRunner().invoke(main, ["serve", "--print-config"]).output
    assert "# default: not set (1, or the speed of the clock a state file kept)" in text
    assert "# default: not set (in memory)" in text and "no settings file" in text


def test_check_prints_each_problem_of_a_folder_on_its_own_line(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fixtures" / "scale").mkdir(parents=True)
    (tmp_path / "fixtures" / "scale" / "jobs.yaml").write_text(
        "- {id: 900, job_type: 999, event: 1, attempts: [{queued: -P1D}]}\n"
        "- {id: 901, job_type: 998, event: 1, attempts: [{queued: -P1D}]}\n")
    (tmp_path / "fixtures" / "scale" / "jobs.yaml~").write_text("an editor's backup: not a fixture file\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "scale", "--fixtures", "fixtures"])
    assert result.exit_code == 1
    jobs = Path("fixtures") / "scale" / "jobs.yaml"
    assert result.output.splitlines() == [
        f"FAIL scale: {jobs}: record 1 (id 900): job_type: no job type 999 among the fixtures",
        f"FAIL scale: {jobs}: record 2 (id 901): job_type: no job type 998 among the fixtures",
        "2 problem(s) found",
    ]
