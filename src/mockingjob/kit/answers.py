"""Reading a real service's answers, which may be of any shape (``mockingjob record``): each reader answers the
value if it is of the kind asked for, and None (or an empty container) if it is not. None of them raises."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core.timeutil import parse_iso

__all__ = ["instant_of", "integer_of", "list_of", "mapping_of", "number_of", "text_of"]


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def integer_of(value: Any) -> int | None:
    # bool is an int in Python, never a number in JSON.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number_of(value: Any) -> float | int | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def instant_of(value: Any) -> datetime | None:
    """An ISO-8601 instant with its timezone; None for anything else (no timezone, a year past 9999…)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except (ValueError, OverflowError):
        return None


def mapping_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
