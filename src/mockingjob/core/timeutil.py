"""Time helpers shared by the engine and the packs: UTC datetimes, ISO-8601 text and durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["UTC", "format_duration", "format_iso", "parse_duration", "parse_iso", "relative_time", "to_utc"]

# ISO-8601 durations as used by clients and by our admin/CLI options: days and time parts, optional sign,
# fractional values allowed (PT0.5S). Years and months are left out on purpose: they have no fixed length.
_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration such as ``PT3H0M0S``, ``P1DT12H`` or ``-PT30S``.

    Raises `ValueError` for anything else, including durations too large to represent.
    """
    text = text.strip()
    match = _DURATION.match(text)
    # "P" alone and a dangling "T" match the pattern but say nothing: reject them like ISO-8601 does.
    if match is None or text.lstrip("+-") == "P" or text.endswith("T"):
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    try:
        delta = timedelta(**parts)
    except OverflowError as exc:
        raise ValueError(f"duration out of range: {text!r}") from exc
    return -delta if match.group("sign") == "-" else delta


def to_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 date-time with a timezone (``Z`` or an offset) into aware UTC."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError(f"date-time has no timezone: {text!r}")
    return value.astimezone(UTC)


def format_iso(value: datetime | None, *, digits: int | None = None) -> str | None:
    """Render a datetime as ISO-8601 UTC with a ``Z`` suffix, or None for None.

    `digits` fixes the number of fractional digits (3 for milliseconds); None keeps Python's own rule
    (microseconds when non-zero, none otherwise), which is also what Django REST framework emits.
    """
    if value is None:
        return None
    value = to_utc(value).replace(tzinfo=None)
    if digits is None:
        return value.isoformat() + "Z"
    text = value.isoformat(timespec="microseconds")
    head, frac = text.split(".")
    return f"{head}.{frac[:digits]}Z" if digits else f"{head}Z"


def format_duration(delta: timedelta) -> str:
    """Render `delta` as the ISO-8601 duration `parse_duration` reads back exactly (``-P1DT2H3M4.5S``, ``PT0S``)."""
    sign = "-" if delta < timedelta(0) else ""
    delta = abs(delta)
    days, rest = delta.days, delta.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = ""
    if hours:
        time += f"{hours}H"
    if minutes:
        time += f"{minutes}M"
    if seconds or delta.microseconds:
        time += f"{seconds}.{delta.microseconds:06d}".rstrip("0").rstrip(".") + "S"
    if not days and not time:
        return "PT0S"
    return f"{sign}P{f'{days}D' if days else ''}{f'T{time}' if time else ''}"


def relative_time(value: str | datetime | None, at: datetime) -> str | None:
    """The fixture form of an instant the real service answered: a duration from `at` (``-PT5H``), which a
    fixture file reads back relative to the moment it is seeded. None stays None; text that is no ISO-8601
    instant raises `ValueError`."""
    if value is None:
        return None
    instant = parse_iso(value) if isinstance(value, str) else to_utc(value)
    return format_duration(instant - to_utc(at))
