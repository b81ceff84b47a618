"""Helpers for wording validation errors the way a real service does."""

from __future__ import annotations

import re

from ..core.errors import Violation

__all__ = ["leaf", "media_type_of", "unknown_fields"]


def leaf(name: str) -> str:
    """The last part of a dotted name (``input.files`` → ``files``)."""
    return name.split(".")[-1] if name else name


def unknown_fields(violation: Violation) -> list[str]:
    """The field names an ``additionalProperties`` violation names (``'a', 'b' were unexpected``)."""
    return re.findall(r"'([^']*)'", violation.message)  # '' too: a body may have an empty key


def media_type_of(violation: Violation) -> str:
    """The media type a ``content-type`` violation names (connexion puts it in parentheses), or ""."""
    match = re.search(r"\(([^)]*)\)", violation.message)
    return match.group(1) if match else ""
