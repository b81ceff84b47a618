"""What a verification is asked to do: the command line's options as plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["READ_METHODS", "CannotRun", "Plan"]

READ_METHODS = ("GET", "HEAD")
"""The methods a read-only run sends: nothing that changes the service's state."""


class CannotRun(Exception):
    """A verification that cannot start or go on (a bad option, a service out of reach): one line, no traceback."""


@dataclass(frozen=True)
class Plan:
    api: str
    spec_path: Path
    base_url: str
    """The real API's root: the spec's paths hang below it."""
    headers: dict[str, str] = field(default_factory=dict)
    """Sent with every request: the credentials and the user's own headers."""
    secrets: frozenset[str] = frozenset()
    """Values no report may show (the token, secret headers' values)."""
    allow_writes: bool = False
    max_examples: int = 10
    max_time: int | None = None
    rate: int | None = None
    """Requests per second at most; None: as fast as the service answers."""
    request_timeout: float = 10.0
    seed: int = 0
    """The generator's seed: the same seed sends the same requests (the console tells it)."""
