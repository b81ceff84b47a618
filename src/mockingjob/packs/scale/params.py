"""Django REST framework's parameters as Scale parses them: flags, timestamps, time ranges, and pagination."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.kit import UTC, ApiError, Call

from .errors import bad_parameter

# --- flags ---------------------------------------------------------------------------------------------

def flag(value: bool | str) -> bool:
    """Scale's ``parse_bool``: true/t/1 and false/f/0 in any case (the spec's pattern admits nothing else)."""
    if isinstance(value, bool):
        return value
    return value.lower() in ("true", "t", "1")


# --- time parameters -----------------------------------------------------------------------------------

_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)$"
)


def parse_timestamp(name: str, value: str, now: datetime) -> datetime:
    """Scale's ``parse_timestamp``: an ISO-8601 duration counts back from now; a date-time needs a timezone.
    Whatever is wrong, the error is the same: util/rest.py catches every failure of the parse and words it so."""
    if value.startswith("P"):
        match = _DURATION.match(value)
        if not match:
            raise bad_parameter(f"Invalid ISO timestamp format for parameter: {name}")
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        try:
            return now - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError as exc:
            raise bad_parameter(f"Invalid ISO timestamp format for parameter: {name}") from exc
    if "Z" not in value and "+" not in value:
        raise bad_parameter(f"Invalid ISO timestamp format for parameter: {name}")
    match = _DATETIME.match(value)
    if not match:
        raise bad_parameter(f"Invalid ISO timestamp format for parameter: {name}")
    year, month, day, hour, minute, second, micro, tz = match.groups()
    try:
        parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                          int((micro or "0").ljust(6, "0")), tzinfo=UTC)
        if tz != "Z":
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            parsed -= sign * offset
    except (ValueError, OverflowError) as exc:
        raise bad_parameter(f"Invalid ISO timestamp format for parameter: {name}") from exc
    return parsed


def time_range(source: dict[str, Any], now: datetime, start: str = "started", end: str = "ended"
               ) -> tuple[datetime | None, datetime | None]:
    """Parse a started/ended pair and check it like Scale's ``check_time_range``."""
    started = parse_timestamp(start, source[start], now) if source.get(start) else None
    ended = parse_timestamp(end, source[end], now) if source.get(end) else None
    if started and ended:
        if started == ended:
            raise bad_parameter("Start and end values must be different")
        if started > ended:
            raise bad_parameter("Start time must come before end time")
    return started, ended


# --- pagination ----------------------------------------------------------------------------------------

def _with_page(url: str, page: int | None) -> str:
    """DRF's replace_query_param / remove_query_param: the other parameters are kept, sorted by name."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if page is None:
        params.pop("page", None)
    else:
        params["page"] = [str(page)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment))


def _requested(call: Call) -> tuple[int | None, int]:
    """The page asked for (None for DRF's ``last``) and the page size."""
    given = call.params.get("page") or 1
    return (None if given == "last" else int(given)), int(call.params.get("page_size") or 100)


def _envelope(call: Call, page: int, pages: int, count: int) -> dict[str, Any]:
    if page > pages:
        raise ApiError(404, "Invalid page.")
    return {
        "count": count,
        "next": _with_page(call.full_url, page + 1) if page < pages else None,
        "previous": None if page == 1 else _with_page(call.full_url, None if page == 2 else page - 1),
    }


def paginate(call: Call, conn: Connection, page_query: sa.Select[Any], count_query: sa.Select[Any],
             values: dict[str, Any]) -> tuple[dict[str, Any], Sequence[Any]]:
    """Run `page_query` (whose LIMIT and OFFSET are the bind parameters ``limit`` and ``offset``) with `values`
    for the requested page; return the DRF envelope (without results) and the rows.

    A first page shorter than the page size is the whole answer: its length is the count.
    """
    page, size = _requested(call)
    rows: Sequence[Any] | None = None
    count = None
    if page in (1, None):
        rows = conn.execute(page_query, {**values, "limit": size, "offset": 0}).all()
        if len(rows) < size:
            count = len(rows)
    if count is None:
        count = conn.execute(count_query, values).scalar_one()
    pages = max(1, math.ceil(count / size))
    if page is None:  # DRF's last_page_strings
        page = pages
    envelope = _envelope(call, page, pages, count)
    if page > 1:
        rows = conn.execute(page_query, {**values, "limit": size, "offset": (page - 1) * size}).all()
    assert rows is not None
    return envelope, rows


def page_envelope(call: Call, count: int) -> tuple[dict[str, Any], slice]:
    """The DRF envelope of the requested page of `count` items computed in full, and the slice that page is."""
    page, size = _requested(call)
    pages = max(1, math.ceil(count / size))
    page = pages if page is None else page
    return _envelope(call, page, pages, count), slice((page - 1) * size, page * size)
