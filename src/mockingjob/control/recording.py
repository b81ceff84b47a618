"""What the control plane keeps of each exchange: the secrets it carried, scrubbed wherever they recur, and its
journal entry. The request path hands it what it saw, once the answer is known; nothing here knows HTTP."""

from __future__ import annotations

import json
import logging
import secrets as secrets_module
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..core.pack import Pack
from ..core.store import insert_ignoring_duplicate
from .journal import JournalWriter
from .redact import Secrets, decode, secret_digest

__all__ = ["NOT_PARSED", "SHARED_SECRETS", "Exchanged", "Recorder"]

SHARED_SECRETS = "control:secrets"
"""The generation (`Store.generations`) the shared digests' writes count in."""

log = logging.getLogger("mockingjob")

_STORED_CHARS = 64 * 1024
_REMEMBERED = 64
_REDACTED_ANSWERS = 256
"""Answers whose journal text is kept, the most recently journaled: polls repeat a few answers many times."""
"""How many secret values this process saw, the newest, are looked for in later exchanges."""
_SHARED = 4096
"""How many digests of secret values, the newest, every process redacts."""
_SALT_KEY = "control:secrets-salt"
_REMEMBERED_LENGTH = range(6, 8 * 1024 + 1)
"""Shorter values would be found in innocent text; longer ones are no credential (a PEM private key is under
4 KB) but a client's way to make every later scrub slow."""


NOT_PARSED: Any = object()
"""`Exchanged.document` of a request whose body was not parsed (none, not JSON, or refused)."""


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
    document: Any = NOT_PARSED
    """The whole request body as the validator parsed it, when it did: its secrets are found there, even
    beyond the part of a large body that is kept."""
    warnings: list[dict[str, str]] = field(default_factory=list)
    """The request's lint findings (`core.lint.Finding.to_json`)."""


class Recorder:
    """Keeps each exchange in the journal, scrubbed of its own secrets and of those sent lately.

    A secret a client sent in a body or query (a password it also put in a run's parameters, say) may come back
    in a later answer, served by any worker, before or after a restart. This process keeps the newest
    `_REMEMBERED` such values, and scrubs them wherever they appear; the store keeps only salted digests of
    the newest `_SHARED` (never the values: a state file is no place for them), and every process redacts a
    JSON string equal to one of them. Credentials sent in headers are redacted by name and never repeated by
    the APIs: they are not remembered.
    """

    def __init__(self, journal: JournalWriter, table: sa.Table) -> None:
        self.journal = journal
        self.store = journal.store
        self.table = table
        self.remembered: dict[str, None] = {}  # values this process saw, the newest last
        self.digests: dict[str, None] = {}  # digests any process stored, the newest last
        self._salt: bytes | None = None
        self._newest_read = 0  # the highest id of the table read into `digests`
        self._select_newer = (sa.select(table.c.id, table.c.digest).where(table.c.id > sa.bindparam("after"))
                              .order_by(table.c.id))
        self._known = sa.select(table.c.id).where(table.c.digest == sa.bindparam("digest"))
        self._insert = table.insert()
        self._prune = table.delete().where(table.c.id <= sa.bindparam("oldest_kept") - 1)
        self._shared_read_at: int | None = None  # the digests' generation when this process last read them
        self._redacted: OrderedDict[tuple[bytes, str | None, frozenset[str], frozenset[str], frozenset[str]],
                                    str | None] = OrderedDict()

    def secrets(self, pack: Pack, headers: list[tuple[str, str]], query: str, body: bytes,
                document: Any = NOT_PARSED) -> Secrets:
        """The secrets a request carries (by field name), which its own answer must not repeat. `document` is
        the body already parsed, if it was."""
        secrets = Secrets(extra_names=pack.secret_fields)
        secrets.from_headers(headers)
        secrets.from_query(query)
        if document is not NOT_PARSED:
            secrets.from_document(document)
        elif body:
            media_type = next((v for k, v in headers if k.lower() == "content-type"), None)
            text = decode(body, media_type)
            try:
                secrets.from_document(json.loads(text))
            except (ValueError, RecursionError):  # not JSON (or too deep): look for names and their values
                secrets.from_text(text)
        return secrets

    def scrub_error_answer(self, secrets: Secrets, body: bytes, media_type: str | None) -> bytes:
        """An error answer without the request's secrets: an error message may quote the request it refuses."""
        if not secrets.values or media_type is None or "json" not in media_type:
            return body
        scrubbed = secrets.redact_body(body, media_type, structural=True)
        return body if scrubbed is None else scrubbed.encode()

    def record(self, pack: Pack, exchanged: Exchanged, secrets: Secrets | None = None,
               shared_generation: int | None = None) -> None:
        """Journal the exchange, redacted; never raises (the client already has its answer). `shared_generation`,
        read for this request, is the count of writes to the shared digests (`SHARED_SECRETS`)."""
        try:
            own = secrets or self.secrets(pack, exchanged.headers, exchanged.query, exchanged.request_body,
                                          exchanged.document)
            scrub = self._with_recent(own, exchanged.request_body, shared_generation)
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
                response_body=self._redacted_answer(scrub, exchanged.response_body, exchanged.response_type),
                fault=exchanged.fault,
                scenario=exchanged.scenario,
                effect=exchanged.effect,
                warnings=exchanged.warnings or None,
            )
        except Exception:
            log.exception("could not journal a request")

    def _redacted_answer(self, scrub: Secrets, body: bytes, media_type: str | None) -> str | None:
        """The answer's body as the journal keeps it. A poll's answer is the same bytes again and again (the same
        object, when answered from memory): redacted once for the same secrets."""
        if len(body) > _STORED_CHARS:
            return _clip(scrub.redact_body(body, media_type))
        key = (body, media_type, frozenset(scrub.values), scrub.digests, scrub.extra_names)
        if key in self._redacted:
            self._redacted.move_to_end(key)
            return self._redacted[key]
        redacted = self._redacted[key] = _clip(scrub.redact_body(body, media_type))
        if len(self._redacted) > _REDACTED_ANSWERS:
            self._redacted.popitem(last=False)
        return redacted

    def _with_recent(self, secrets: Secrets, body: bytes, shared_generation: int | None = None) -> Secrets:
        """`secrets` and those recent requests carried, which a later answer may repeat: the journal hides
        them too. A credential sent only in a header is not remembered: no API stores one."""
        new = [v for v in secrets.values
               if len(v) in _REMEMBERED_LENGTH and v not in self.remembered
               and (v not in secrets.in_headers or v.encode("utf-8", "surrogatepass") in body)]
        for value in new:
            self.remembered[value] = None
        while len(self.remembered) > _REMEMBERED:
            self.remembered.pop(next(iter(self.remembered)))
        if self.store.private:  # one process, in memory: nothing outlives it, no one else writes
            return Secrets(extra_names=secrets.extra_names, values=secrets.values | set(self.remembered))
        if new or shared_generation is None or shared_generation != self._shared_read_at:
            self._share(new)
            self._shared_read_at = shared_generation
        return Secrets(extra_names=secrets.extra_names, values=secrets.values | set(self.remembered),
                       digests=frozenset(self.digests), salt=self._salt or b"")

    def _share(self, new: list[str]) -> None:
        """Store the digests of the `new` values for every process, and read those others stored."""
        with self.store.begin(write=bool(new)) as conn:
            if self._salt is None:
                self._salt = self._shared_salt(conn)
            inserted = False
            for value in new[:_SHARED]:
                digest = secret_digest(value, self._salt)
                if conn.execute(self._known, {"digest": digest}).first() is None:
                    inserted |= insert_ignoring_duplicate(conn, self._insert, {"digest": digest})
            rows = conn.execute(self._select_newer, {"after": self._newest_read}).all()
            if rows:
                self._newest_read = rows[-1].id
                if inserted:
                    conn.execute(self._prune, {"oldest_kept": self._newest_read - _SHARED + 1})
        for row in rows[-_SHARED:]:
            self.digests.pop(row.digest, None)
            self.digests[row.digest] = None
        while len(self.digests) > _SHARED:
            self.digests.pop(next(iter(self.digests)))

    def _shared_salt(self, conn: Connection) -> bytes:
        """The store's own random salt for the digests, made by whichever process needs it first."""
        salt = self.store.get_setting(conn, _SALT_KEY)
        if salt is None:
            candidate = secrets_module.token_hex(16)
            if not self.store.put_setting_if_absent(conn, _SALT_KEY, candidate):
                return bytes.fromhex(str(self.store.get_setting(conn, _SALT_KEY)))  # another process's
            salt = candidate
        return bytes.fromhex(str(salt))


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= _STORED_CHARS:
        return text
    return text[:_STORED_CHARS] + "…"
