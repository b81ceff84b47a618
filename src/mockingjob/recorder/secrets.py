"""The secrets a recording has seen, kept out of every file it writes.

The journal's rule (`control.redact`), applied to a whole recording rather than to one request: credentials
in Authorization-like headers (the client's, and those ``--header`` adds), secret-named fields and query
parameters of the requests, and their values wherever they recur later, in any answer. Fields whose names say
secret are redacted in records and exchanges alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..control.redact import Secrets, decode
from ..core.pack import Pack

__all__ = ["RecordingSecrets", "media_type_of"]

_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript", "yaml", "csv")


def media_type_of(headers: Iterable[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "content-type"), None)


class RecordingSecrets:
    """Every secret value seen so far in a recording, and the redaction of what is written with them."""

    def __init__(self, pack: Pack, added_headers: Iterable[tuple[str, str]] = (), values: Iterable[str] = ()) -> None:
        self._secrets = Secrets(extra_names=pack.secret_fields)
        self._secrets.from_headers(added_headers)
        self._secrets.values.update(value for value in values if value)

    def learn(self, headers: Iterable[tuple[str, str]], query: str, body: bytes) -> bool:
        """Take in the secrets a request carries; answer whether any was new (what was written before may hold
        it: a credential first sent now, echoed in an earlier answer)."""
        headers = list(headers)
        before = len(self._secrets.values)
        self._secrets.from_headers(headers)
        self._secrets.from_query(query)
        if body:
            text = decode(body, media_type_of(headers))
            try:
                self._secrets.from_document(json.loads(text))
            except (ValueError, RecursionError):  # not JSON (or too deep): look for names and their values
                self._secrets.from_text(text)
        return len(self._secrets.values) > before

    def document(self, document: Any) -> Any:
        """A decoded JSON document with secret-named fields redacted and known secrets scrubbed."""
        return self._secrets.redact_document(document)

    def records(self, records: Any) -> Any:
        """Fixture records, redacted as documents are, except that a secret-named field holding an object keeps
        its shape: the packs record only the public part of credentials, which the fixture schemas require as an
        object; anything secret inside is still redacted."""
        return self._secrets.redact_document(records, into_objects=True)

    def text(self, text: str) -> str:
        return self._secrets.scrub_text(text)

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        return self._secrets.redact_headers(headers)

    def query(self, query: str) -> str:
        return self._secrets.redact_query(query)

    def body(self, body: bytes, media_type: str | None) -> dict[str, Any]:
        """How a body is kept: ``{"json": document}``, ``{"text": text}`` (both redacted), or only its size for
        bytes that are not text (``{"bytes": 1234}``): they cannot be searched for a secret. Empty: nothing."""
        if not body:
            return {}
        text = _text_of(body, media_type)
        if text is None:
            return {"bytes": len(body)}
        if media_type is None or "json" in media_type:
            try:
                return {"json": self.document(json.loads(text))}
            except (ValueError, RecursionError):
                pass
        return {"text": self._secrets.redact_body(body, media_type) or ""}


def _text_of(body: bytes, media_type: str | None) -> str | None:
    """`body` as text if it is text: by its media type, or because it is valid UTF-8."""
    if media_type is not None and any(part in media_type.lower() for part in _TEXT_TYPES):
        return decode(body, media_type)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
