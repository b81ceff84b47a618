"""Running the polling and varied workloads on every server: each server is started once, every request of the
chosen workloads is checked once, then each workload is loaded with wrk, polling first (its runs are in flight
for a limited time after a mockingjob starts).

A freshly started mockingjob must answer every request 2xx, or the run stops: a workload that asks for what
does not exist measures error answers, not the server. The ceiling and the connexion floor replay what the
1-worker mockingjob answered, and their check also counts the requests they answer with other bytes.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import load
import report
from contenders import RunningServer, running, start_mockingjob, start_prism, start_replaying
from operations import Operation
from report import CEILING, FLOOR1, FLOOR2, MJ1, MJ1_LOG, MJ2, Throughput
from servers import Processes, Reply, ServerFailed, request
from workloads import Workload, write_walk_scripts

MOCKINGJOB_NAMES = (MJ1, MJ1_LOG, MJ2)
REPLAYING_NAMES = (CEILING, FLOOR1, FLOOR2)


class RequestsRejected(SystemExit):
    """A freshly started mockingjob did not answer a workload's request 2xx: the workload itself is wrong."""


@dataclass(frozen=True)
class LoadPlan:
    """What is loaded, how long, and where wrk runs."""

    chosen: tuple[Workload, ...]
    scripts: dict[str, Path]
    settings: load.LoadSettings
    pin: bool


@dataclass
class WorkloadRun:
    results: Throughput = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    captured: list[dict[str, Any]] = field(default_factory=list)
    """What the 1-worker mockingjob answered to every request: the ceiling and the floor replay it."""
    rejected: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per server, per workload: how many requests its check answered with something other than 2xx."""


def answer_all(target: RunningServer, workload: Workload) -> list[tuple[Operation, Reply]]:
    return [(op, request(op.method, target.url(op), op.headers, op.body)) for op in workload.requests]


def not_2xx(replies: list[tuple[Operation, Reply]]) -> list[tuple[Operation, Reply]]:
    return [(op, reply) for op, reply in replies if not 200 <= reply.status < 300]


def other_bytes(replies: list[tuple[Operation, Reply]], captured: dict[tuple[str, str], bytes]) -> int:
    """How many replies differ from what the 1-worker mockingjob answered to the same request."""
    return sum(1 for op, reply in replies if captured.get((op.api, op.path)) != reply.body)


def describe(failed: list[tuple[Operation, Reply]], shown: int = 5) -> str:
    listed = "; ".join(f"GET {op.path} -> {reply.status} {reply.body[:100].decode(errors='replace')}"
                       for op, reply in failed[:shown])
    return listed + (f"; and {len(failed) - shown} more" if len(failed) > shown else "")


def check_requests(run: WorkloadRun, target: RunningServer, chosen: tuple[Workload, ...]) -> None:
    """Send every request once and print, per workload, how many answered 2xx (and, for the servers replaying
    mockingjob's answers, how many with the same bytes). Stops the run if a mockingjob rejects one."""
    replayed = {(c["api"], c["sent"]): base64.b64decode(c["body_b64"]) for c in run.captured}
    for workload in chosen:
        replies = answer_all(target, workload)
        failed = not_2xx(replies)
        run.rejected.setdefault(target.name, {})[workload.label] = len(failed)
        note = "all 2xx" if not failed else f"{len(failed)} not 2xx: {describe(failed)}"
        if target.name in REPLAYING_NAMES:
            note += f"; {other_bytes(replies, replayed)} answered other bytes than mockingjob's"
        print(f"  {workload.label:<17} {len(replies):>4} requests: {note}")
        if failed and target.name in MOCKINGJOB_NAMES:
            raise RequestsRejected(f"{target.name} rejected {len(failed)} request(s) of the {workload.label} "
                                   f"workload on a fresh start: {describe(failed, shown=20)}")
        if target.name == MJ1:
            run.captured += [{**op.captured(reply.status, reply.content_type, reply.location, reply.body),
                              "api": op.api, "sent": op.path} for op, reply in replies]


def load_workloads(target: RunningServer, plan: LoadPlan) -> dict[str, load.LoadResult]:
    settings = plan.settings
    if not (plan.pin and target.pinned):
        settings = load.LoadSettings(settings.duration_s, settings.warmup_s, settings.connections,
                                     settings.timeout_s, wrk_cpu=None)
    results = {}
    for workload in plan.chosen:
        result = load.measure(target.bases[workload.api], plan.scripts[workload.label], settings)
        results[workload.label] = result
        errors = f", non-2xx {report.non_2xx(result)}" if result.non_2xx else ""
        errors += f", socket errors {result.socket_errors}" if result.socket_errors else ""
        p50, p99 = report.latencies(result)
        shown = f"p50 {p50:>6} ms  p99 {p99:>6} ms" if result.requests else "no answers"
        print(f"  {workload.label:<17} {result.rps:>8,.0f} req/s  {shown}{errors}", flush=True)
    return results


def bench_server(run: WorkloadRun, processes: Processes, start: Callable[[], RunningServer],
                 plan: LoadPlan) -> None:
    """Start a server, check every request, load each workload, stop it. A server that fails is reported and
    skipped so that the others are still measured; a mockingjob rejecting a request stops the run."""
    name = "?"
    try:
        with running(processes, start) as target:
            name = target.name
            print(f"{name}: one request of each workload's list")
            check_requests(run, target, plan.chosen)
            print(f"{name}: load")
            run.results[name] = load_workloads(target, plan)
    except (ServerFailed, OSError, RuntimeError) as exc:
        print(f"  FAILED: {exc}")
        run.failures[name] = str(exc)


def best_of(results: list[load.LoadResult]) -> load.LoadResult:
    """The run that served the most, with every run's errors: this machine's drifts only ever slow a server."""
    best = max(results, key=lambda result: result.rps)
    statuses = dict(best.statuses)
    for other in results:
        if other is not best:
            for status, count in other.statuses.items():
                if not status.startswith("2"):
                    statuses[status] = statuses.get(status, 0) + count
    return dataclasses.replace(
        best, non_2xx=sum(r.non_2xx for r in results), connect_errors=sum(r.connect_errors for r in results),
        read_errors=sum(r.read_errors for r in results), write_errors=sum(r.write_errors for r in results),
        timeouts=sum(r.timeouts for r in results), statuses=statuses)


def bench_side_by_side(run: WorkloadRun, processes: Processes,
                       starts: list[tuple[str, Callable[[], RunningServer]]], plan: LoadPlan) -> None:
    """Start the servers together and load them in turn, workload by workload, twice, in the order A B C then
    C B A; each server's figure is its better run. The ratios between them (the access log's cost, what a second
    worker brings) then compare runs seconds apart, not minutes, so that this machine's drifts in speed fall on
    all of them alike. (An idle server costs the loaded one nothing.) A server that fails is reported and left
    out."""
    with contextlib.ExitStack() as stack:
        targets: list[RunningServer] = []
        for name, start in starts:
            try:
                target = stack.enter_context(running(processes, start))
                print(f"{target.name}: one request of each workload's list")
                check_requests(run, target, plan.chosen)
                targets.append(target)
            except (ServerFailed, OSError, RuntimeError) as exc:
                print(f"  FAILED: {exc}")
                run.failures[name] = str(exc)
        measured: dict[str, dict[str, list[load.LoadResult]]] = {target.name: {} for target in targets}
        for workload in plan.chosen:
            single = dataclasses.replace(plan, chosen=(workload,))
            for target in [*targets, *reversed(targets)]:
                print(f"{target.name}:")
                for label, result in load_workloads(target, single).items():
                    measured[target.name].setdefault(label, []).append(result)
        for name, by_label in measured.items():
            run.results[name] = {label: best_of(results) for label, results in by_label.items()}


def replay_file(run: WorkloadRun, work: Path) -> Path:
    path = work / "workload-responses.json"
    path.write_text(json.dumps(run.captured))
    return path


def run_workloads(processes: Processes, chosen: tuple[Workload, ...], settings: load.LoadSettings, work: Path,
                  quiet: list[str], loop: str, pin: bool) -> WorkloadRun:
    """Every server: mockingjob with its access log off and on and with 2 workers side by side (each workload
    loaded on each in turn, see `bench_side_by_side`), then Prism, then the ceiling and the floor replaying what
    the first one answered."""
    plan = LoadPlan(chosen, write_walk_scripts(chosen, work), settings, pin)
    run = WorkloadRun()
    loop_options = ["--loop", loop]
    state = work / "workloads-two-workers.db"  # a new file: the 2 workers seed it on their start
    bench_side_by_side(run, processes, [
        (MJ1, lambda: start_mockingjob(processes, loop_options, quiet, MJ1, pin)),
        # Without an option to turn the log off, the second would be the same server as the first.
        *([(MJ1_LOG, lambda: start_mockingjob(processes, loop_options, [], MJ1_LOG, pin))] if quiet else []),
        (MJ2, lambda: start_mockingjob(processes, [*loop_options, "--workers", "2", "--state", str(state)], quiet,
                                       MJ2, False))], plan)
    bench_server(run, processes, lambda: start_prism(processes, pin), plan)
    if run.captured:
        replay = (replay_file(run, work), bool(quiet), loop)
        bench_server(run, processes, lambda: start_replaying(processes, CEILING, "ceiling.py", *replay, pin), plan)
        bench_server(run, processes, lambda: start_replaying(processes, FLOOR1, "connexion_floor.py", *replay, pin),
                     plan)
        bench_server(run, processes, lambda: start_replaying(processes, FLOOR2, "connexion_floor.py", *replay, False,
                                                             "--workers", "2"), plan)
    return run


def as_json(run: WorkloadRun, chosen: Sequence[Workload]) -> dict[str, Any]:
    return {
        "requests": {workload.label: [op.path for op in workload.requests] for workload in chosen},
        "results": {server: {label: r.as_dict() for label, r in by_label.items()}
                    for server, by_label in run.results.items()},
        "failures": run.failures,
        "not_2xx_in_check": run.rejected,
    }
