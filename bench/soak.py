"""Soak: many clients writing at once to ``mockingjob serve --workers 2 --state FILE`` while its processes are
killed, then every acknowledged write reconciled against what the server holds.

    .venv/bin/python bench/soak.py [--clients 64] [--duration 60] [--workers 2] [--state FILE|URL]

Each client loops over writes whose identity it knows: a Scale job queued with a marker in its input, a
Coalesce run started with a marker in its parameters, a Marquez job put under a new name, and (with the other
clients) the same Marquez job put at once. A write is *acknowledged* when the server answered it with a 2xx.
Meanwhile a worker is killed with SIGKILL every few seconds (uvicorn starts another), the server is stopped with
SIGTERM and started again once, and its parent is killed with SIGKILL and started again once (its workers must
die with it, or the new server cannot bind the port). Requests that meet a dead connection are retried by no
one: they are counted, not acknowledged.

At the end, with the server up and left alone, every acknowledged write is read back. It prints: requests
sent, acknowledged writes, lost (acknowledged but absent, or holding another client's marker), duplicated (one
name or marker found more than once), 5xx answers, and connection errors. Exit status 1 if anything was lost or
duplicated or any answer was a 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

SCALE = {"Authorization": "Token soak"}
BEARER = {"Authorization": "Bearer soak"}
CREDENTIALS = {"snowflakeAuthType": "Basic", "snowflakeUsername": "soak", "snowflakePassword": "soak-pass"}
RACED_JOBS = 40  # names every client puts, at about the same moments


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, port: int, workers: int, state: str) -> None:
        self.port, self.workers, self.state = port, workers, state
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.restarts = 0
        self.orphans_lived: float | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "mockingjob", "serve", "--port", str(self.port), "--state", self.state,
                   "--workers", str(self.workers), "--no-access-log", "--token", "soak"]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self.output()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def workers_pids(self) -> list[int]:
        assert self.process is not None
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError):
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if parent == self.process.pid and b"resource_tracker" not in (stat.parent / "cmdline").read_bytes():
                    pids.append(int(stat.parent.name))
        return pids

    def stop(self, how: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(how)
        self.process.wait(timeout=60)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop(signal.SIGTERM)
        self.log.close()


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: int = 0
    scale_jobs: dict[int, str] = field(default_factory=dict)  # id -> marker
    scale_duplicates: int = 0
    coalesce_runs: dict[int, str] = field(default_factory=dict)
    coalesce_duplicates: int = 0
    marquez_jobs: set[str] = field(default_factory=set)
    raced_acknowledged: Counter[str] = field(default_factory=Counter)

    @property
    def acknowledged(self) -> int:
        return (len(self.scale_jobs) + self.scale_duplicates + len(self.coalesce_runs) + self.coalesce_duplicates
                + len(self.marquez_jobs) + sum(self.raced_acknowledged.values()))


async def client_loop(number: int, base: str, until: float, tally: Tally) -> None:
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        sequence = 0
        while time.monotonic() < until:
            sequence += 1
            marker = f"c{number}-{sequence}"
            kind = rng.choice(["scale", "coalesce", "marquez", "raced"])
            try:
                tally.requests += 1
                if kind == "scale":
                    answer = await http.post("/scale/v6/jobs/", headers=SCALE, json={
                        "job_type_id": 1, "input": {"files": {"INPUT_FILE": [61]}, "json": {"marker": marker}}})
                    if answer.status_code == 201:
                        job_id = answer.json()["id"]
                        if job_id in tally.scale_jobs:
                            tally.scale_duplicates += 1
                        tally.scale_jobs[job_id] = marker
                elif kind == "coalesce":
                    answer = await http.post("/coalesce/scheduler/startRun", headers=BEARER, json={
                        "runDetails": {"environmentID": "2", "jobID": "1"}, "userCredentials": CREDENTIALS,
                        "parameters": {"marker": marker}})
                    if answer.status_code == 200:
                        run = int(answer.json()["runCounter"])
                        if run in tally.coalesce_runs:
                            tally.coalesce_duplicates += 1
                        tally.coalesce_runs[run] = marker
                elif kind == "marquez":
                    answer = await http.put(f"/marquez/api/v1/namespaces/soak/jobs/{marker}",
                                            json={"type": "BATCH", "inputs": [], "outputs": []})
                    if answer.status_code == 404:  # the namespace first, once
                        await http.put("/marquez/api/v1/namespaces/soak", json={"ownerName": "soak"})
                        answer = await http.put(f"/marquez/api/v1/namespaces/soak/jobs/{marker}",
                                                json={"type": "BATCH", "inputs": [], "outputs": []})
                    if answer.status_code == 200:
                        tally.marquez_jobs.add(marker)
                else:
                    name = f"raced-{int(time.monotonic() * 2) % RACED_JOBS}"
                    answer = await http.put(f"/marquez/api/v1/namespaces/food_delivery/jobs/{name}",
                                            json={"type": "BATCH", "inputs": [], "outputs": [],
                                                  "description": marker})
                    if answer.status_code == 200:
                        tally.raced_acknowledged[name] += 1
                tally.statuses[answer.status_code] += 1
            except httpx.TransportError:
                tally.connection_errors += 1
                await asyncio.sleep(0.2)  # the server is restarting: wait a little, as clients do


async def disturb(server: Server, until: float, every: float) -> list[str]:
    """Kill a worker now and then; once stop and restart the server gracefully, once kill its parent."""
    events: list[str] = []
    start = time.monotonic()
    span = until - start
    plan = [(start + span * 0.4, "sigterm"), (start + span * 0.7, "sigkill-parent")]
    next_kill = start + every
    while time.monotonic() < until:
        await asyncio.sleep(0.2)
        now = time.monotonic()
        if plan and now >= plan[0][0]:
            _, what = plan.pop(0)
            await asyncio.to_thread(_restart, server, what)
            events.append(what)
            next_kill = time.monotonic() + every
        elif now >= next_kill and server.workers > 1:
            workers = server.workers_pids()
            if workers:
                os.kill(random.choice(workers), signal.SIGKILL)
                events.append("sigkill-worker")
            next_kill = now + every
    return events


def _restart(server: Server, how: str) -> None:
    if how == "sigterm":
        server.stop(signal.SIGTERM)
    else:
        assert server.process is not None
        workers = server.workers_pids()
        server.process.kill()
        server.process.wait()
        killed = time.monotonic()
        # They stop accepting at once, then finish what is in flight: at most uvicorn's graceful 30 s.
        deadline = killed + 40
        while any(Path(f"/proc/{pid}").exists() and b"Z" not in _state(pid) for pid in workers):
            if time.monotonic() > deadline:
                raise RuntimeError("workers outlived their parent")
            time.sleep(0.05)
        server.orphans_lived = time.monotonic() - killed
    server.start()
    server.restarts += 1


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return b"Z"


def reconcile(base: str, tally: Tally) -> tuple[int, int]:
    """(lost, duplicated) among the acknowledged writes."""
    lost = duplicated = 0
    with httpx.Client(base_url=base, timeout=30) as http:
        for job_id, marker in tally.scale_jobs.items():
            answer = http.get(f"/scale/v6/jobs/{job_id}/", headers=SCALE)
            if answer.status_code != 200 or answer.json()["input"]["json"].get("marker") != marker:
                lost += 1
        for run, marker in tally.coalesce_runs.items():
            answer = http.get(f"/coalesce/api/v1/runs/{run}", headers=BEARER)
            if answer.status_code != 200 or (answer.json().get("runTimeParameters") or {}).get("marker") != marker:
                lost += 1
        listed = http.get("/marquez/api/v1/namespaces/soak/jobs", params={"limit": 100_000}).json().get("jobs", [])
        names = Counter(job["name"] for job in listed)
        lost += sum(1 for name in tally.marquez_jobs if names[name] == 0)
        raced = Counter(job["name"] for job in http.get("/marquez/api/v1/namespaces/food_delivery/jobs",
                                                        params={"limit": 100_000}).json()["jobs"])
        lost += sum(1 for name in tally.raced_acknowledged if raced[name] == 0)
        duplicated += sum(count - 1 for count in (*names.values(), *raced.values()) if count > 1)
    duplicated += tally.scale_duplicates + tally.coalesce_duplicates
    return lost, duplicated


async def soak(args: argparse.Namespace) -> int:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        state = args.state or str(Path(folder) / "soak.sqlite")
        server = Server(port, args.workers, state)
        server.start()
        base = f"http://127.0.0.1:{port}"
        tally = Tally()
        until = time.monotonic() + args.duration
        started = time.monotonic()
        try:
            results = await asyncio.gather(disturb(server, until, args.kill_every),
                                           *(client_loop(n, base, until, tally) for n in range(args.clients)))
            elapsed = time.monotonic() - started
            events = Counter(results[0])
            lost, duplicated = reconcile(base, tally)
        finally:
            output = server.output()
            server.close()
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    shown = sa.make_url(args.state).render_as_string(hide_password=True) if args.state else "a SQLite file"
    print(f"soak: {args.clients} clients, {args.duration:.0f} s, --workers {args.workers}, state {shown}")
    print(f"disturbances: {dict(events)}")
    if server.orphans_lived is not None:
        print(f"after the parent's SIGKILL its workers finished in {server.orphans_lived:.1f} s")
    print(f"{'requests':>24}: {tally.requests}  ({tally.requests / elapsed:.0f}/s)")
    print(f"{'acknowledged writes':>24}: {tally.acknowledged}")
    print(f"{'lost':>24}: {lost}")
    print(f"{'duplicated':>24}: {duplicated}")
    print(f"{'5xx answers':>24}: {server_errors}")
    print(f"{'connection errors':>24}: {tally.connection_errors}  (requests the kills cut; none acknowledged)")
    print(f"{'statuses':>24}: {dict(sorted(tally.statuses.items()))}")
    if "Traceback" in output:
        print("server tracebacks:\n" + "\n".join(line for line in output.splitlines() if "Error" in line)[:4000])
    return 1 if lost or duplicated or server_errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--state", help="a database URL to share instead of a temporary SQLite file")
    parser.add_argument("--kill-every", type=float, default=7.0, help="seconds between worker kills (default 7)")
    sys.exit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
