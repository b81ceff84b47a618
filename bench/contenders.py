"""The servers under test: how each is started, where each API is served, and waiting until it answers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from operations import APIS, Operation, detail_of
from report import PRISM
from servers import LOOPBACK, SERVER_CPU, Processes, ServerFailed, free_port, wait_ready

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
PRISM_DIR = CACHE / "prism"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"


def mockingjob_command(python: str = sys.executable) -> list[str]:
    """The ``mockingjob`` console script next to `python` (by default this one: the project's venv), else on
    PATH."""
    beside = Path(python).parent / "mockingjob"
    found = str(beside) if beside.exists() else shutil.which("mockingjob")
    if found is None:
        raise SystemExit("mockingjob is not installed: pip install -e . first")
    return [found]


def quiet_serve_options() -> tuple[list[str], str]:
    """Options that turn off uvicorn's per-request access log, if ``mockingjob serve`` has any."""
    help_text = subprocess.run([*mockingjob_command(), "serve", "--help"], capture_output=True, text=True,
                               check=False).stdout
    if "--no-access-log" in help_text:
        return ["--no-access-log"], "access log off (--no-access-log)"
    if "--log-level" in help_text:
        return ["--log-level", "warning"], "access log off (--log-level warning)"
    return [], "access log ON: `mockingjob serve` has no option to turn it off (its stdout goes to /dev/null)"


@dataclass
class RunningServer:
    """A server under test: where each API is served and by which process, and its log names."""

    name: str
    bases: dict[str, str]
    by_api: dict[str, subprocess.Popen[bytes]]
    pinned: bool
    logs: list[str] = field(default_factory=list)

    def url(self, op: Operation) -> str:
        return self.bases[op.api] + op.path

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return list({id(p): p for p in self.by_api.values()}.values())


def prefixed_bases(port: int) -> dict[str, str]:
    """mockingjob with all APIs (and the ceiling) serve each under /<api>."""
    return {api: f"http://{LOOPBACK}:{port}/{api}" for api in APIS}


def wait_all_apis(server: RunningServer, timeout: float = 90.0) -> float:
    """Wait until every API answers its detail GET; return the seconds waited."""
    waited = 0.0
    for api in APIS:
        op = detail_of(api)
        waited += wait_ready(server.by_api[api], server.url(op), op.headers, timeout=timeout,
                             name=f"{server.name} ({api})")
    return waited


def start_mockingjob(processes: Processes, extra: list[str], quiet: list[str], name: str,
                     pin: bool) -> RunningServer:
    port = free_port()
    argv = [*mockingjob_command(), "serve", "--port", str(port), *quiet, *extra]
    log = name.replace(" ", "-")
    process = processes.start(log, argv, cpu=SERVER_CPU if pin else None, cwd=REPO)
    return RunningServer(name, prefixed_bases(port), dict.fromkeys(APIS, process), pin, [log])


def start_prism(processes: Processes, pin: bool) -> RunningServer:
    """One Prism per spec (Prism serves one document per process), all started together, loaded one by one."""
    bases, started = {}, {}
    for api in APIS:
        port = free_port()
        # -v silent: no line per request (Prism logs every request at its default level "info").
        argv = [str(PRISM_BIN), "mock", "-h", LOOPBACK, "-p", str(port), "-v", "silent", f"specs/{api}.yaml"]
        started[api] = processes.start(f"prism-{api}", argv, cpu=SERVER_CPU if pin else None, cwd=REPO)
        bases[api] = f"http://{LOOPBACK}:{port}"
    return RunningServer(PRISM, bases, started, pin, [f"prism-{api}" for api in APIS])


def start_replaying(processes: Processes, name: str, script: str, responses: Path, quiet: bool, loop: str,
                    pin: bool, *extra: str) -> RunningServer:
    """The ceiling or the connexion floor, replaying the answers in `responses`."""
    port = free_port()
    argv = [sys.executable, str(BENCH / script), "--port", str(port), "--responses", str(responses), "--loop", loop,
            *extra, *(["--no-access-log"] if quiet else [])]
    log = name.replace(" ", "-")
    process = processes.start(log, argv, cpu=SERVER_CPU if pin else None, cwd=REPO)
    return RunningServer(name, prefixed_bases(port), dict.fromkeys(APIS, process), pin, [log])


@contextmanager
def running(processes: Processes, start: Callable[[], RunningServer]) -> Iterator[RunningServer]:
    target = start()
    try:
        try:
            print(f"\n{target.name}: ready after {wait_all_apis(target):.1f} s")
        except ServerFailed:
            for log in target.logs:
                print(processes.log_tail(log))
            raise
        yield target
    finally:
        for process in target.processes:
            processes.stop(process)
