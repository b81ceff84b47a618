"""The kinds of OpenLineage event Marquez takes, and what each must carry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["REQUIRED", "event_kind", "missing"]

REQUIRED: dict[str | None, tuple[str, ...]] = {None: ("run", "job"), "JOB_EVENT": ("job",),
                                               "DATASET_EVENT": ("dataset",)}
"""What each kind of event must carry besides its time and producer (LineageEvent, JobEvent and DatasetEvent's
@NotNull fields)."""


def event_kind(event: Mapping[str, Any]) -> str | None:
    """What Marquez takes an event for, by the end of its ``schemaURL`` (EventTypeResolver): ``JOB_EVENT``,
    ``DATASET_EVENT``, or None for a run event (so is any other URL, and none)."""
    url = event.get("schemaURL")
    tail = url.rsplit("/", 1)[-1] if isinstance(url, str) and "/" in url else ""
    return {"JobEvent": "JOB_EVENT", "DatasetEvent": "DATASET_EVENT"}.get(tail)


def missing(event: Mapping[str, Any]) -> list[str]:
    """What `event` lacks of what its kind must carry."""
    return [name for name in REQUIRED[event_kind(event)] if event.get(name) is None]
