"""Tables and targets of the polling and varied workloads, and the targets that span every operation measured:
writes against the connexion floor, p99 against Prism's, 2 workers against 1, the access log's cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from operations import OPERATIONS
from report import (
    CEILING,
    FLOOR1,
    FLOOR2,
    MJ1,
    MJ1_LOG,
    MJ2,
    PRISM,
    Target,
    Throughput,
    markdown_table,
    ratio,
    targets_table,
    throughput_table,
)
from workload_runs import WorkloadRun, as_json
from workloads import Workload


@dataclass(frozen=True)
class Pair:
    """One server's figure divided by another's: req/s over req/s, or for latency the other's p99 over this one's
    (so that, either way, more is better)."""

    server: str
    other: str
    latency: bool = False

    def of(self, results: Throughput, label: str) -> float | None:
        mine, theirs = results.get(self.server, {}).get(label), results.get(self.other, {}).get(label)
        if mine is None or theirs is None:
            return None
        top, bottom = (theirs.p99_us, mine.p99_us) if self.latency else (mine.rps, theirs.rps)
        return top / bottom if bottom else None


@dataclass(frozen=True)
class Labels:
    """The operations and workloads measured, by what the targets judge."""

    throughput: tuple[str, ...]
    writes: tuple[str, ...]
    polling: tuple[str, ...]
    varied: tuple[str, ...]

    @property
    def workloads(self) -> tuple[str, ...]:
        return self.polling + self.varied

    @property
    def every(self) -> tuple[str, ...]:
        return self.throughput + self.workloads


def labels_of(chosen: Sequence[Workload]) -> Labels:
    """The labels of the throughput part's operations (measured or not) and of the chosen workloads."""
    return Labels(tuple(op.label for op in OPERATIONS), tuple(op.label for op in OPERATIONS if op.kind == "create"),
                  tuple(w.label for w in chosen if w.name == "polling"),
                  tuple(w.label for w in chosen if w.name == "varied"))


def merged(*runs: Throughput) -> Throughput:
    """Results by server of several parts, as one."""
    found: Throughput = {}
    for results in runs:
        for server, by_label in results.items():
            found.setdefault(server, {}).update(by_label)
    return found


# --- tables -----------------------------------------------------------------------------------------------

MOCKINGJOB_COLUMNS = (
    ("1w ÷ Prism", Pair(MJ1, PRISM)), ("2w ÷ Prism", Pair(MJ2, PRISM)), ("1w ÷ ceiling", Pair(MJ1, CEILING)),
    ("1w ÷ floor 1w", Pair(MJ1, FLOOR1)), ("2w ÷ floor 2w", Pair(MJ2, FLOOR2)),
    ("Prism p99 ÷ 1w p99", Pair(MJ1, PRISM, latency=True)), ("Prism p99 ÷ 2w p99", Pair(MJ2, PRISM, latency=True)),
    ("2w ÷ 1w", Pair(MJ2, MJ1)), ("log on ÷ off", Pair(MJ1_LOG, MJ1)),
)
FLOOR_COLUMNS = (
    ("floor 1w ÷ Prism", Pair(FLOOR1, PRISM)), ("floor 2w ÷ Prism", Pair(FLOOR2, PRISM)),
    ("floor 1w ÷ ceiling", Pair(FLOOR1, CEILING)), ("Prism p99 ÷ floor 1w p99", Pair(FLOOR1, PRISM, latency=True)),
    ("floor 2w ÷ floor 1w", Pair(FLOOR2, FLOOR1)),
)


def pair_table(results: Throughput, labels: Sequence[str], columns: Sequence[tuple[str, Pair]]) -> str:
    rows = [[label, *(ratio(pair.of(results, label)) for _, pair in columns)] for label in labels
            if any(label in by_label for by_label in results.values())]
    headers = ["operation", *(name for name, _ in columns)]
    return markdown_table(headers, rows, right=[False] + [True] * len(columns))


# --- targets ----------------------------------------------------------------------------------------------

def pair_target(results: Throughput, name: str, pair: Pair, labels: Sequence[str], goal: float,
                percent: bool = False) -> Target:
    """Target: the ratio `pair` is at least `goal` on every one of `labels` measured."""
    shown_goal = f"≥ {goal:.0%}" if percent else f"≥ {goal:g}x on every operation"
    found = [(value, label) for label in labels if (value := pair.of(results, label)) is not None]
    if not found:
        return Target(name, "not measured", shown_goal, None)
    value, label = min(found)
    shown = f"{value:.1%}" if percent else f"{value:.2f}x"
    below = sum(1 for each, _ in found if each < goal)
    measured = f"lowest {shown} ({label}) of {len(found)} measured" + (f"; short on {below}" if below else "")
    return Target(name, measured, shown_goal, value >= goal)


WORKERS = ((MJ1, FLOOR1, "1 worker"), (MJ2, FLOOR2, "2 workers"))


def workload_targets(results: Throughput, labels: Labels) -> list[Target]:
    """The targets of the workloads, the writes, the p99s, the second worker and the access log, on mockingjob
    (each with 1 worker and with 2; the floor compared is the one served the same way)."""
    targets = [pair_target(results, f"polling req/s ≥ 2x Prism ({short})", Pair(server, PRISM), labels.polling, 2)
               for server, _, short in WORKERS]
    targets.append(pair_target(results, "polling req/s ≥ 50% of the bare-Starlette ceiling (1 worker)",
                               Pair(MJ1, CEILING), labels.polling, 0.5, percent=True))
    targets += [pair_target(results, f"varied req/s ≥ 1x Prism ({short})", Pair(server, PRISM), labels.varied, 1)
                for server, _, short in WORKERS]
    targets += [pair_target(results, f"varied req/s ≥ 75% of the connexion floor ({short})", Pair(server, floor),
                            labels.varied, 0.75, percent=True) for server, floor, short in WORKERS]
    targets += [pair_target(results, f"writes req/s ≥ 60% of the connexion floor ({short})", Pair(server, floor),
                            labels.writes, 0.6, percent=True) for server, floor, short in WORKERS]
    targets += [pair_target(results, f"p99 ≤ Prism's p99, every operation ({short})",
                            Pair(server, PRISM, latency=True), labels.every, 1) for server, _, short in WORKERS]
    targets += [
        pair_target(results, "req/s with 2 workers ≥ 1x 1 worker, every operation", Pair(MJ2, MJ1), labels.every, 1),
        pair_target(results, "req/s with the access log on ≥ 0.9x off (1 worker, polling and varied)",
                    Pair(MJ1_LOG, MJ1), labels.workloads, 0.9),
    ]
    return targets


def floor_workload_targets(results: Throughput, labels: Labels) -> list[Target]:
    """The same targets on the connexion floor (connexion answering canned bytes): one it misses cannot be met
    by mockingjob either."""
    return [
        pair_target(results, f"polling req/s ≥ 2x Prism ({FLOOR1})", Pair(FLOOR1, PRISM), labels.polling, 2),
        pair_target(results, f"polling req/s ≥ 50% of the bare-Starlette ceiling ({FLOOR1})", Pair(FLOOR1, CEILING),
                    labels.polling, 0.5, percent=True),
        pair_target(results, f"varied req/s ≥ 1x Prism ({FLOOR1})", Pair(FLOOR1, PRISM), labels.varied, 1),
        pair_target(results, f"p99 ≤ Prism's p99, every operation ({FLOOR1})", Pair(FLOOR1, PRISM, latency=True),
                    labels.every, 1),
        pair_target(results, f"req/s with 2 workers ≥ 1x 1 worker, every operation ({FLOOR2})", Pair(FLOOR2, FLOOR1),
                    labels.every, 1),
    ]


def print_workload_results(results: Throughput, labels: Labels, request_counts: dict[str, int]) -> None:
    """The workloads' figures, the ratios the targets are judged on (every operation measured), and the targets."""
    if any(label in by_label for by_label in results.values() for label in labels.workloads):
        print("\n### Polling and varied workloads\n")
        print("Requests per list (walked round-robin by wrk): "
              + ", ".join(f"{label} {n}" for label, n in request_counts.items()) + "\n")
        print(throughput_table(results, labels.workloads))
    print("\n### Ratios the workload, write, p99, worker and access-log targets are judged on (same run)\n")
    print(pair_table(results, labels.every, MOCKINGJOB_COLUMNS))
    print("\nThe same ratios for the connexion floor:\n")
    print(pair_table(results, labels.every, FLOOR_COLUMNS))
    print("\n### Targets: polling, varied, writes, p99, workers, access log\n")
    print(targets_table(workload_targets(results, labels)))
    print("\nThe same targets for what mockingjob is built on (the connexion floor):\n")
    print(targets_table(floor_workload_targets(results, labels)))


def workload_document(throughput: Throughput, loaded: WorkloadRun | None, chosen: Sequence[Workload]) -> dict[str, Any]:
    """The workloads' raw figures and every target of this module, for the JSON results."""
    results, labels = merged(throughput, loaded.results if loaded else {}), labels_of(chosen)
    return {
        "workloads": as_json(loaded, chosen) if loaded else None,
        "workload_targets": [asdict(t) for t in workload_targets(results, labels)],
        "workload_floor_targets": [asdict(t) for t in floor_workload_targets(results, labels)],
    }
