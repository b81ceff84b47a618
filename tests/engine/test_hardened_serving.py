"""`mockingjob serve` under what real networks and operators do to it: silent and slow connections, secrets in
URLs, worker processes signalled or orphaned, replicas started together. Each test starts real processes."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server, free_port

pytestmark = pytest.mark.subprocess

SCALE = {"Authorization": "Token t"}


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` within `seconds` (whatever it sent before closing)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def test_a_connection_that_sends_no_headers_or_body_in_time_is_closed() -> None:
    server = Server("scale", "--header-timeout", "1")
    try:
        silent = socket.create_connection(("127.0.0.1", server.port))
        trickling = socket.create_connection(("127.0.0.1", server.port))
        trickling.sendall(b"GET /v6/jobs/ HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for _ in range(4):  # a byte now and then keeps no connection open past the limit
            time.sleep(0.3)
            try:
                trickling.sendall(b"X")
            except OSError:
                break
        with silent, trickling:
            assert _closed_within(silent, 3) and _closed_within(trickling, 3)
        assert time.monotonic() - started < 4
        # A body that stops coming is no different.
        with socket.create_connection(("127.0.0.1", server.port)) as stalled:
            stalled.sendall(b"POST /v6/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token t\r\n"
                            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            assert _closed_within(stalled, 3)
        # A slow but steady one is read.
        body = b'{"job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {}}}'
        with socket.create_connection(("127.0.0.1", server.port)) as steady:
            steady.sendall(b"POST /v6/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token t\r\nContent-Type: "
                           b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            for start in range(0, len(body), 20):
                steady.sendall(body[start:start + 20])
                time.sleep(0.6)  # 2.4 s in all, each piece within the second
            steady.settimeout(5)
            assert steady.recv(100).startswith(b"HTTP/1.1 201")
        # Meanwhile, and afterwards, everyone else is served.
        assert httpx.get(f"{server.url}/v6/jobs/", headers=SCALE).status_code == 200
    finally:
        server.stop()


def test_an_idle_connection_is_kept_for_the_keep_alive_time_then_closed() -> None:
    server = Server("scale", "--keep-alive", "2")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/v6/jobs/?page_size=1", headers={"Authorization": "Token t"})
        assert connection.getresponse().read() and connection.sock is not None
        first = connection.sock
        time.sleep(1)  # idle, but within the keep-alive time: the same connection serves again
        connection.request("GET", "/v6/jobs/?page_size=1", headers={"Authorization": "Token t"})
        answer = connection.getresponse()
        assert answer.status == 200 and answer.read()
        assert connection.sock is first
        assert _closed_within(first, 4)
    finally:
        connection.close()
        server.stop()


def test_secrets_in_a_query_string_are_redacted_in_the_access_log() -> None:
    server = Server("scale")
    try:
        httpx.get(f"{server.url}/v6/jobs/", params={"token": "s3cr3t-in-url", "api_key": "k3y-in-url",
                                                     "page_size": "1"}, headers=SCALE)
        httpx.get(f"{server.url}/v6/jobs/?password=pa55-in-url", headers=SCALE)
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
        output = server.output
        server.stop()
    lines = [line for line in output.splitlines() if "/v6/jobs/?" in line]
    assert len(lines) == 2, output
    assert "s3cr3t-in-url" not in output and "k3y-in-url" not in output and "pa55-in-url" not in output
    assert "page_size=1" in lines[0] and "token=%5BREDACTED%5D" in lines[0] and "password=%5BREDACTED%5D" in lines[1]


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _workers(server: Server, count: int) -> list[int]:
    """The worker processes of `server` (multiprocessing's resource tracker is not one)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = [pid for pid in _children(server.process.pid)
                   if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()]
        if len(workers) >= count:
            return workers
        time.sleep(0.1)
    raise AssertionError(f"{count} workers did not start: {server.output}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@needs_proc
def test_tokens_reach_workers_neither_in_their_environment_nor_on_a_command_line(tmp_path: Path) -> None:
    server = Server("scale", "--workers", "2", "--state", str(tmp_path / "state.db"),
                    env={"MOCKINGJOB_TOKEN": "tok-only-in-memory", "MOCKINGJOB_ADMIN_TOKEN": "admin-in-memory"})
    try:
        for pid in [server.process.pid, *_workers(server, 2)]:
            for what in ("cmdline", "environ"):
                seen = Path(f"/proc/{pid}/{what}").read_bytes()
                if pid == server.process.pid and what == "environ":
                    continue  # the parent's start-up environment is what its own caller gave it
                assert b"tok-only-in-memory" not in seen and b"admin-in-memory" not in seen, (pid, what)
                assert b"MOCKINGJOB_CONFIG" not in seen
        # ...and yet every worker holds them.
        for _ in range(6):  # writes need the token (Scale lets anyone read)
            cancel = f"{server.url}/v6/jobs/cancel/"
            assert httpx.post(cancel, json={"job_ids": [1]},
                              headers={"Authorization": "Token tok-only-in-memory"}).status_code == 202
            assert httpx.post(cancel, json={"job_ids": [1]}, headers=SCALE).status_code == 403
    finally:
        server.stop()


@needs_proc
def test_workers_die_with_their_parent_and_the_port_is_free_again(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    server = Server("scale", "--workers", "2", "--state", state)
    workers = _workers(server, 2)
    server.process.kill()
    server.process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), server.output
    server.log.close()
    again = Server("scale", "--workers", "2", "--state", state, port=server.port)  # "address already in use"?
    try:
        assert httpx.get(f"{again.url}/v6/jobs/", headers=SCALE).status_code == 200
    finally:
        again.stop()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_signal_lets_requests_in_flight_finish_and_exits_as_one_worker_would(
        tmp_path: Path, workers: int, stop: signal.Signals) -> None:
    server = Server("scale", "--workers", str(workers), "--state", str(tmp_path / "state.db"), "--latency", "1500")
    answers: list[int | str] = []

    def ask() -> None:
        try:
            answers.append(httpx.get(f"{server.url}/v6/jobs/", headers=SCALE, timeout=20).status_code)
        except httpx.HTTPError as exc:
            answers.append(repr(exc))

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for asker in askers:
        asker.start()
    time.sleep(0.6)  # every request is in flight, waiting out its latency
    server.process.send_signal(stop)
    for asker in askers:
        asker.join(timeout=30)
    code = server.process.wait(timeout=30)
    output = server.output
    server.stop()
    assert answers == [200] * 6, output
    assert code == -signal.SIGTERM, output


def test_two_replicas_started_together_on_an_empty_store_both_serve(tmp_path: Path) -> None:
    state = str(tmp_path / "fresh.db")
    servers: list[Server] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            servers.append(Server("scale", "--state", state))
        except BaseException as exc:  # reported below
            errors.append(exc)

    for _ in range(3):  # the race is narrow: try it more than once, on a new file each time
        starters = [threading.Thread(target=start) for _ in range(2)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        try:
            assert not errors, errors
            totals = {httpx.get(f"{s.url}/v6/jobs/", headers=SCALE).json()["count"] for s in servers}
            assert len(totals) == 1  # seeded once: both see the same jobs
        finally:
            for server in servers:
                server.stop()
        servers.clear()
        state = str(tmp_path / f"fresh-{time.monotonic_ns()}.db")


def test_an_empty_token_from_the_environment_or_the_command_line_is_refused_at_start() -> None:
    port = str(free_port())
    result = subprocess.run([sys.executable, "-m", "mockingjob", "serve", "scale", "--port", port, "--token", ""],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MOCKINGJOB_TOKEN": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: --token must not be empty (an unset shell variable?)"


def test_with_two_workers_the_journal_holds_an_exchange_as_soon_as_its_answer_arrives(tmp_path: Path) -> None:
    server = Server("scale", "--workers", "2", "--state", str(tmp_path / "state.db"))
    try:
        with httpx.Client(base_url=server.url) as api, httpx.Client(base_url=server.url) as admin:
            for index in range(40):
                mark = admin.get("/_mockingjob/journal", params={"limit": 1}).json()["entries"]
                since = mark[0]["id"] if mark else 0
                api.get("/v6/jobs/", params={"page_size": 1, "page": 1},
                        headers={"X-Auth-Token": f"new-token-{index:03d}-abcdef"})
                seen = admin.get("/_mockingjob/journal", params={"since": since}).json()["entries"]
                assert len(seen) == 1, (index, seen)
    finally:
        server.stop()
