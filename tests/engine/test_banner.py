"""What ``mockingjob serve`` says once it listens: each API's base URL, Swagger UI and spec, the admin API, the
clock, the store, who may call and the user's fixtures, one line each, after uvicorn's line, once."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path

import httpx
import pytest

from mockingjob.banner import AfterListening, describe
from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from mockingjob.live import LiveServer
from tests.support.processes import Server

pytestmark = pytest.mark.subprocess  # starts real servers


def _banner(output: str) -> list[str]:
    """The banner's lines (uvicorn's ``INFO:`` prefix taken off), from the one after uvicorn's "running on"."""
    lines = [line.removeprefix("INFO:").strip() for line in output.splitlines()]
    start = next(number for number, line in enumerate(lines) if line.startswith("mockingjob is serving"))
    assert lines[start - 1].startswith("Uvicorn running on"), output
    end = next((number for number, line in enumerate(lines[start:], start)  # uvicorn's next line, or a request's
                if line.startswith(("Started", "Waiting", "Application", "Shutting")) or ' - "' in line), len(lines))
    return lines[start:end]


def test_the_banner_tells_where_each_api_is_and_how_the_server_runs(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    server = Server("scale", "marquez", "--speed", "0", "--token", "one", "--token", "two", "--fixtures",
                    str(tmp_path / "mine"), "--cors", "http://localhost:3000", "--latency", "5")
    try:
        output = server.output
        banner = _banner(output)
        assert output.count("mockingjob is serving") == 1
        base = server.url
        assert banner[0] == f"mockingjob is serving 2 APIs at {base}:"
        rows = {line.split()[0]: line.split() for line in banner[1:4]}
        for name in ("scale", "marquez"):
            assert rows[name][1:] == [f"{base}/{name}", "UI", f"{base}/{name}/ui/", "spec",
                                      f"{base}/{name}/openapi.json"]
        assert banner[3].split()[:3] == ["admin", "API", f"{base}/_mockingjob"]
        assert f"UI {base}/_mockingjob/ui/" in banner[3] and banner[3].endswith("(loopback clients only)")
        assert banner[4].split() == ["dashboard", f"{base}/_mockingjob/"]
        assert httpx.get(f"{base}/_mockingjob/").status_code == 200
        assert re.fullmatch(r"clock: stopped at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(speed 0: .*\)", banner[5])
        assert banner[6].startswith("store: in memory")
        assert banner[7] == "auth: 2 API token(s) enforced; admin API: loopback clients only, no token"
        assert banner[8] == f"fixtures: built-in, then {(tmp_path / 'mine').resolve()}"
        assert banner[9] == "faults: latency 5 ms"
        assert banner[10] == "CORS: web pages from http://localhost:3000 may call (not the admin API)"
        assert len(banner) == 11
        assert "one" not in " ".join(banner).split() and "two" not in " ".join(banner).split()
        # Every Swagger UI and spec it gives is there.
        pages = re.findall(r"http://\S+(?:/ui/|/openapi\.json)", " ".join(banner[1:4]))
        assert len(pages) == 6 and all(httpx.get(url).status_code == 200 for url in pages)
        assert httpx.get(f"{base}/marquez/openapi.json").json()["servers"][0]["url"] == "/marquez"
    finally:
        server.stop()


def test_on_every_interface_the_urls_are_ones_to_call(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    server = Server("coalesce", "--host", "0.0.0.0", "--state", str(state), "--speed", "60",
                    env={"MOCKINGJOB_ADMIN_TOKEN": "admin-secret"})
    try:
        banner = _banner(server.output)
        assert not any("0.0.0.0" in line for line in banner)
        assert banner[1].split()[:2] == ["coalesce", server.url]  # at its real paths: 127.0.0.1
        assert banner[2].endswith("(bearer token)")
        assert banner[3].split() == ["dashboard", f"{server.url}/_mockingjob/"]
        assert banner[4] == f"listening on every interface: from other machines, http://{socket.gethostname()}:" \
                            f"{server.port}"
        assert banner[5].startswith("clock: speed 60 (60 times real time), now ")
        assert banner[6] == f"store: SQLite file {state.resolve()}"
        assert banner[7] == "auth: any non-empty API token; admin API: bearer token (--admin-token)"
        assert "admin-secret" not in server.output
    finally:
        server.stop()


def test_several_workers_say_it_once(tmp_path: Path) -> None:
    server = Server("scale", "--workers", "2", "--state", str(tmp_path / "state.sqlite"))
    try:
        assert server.output.count("mockingjob is serving") == 1
        assert _banner(server.output)[1].split()[:2] == ["scale", server.url]
    finally:
        server.stop()


def test_a_database_password_is_masked() -> None:
    mock = MockApp(Config(apis=["scale"], speed=0))
    try:
        mock.config.state = "postgresql+psycopg://me:secretpw@db.example:5432/mock"  # as it was opened
        lines = describe(mock).lines(8080)
    finally:
        mock.close()
    assert "store: postgresql+psycopg://me:***@db.example:5432/mock" in lines
    assert not any("secretpw" in line for line in lines)


def test_the_plugins_in_process_server_says_nothing() -> None:
    with LiveServer(Config(apis=["scale"], speed=0)):
        assert not any(isinstance(handler, AfterListening) for handler in logging.getLogger("uvicorn").handlers)
