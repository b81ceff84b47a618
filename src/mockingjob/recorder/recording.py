"""A recording: each exchange kept (redacted), its JSON answer turned into records by the pack, and the fixture
folder rewritten after an exchange, at most every `WRITE_INTERVAL` seconds (rewriting every file after each of a
burst of requests would hold up the next ones) and when the recording stops: a recorder killed at any moment
leaves a folder that serves."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ..core.pack import Answer, Pack
from . import EXCHANGES_FOLDER
from .exchanges import Exchange, ExchangeLog
from .fixture_files import copy_schemas, write_fixture_folder
from .matching import OperationMatcher
from .records import RecordSet
from .secrets import RecordingSecrets, media_type_of

__all__ = ["Recording", "Written"]

log = logging.getLogger("mockingjob")

WRITE_INTERVAL = 0.5


@dataclass
class Written:
    """What a recording wrote: each fixture file with its number of records, and the exchanges file."""

    files: dict[Path, int] = field(default_factory=dict)
    exchanges: Path | None = None
    exchange_count: int = 0


class Recording:
    """What one ``mockingjob record`` keeps of the exchanges with the real service, in `folder`."""

    def __init__(self, pack: Pack, folder: Path, origin: str, secrets: RecordingSecrets, *,
                 answered_at: datetime | None = None) -> None:
        """`origin` is the real service's URL as it may be written (no credentials); `answered_at`, when given,
        is the instant every answer is taken to have been given at (an upstream whose clock stands still)."""
        self.pack = pack
        self.folder = folder
        self.origin = origin
        self.secrets = secrets
        self.answered_at = answered_at
        self.matcher = OperationMatcher(pack)
        self.records = RecordSet(pack)
        self.exchanges = ExchangeLog(folder / EXCHANGES_FOLDER / f"{pack.name}.jsonl")
        self.written = Written(exchanges=self.exchanges.path)
        self._written_at = float("-inf")
        self._unwritten = False

    def start(self) -> None:
        """Write the folder as it is before any exchange: the schemas, no records, an empty exchanges file."""
        copy_schemas(self.folder, self.pack.name)
        self.exchanges.start()
        self._write_fixtures()

    def take(self, exchange: Exchange) -> None:
        """Keep `exchange`; never raises (the client has its answer already, and the next one must get its own)."""
        try:
            exchange.matched = self.matcher.match(exchange.method, exchange.raw_path)
            if self.secrets.learn(exchange.request_headers, exchange.query, exchange.request_body):
                self.exchanges.redact_again(self.secrets)
            self.exchanges.append(exchange, self.secrets)
            self.written.exchange_count = self.exchanges.count
            answer = self._answer(exchange)
            if answer is not None:
                try:
                    self.records.add_answer(answer)
                except Exception as exc:  # the pack's hook failed on this answer: it stays a raw exchange
                    log.error("%s: the records of %s %s could not be read: %s: %s", self.pack.name,
                              exchange.method, self.secrets.text(exchange.path), type(exc).__name__,
                              self.secrets.text(str(exc)))
            self._unwritten = True
            if time.monotonic() - self._written_at >= WRITE_INTERVAL:
                self._write_fixtures()
        except Exception:
            log.exception("%s: could not record %s %s", self.pack.name, exchange.method,
                          self.secrets.text(exchange.path))

    def finish(self) -> None:
        """Write what the last exchanges added (the recording stops)."""
        if self._unwritten:
            try:
                self._write_fixtures()
            except Exception:
                log.exception("%s: could not write the fixture files", self.pack.name)

    def _answer(self, exchange: Exchange) -> Answer | None:
        """The exchange as the pack's hook sees it, if the real service answered JSON."""
        if exchange.status is None or "json" not in (exchange.response_type or "").lower():
            return None
        body = _json(exchange.response_body)
        if body is _NOT_JSON:
            return None
        request_type = media_type_of(exchange.request_headers)
        request_body = _json(exchange.request_body) if request_type is None or "json" in request_type.lower() \
            else _NOT_JSON
        return Answer(operation_id=exchange.matched.operation_id, method=exchange.method, path=exchange.path,
                      path_params=exchange.matched.path_params, query=parse_qs(exchange.query, keep_blank_values=True),
                      request_body=None if request_body is _NOT_JSON else request_body, status=exchange.status,
                      body=body, at=self.answered_at or exchange.at)

    def _write_fixtures(self) -> None:
        self._unwritten, self._written_at = False, time.monotonic()
        records = {kind: self.secrets.records(rows) for kind, rows in self.records.by_kind().items()}
        paths = write_fixture_folder(self.folder, self.pack.name, records, origin=self.origin)
        self.written.files = {path: len(records.get(path.stem, ())) for path in paths if path.stem in records}


_NOT_JSON: Any = object()


def _json(body: bytes) -> Any:
    """`body` parsed as JSON, or `_NOT_JSON` (none, not JSON, or nested deeper than any real document)."""
    if not body:
        return _NOT_JSON
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON
