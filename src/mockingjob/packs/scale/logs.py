"""Execution logs, derived from the job type's log script and the execution's timeline.

A job type's fixture lists the lines its jobs print (``plan.log``: seconds after start, stream, message).
A line exists once the clock has passed its instant and the execution had not ended before it; a failed
execution adds its error to stderr at the end, a completed one a closing stdout line.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mockingjob.kit import ApiError

from .documents import cluster_id, ts

_SERVED = ("application/json", "text/plain")


def negotiate(accept: str | None) -> str:
    """Pick JSON or plain text from an Accept header, as DRF's content negotiation would (406 otherwise)."""
    if not accept:
        return "application/json"
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.strip().lower()))
    for negative_quality, _, media in sorted(ranked):
        if negative_quality >= 0:
            continue
        if media in ("*/*", "application/*", "application/json"):
            return "application/json"
        if media in ("text/*", "text/plain"):
            return "text/plain"
    raise ApiError(406, "Could not satisfy the request Accept header.")


def lines(exe: Any, now: datetime, log_id: str, since: datetime | None) -> list[dict[str, Any]]:
    """The log lines of execution row `exe` (a row of `queries.EXES_WITH_LOG_SCRIPT`)."""
    if exe.run_at is None or exe.run_at > now:
        return []
    stop = min(now, exe.end_at) if exe.end_at is not None else now
    script = list(exe.plan.get("log") or [])
    entries: list[tuple[datetime, str, str]] = []
    for item in script:
        at = exe.run_at + timedelta(seconds=float(item.get("at", 0)))
        if at <= stop and (exe.end_at is None or at < exe.end_at):
            entries.append((at, item.get("stream", "stdout"), str(item["message"])))
    if exe.end_at is not None and exe.end_at <= now:
        if exe.outcome == "FAILED":
            entries.append((exe.end_at, "stderr", f"ERROR: {exe.error_description or 'the job failed'}"))
            entries.append((exe.end_at, "stderr", "Exit code: 1"))
        elif exe.outcome == "COMPLETED":
            entries.append((exe.end_at, "stdout", "Job completed successfully"))
        elif exe.outcome == "CANCELED":
            entries.append((exe.end_at, "stderr", "Received SIGTERM: execution canceled"))
    result = []
    for order, (at, stream, message) in enumerate(entries, start=1):
        if log_id != "combined" and stream != log_id:
            continue
        if since is not None and at < since:
            continue
        result.append({
            "message": message, "@timestamp": ts(at), "scale_order_num": order, "scale_task": exe.id,
            "scale_job_exe": cluster_id(exe.job_id, exe.id, exe.exe_num), "scale_node": exe.hostname, "stream": stream,
        })
    return result
