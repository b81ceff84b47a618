"""The plan that makes a recorded job group replay as it was seen: a recipe's ``plan`` (wait, job durations, a
failure) and the run's write settings, profiling and cancel instant, from what a job group document told.

A fixture job group is planned like a new run of its recipe started at ``created`` (`seed`), so seeing it the
same way again is a matter of choosing the recipe's durations so that, at the instant it was recorded, every
job has ended, or is running, at the instants the answer showed. What the answer cannot show (when the first
job started, once it has ended; how long a job still waiting will take) is left to the mock's defaults.

The documents do not say which recipe each wrangle job ran: the wrangle jobs of the recipes a recipe depends
on are taken together, as one wrangle job of the recipe lasting as long as they did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# What the mock plans for a recipe whose plan does not say (model.plan_for_new_run): used for what has not
# happened yet when the run was seen, which the answer cannot tell.
DEFAULT_SECONDS = {"queued": 5.0, "wrangle": 30.0, "filewriter": 10.0, "profile": 20.0}
FINAL = ("Complete", "Failed", "Canceled")
STATES = ("Created", "InProgress", *FINAL)
# The job types, in the order the mock runs them.
JOB_TYPES = ("wrangle", "filewriter", "profile")


@dataclass(frozen=True)
class JobSeen:
    """A job as a job group document embeds it."""

    type: str
    status: str
    updated: datetime | None
    percent: int | None
    started: bool
    """Whether it had started (a last heartbeat): a canceled job may have run, or never."""
    error: str | None = None


@dataclass(frozen=True)
class RunSeen:
    """A job group as an answer showed it at `now`; `jobs` None when the answer did not embed them."""

    created: datetime
    status: str
    updated: datetime | None
    now: datetime
    jobs: tuple[JobSeen, ...] | None = None


@dataclass(frozen=True)
class Replay:
    """What makes the run replay as seen: its recipe's plan, and the run's own settings."""

    plan: dict[str, Any]
    write_settings: int
    profiler: bool | None
    """From the jobs (a profile job among them); None when they were not seen."""
    canceled: datetime | None


@dataclass(frozen=True)
class _Phase:
    """One job of the replayed run: ended at `end`, running (`running`, `percent` done) or waiting."""

    type: str
    end: datetime | None = None
    running: bool = False
    percent: int | None = None


def replay(run: RunSeen) -> Replay:
    jobs = run.jobs
    phases = _phases(jobs) if jobs is not None else _phases_of_status(run)
    # A canceled run stopped moving at its cancel: what was running then is measured up to that instant.
    canceled = (run.updated or run.now) if run.status == "Canceled" else None
    seen_at = canceled or run.now
    queued = _queued(run, phases, seen_at)
    seconds: dict[str, float] = {}
    at = run.created.timestamp() + queued
    for phase in phases:
        if phase.end is not None:
            lasted = max(0.0, phase.end.timestamp() - at)
            at = phase.end.timestamp()
        elif phase.running:
            lasted = _lasting(seen_at.timestamp() - at, phase.percent, DEFAULT_SECONDS[phase.type])
        else:
            lasted = DEFAULT_SECONDS[phase.type]
        # The mock gives every file writer of a run one duration: the first one's.
        seconds.setdefault(phase.type, round(lasted, 6))
    if jobs is None:
        # The whole run is its wrangle job: a profile job (the document says whether there is one) takes no time.
        seconds.update(filewriter=0.0, profile=0.0)
    plan: dict[str, Any] = {"queued": round(queued, 6), **seconds}
    failure = _failure(run, jobs)
    if failure is not None:
        plan["fails"] = failure
    writers = sum(phase.type == "filewriter" for phase in phases)
    profiler = None if jobs is None else any(job.type == "profile" for job in jobs)
    return Replay(plan, writers, profiler, canceled)


def _phases(jobs: Sequence[JobSeen]) -> list[_Phase]:
    """The jobs in the order the mock runs them, the wrangle jobs as one."""
    wrangles = [job for job in jobs if job.type == "wrangle"]
    phases = [_wrangle_phase(wrangles)]
    phases += [_phase(job) for job in jobs if job.type == "filewriter"]
    phases += [_phase(job) for job in jobs if job.type == "profile"][:1]
    return phases


def _phase(job: JobSeen) -> _Phase:
    if job.status in ("Complete", "Failed"):
        return _Phase(job.type, end=job.updated)
    if job.status == "InProgress" or (job.status == "Canceled" and job.started):
        return _Phase(job.type, running=True, percent=job.percent)
    return _Phase(job.type)


def _wrangle_phase(wrangles: Sequence[JobSeen]) -> _Phase:
    phases = [_phase(job) for job in wrangles]
    running = next((phase for phase in phases if phase.running), None)
    if running is not None:
        return running
    ends = [phase.end for phase in phases if phase.end is not None]
    if ends and all(phase.end is not None or job.status == "Canceled" for phase, job in zip(phases, wrangles,
                                                                                              strict=True)):
        return _Phase("wrangle", end=max(ends))
    if ends:  # one ended, the next waits: between two of them
        return _Phase("wrangle", running=True)
    return _Phase("wrangle")


def _phases_of_status(run: RunSeen) -> list[_Phase]:
    """Without its jobs, the run as one wrangle job: the document shows only when the whole run ended."""
    if run.status in ("Complete", "Failed"):
        return [_Phase("wrangle", end=run.updated)]
    if run.status in ("InProgress", "Canceled"):
        return [_Phase("wrangle", running=True)]
    return [_Phase("wrangle")]


def _queued(run: RunSeen, phases: Sequence[_Phase], seen_at: datetime) -> float:
    """Seconds between the run's creation and its first job's start."""
    if all(phase.end is None and not phase.running for phase in phases):
        # Still waiting when seen (or canceled while waiting): it starts after that, when is not told.
        return max(0.0, (seen_at - run.created).total_seconds()) + DEFAULT_SECONDS["queued"]
    if run.status == "InProgress" and run.updated is not None:
        return max(0.0, (run.updated - run.created).total_seconds())  # a running group last changed as it started
    # Once the first job has ended, when it started is shown nowhere: any split of the wait and the job replays
    # the same documents.
    return 0.0


def _lasting(elapsed: float, percent: int | None, default: float) -> float:
    """How long a job running for `elapsed` seconds lasts, if it shows `percent` done (the mock shows
    ``int(elapsed / seconds * 100)``, at most 99 until it ends): one such duration."""
    if elapsed <= 0:
        return default
    if percent is None:
        return elapsed + default
    percent = min(max(percent, 0), 99)
    if percent == 0:
        return max(elapsed * 200, elapsed + default)
    low = elapsed * 100 / (percent + 1) if percent < 99 else elapsed
    high = elapsed * 100 / percent
    return (low + high) / 2


def _failure(run: RunSeen, jobs: Sequence[JobSeen] | None) -> dict[str, Any] | None:
    if run.status != "Failed":
        return None
    failed = next((job for job in jobs or () if job.status == "Failed"), None)
    if failed is None:
        return {"job": "wrangle"}  # which job failed, and why, is not told
    return {"job": failed.type, **({"error": failed.error} if failed.error else {})}
