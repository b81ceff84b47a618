"""What the control plane and the HTTP layer may know of the running app: a small interface, not the app.

The app that serves (``mockingjob.http.app.MockApp``) satisfies it; the admin API and the request path are built
on it, so that neither imports the app and no layer calls back into the one that assembled it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from .clock import Clock
from .config import Config
from .pack import Pack
from .store import Store

__all__ = ["Served"]


class Served(Protocol):
    """The APIs being served, their state and the clock they run on."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def packs(self) -> Mapping[str, Pack]:
        """API name → pack, in the order they are mounted."""

    @property
    def prefixes(self) -> Mapping[str, str]:
        """API name → the path it is mounted under ("" at the root)."""

    @property
    def operations(self) -> Mapping[str, frozenset[str]]:
        """API name → the operationIds of its spec."""

    def reset(self, api: str | None = None, *, conn: Connection | None = None, control: bool = False,
              at: datetime | None = None) -> None:
        """Put one API (or all) back to its fixtures; with `control`, the scenarios, faults and journal too."""

    def add_records(self, api: str, records: Mapping[str, Any], *,
                    conn: Connection | None = None) -> dict[str, list[Any]]:
        """Add records of `api`'s fixture kinds (kind → records) to its state; answer their identities by kind."""
