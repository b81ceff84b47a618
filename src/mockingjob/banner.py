"""What ``mockingjob serve`` says once it listens: each API with its base URL, Swagger UI and spec, the admin API,
the clock, the store, who may call, and the user's fixtures, one line each.

uvicorn says where it listens ("Uvicorn running on http://…") once its socket is bound: in the one serving
process, or in the parent of several workers. The banner is a log handler beside uvicorn's own, writing after
that line, through the "mockingjob" logger (as uvicorn's lines are written): so it is said once, by the process
that bound the port, with the port actually bound (``--port 0``). Workers never bind, and the pytest plugin's
in-process server is not given the handler: they say nothing.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.clock import ClockState
from .core.timeutil import format_iso

if TYPE_CHECKING:
    from .http.app import MockApp

__all__ = ["AfterListening", "Banner", "announcing", "describe"]

log = logging.getLogger("mockingjob")

_ADMIN = "/_mockingjob"
_EVERY_INTERFACE = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}
"""A wildcard address is no address to call: a loopback one is (and the machine's name, from elsewhere)."""


@dataclass(frozen=True)
class Banner:
    """The banner's facts, gathered as the server starts; its lines need the port it is bound to."""

    host: str
    apis: tuple[tuple[str, str], ...]
    """(name, prefix) of each API served, "" for one at its real paths."""
    admin: str
    """Who may call the admin API."""
    clock: ClockState
    facts: tuple[str, ...]
    """The lines after the clock's: store, auth, fixtures, CORS..."""

    def lines(self, port: int) -> list[str]:
        host = _EVERY_INTERFACE.get(self.host, f"[{self.host}]" if ":" in self.host else self.host)
        base = f"http://{host}:{port}"
        served = [(name, base + prefix) for name, prefix in (*self.apis, ("admin API", _ADMIN))]
        name_width = max(len(name) for name, _ in served)
        url_width = max(len(url) for _, url in served)
        lines = [f"mockingjob is serving {len(self.apis)} API{'s' if len(self.apis) > 1 else ''} at {base}:"]
        for name, url in served:  # in columns: name, base URL, Swagger UI, spec
            lines.append(f"  {name:<{name_width}}  {url:<{url_width}}  UI {url + '/ui/':<{url_width + 4}}  "
                         f"spec {url}/openapi.json")
        lines[-1] += f"  ({self.admin})"
        lines.append(f"  {'dashboard':<{name_width}}  {base}{_ADMIN}/")
        if self.host in _EVERY_INTERFACE:
            lines.append(f"listening on every interface: from other machines, http://{socket.gethostname()}:{port}")
        return [*lines, _clock(self.clock), *self.facts]


def describe(mock: MockApp) -> Banner:
    """The banner of the app `mock` (before it serves: its store is still open)."""
    config = mock.config
    tokens = f"{len(config.tokens)} API token(s) enforced" if config.tokens else "any non-empty API token"
    admin = "bearer token (--admin-token)" if config.admin_token else "loopback clients only, no token"
    facts = [f"store: {_store(config.state)}", f"auth: {tokens}; admin API: {admin}"]
    if config.fixtures:
        facts.append(f"fixtures: built-in, then {', '.join(str(Path(folder).resolve()) for folder in config.fixtures)}")
    rules = [f"latency {config.latency} ms"] if config.latency else []
    if config.error_rate:
        rules.append(f"{config.error_rate:.0%} of API requests answered {config.error_status}")
    if config.scenarios_file:
        rules.append(f"scenarios and faults from {Path(config.scenarios_file).resolve()}")
    if rules:
        facts.append(f"faults: {'; '.join(rules)}")
    if config.cors:
        admin = "" if config.admin_token else " (not the admin API)"
        origins = ", ".join("any origin (*)" if origin == "*" else origin for origin in config.cors)
        facts.append(f"CORS: web pages from {origins} may call{admin}")
    return Banner(config.host, tuple((name, mock.prefixes[name]) for name in mock.packs),
                  "bearer token" if config.admin_token else "loopback clients only", mock.clock.state(), tuple(facts))


def _clock(state: ClockState) -> str:
    now = format_iso(state.at(time.time()), digits=0)
    if state.speed == 0:
        return f"clock: stopped at {now} (speed 0: it moves when advanced, POST {_ADMIN}/clock/advance)"
    pace = "real time" if state.speed == 1 else f"speed {state.speed:g} ({state.speed:g} times real time)"
    return f"clock: {pace}, now {now}"


def _store(state: str | None) -> str:
    """Where the state is kept, a database URL's password masked."""
    if not state:
        return "in memory (gone when the server stops; --state FILE keeps it)"
    if "://" not in state:
        return f"SQLite file {Path(state).resolve()}"
    from sqlalchemy import make_url

    try:
        return make_url(state).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads (it would not have opened): nothing that could be a password
        return state.split("://", 1)[0] + "://…"


class AfterListening(logging.Handler):
    """Writes the banner once, after uvicorn's line saying where it listens."""

    def __init__(self, banner: Banner) -> None:
        super().__init__(logging.INFO)
        self.banner = banner
        self.said = False

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if self.said or not str(record.msg).startswith("Uvicorn running on ") or not isinstance(args, tuple) \
                or not args or not isinstance(args[-1], int):
            return  # another line, or a Unix socket: no URL to give
        self.said = True
        for line in self.banner.lines(args[-1]):
            log.info(line)


def announcing(log_config: dict[str, Any], banner: Banner) -> dict[str, Any]:
    """uvicorn's `log_config`, writing `banner` after uvicorn's lines say where it listens."""
    uvicorn = log_config["loggers"]["uvicorn"]  # where uvicorn.error's lines are written
    return {**log_config,
            "handlers": {**log_config["handlers"], "banner": {"()": f"{__name__}.AfterListening", "banner": banner}},
            "loggers": {**log_config["loggers"],
                        "uvicorn": {**uvicorn, "handlers": [*uvicorn.get("handlers", []), "banner"]}}}
