"""The clock every run's state is derived from.

One model covers the three ways time can pass: real time (speed 1), sped-up time (speed X) and manual time
(speed 0: it moves only when told). The clock is an anchor — a virtual instant paired with the wall-clock
instant it was set at — plus a speed. It lives in the store, so every worker process reads the same time and
a change made through one request is seen by the next, whichever process serves it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from .store import Store
from .timeutil import UTC, format_iso, parse_iso, to_utc

__all__ = ["EARLIEST", "LATEST", "Clock", "ClockState"]

# The range virtual time stays in. Fixtures are seeded centuries either side of now at most, and the APIs'
# filters reach back at most a few centuries more: every date any API computes stays within years 1-9999.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)

_KEY = "clock"


@dataclass(frozen=True)
class ClockState:
    """The virtual time `anchor` was current at wall-clock second `wall`; since then it ran at `speed`."""

    anchor: datetime
    wall: float
    speed: float

    def at(self, wall: float) -> datetime:
        """The virtual time at wall-clock second `wall`; a fast clock stops at `LATEST` rather than overflow."""
        seconds = (wall - self.wall) * self.speed
        room = (LATEST - self.anchor).total_seconds()
        if not seconds <= room:  # NaN included
            return LATEST
        return self.anchor + timedelta(seconds=max(seconds, (EARLIEST - self.anchor).total_seconds()))

    def to_json(self) -> dict[str, object]:
        return {"anchor": format_iso(self.anchor), "wall": self.wall, "speed": self.speed}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ClockState:
        return cls(parse_iso(str(data["anchor"])), float(data["wall"]), float(data["speed"]))  # type: ignore[arg-type]


class Clock:
    """Virtual time, shared through the store.

    >>> clock = Clock(store)
    >>> clock.start(speed=0)                  # manual: frozen until advanced
    >>> clock.advance(timedelta(minutes=5))
    """

    def __init__(self, store: Store, wall: Callable[[], float] = time.time) -> None:
        self._store = store
        self._wall = wall

    def state(self, conn: Connection | None = None) -> ClockState:
        if conn is None:
            with self._store.begin() as own:
                return self.state(own)
        def load(conn: Connection) -> ClockState | None:
            data = self._store.get_setting(conn, _KEY)
            return None if data is None else ClockState.from_json(data)

        # Read on every request: a private store parses it once per change.
        state = self._store.cached(conn, "clock-state", (self._store.settings,), load)
        return state if state is not None else ClockState(datetime.now(UTC), self._wall(), 1.0)

    def now(self, conn: Connection | None = None) -> datetime:
        """The current virtual time, as an aware UTC datetime."""
        return self.state(conn).at(self._wall())

    def _save(self, anchor: datetime, speed: float, conn: Connection | None) -> ClockState:
        anchor = to_utc(anchor)
        if not EARLIEST <= anchor <= LATEST:
            raise ValueError(f"the clock keeps between {format_iso(EARLIEST)} and {format_iso(LATEST)}")
        if not math.isfinite(speed) or speed < 0:
            raise ValueError("speed must be a finite number, 0 or more")
        state = ClockState(anchor, self._wall(), speed)
        if conn is None:
            with self._store.begin() as own:
                self._store.put_setting(own, _KEY, state.to_json())
        else:
            self._store.put_setting(conn, _KEY, state.to_json())
        return state

    def start(self, *, speed: float = 1.0, at: datetime | None = None, conn: Connection | None = None) -> ClockState:
        """Anchor the clock afresh: at `at` (default: the real time now), running at `speed`."""
        return self._save(at or datetime.fromtimestamp(self._wall(), UTC), speed, conn)

    def resume(self, *, speed: float | None = None, conn: Connection | None = None) -> ClockState:
        """Keep the current virtual time; change the speed if one is given."""
        current = self.state(conn)
        return self._save(current.at(self._wall()), current.speed if speed is None else speed, conn)

    def set(self, at: datetime, conn: Connection | None = None) -> ClockState:
        """Jump to `at`, keeping the speed."""
        return self._save(at, self.state(conn).speed, conn)

    def advance(self, delta: timedelta, conn: Connection | None = None) -> ClockState:
        """Move virtual time forward by `delta` (backward if negative), keeping the speed."""
        current = self.state(conn)
        now = current.at(self._wall())
        if not (EARLIEST - now) <= delta <= (LATEST - now):
            raise ValueError(f"the clock keeps between {format_iso(EARLIEST)} and {format_iso(LATEST)}")
        return self._save(now + delta, current.speed, conn)

    def set_speed(self, speed: float, conn: Connection | None = None) -> ClockState:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        return self.resume(speed=speed, conn=conn)
