"""The counts Marquez's web UI charts (StatsDao): lineage events by type, and jobs, datasets and sources made,
over the hours of the last day or the days of the last week.

The hours are UTC hours, the last one the current hour. A week's days are those of the client's time zone, the
last one today there; as Marquez computes them in SQL (``DATE_TRUNC('day', NOW() AT TIME ZONE :tz)``), each
day's start is written as its local midnight with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import UTC

from .errors import bad_request
from .instants import format_instant
from .tables import TABLES as T

__all__ = ["entity_counts", "event_counts", "intervals", "zone"]

_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)
_COUNTED = ("fail", "start", "complete", "abort")
_TABLES = {"jobs": T.jobs, "datasets": T.datasets, "sources": T.sources}


def zone(period: str, name: str | None) -> ZoneInfo | None:
    """The time zone a `WEEK` counts in (StatsResource: required for it); none for a `DAY`."""
    if period == "DAY":
        return None
    if not name:
        raise bad_request("Timezone must be specified for period 'WEEK'")
    try:
        return ZoneInfo(name)
    except (ValueError, LookupError, OSError) as exc:  # PostgreSQL's AT TIME ZONE refuses it
        raise bad_request(f'time zone "{name}" not recognized') from exc


def intervals(now: datetime, tz: ZoneInfo | None) -> list[tuple[datetime, datetime, datetime]]:
    """Each interval as (start, end) in UTC and the start as written: 24 hours (no `tz`), else 7 local days."""
    if tz is None:
        current = now.replace(minute=0, second=0, microsecond=0)
        return [(start, start + _HOUR, start) for start in (current - _HOUR * k for k in range(23, -1, -1))]
    today = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    days = []
    for k in range(6, -1, -1):
        local = today - _DAY * k
        start = local.replace(tzinfo=tz).astimezone(UTC)
        end = (local + _DAY).replace(tzinfo=tz).astimezone(UTC)
        days.append((start, end, local.replace(tzinfo=UTC)))
    return days


def event_counts(conn: Connection, spans: Iterable[tuple[datetime, datetime, datetime]]) -> list[dict[str, Any]]:
    """LineageMetric: the run events of each type whose ``eventTime`` falls in each interval."""
    spans = list(spans)
    e = T.lineage_events.c
    times = conn.execute(sa.select(e.event_time, e.document).where(
        e.kind.is_(None), e.event_time >= spans[0][0], e.event_time < spans[-1][1])).all()
    metrics = []
    for start, end, written in spans:
        counts = dict.fromkeys(_COUNTED, 0)
        for row in times:
            kind = str(row.document.get("eventType") or "").lower()
            if start <= row.event_time < end and kind in counts:
                counts[kind] += 1
        metrics.append({"startInterval": format_instant(written),
                        "endInterval": format_instant(written + (end - start)), **counts})
    return metrics


def entity_counts(conn: Connection, kind: str, spans: Iterable[tuple[datetime, datetime, datetime]]
                  ) -> list[dict[str, Any]]:
    """IntervalMetric: how many jobs, datasets or sources had been made by the end of each interval."""
    table = _TABLES[kind]
    made = [row.created_at for row in conn.execute(sa.select(table.c.created_at)) if row.created_at is not None]
    return [{"startInterval": format_instant(written), "endInterval": format_instant(written + (end - start)),
             "count": sum(1 for at in made if at < end)} for start, end, written in spans]
