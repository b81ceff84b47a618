"""What the control plane keeps of each exchange: the secrets it carried, scrubbed wherever they recur, and its
journal entry. The request path hands it what it saw, once the answer is known; nothing here knows HTTP."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.pack import Pack
from .journal import JournalWriter
from .redact import Secrets

__all__ = ["Exchanged", "Recorder"]

log = logging.getLogger("mockingjob")

_STORED_CHARS = 64 * 1024
_RECENT_SECRETS = 256
_REMEMBERED_LENGTH = 6


@dataclass
class Exchanged:
    """One API request and its answer, as the request path saw them (the request body possibly truncated)."""

    operation: str | None
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None
    """None: the connection was dropped."""
    response_body: bytes
    response_type: str | None
    latency_ms: float
    fault: str | None = None
    scenario: int | None = None
    effect: dict[str, Any] | None = None


class Recorder:
    def __init__(self, journal: JournalWriter) -> None:
        self.journal = journal
        # Secrets seen lately, in this process only (they are never stored): the journal scrubs them from
        # later exchanges too.
        self.recent_secrets: dict[str, None] = {}

    def secrets(self, pack: Pack, headers: list[tuple[str, str]], query: str, body: bytes) -> Secrets:
        """The secrets a request carries (by field name), which its own answer must not repeat."""
        secrets = Secrets(extra_names=pack.secret_fields)
        secrets.from_headers(headers)
        secrets.from_query(query)
        if body:
            try:
                secrets.from_document(json.loads(body))
            except (ValueError, RecursionError):  # not JSON (or too deep): look for "name": "value" pairs
                secrets.from_text(body.decode("utf-8", errors="replace"))
        return secrets

    def scrub_error_answer(self, secrets: Secrets, body: bytes, media_type: str | None) -> bytes:
        """An error answer without the request's secrets: an error message may quote the request it refuses."""
        if not secrets.values or media_type is None or "json" not in media_type:
            return body
        scrubbed = secrets.redact_body(body, media_type, structural=True)
        return body if scrubbed is None else scrubbed.encode()

    def record(self, pack: Pack, exchanged: Exchanged, secrets: Secrets | None = None) -> None:
        """Journal the exchange, redacted; never raises (the client already has its answer)."""
        try:
            own = secrets or self.secrets(pack, exchanged.headers, exchanged.query, exchanged.request_body)
            scrub = self._with_recent(own)
            request_type = next((v for k, v in exchanged.headers if k.lower() == "content-type"), None)
            self.journal.add(
                at=datetime.now(UTC),
                api=pack.name,
                operation=exchanged.operation,
                method=exchanged.method,
                path=exchanged.path,
                query=scrub.redact_query(exchanged.query),
                status=exchanged.status,
                latency_ms=exchanged.latency_ms,
                request_headers=scrub.redact_headers(exchanged.headers),
                request_body=_clip(scrub.redact_body(exchanged.request_body, request_type)),
                response_body=_clip(scrub.redact_body(exchanged.response_body, exchanged.response_type)),
                fault=exchanged.fault,
                scenario=exchanged.scenario,
                effect=exchanged.effect,
            )
        except Exception:
            log.exception("could not journal a request")

    def _with_recent(self, secrets: Secrets) -> Secrets:
        """`secrets` and those recent requests carried, which a later answer may repeat (a password a client
        put in a run's parameters, say): the journal hides them too."""
        for value in secrets.values:
            if len(value) >= _REMEMBERED_LENGTH:  # short values would be found in innocent text
                self.recent_secrets.pop(value, None)
                self.recent_secrets[value] = None
        while len(self.recent_secrets) > _RECENT_SECRETS:
            self.recent_secrets.pop(next(iter(self.recent_secrets)))
        return Secrets(extra_names=secrets.extra_names, values=secrets.values | set(self.recent_secrets))


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _STORED_CHARS:
        return text
    return text[:_STORED_CHARS] + "…"
