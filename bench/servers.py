"""Starting, watching and stopping the benchmarked server processes, and talking to them over HTTP."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
SERVER_CPU = 0
LOAD_CPU = 1


class ServerFailed(RuntimeError):
    """A server exited or never answered."""


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    location: str | None
    body: bytes


def free_port() -> int:
    """A port nothing listens on right now (loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def can_pin() -> bool:
    """Pinning the server and the load generator apart needs taskset and two usable CPUs."""
    return shutil.which("taskset") is not None and {SERVER_CPU, LOAD_CPU} <= os.sched_getaffinity(0)


def pinned(argv: Sequence[str], cpu: int | None) -> list[str]:
    return list(argv) if cpu is None else ["taskset", "-c", str(cpu), *argv]


def request(method: str, url: str, headers: dict[str, str] | None = None, body: str | None = None,
            timeout: float = 30.0) -> Reply:
    """One HTTP request on a fresh connection."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or LOOPBACK, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=None if body is None else body.encode(), headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.getheader("Content-Type", ""), response.getheader("Location"),
                     response.read())
    finally:
        conn.close()


@dataclass
class Processes:
    """Every process the benchmark started, each in its own process group so that its children stop with it."""

    log_dir: Path
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], *, cpu: int | None = None,
              cwd: Path | None = None) -> subprocess.Popen[bytes]:
        # Servers' stdout (access logs, Prism's request log) is dropped so that a full pipe never stalls them;
        # stderr goes to a file shown when a server fails.
        log = (self.log_dir / f"{name}.log").open("wb")
        try:
            process = subprocess.Popen(pinned(argv, cpu), stdout=subprocess.DEVNULL, stderr=log,
                                       stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        finally:
            log.close()
        self.running.append(process)
        return process

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM to the process (uvicorn's supervisor stops and reaps its workers itself), then to whatever
        is left of its group, then SIGKILL."""
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _group_alive(process.pid):
                break
            _signal_group(process.pid, sig)
            _wait_group_gone(process.pid, 5.0)
        if process.poll() is None:
            process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_group_gone(pgid: int, timeout: float) -> None:
    """Worker children may outlive their supervisor by a moment; give them that moment."""
    deadline = time.monotonic() + timeout
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def wait_ready(process: subprocess.Popen[bytes], url: str, headers: dict[str, str] | None = None,
               timeout: float = 60.0, name: str = "server") -> float:
    """Poll `url` until it answers 200; return the seconds waited. Fails fast if the process exits."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise ServerFailed(f"{name} exited with code {process.returncode} before answering")
        try:
            if request("GET", url, headers, timeout=2.0).status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise ServerFailed(f"{name} did not answer 200 at {url} within {timeout:.0f} s")


def serving_pids(pid: int) -> list[int]:
    """The processes that serve requests: the children of `pid` if it spawned workers, else `pid` itself."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children_file = task / "children"
        if children_file.exists():
            children += [int(c) for c in children_file.read_text().split()]
    return children or [pid]


def rss_mib(pid: int) -> float:
    """Resident set size of `pid` in MiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ServerFailed(f"no VmRSS for pid {pid}")
