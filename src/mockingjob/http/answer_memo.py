"""Answers to reads kept in memory: a GET asked again, while nothing it depends on has changed, is answered with
the bytes computed last time, without entering connexion or the store.

What an answer depends on, and how each is watched:
- the API's state and every setting (the clock among them), and the scenarios: the store's generations, moved
  by every transaction that writes them, in any process sharing the store (`Store.generations`);
- the clock's instant: an answer holds until the next instant at which a run of that API enters its next state
  (`Pack.steady_until`), and answers that move with every instant (`Pack.clock_bound_operations`) only while the
  clock is stopped;
- the request itself: method, raw path and query, and every header but those that never change an answer.
Faults, the journal, lint headers and the access log still see every request: only the work of answering is
spared. Error answers, requests with a ``Prefer`` header and APIs with scenarios that could answer are never kept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection
from starlette.types import Message, Scope

from ..core.clock import Clock, ClockState
from ..core.lint import Finding
from ..core.pack import Pack
from ..core.store import Store

__all__ = ["AnswerMemo", "Kept"]

# Headers that no API reads to shape its answer: a client that varies them (a request id, a trace) still hits.
_IGNORED_HEADERS = frozenset({
    b"connection", b"keep-alive", b"user-agent", b"accept-encoding", b"content-length", b"te", b"upgrade",
    b"cache-control", b"pragma", b"traceparent", b"tracestate", b"x-request-id", b"x-correlation-id",
    b"x-amzn-trace-id", b"if-none-match", b"if-modified-since",
})
_DEFAULT_BUDGET = 32 * 1024 * 1024
"""Bytes of answers kept, at most (the least recently used go first): polling needs few, a crawl must not grow."""

Key = tuple[str, bytes, bytes, tuple[tuple[bytes, bytes], ...]]


@dataclass(frozen=True)
class Kept:
    """One answer as it left the API's layers, and what it was computed from."""

    start: Message
    body: bytes
    findings: tuple[Finding, ...]
    generations: tuple[int, ...]
    clock: ClockState
    until: datetime
    """The first instant at which it may no longer be the answer."""

    @property
    def size(self) -> int:
        return len(self.body) + 64 * len(self.start.get("headers", ())) + 256


@dataclass(frozen=True)
class _Horizon:
    generations: tuple[int, ...]
    clock: ClockState
    until: datetime


class AnswerMemo:
    def __init__(self, store: Store, clock: Clock, scenarios_for: Callable[[Connection, Pack], bool], *,
                 budget: int = _DEFAULT_BUDGET, wall: Callable[[], float] = time.time) -> None:
        """`scenarios_for(conn, pack)`: whether `pack` has stored scenarios, any of which might answer a request
        differently from the one before (its answers are then never kept)."""
        self.store = store
        self.clock = clock
        self.scenarios_for = scenarios_for
        self.budget = budget
        self._wall = wall
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._size = 0
        self._horizons: dict[str, _Horizon] = {}
        self.hits = 0
        """Requests answered from memory so far."""

    @staticmethod
    def key(pack: Pack, scope: Scope) -> Key | None:
        """What identifies the request's answer, or None for a request never answered from memory."""
        if scope["method"] != "GET":
            return None
        headers = []
        for name, value in scope["headers"]:
            if name == b"prefer":
                return None  # it asks something of this very request
            if name not in _IGNORED_HEADERS:
                headers.append((name, value))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        return pack.name, raw_path, scope.get("query_string", b""), tuple(sorted(headers))

    def get(self, key: Key, generations: tuple[int, ...]) -> Kept | None:
        """The answer kept for `key`, if the `generations` read for this request (before it is answered: a write
        meanwhile makes what is then computed stale, never kept) are those it was computed at."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        # Equal generations mean the clock was not set either: its instant follows from the kept state.
        if kept.generations != generations or kept.clock.at(self._wall()) >= kept.until:
            self._drop(key)
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        return kept

    def keep(self, pack: Pack, operation: str, key: Key, generations: tuple[int, ...], start: Message, body: bytes,
             findings: list[Finding]) -> None:
        """Keep a fresh answer (2xx or 3xx) for the next identical request, if nothing rules it out."""
        if int(start["status"]) >= 400:
            return
        horizon = self._horizon(pack, generations)
        if horizon is None:
            return
        if horizon.clock.speed != 0 and pack.clock_bound(operation, key[2]):
            return
        kept = Kept(start, body, tuple(findings), generations, horizon.clock, horizon.until)
        if kept.size > self.budget // 4:
            return
        self._drop(key)
        self._kept[key] = kept
        self._size += kept.size
        while self._size > self.budget:
            self._drop(next(iter(self._kept)))

    def _horizon(self, pack: Pack, generations: tuple[int, ...]) -> _Horizon | None:
        """Until when answers of `pack` computed at these generations hold; None if not past this instant."""
        horizon = self._horizons.get(pack.name)
        if horizon is None or horizon.generations != generations or horizon.clock.at(self._wall()) >= horizon.until:
            with self.store.begin() as conn:
                state = self.clock.state(conn)
                now = state.at(self._wall())
                until = now if self.scenarios_for(conn, pack) else pack.steady_until(conn, now)
            horizon = self._horizons[pack.name] = _Horizon(generations, state, until)
        if horizon.clock.at(self._wall()) >= horizon.until:
            return None
        return horizon

    def _drop(self, key: Key) -> None:
        kept = self._kept.pop(key, None)
        if kept is not None:
            self._size -= kept.size

    def clear(self) -> None:
        self._kept.clear()
        self._size = 0
        self._horizons.clear()
