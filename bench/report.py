"""Markdown tables of the figures, and the targets they are judged against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from load import LoadResult

MJ1, MJ2, PRISM, CEILING = "mockingjob 1 worker", "mockingjob 2 workers", "Prism 5", "Starlette ceiling"
MJ1_LOG = "mockingjob 1 worker, access log on"
"""The 1-worker server as `mockingjob serve` runs by default, logging every request (the workloads only)."""
FLOOR1, FLOOR2 = "connexion floor 1 worker", "connexion floor 2 workers"
SERVERS = (MJ1, MJ1_LOG, MJ2, PRISM, FLOOR1, FLOOR2, CEILING)
MOCKINGJOB_SERVERS = (MJ1, MJ2)
# Each mockingjob server and the connexion floor served the same way (the floor's limits bound it).
FLOOR_OF = {MJ1: FLOOR1, MJ2: FLOOR2}

# Throughput results by server, then by operation label ("scale list").
Throughput = dict[str, dict[str, LoadResult]]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] = ()) -> str:
    """A GitHub Markdown table with padded columns; `right` marks the right-aligned (numeric) columns."""
    aligned = [right[i] if i < len(right) else False for i in range(len(headers))]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    widths = [max(w, 3) for w in widths]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, aligned, strict=True)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if r else ("-" * (w + 2)) for w, r in zip(widths, aligned,
                                                                                        strict=True)) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def ms(microseconds: float) -> str:
    return f"{microseconds / 1000:.1f}" if microseconds < 100_000 else f"{microseconds / 1000:.0f}"


def latencies(result: LoadResult) -> tuple[str, str]:
    """p50 and p99 in ms; a server that answered nothing during the load has none."""
    if result.requests == 0:
        return "no answer", "no answer"
    return ms(result.p50_us), ms(result.p99_us)


def non_2xx(result: LoadResult) -> str:
    """The count of error answers, marked, with their statuses."""
    if not result.non_2xx:
        return "0"
    return f"{result.non_2xx:,} ! ({result.error_statuses})"


def socket_errors(result: LoadResult) -> str:
    """The count of failed exchanges, with their kinds (a timeout is an answer slower than wrk's --timeout)."""
    kinds = {"connect": result.connect_errors, "read": result.read_errors, "write": result.write_errors,
             "timeout": result.timeouts}
    if not result.socket_errors:
        return "0"
    return f"{result.socket_errors:,} ! (" + ", ".join(f"{k}: {n}" for k, n in kinds.items() if n) + ")"


def ratio(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}x"


def _divide(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def throughput_table(results: Throughput, labels: Sequence[str]) -> str:
    rows = []
    for label in labels:
        for server in SERVERS:
            result = results.get(server, {}).get(label)
            if result is None:
                continue
            rows.append([label, server, f"{result.rps:,.0f}", *latencies(result), non_2xx(result),
                         socket_errors(result)])
    headers = ["operation", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket errors"]
    return markdown_table(headers, rows, right=[False, False, True, True, True, True, True])


@dataclass(frozen=True)
class Ratios:
    vs_prism: float | None
    """req/s mockingjob / Prism."""
    vs_ceiling: float | None
    """req/s mockingjob / ceiling."""
    p99_prism_over_mj: float | None
    """p99 Prism / p99 mockingjob."""


def ratios(results: Throughput, server: str, label: str) -> Ratios:
    mine = results.get(server, {}).get(label)
    prism = results.get(PRISM, {}).get(label)
    ceiling = results.get(CEILING, {}).get(label)
    return Ratios(
        _divide(mine.rps if mine else None, prism.rps if prism else None),
        _divide(mine.rps if mine else None, ceiling.rps if ceiling else None),
        _divide(prism.p99_us if prism else None, mine.p99_us if mine else None),
    )


def ratio_table(results: Throughput, labels: Sequence[str]) -> str:
    headers = ["operation"]
    for server in MOCKINGJOB_SERVERS:
        short = "1w" if server == MJ1 else "2w"
        headers += [f"{short} req/s ÷ Prism", f"{short} req/s ÷ ceiling", f"Prism p99 ÷ {short} p99"]
    rows = []
    for label in labels:
        row = [label]
        for server in MOCKINGJOB_SERVERS:
            r = ratios(results, server, label)
            row += [ratio(r.vs_prism), ratio(r.vs_ceiling), ratio(r.p99_prism_over_mj)]
        rows.append(row)
    return markdown_table(headers, rows, right=[False] + [True] * (len(headers) - 1))


def floor_table(results: Throughput, labels: Sequence[str]) -> str:
    """The throughput targets' ratios for the connexion floor (connexion's own work only, canned answers), and
    the share of the floor that mockingjob reaches."""
    headers = ["operation"]
    for server in FLOOR_OF:
        short = "1w" if server == MJ1 else "2w"
        headers += [f"floor {short} ÷ Prism", f"Prism p99 ÷ floor {short} p99"]
    headers += ["floor 1w ÷ ceiling", "mockingjob 1w ÷ floor 1w", "mockingjob 2w ÷ floor 2w"]
    rows = []
    for label in labels:
        row = [label]
        for floor in FLOOR_OF.values():
            r = ratios(results, floor, label)
            row += [ratio(r.vs_prism), ratio(r.p99_prism_over_mj)]
        row.append(ratio(ratios(results, FLOOR1, label).vs_ceiling))
        for server, floor in FLOOR_OF.items():
            mine, base = results.get(server, {}).get(label), results.get(floor, {}).get(label)
            row.append(ratio(_divide(mine.rps if mine else None, base.rps if base else None)))
        rows.append(row)
    return markdown_table(headers, rows, right=[False] + [True] * (len(headers) - 1))


@dataclass(frozen=True)
class Target:
    name: str
    measured: str
    goal: str
    met: bool | None
    """None: not measured in this run."""


def targets_table(targets: Sequence[Target]) -> str:
    rows = [[t.name, t.measured, t.goal, "n/a" if t.met is None else ("met" if t.met else "NOT MET")]
            for t in targets]
    return markdown_table(["target", "measured", "goal", "result"], rows)


def measured_ratios(results: Throughput, server: str, labels: Sequence[str], pick: str) -> list[tuple[float, str]]:
    """The ratio of kind `pick` (a `Ratios` field) of each operation measured, with its operation."""
    return [(value, label) for label in labels if (value := getattr(ratios(results, server, label), pick)) is not None]


def ratio_target(results: Throughput, server: str, labels: Sequence[str], pick: str, name: str, goal: float,
                 percent: bool = False) -> Target:
    """Target: every operation's ratio of kind `pick` is at least `goal`."""
    found = measured_ratios(results, server, labels, pick)
    shown_goal = f"≥ {goal:.0%}" if percent else f"≥ {goal:g}x on every operation"
    if not found:
        return Target(name, "not measured", shown_goal, None)
    value, label = min(found)
    shown = f"{value:.1%}" if percent else f"{value:.2f}x"
    below = sum(1 for each, _ in found if each < goal)
    measured = f"lowest {shown} ({label})" + (f"; short on {below} of {len(labels)}" if below else "")
    return Target(name, measured, shown_goal, value >= goal)


def ceiling_short_of_prism(results: Throughput, labels: Sequence[str], factor: float) -> list[tuple[str, float]]:
    """Operations where even the bare-Starlette ceiling serves fewer than `factor` times Prism's req/s, with the
    ceiling's ratio to Prism: there, no server on this stack could meet the throughput target."""
    short = []
    for label in labels:
        prism = results.get(PRISM, {}).get(label)
        ceiling = results.get(CEILING, {}).get(label)
        if prism and ceiling and prism.rps and ceiling.rps < factor * prism.rps:
            short.append((label, ceiling.rps / prism.rps))
    return short
