"""The raw exchanges of a recording, kept for reference as DIR/_exchanges/<api>.jsonl: one JSON object a line,
redacted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.timeutil import format_iso
from .fixture_files import write_atomically
from .matching import Matched
from .secrets import RecordingSecrets, media_type_of

__all__ = ["Exchange", "ExchangeLog"]


@dataclass
class Exchange:
    """One request forwarded to the real service and what came back, as they were (secrets included)."""

    at: datetime
    method: str
    path: str
    """The path as the client sent it, decoded."""
    raw_path: str
    """The path as the client sent it, percent-encoded (a parameter may hold an encoded "/")."""
    query: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    """None: the real service did not answer (`error` says why)."""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    latency_ms: float = 0.0
    error: str | None = None
    matched: Matched = field(default_factory=Matched)

    @property
    def response_type(self) -> str | None:
        return media_type_of(self.response_headers)


class ExchangeLog:
    """The exchanges file: a line appended for each exchange, redacted with the secrets known then, and every
    line redacted again when a new secret turns up."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("", encoding="utf-8")

    def append(self, exchange: Exchange, secrets: RecordingSecrets) -> None:
        line = json.dumps(_entry(exchange, secrets), separators=(",", ":"))
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")
        self.count += 1

    def redact_again(self, secrets: RecordingSecrets) -> None:
        """Redact the lines written so far with every secret known now."""
        if not self.path.exists():
            return
        lines = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.dumps(secrets.document(json.loads(line)), separators=(",", ":")))
            except (ValueError, RecursionError):  # a line cut short by a recorder killed while writing it
                continue
        write_atomically(self.path, "".join(line + "\n" for line in lines))


def _entry(exchange: Exchange, secrets: RecordingSecrets) -> dict[str, Any]:
    request_type = media_type_of(exchange.request_headers)
    entry: dict[str, Any] = {
        "at": format_iso(exchange.at),
        "operation": exchange.matched.operation_id,
        "method": exchange.method,
        "path": secrets.text(exchange.path),
        "query": secrets.query(exchange.query),
        "request": {"headers": secrets.headers(exchange.request_headers),
                    **secrets.body(exchange.request_body, request_type)},
    }
    if exchange.status is None:
        entry["error"] = secrets.text(exchange.error or "no answer")
    else:
        entry["response"] = {"status": exchange.status, "headers": secrets.headers(exchange.response_headers),
                             **secrets.body(exchange.response_body, exchange.response_type)}
    entry["latency_ms"] = round(exchange.latency_ms, 1)
    return entry
