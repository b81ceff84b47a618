"""`mockingjob serve` turns its options (or MOCKINGJOB_* variables) into a Config; nothing is started here."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mockingjob.cli import main, run
from mockingjob.core.config import Config
from mockingjob.http.app import WorkerApp
from mockingjob.http.server import HttpProtocol


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    calls: list[Config] = []
    monkeypatch.setattr("mockingjob.cli.run", lambda config, watch=None: calls.append(config))
    return calls


def test_defaults_serve_every_api_on_loopback_8080(served: list[Config]) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert served == [Config(apis=[], host="127.0.0.1", port=8080, state=None, workers=1, speed=None, tokens=[])]


def test_every_option_reaches_the_config(served: list[Config]) -> None:
    result = CliRunner().invoke(main, [
        "serve", "scale", "--host", "0.0.0.0", "--port", "9000", "--state", "s.db", "--workers", "2",
        "--speed", "60", "--token", "a", "--token", "b", "--validate-responses", "--mount", "prefix",
    ])
    assert result.exit_code == 0, result.output
    assert served == [Config(apis=["scale"], host="0.0.0.0", port=9000, state="s.db", workers=2, speed=60.0,
                             tokens=["a", "b"], validate_responses=True, mount="prefix")]


def test_options_can_come_from_the_environment(served: list[Config]) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_SERVE_PORT": "9100",
                                                      "MOCKINGJOB_SERVE_SPEED": "0"})
    assert result.exit_code == 0, result.output
    assert served[0].port == 9100 and served[0].speed == 0.0


@pytest.mark.parametrize(("args", "message"), [
    (["--speed", "-1"], "--speed"),
    (["--port", "70000"], "--port"),
    (["--workers", "0"], "--workers"),
    (["--mount", "sideways"], "--mount"),
    (["--token", ""], "--token"),
    (["--token", "good", "--token", " "], "--token"),
    (["--admin-token", ""], "--admin-token"),
])
def test_bad_options_are_refused_before_anything_starts(served: list[Config], args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2 and message in result.output
    assert served == []


def test_an_unusable_state_store_is_a_clear_error_without_its_password(tmp_path: object) -> None:
    result = CliRunner().invoke(main, ["serve", "scale", "--state", "/nonexistent/dir/state.db"])
    assert result.exit_code == 1
    assert "cannot open the state store /nonexistent/dir/state.db: unable to open database file" in result.output
    result = CliRunner().invoke(main, ["serve", "scale", "--state", "postgresql+psycopg://me:secretpw@127.0.0.1:1/db"])
    assert result.exit_code == 1
    assert "cannot open the state store postgresql+psycopg://me:***@127.0.0.1:1/db" in result.output
    assert "secretpw" not in result.output


def test_the_access_log_is_on_unless_turned_off(served: list[Config]) -> None:
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--no-access-log"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--access-log"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_SERVE_ACCESS_LOG": "false"}).exit_code == 0
    assert [config.access_log for config in served] == [True, False, True, False]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("access_log", [True, False])
def test_uvicorn_is_told_whether_to_log_each_request(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     workers: int, access_log: bool) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda _app, **options: started.append(options))
    monkeypatch.setattr("mockingjob.http.server.serve_workers",
                        lambda config: started.append({"access_log": config.access_log, "workers": config.workers,
                                                       "loop": config.loop, "http": config.http}))
    run(Config(apis=["marquez"], state=str(tmp_path / "state.sqlite"), workers=workers, access_log=access_log,
               header_timeout=3))
    assert len(started) == 1
    assert started[0]["access_log"] is access_log
    assert started[0].get("workers", 1) == workers
    # The same loop and protocol for one worker or several (see mockingjob.http.server).
    assert started[0]["loop"] == "asyncio"
    assert isinstance(started[0]["http"], HttpProtocol) and started[0]["http"].header_timeout == 3


def test_workers_get_their_config_with_uvicorns_not_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    handed: list[Any] = []
    monkeypatch.setattr("mockingjob.http.server.serve_workers", handed.append)
    monkeypatch.setenv("MOCKINGJOB_TOKEN", "env-secret")
    result = CliRunner().invoke(main, ["serve", "scale", "--state", str(tmp_path / "s.db"), "--workers", "2"])
    assert result.exit_code == 0, result.output
    factory = handed[0].app
    assert isinstance(factory, WorkerApp)
    # What a worker process receives, over the pipe that starts it (spawn pickles uvicorn's config).
    received = pickle.loads(pickle.dumps(factory))
    assert received.config.tokens == ["env-secret"] and received.config.workers == 2
    import os

    assert not any("env-secret" in value for value in os.environ.values())


def test_the_event_loop_is_asyncio_unless_chosen(served: list[Config]) -> None:
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--loop", "uvloop"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve"], env={"MOCKINGJOB_SERVE_LOOP": "auto"}).exit_code == 0
    assert [config.loop for config in served] == ["asyncio", "uvloop", "auto"]
    result = CliRunner().invoke(main, ["serve", "--loop", "trio"])
    assert result.exit_code == 2 and "--loop" in result.output


def test_the_server_collects_garbage_while_it_serves_and_gives_the_collector_back(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Start-up runs without the cyclic collector (see cli._collector_paused); serving must not.
    import gc

    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr("uvicorn.run", lambda _app, **_options: seen.append((gc.isenabled(), gc.get_freeze_count())))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    run(Config(apis=["marquez"], state=str(tmp_path / "state.sqlite")))
    enabled, frozen = seen[0]
    assert enabled and frozen > 10_000  # what start-up made is kept out of the collections while serving
    assert gc.isenabled() and gc.get_freeze_count() == 0
    result = CliRunner().invoke(main, ["serve", "scale", "--state", "/nonexistent/dir/state.db"])
    assert result.exit_code == 1 and gc.isenabled() and gc.get_freeze_count() == 0


@pytest.mark.parametrize("variable", ["MOCKINGJOB_TOKEN", "MOCKINGJOB_SERVE_TOKEN", "MOCKINGJOB_SERVE_TOKENS"])
def test_tokens_from_any_documented_variable_are_taken_and_then_removed(served: list[Config], variable: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv(variable, "first second")
    monkeypatch.setenv("MOCKINGJOB_SERVE_ADMIN_TOKEN", "admin-secret")
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert served[0].tokens == ["first", "second"] and served[0].admin_token == "admin-secret"
    assert variable not in os.environ and "MOCKINGJOB_SERVE_ADMIN_TOKEN" not in os.environ
