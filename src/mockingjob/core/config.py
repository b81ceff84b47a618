"""Everything a mockingjob instance is configured with. No I/O happens here."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Config"]


@dataclass
class Config:
    apis: list[str] = field(default_factory=list)
    """Packs to serve; empty means every available pack."""
    host: str = "127.0.0.1"
    port: int = 8080
    fixtures: list[str] = field(default_factory=list)
    """Folders of the user's own fixtures (``DIR/<api>/<kind>.yaml``), applied in order over the built-in ones."""
    state: str | None = None
    """None: SQLite in memory. A path: a SQLite file. A URL: any SQLAlchemy database."""
    workers: int = 1
    speed: float | None = None
    """Clock speed: 1 real time, X faster, 0 manual. None keeps a stored clock's speed (1 for a new store)."""
    tokens: list[str] = field(default_factory=list)
    """Accepted API tokens; empty means any non-empty token is accepted."""
    validate_responses: bool = False
    mount: str = "auto"
    """"prefix": every API under /<name>; "root": the single API at its real paths (several would collide: refused);
    "auto": root if one API is named."""
    latency: str | None = None
    """Added to every API request: milliseconds ("150") or a uniform range ("100..300")."""
    error_rate: float | None = None
    """Share of API requests answered with `error_status` in the API's own error shape."""
    error_status: int = 503
    scenarios_file: str | None = None
    """YAML or JSON file of start-up scenarios and faults (``{scenarios: [...], faults: [...]}``)."""
    admin_token: str | None = None
    """When set, the admin API answers anyone presenting it as a bearer token; otherwise loopback only."""
    journal_size: int = 1000
    """How many recent requests the journal keeps."""
    access_log: bool = True
    """Whether uvicorn logs a line per request (``mockingjob serve``)."""
    loop: str = "asyncio"
    """uvicorn's event loop: "asyncio", "uvloop" or "auto" (uvloop when installed)."""
    strict: bool = False
    """Refuse, in each API's own 400, what the real service accepts only leniently (see `core.lint`)."""
    max_body: int = 5 * 1024 * 1024
    """The largest request body accepted, in bytes; a larger one is answered 413 before it is read."""
    header_timeout: float = 10.0
    """Seconds a connection has to send a request's headers; 0: no limit."""
    keep_alive: float = 20.0
    """Seconds an idle connection is kept open for the client's next request."""
    cors: list[str] = field(default_factory=list)
    """Origins (``http://localhost:3000``, or ``*``: any) whose web pages may call the mocked APIs; empty: none.
    The admin API takes part only with an `admin_token`."""
    answer_memo: bool = True
    """Answer a GET asked again, while nothing it depends on changed, with the bytes of last time."""
