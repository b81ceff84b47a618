"""Load with wrk: one Lua script per operation (method, headers, body) that reports its figures as JSON."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from operations import Operation
from servers import pinned

RESULT_MARK = "BENCH_RESULT "

# Each wrk thread counts the answers by status in its own Lua state; done() (run once, after the load) collects
# them with thread:get and prints one JSON line with the percentiles from wrk's histogram (microseconds).
# summary.errors.status counts the answers with a status above 399 (wrk's "Non-2xx or 3xx responses").
REPORTING = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
statuses = {}
response = function(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
done = function(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local by_status = {}
  for status, n in pairs(counts) do table.insert(by_status, string.format("\\"%d\\":%d", status, n)) end
  io.write(string.format(
    "MARK{\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,"
    .. "\\"non_2xx\\":%d,\\"connect_errors\\":%d,\\"read_errors\\":%d,\\"write_errors\\":%d,"
    .. "\\"timeouts\\":%d,\\"bytes\\":%d,\\"statuses\\":{%s}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.bytes, table.concat(by_status, ",")))
end
""".replace("MARK", RESULT_MARK)


@dataclass(frozen=True)
class LoadSettings:
    duration_s: float
    warmup_s: float
    connections: int
    timeout_s: float
    wrk_cpu: int | None


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_us: int
    p50_us: int
    p99_us: int
    max_us: int
    non_2xx: int
    connect_errors: int
    read_errors: int
    write_errors: int
    timeouts: int
    bytes: int
    statuses: dict[str, int] = field(default_factory=dict)
    """Answers by HTTP status."""

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def error_statuses(self) -> str:
        """The statuses above 399 with their counts, e.g. "503: 3"."""
        return ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()) if int(status) > 399)

    @property
    def socket_errors(self) -> int:
        return self.connect_errors + self.read_errors + self.write_errors + self.timeouts

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def lua_string(text: str) -> str:
    """A Lua long-bracket literal, which needs no escaping."""
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


def lua_script(op: Operation) -> str:
    lines = [f"wrk.method = {lua_string(op.method)}"]
    if op.body is not None:
        lines.append(f"wrk.body = {lua_string(op.body)}")
    # The spaces keep "[[" from opening a long string.
    lines += [f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}" for k, v in op.headers.items()]
    return "\n".join(lines) + "\n" + REPORTING


def write_scripts(ops: tuple[Operation, ...], folder: Path) -> dict[str, Path]:
    """Write one Lua script per operation; return them by operation label."""
    scripts = {}
    for op in ops:
        path = folder / f"{op.api}-{op.kind}.lua"
        path.write_text(lua_script(op))
        scripts[op.label] = path
    return scripts


def run_wrk(url: str, script: Path, seconds: float, settings: LoadSettings) -> LoadResult:
    argv = pinned(["wrk", "-t1", f"-c{settings.connections}", f"-d{max(1, round(seconds))}s", "--latency",
                   f"--timeout={settings.timeout_s:g}s", "-s", str(script), url], settings.wrk_cpu)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            return LoadResult(**json.loads(line.removeprefix(RESULT_MARK)))
    raise RuntimeError(f"wrk gave no result for {url}: {done.stdout[-500:]}{done.stderr[-500:]}")


def measure(url: str, script: Path, settings: LoadSettings) -> LoadResult:
    """A short warm-up (its figures are dropped), then the measured run."""
    if settings.warmup_s > 0:
        run_wrk(url, script, settings.warmup_s, settings)
    return run_wrk(url, script, settings.duration_s, settings)
