"""Compare mockingjob with Prism 5 (mocking the same specs) and a bare Starlette ceiling, on loopback.

    .venv/bin/python bench/compare.py                          # full run, about 25 minutes on 2 cores
    .venv/bin/python bench/compare.py --quick                  # smoke run, about 9 minutes
    .venv/bin/python bench/compare.py --only polling,varied    # some parts only

Measures, in one run: throughput and latency of a list, a detail and a create per API under wrk on every
server; the polling and varied workloads (bench/workloads.py) on the same servers, and mockingjob with its
access log on; mockingjob's cold start with all four APIs; its idle memory; and Scale list latency in stores of
1k, 100k and 1M jobs. Prints Markdown tables and the targets they are judged against; saves the raw figures as
JSON under bench/.cache/. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import load
import report
from contenders import (
    BENCH,
    CACHE,
    PRISM_BIN,
    PRISM_DIR,
    REPO,
    RunningServer,
    mockingjob_command,
    prefixed_bases,
    quiet_serve_options,
    running,
    start_mockingjob,
    start_prism,
    start_replaying,
)
from operations import APIS, OPERATIONS, Operation, detail_of
from report import CEILING, FLOOR1, FLOOR2, FLOOR_OF, MJ1, MJ2, Target, Throughput
from servers import (
    LOAD_CPU,
    LOOPBACK,
    SERVER_CPU,
    Processes,
    ServerFailed,
    can_pin,
    free_port,
    request,
    rss_mib,
    serving_pids,
    wait_ready,
)
from workload_report import labels_of, merged, print_workload_results, workload_document
from workload_runs import WorkloadRun, best_of, run_workloads
from workloads import WORKLOADS, workloads

PRISM_PACKAGE = "@stoplight/prism-cli@5"
SERVE_VENV = CACHE / "serve-venv"
PARTS = ("throughput", *WORKLOADS, "coldstart", "rss", "scaling")
LOADED_PARTS = ("throughput", *WORKLOADS)  # the parts that load Prism too
SCALING_LIST = "/v6/jobs/?status=COMPLETED&job_type_id=2&order=-last_modified&page_size=25"


# --- options --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    duration_s: float
    warmup_s: float
    connections: int
    coldstart_runs: int
    sizes: tuple[int, ...]
    scaling_seconds: float
    parts: tuple[str, ...]
    quick: bool
    pin: bool
    loop: str
    """uvicorn's event loop for mockingjob, the connexion floor and the ceiling alike."""


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description="Compare mockingjob with Prism 5 and a bare Starlette app.")
    parser.add_argument("--duration", type=float, help="seconds of measured load per operation and server "
                        "(default 7; 2 with --quick)")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load before each (default 2; 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--quick", action="store_true", help="short smoke run: shorter loads, 3 cold starts, "
                        "stores of 1k and 10k jobs only")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and wrk to CPUs (pinning "
                        "hurts when other programs keep CPU 0 busy)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="uvicorn's event loop for mockingjob, the connexion floor and the ceiling (default "
                        "asyncio, what `mockingjob serve` uses)")
    parser.add_argument("--only", metavar="PART[,PART]", help=f"run only these parts: {', '.join(PARTS)}")
    parser.add_argument("--sizes", metavar="N[,N]", help="store sizes in jobs for the scaling part "
                        "(default 1000,100000,1000000; 1000,10000 with --quick)")
    args = parser.parse_args(argv)
    parts = tuple(p.strip() for p in args.only.split(",")) if args.only else PARTS
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    default_sizes = "1000,10000" if args.quick else "1000,100000,1000000"
    return Options(
        duration_s=args.duration or (2.0 if args.quick else 7.0),
        warmup_s=args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0),
        connections=args.connections,
        coldstart_runs=3 if args.quick else 5,
        sizes=tuple(int(n) for n in (args.sizes or default_sizes).split(",")),
        scaling_seconds=3.0 if args.quick else 6.0,
        parts=parts,
        quick=args.quick,
        pin=not args.no_pin,
        loop=args.loop,
    )


# --- environment ----------------------------------------------------------------------------------------

def install_prism() -> str:
    """Install Prism 5 under bench/.cache once; return its version."""
    if not PRISM_BIN.exists():
        print(f"Installing {PRISM_PACKAGE} into {PRISM_DIR.relative_to(REPO)} ...", flush=True)
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(PRISM_DIR), PRISM_PACKAGE, "--no-audit", "--no-fund",
                        "--loglevel=error"], check=True)
    return subprocess.run([str(PRISM_BIN), "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def tool_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "not found"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def versions(prism_version: str | None) -> dict[str, str]:
    found = {"python": platform.python_version(), "mockingjob": importlib.metadata.version("mockingjob")}
    for package in ("uvicorn", "starlette", "connexion", "SQLAlchemy"):
        found[package] = importlib.metadata.version(package)
    found["prism"] = prism_version or "not used"
    found["wrk"] = tool_version(["wrk", "-v"]).split(" [")[0].removeprefix("wrk ")
    found["node"] = tool_version(["node", "--version"])
    return found


def print_header(options: Options, found: dict[str, str], pin: bool, log_note: str) -> None:
    print(f"Command: {shlex.join(sys.orig_argv)}")
    print(f"Date: {datetime.now().astimezone().isoformat(timespec='seconds')}")
    load_now = os.getloadavg()
    print(f"CPUs: {os.cpu_count()} ({cpu_model()}); load average at start: "
          + " ".join(f"{x:.2f}" for x in load_now))
    if load_now[0] > 0.5:
        print("WARNING: the machine is busy with other work; the figures will be noisy and lower than on an "
              "idle machine")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    print(f"Load: wrk -t1 -c{options.connections} -d{options.duration_s:g}s --latency after a "
          f"{options.warmup_s:g} s warm-up, one operation and one server at a time")
    if pin:
        print(f"Pinning: single-process servers (mockingjob 1 worker, each Prism, the connexion floor 1 worker, "
              f"the ceiling) on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}; 2-worker servers and their wrk unpinned")
    else:
        print("Pinning: none (--no-pin, or taskset or a second CPU missing)")
    print(f"mockingjob serve: {log_note}; event loop {options.loop} (also for the connexion floor and the "
          "ceiling)")
    print()


# --- checks before loading ------------------------------------------------------------------------------

def precheck(target: RunningServer) -> list[dict[str, Any]]:
    """One request per operation, its status printed; returns what was answered (the ceiling serves it)."""
    captured = []
    for op in OPERATIONS:
        reply = request(op.method, target.url(op), op.headers, op.body)
        flag = "" if 200 <= reply.status < 300 else "   <-- not 2xx: " + reply.body[:160].decode(errors="replace")
        print(f"  {op.label:<17} {op.method:<4} {reply.status} {len(reply.body):>6} B{flag}")
        captured.append(op.captured(reply.status, reply.content_type, reply.location, reply.body))
    return captured


# --- throughput -----------------------------------------------------------------------------------------

def load_settings(options: Options, pin: bool) -> load.LoadSettings:
    """wrk's settings, on the load CPU when `pin` (and the server on the other)."""
    return load.LoadSettings(options.duration_s, options.warmup_s, options.connections, timeout_s=5.0,
                             wrk_cpu=LOAD_CPU if pin else None)


def load_target(target: RunningServer, scripts: dict[str, Path], options: Options,
                pin: bool, operations: tuple[Operation, ...] = OPERATIONS) -> dict[str, load.LoadResult]:
    settings = load_settings(options, pin and target.pinned)
    results = {}
    for op in operations:
        result = load.measure(target.url(op), scripts[op.label], settings)
        results[op.label] = result
        errors = f", non-2xx {report.non_2xx(result)}" if result.non_2xx else ""
        errors += f", socket errors {result.socket_errors}" if result.socket_errors else ""
        p50, p99 = report.latencies(result)
        shown = f"p50 {p50:>6} ms  p99 {p99:>6} ms" if result.requests else "no answers"
        print(f"  {op.label:<17} {result.rps:>8,.0f} req/s  {shown}{errors}", flush=True)
    return results


@dataclass
class ThroughputRun:
    results: Throughput = field(default_factory=dict)
    prechecks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rss_after_load_mb: float | None = None
    failures: dict[str, str] = field(default_factory=dict)


def bench_one(run: ThroughputRun, processes: Processes, start: Callable[[], RunningServer], scripts: dict[str, Path],
              options: Options, pin: bool) -> None:
    """Start a server, check each operation once, load each, stop it; a server that fails is reported and
    skipped so that the others are still measured."""
    name = "?"
    try:
        with running(processes, start) as target:
            name = target.name
            print(f"{name}: one request per operation")
            run.prechecks[name] = precheck(target)
            print(f"{name}: load")
            run.results[name] = load_target(target, scripts, options, pin)
    except (ServerFailed, OSError, RuntimeError) as exc:
        print(f"  FAILED: {exc}")
        run.failures[name] = str(exc)


def bench_side_by_side(run: ThroughputRun, processes: Processes,
                       starts: list[tuple[str, Callable[[], RunningServer]]], scripts: dict[str, Path],
                       options: Options, pin: bool) -> None:
    """The servers started together and loaded in turn, operation by operation, in the order A B then B A, each
    server's figure its better run (`workload_runs.bench_side_by_side` says why)."""
    with contextlib.ExitStack() as stack:
        targets: list[RunningServer] = []
        for name, start in starts:
            try:
                target = stack.enter_context(running(processes, start))
                print(f"{name}: one request per operation")
                run.prechecks[name] = precheck(target)
                targets.append(target)
            except (ServerFailed, OSError, RuntimeError) as exc:
                print(f"  FAILED: {exc}")
                run.failures[name] = str(exc)
        measured: dict[str, dict[str, list[load.LoadResult]]] = {target.name: {} for target in targets}
        for op in OPERATIONS:
            for target in [*targets, *reversed(targets)]:
                print(f"{target.name}:")
                for label, result in load_target(target, scripts, options, pin, (op,)).items():
                    measured[target.name].setdefault(label, []).append(result)
        for name, by_label in measured.items():
            run.results[name] = {label: best_of(results) for label, results in by_label.items()}
        if any(target.name == MJ1 for target in targets):
            mj1 = next(target for target in targets if target.name == MJ1)
            run.rss_after_load_mb = sum(rss_mb(p) for p in serving_pids(mj1.processes[0].pid))


def run_throughput(processes: Processes, options: Options, work: Path, quiet: list[str], pin: bool,
                   with_prism: bool) -> ThroughputRun:
    scripts = load.write_scripts(OPERATIONS, work)
    run = ThroughputRun()
    loop = ["--loop", options.loop]
    state = work / "two-workers.db"
    bench_side_by_side(run, processes, [
        (MJ1, lambda: start_mockingjob(processes, loop, quiet, MJ1, pin)),
        (MJ2, lambda: start_mockingjob(processes, [*loop, "--workers", "2", "--state", str(state)], quiet, MJ2,
                                       False))], scripts, options, pin)
    if with_prism:
        bench_one(run, processes, lambda: start_prism(processes, pin), scripts, options, pin)
    captured = run.prechecks.get(MJ1)
    if captured:
        responses = work / "ceiling-responses.json"
        responses.write_text(json.dumps(captured))
        replay = (responses, bool(quiet), options.loop)
        bench_one(run, processes, lambda: start_replaying(processes, CEILING, "ceiling.py", *replay, pin), scripts,
                  options, pin)
        # connexion alone, answering the same bodies: the most any application on connexion can serve here.
        bench_one(run, processes, lambda: start_replaying(processes, FLOOR1, "connexion_floor.py", *replay, pin),
                  scripts, options, pin)
        bench_one(run, processes, lambda: start_replaying(processes, FLOOR2, "connexion_floor.py", *replay, False,
                                                          "--workers", "2"), scripts, options, pin)
    return run


# --- cold start and memory ------------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    """RSS in MB (10^6 bytes), the unit of the target."""
    return rss_mib(pid) * 1024 * 1024 / 1e6


def cold_start_once(processes: Processes, quiet: list[str], floor: bool = False, python: str = sys.executable
                    ) -> float:
    """Seconds from Popen to a 200 from every API, polling each API's cheap GET every 5 ms; `floor` starts the
    connexion floor (no responses file: every operation answers 200) instead of mockingjob; `python` is the
    interpreter whose installation is started."""
    port = free_port()
    bases = prefixed_bases(port)
    pending = {api: (bases[api] + detail_of(api).path, detail_of(api).headers) for api in APIS}
    start = time.perf_counter()
    if floor:
        argv, cwd = [python, str(BENCH / "connexion_floor.py"), "--port", str(port), "--no-access-log"], BENCH
    else:
        argv, cwd = [*mockingjob_command(python), "serve", "--port", str(port), *quiet], REPO
    process = processes.start("coldstart", argv, cwd=cwd)
    try:
        while pending:
            if process.poll() is not None or time.perf_counter() - start > 60:
                raise ServerFailed("mockingjob did not start: " + processes.log_tail("coldstart"))
            for api, (url, headers) in list(pending.items()):
                try:
                    if request("GET", url, headers, timeout=5.0).status == 200:
                        del pending[api]
                except OSError:
                    pass
            if pending:
                time.sleep(0.005)
        return time.perf_counter() - start
    finally:
        processes.stop(process)


IMPORT_FLOOR = "import connexion, sqlalchemy, uvicorn"


@dataclass
class StartFloors:
    """What bounds a cold start from below: the libraries' imports, and connexion's own start with the four
    specs (the connexion floor, without SQLAlchemy or state), in the same installation as the cold start."""

    imports: list[float]
    connexion: list[float]


@dataclass
class ColdStarts:
    """mockingjob's cold starts: as the README's serve command installs it (the target's figure), and from this
    interpreter's environment (the project's venv, with the test extras)."""

    installed: list[float]
    this_venv: list[float]
    installed_versions: dict[str, str]


def import_floor_once(python: str = sys.executable) -> float:
    """Seconds for a new interpreter to import the three libraries every request path here is built on: no
    server that uses them can answer sooner."""
    # With the collector paused, as `mockingjob serve` (and the connexion floor) import them. The clock stops
    # when the child says the imports are done, not when it exits: a cold start is timed to an answer from a
    # process still running, and tearing down the interpreter after these imports costs about 0.3 s more.
    code = (f"import gc, os, sys; gc.disable(); {IMPORT_FLOOR}; "
            "sys.stdout.write('imported'); sys.stdout.flush(); os._exit(0)")
    start = time.perf_counter()
    child = subprocess.Popen([python, "-W", "ignore", "-c", code], stdout=subprocess.PIPE)
    assert child.stdout is not None
    said = child.stdout.read(len("imported"))
    seconds = time.perf_counter() - start
    if child.wait() != 0 or said != b"imported":
        raise SystemExit(f"the import floor failed: {IMPORT_FLOOR!r} exited {child.returncode}")
    return seconds


def byte_compile_mockingjob() -> None:
    """Write mockingjob's bytecode, as installing a package does. Where PYTHONDONTWRITEBYTECODE is set (some
    containers and CI images set it), an editable install never gets any, and every start would compile each
    module from source (about 0.1 s here): a cost of that setting, not of a start."""
    code = "import compileall, mockingjob, os; compileall.compile_dir(os.path.dirname(mockingjob.__file__), quiet=1)"
    subprocess.run([sys.executable, "-c", code], check=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("  PYTHONDONTWRITEBYTECODE is set: mockingjob's bytecode was written first, as an install writes it")


def serve_install() -> tuple[str, dict[str, str]]:
    """This checkout installed as the README's serve command installs it, `pip install .` into a venv of its
    own (bench/.cache/serve-venv): the runtime dependencies only, and bytecode written as every install writes
    it. Returns its interpreter and the versions it got of the libraries that bound a start.

    The project's own venv also holds the test extras, and some of those are imported at start-up when present
    (httpx loads rich and pygments for its command line): a start there is not the one a user gets.
    """
    python = SERVE_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SERVE_VENV)], check=True)
    # A local directory is always built and installed again, so the venv holds this checkout as it is now.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(REPO)],
                   check=True)
    code = ("import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "('mockingjob', 'connexion', 'SQLAlchemy', 'uvicorn', 'starlette')}))")
    found = json.loads(subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout)
    print(f"  installed as `pip install .` does, in {SERVE_VENV.relative_to(REPO)}: "
          + ", ".join(f"{k} {v}" for k, v in found.items()))
    return str(python), found


def run_cold_starts(processes: Processes, runs: int, quiet: list[str]) -> tuple[ColdStarts, StartFloors]:
    """`runs` rounds, each timing once, in turn: mockingjob installed as `pip install .` installs it, mockingjob in
    the project's venv, the connexion floor and the bare imports (the last two in the installed venv). Taking
    them in turn spreads this machine's drifts in speed over all four alike."""
    installed, installed_versions = serve_install()
    byte_compile_mockingjob()
    timed: dict[str, list[float]] = {"installed": [], "venv": [], "floor": [], "imports": []}
    for n in range(runs):
        timed["installed"].append(cold_start_once(processes, quiet, python=installed))
        timed["venv"].append(cold_start_once(processes, quiet))
        timed["floor"].append(cold_start_once(processes, quiet, floor=True, python=installed))
        timed["imports"].append(import_floor_once(installed))
        print(f"  round {n + 1}: mockingjob (pip install .) {timed['installed'][-1]:.3f} s, mockingjob (project "
              f"venv) {timed['venv'][-1]:.3f} s, connexion floor {timed['floor'][-1]:.3f} s, `{IMPORT_FLOOR}` "
              f"alone {timed['imports'][-1]:.3f} s", flush=True)
    return (ColdStarts(timed["installed"], timed["venv"], installed_versions),
            StartFloors(timed["imports"], timed["floor"]))


@dataclass
class IdleMemory:
    launched_pid: int
    serving: dict[int, float]
    """RSS in MB of each serving process."""

    @property
    def total_mb(self) -> float:
        return sum(self.serving.values())


def run_idle_rss(processes: Processes, quiet: list[str]) -> IdleMemory:
    """RSS of a 1-worker mockingjob after start and one request per operation."""
    with running(processes, lambda: start_mockingjob(processes, [], quiet, "rss", False)) as target:
        for op in OPERATIONS:
            request(op.method, target.url(op), op.headers, op.body)
        time.sleep(0.5)
        pid = target.processes[0].pid
        return IdleMemory(pid, {p: rss_mb(p) for p in serving_pids(pid)})


# --- list latency against store size ----------------------------------------------------------------------

@dataclass
class SizeResult:
    jobs: int
    added: int
    load_s: float
    kept_count: int
    samples_ms: list[float]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def seed_base_store(processes: Processes, path: Path, quiet: list[str]) -> None:
    """Let ``mockingjob serve scale --state`` create and seed the store, then fold its WAL into the file."""
    from bigstore import consolidate  # imports the Scale pack: only this part needs it

    port = free_port()
    process = processes.start("seed", [*mockingjob_command(), "serve", "scale", "--state", str(path), "--port",
                                       str(port), *quiet], cwd=REPO)
    try:
        wait_ready(process, f"http://{LOOPBACK}:{port}/v6/jobs/3/", name="mockingjob serve scale")
    finally:
        processes.stop(process)
    consolidate(path)


def timed_gets(url: str, seconds: float, min_requests: int = 5, max_requests: int = 400) -> list[float]:
    """Sequential GETs on one connection after two warm-ups, for `seconds` (at least `min_requests`)."""
    for _ in range(2):
        request("GET", url, timeout=120.0)
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < max_requests and (time.perf_counter() - start < seconds or len(samples) < min_requests):
        began = time.perf_counter()
        reply = request("GET", url, timeout=120.0)
        samples.append((time.perf_counter() - began) * 1000)
        if reply.status != 200:
            raise ServerFailed(f"{url} answered {reply.status}")
    return samples


def measure_size(processes: Processes, base: Path, work: Path, jobs: int, options: Options, quiet: list[str],
                 pin: bool) -> SizeResult:
    from bigstore import timed_add_jobs

    path = work / f"scale-{jobs}.db"
    shutil.copyfile(base, path)
    try:
        added, load_s = timed_add_jobs(path, jobs)
        port = free_port()
        argv = [*mockingjob_command(), "serve", "scale", "--state", str(path), "--port", str(port), *quiet]
        process = processes.start(f"scale-{jobs}", argv, cpu=SERVER_CPU if pin else None, cwd=REPO)
        try:
            root = f"http://{LOOPBACK}:{port}"
            wait_ready(process, f"{root}/v6/jobs/3/", timeout=300, name=f"mockingjob serve scale ({jobs} jobs)")
            kept = json.loads(request("GET", f"{root}/v6/jobs/?page_size=1", timeout=120).body)["count"]
            samples = timed_gets(root + SCALING_LIST, options.scaling_seconds)
        finally:
            processes.stop(process)
    finally:
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    result = SizeResult(jobs, added, load_s, kept, samples)
    print(f"  {jobs:>9,} jobs: loaded {added:,} in {load_s:.1f} s; serve found {kept:,} jobs; "
          f"{len(samples)} requests, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms", flush=True)
    return result


def run_scaling(processes: Processes, options: Options, work: Path, quiet: list[str], pin: bool) -> list[SizeResult]:
    base = work / "scale-base.db"
    seed_base_store(processes, base, quiet)
    print(f"  GET {SCALING_LIST} (1 connection, sequential)")
    return [measure_size(processes, base, work, jobs, options, quiet, pin) for jobs in options.sizes]


# --- report ---------------------------------------------------------------------------------------------

def scaling_table(sizes: list[SizeResult]) -> str:
    rows = [[f"{s.jobs:,}", f"{s.load_s:.1f}", f"{s.kept_count:,}", str(len(s.samples_ms)), f"{s.p50_ms:.1f}",
             f"{s.p99_ms:.1f}"] for s in sizes]
    return report.markdown_table(["jobs in store", "load s", "jobs served", "requests", "p50 ms", "p99 ms"], rows,
                                 right=[True] * 6)


def size_ratio(sizes: list[SizeResult]) -> tuple[float, int, int] | None:
    if len(sizes) < 2:
        return None
    small, large = min(sizes, key=lambda s: s.jobs), max(sizes, key=lambda s: s.jobs)
    return large.p50_ms / small.p50_ms, large.jobs, small.jobs


def all_targets(run: ThroughputRun | None, cold: ColdStarts | None, idle: IdleMemory | None,
                sizes: list[SizeResult] | None, connections: int) -> list[Target]:
    targets = []
    labels = [op.label for op in OPERATIONS]
    for server in (MJ1, MJ2):
        short = "1 worker" if server == MJ1 else "2 workers"
        results = run.results if run else {}
        targets += [
            report.ratio_target(results, server, labels, "vs_prism", f"req/s ≥ 4x Prism ({short})", 4),
            report.ratio_target(results, server, labels, "p99_prism_over_mj",
                                f"p99 ≤ Prism p99 ÷ 4 at {connections} connections ({short})", 4),
        ]
    targets.append(report.ratio_target(run.results if run else {}, MJ1, labels, "vs_ceiling",
                                       "req/s ≥ 40% of the bare-Starlette ceiling (1 worker)", 0.4, percent=True))
    for server in (MJ1, MJ2):
        result = run.results.get(server) if run else None
        errors = sum(r.non_2xx + r.socket_errors for r in result.values()) if result else None
        targets.append(Target(f"no error answers, no socket errors or timeouts ({server})",
                              "not measured" if errors is None else f"{errors:,} errors", "0", None
                              if errors is None else errors == 0))
    if cold:
        median = statistics.median(cold.installed)
        targets.append(Target("cold start, all four APIs (median)", f"{median:.3f} s", "< 1 s", median < 1))
    else:
        targets.append(Target("cold start, all four APIs (median)", "not measured", "< 1 s", None))
    targets.append(Target("idle RSS, 1 worker", "not measured" if idle is None else f"{idle.total_mb:.1f} MB",
                          "≤ 100 MB", None if idle is None else idle.total_mb <= 100))
    targets.append(scaling_target(sizes))
    return targets


def floor_targets(run: ThroughputRun | None, floors: StartFloors | None, connections: int) -> list[Target]:
    """The targets that bound any application on connexion, judged on the connexion floor and the imports: one
    NOT MET here cannot be met by mockingjob either, however little work its handlers did."""
    labels = [op.label for op in OPERATIONS]
    results = run.results if run else {}
    targets = []
    for floor in FLOOR_OF.values():
        targets += [
            report.ratio_target(results, floor, labels, "vs_prism", f"req/s ≥ 4x Prism ({floor})", 4),
            report.ratio_target(results, floor, labels, "p99_prism_over_mj",
                                f"p99 ≤ Prism p99 ÷ 4 at {connections} connections ({floor})", 4),
        ]
    targets.append(report.ratio_target(results, FLOOR1, labels, "vs_ceiling",
                                       f"req/s ≥ 40% of the bare-Starlette ceiling ({FLOOR1})", 0.4, percent=True))
    for name, times in (("cold start, connexion floor with the four specs (median)", floors and floors.connexion),
                        (f"cold start: `{IMPORT_FLOOR}` alone (median)", floors and floors.imports)):
        if times:
            median = statistics.median(times)
            targets.append(Target(name, f"{median:.3f} s", "< 1 s", median < 1))
        else:
            targets.append(Target(name, "not measured", "< 1 s", None))
    return targets


def scaling_target(sizes: list[SizeResult] | None) -> Target:
    name, goal = "list p50 at 1M jobs ÷ p50 at 1k jobs", "≤ 2x"
    by_size = {s.jobs: s for s in sizes or []}
    if 1_000 in by_size and 1_000_000 in by_size:
        value = by_size[1_000_000].p50_ms / by_size[1_000].p50_ms
        return Target(name, f"{value:.2f}x", goal, value <= 2)
    found = size_ratio(sizes or [])
    if found:
        value, large, small = found
        return Target(name, f"not measured (at {large:,} ÷ {small:,}: {value:.2f}x)", goal, None)
    return Target(name, "not measured", goal, None)


def print_results(run: ThroughputRun | None, cold: ColdStarts | None, floors: StartFloors | None,
                  idle: IdleMemory | None, sizes: list[SizeResult] | None, connections: int) -> None:
    labels = [op.label for op in OPERATIONS]
    print("\n## Results\n")
    if run and run.results:
        print("### Throughput and latency\n")
        print(report.throughput_table(run.results, labels))
        print("\n### Ratios (same run)\n")
        print(report.ratio_table(run.results, labels))
        if any(floor in run.results for floor in FLOOR_OF.values()):
            print("\n### connexion alone: the connexion floor (same run)\n")
            print("connexion's AsyncApp on the same specs with the same validation, each operation answering "
                  "mockingjob's body: the most an application on connexion can serve here.\n")
            print(report.floor_table(run.results, labels))
        if run.rss_after_load_mb is not None:
            print(f"\nmockingjob 1 worker RSS after its load: {run.rss_after_load_mb:.1f} MB")
        for name, reason in run.failures.items():
            print(f"\n{name} FAILED: {reason}")
    if cold:
        print(f"\n### Cold start (Popen to a 200 from all four APIs, {len(cold.installed)} runs each)\n")
        for what, times in (("mockingjob as `pip install .` installs it (the target's figure)", cold.installed),
                            ("mockingjob in the project's venv (with the test extras)", cold.this_venv)):
            print(f"{what}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
                  f"max {max(times):.3f} s")
    if floors:
        for what, times in (("the connexion floor (connexion, uvicorn, the four specs; no SQLAlchemy, no state)",
                             floors.connexion), (f"`{IMPORT_FLOOR}` alone in a new interpreter", floors.imports)):
            print(f"{what}: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
                  f"max {max(times):.3f} s")
    if idle:
        print("\n### Idle memory (1 worker, after start and one request per operation)\n")
        who = ("the launched process itself (no worker children)" if list(idle.serving) == [idle.launched_pid]
               else f"worker children of pid {idle.launched_pid}")
        print(f"VmRSS {idle.total_mb:.1f} MB ({idle.total_mb * 1e6 / 2**20:.1f} MiB); serving process: {who}")
    if sizes:
        print("\n### Scale list latency against store size\n")
        print(scaling_table(sizes))
        found = size_ratio(sizes)
        if found:
            value, large, small = found
            print(f"\np50({large:,}) ÷ p50({small:,}) = {value:.2f}x")
    print("\n### Targets\n")
    print(report.targets_table(all_targets(run, cold, idle, sizes, connections)))
    if (run and any(floor in run.results for floor in FLOOR_OF.values())) or floors:
        print("\n### The same targets for what mockingjob is built on\n")
        print("Judged on the connexion floor and on the imports of connexion, SQLAlchemy and uvicorn. A throughput "
              "or latency target the floor misses cannot be met by any application on connexion served this way; "
              "no server using those libraries starts before they are imported.\n")
        print(report.targets_table(floor_targets(run, floors, connections)))
    if run:
        labels = [op.label for op in OPERATIONS]
        short = report.ceiling_short_of_prism(run.results, labels, 4)
        if short:
            print(f"\nThe bare-Starlette ceiling itself serves less than 4x Prism's req/s on {len(short)} of "
                  f"{len(labels)} operations: " + ", ".join(f"{label} ({value:.2f}x)" for label, value in short))


def save_json(path: Path, options: Options, found: dict[str, str], run: ThroughputRun | None,
              cold: ColdStarts | None, floors: StartFloors | None, idle: IdleMemory | None,
              sizes: list[SizeResult] | None, workload_part: dict[str, Any]) -> None:
    document = {
        "command": sys.orig_argv, "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(), "versions": found, "options": asdict(options),
        "throughput": {server: {label: r.as_dict() for label, r in by_op.items()}
                       for server, by_op in (run.results if run else {}).items()},
        "throughput_failures": run.failures if run else {},
        "rss_after_load_mb": run.rss_after_load_mb if run else None,
        "cold_start_s": None if cold is None else asdict(cold),
        "start_floors_s": None if floors is None else asdict(floors),
        "idle_rss_mb": None if idle is None else {str(pid): mb for pid, mb in idle.serving.items()},
        "scaling": [{**asdict(s), "p50_ms": s.p50_ms, "p99_ms": s.p99_ms} for s in sizes or []],
        "targets": [asdict(t) for t in all_targets(run, cold, idle, sizes, options.connections)],
        "floor_targets": [asdict(t) for t in floor_targets(run, floors, options.connections)],
        **workload_part,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))


# --- main -----------------------------------------------------------------------------------------------

def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind through the finally blocks that stop every server (Ctrl-C even when the
    script was started with SIGINT ignored, as background jobs of a non-interactive shell are)."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)


def main() -> int:
    options = parse_options()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows through pipes
    _stop_on_signals()
    started = time.monotonic()
    quiet, log_note = quiet_serve_options()
    prism_version = install_prism() if set(LOADED_PARTS) & set(options.parts) else None
    found = versions(prism_version)
    pin = options.pin and can_pin()
    print_header(options, found, pin, log_note)
    run: ThroughputRun | None = None
    loaded: WorkloadRun | None = None
    cold = floors = idle = sizes = None
    chosen = workloads(part for part in WORKLOADS if part in options.parts)
    with tempfile.TemporaryDirectory(prefix="mockingjob-bench-") as tmp:
        work = Path(tmp)
        processes = Processes(work)
        try:
            if "throughput" in options.parts:
                print("## Throughput")
                run = run_throughput(processes, options, work, quiet, pin, with_prism=True)
            if chosen:
                print("\n## Polling and varied workloads")
                loaded = run_workloads(processes, chosen, load_settings(options, pin), work, quiet, options.loop, pin)
            if "coldstart" in options.parts:
                print("\n## Cold start")
                cold, floors = run_cold_starts(processes, options.coldstart_runs, quiet)
            if "rss" in options.parts:
                idle = run_idle_rss(processes, quiet)
            if "scaling" in options.parts:
                print("\n## Scale list latency against store size")
                sizes = run_scaling(processes, options, work, quiet, pin)
        finally:
            processes.stop_all()
    print_results(run, cold, floors, idle, sizes, options.connections)
    if run or loaded:
        print_workload_results(merged(run.results if run else {}, loaded.results if loaded else {}),
                               labels_of(chosen), {w.label: len(w.requests) for w in chosen})
    out = CACHE / "results" / f"compare-{datetime.now():%Y%m%d-%H%M%S}.json"
    save_json(out, options, found, run, cold, floors, idle, sizes,
              workload_document(run.results if run else {}, loaded, chosen))
    print(f"\nRaw figures: {out.relative_to(REPO)}")
    print(f"Took {time.monotonic() - started:.0f} s; load average at end: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted: every started server was stopped.", file=sys.stderr)
        sys.exit(130)
