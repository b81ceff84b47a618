"""Instants as Marquez (``java.time.Instant`` through Jackson) reads and writes them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from mockingjob.kit import UTC, to_utc

from .errors import bad_request

__all__ = ["format_instant", "parse_instant"]

_INSTANT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)


def parse_instant(name: str, text: str) -> datetime:
    """Parse an ISO-8601 instant as ``java.time.Instant`` does (nanoseconds are cut to microseconds)."""
    match = _INSTANT.match(text)
    if match is None:
        raise bad_request(f"Text '{text}' could not be parsed at index 0 ({name})")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         int((fraction or "0")[:6].ljust(6, "0")), tzinfo=UTC)
        if zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            value -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"Text '{text}' could not be parsed: {exc} ({name})") from exc
    return value


def format_instant(value: datetime | None) -> str | None:
    """``Instant.toString()``: UTC with ``Z``, fraction digits in groups of three, none when zero."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the store hands out UTC already
        value = to_utc(value)
    # printf-style formatting: several times faster than strftime, and every served instant comes through here.
    # "%d" for the year, as glibc's strftime("%Y") writes it (unpadded before year 1000).
    fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
    micro = value.microsecond
    if micro == 0:
        return "%d-%02d-%02dT%02d:%02d:%02dZ" % fields  # noqa: UP031
    if micro % 1000 == 0:
        return "%d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (*fields, micro // 1000)  # noqa: UP031
    return "%d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (*fields, micro)  # noqa: UP031
