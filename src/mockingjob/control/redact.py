"""Keeping secrets out of the journal and out of error messages.

A secret is found two ways: by the name of the field or header that carries it (``password``,
``snowflakeKeyPairKey``, ``Authorization``…), and then by its value, wherever else it turns up (an error
message quoting the bad request, say). Values are replaced, structure is kept, so a redacted JSON document is
still the same JSON document.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["REDACTED", "Secrets", "is_secret_name"]

REDACTED = "[REDACTED]"

# Field names (compared lower-case, without "_" or "-") that carry secrets in the APIs we mock and their clients.
_SECRET_NAME = re.compile(
    r"pass(word|phrase|wd|wort)?$|passw|pasw|pwd|secret|token|privatekey|keypairkey|keypairpass|apikey"
    r"|authorization|cookie"
)
# "name": "value" and name=value pairs in text that is not a JSON document (a truncated body, say).
_TEXT_PAIR = re.compile(r'"([^"\\]{1,100})"\s*:\s*"((?:[^"\\]|\\.)*)"|([\w.-]{1,100})=([^&\s"]+)')
_SCHEMES = frozenset({"basic", "bearer", "digest", "token", "apikey", "api-key", "negotiate", "hoba", "mutual"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
# A cheap test on raw text (substring search, much faster than a regular expression): without any of these,
# no field in it can have a secret's name.
_SECRET_NAME_PARTS = ("pass", "pasw", "pwd", "secret", "token", "private", "keypair", "key_pair", "key-pair",
                      "apikey", "api_key", "api-key", "authori", "cookie")


def _may_name_a_secret(text: str) -> bool:
    lowered = text.lower()
    return any(part in lowered for part in _SECRET_NAME_PARTS)

# Shorter values are redacted where their field names them, but not searched for elsewhere: "1" would be
# found in every number.
_MIN_SEARCHED = 4


def is_secret_name(name: str, extra: frozenset[str] = frozenset()) -> bool:
    key = name.lower().replace("_", "").replace("-", "")
    return bool(_SECRET_NAME.search(key)) or key in extra


@dataclass
class Secrets:
    """The secrets one request carried, and the redaction of anything that might repeat them."""

    extra_names: frozenset[str] = frozenset()
    values: set[str] = field(default_factory=set)

    # --- finding -----------------------------------------------------------------------------------
    def from_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        for name, value in headers:
            value = value.strip()
            if name.lower() not in _SECRET_HEADERS or not value:
                continue
            scheme, _, credential = value.partition(" ")
            if credential.strip():
                self.values.update((value, credential.strip()))
            elif scheme.lower() not in _SCHEMES:  # a bare scheme name ("Token") carries no secret
                self.values.add(value)

    def from_document(self, document: Any) -> None:
        """Collect the values of secret-named fields anywhere in a decoded JSON document."""
        if isinstance(document, Mapping):
            for key, value in document.items():
                if isinstance(key, str) and is_secret_name(key, self.extra_names):
                    self._collect(value)
                else:
                    self.from_document(value)
        elif isinstance(document, list):
            for item in document:
                self.from_document(item)

    def from_text(self, text: str) -> None:
        """Collect secret-named values from text that is not a JSON document (malformed, or a form)."""
        for match in _TEXT_PAIR.finditer(text):
            name, value = (match.group(1), match.group(2)) if match.group(1) is not None else match.group(3, 4)
            if value and is_secret_name(name, self.extra_names):
                self.values.add(value)
                with contextlib.suppress(ValueError):
                    self.values.add(json.loads(f'"{value}"'))

    def from_query(self, query: str) -> None:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if is_secret_name(name, self.extra_names) and value:
                self.values.add(value)

    def _collect(self, value: Any) -> None:
        if isinstance(value, str):
            if value:
                self.values.add(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.values.add(str(value))
        elif isinstance(value, Mapping):
            for item in value.values():
                self._collect(item)
        elif isinstance(value, list):
            for item in value:
                self._collect(item)

    # --- redacting ---------------------------------------------------------------------------------
    def _searched(self) -> list[str]:
        return sorted((v for v in self.values if len(v) >= _MIN_SEARCHED), key=len, reverse=True)

    def scrub_text(self, text: str) -> str:
        for value in self._searched():
            if value in text:
                text = text.replace(value, REDACTED)
            escaped = json.dumps(value, ensure_ascii=False)[1:-1]
            if escaped != value and escaped in text:
                text = text.replace(escaped, REDACTED)
        return text

    def redact_document(self, document: Any) -> Any:
        """`document` with secret-named fields replaced and known secrets scrubbed from every string."""
        if isinstance(document, Mapping):
            return {
                key: (REDACTED if isinstance(key, str) and is_secret_name(key, self.extra_names)
                      and value not in (None, "", [], {})
                      else self.redact_document(value))
                for key, value in document.items()
            }
        if isinstance(document, list):
            return [self.redact_document(item) for item in document]
        if isinstance(document, str):
            return self.scrub_text(document)
        return document

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        redacted: dict[str, str] = {}
        for name, value in headers:
            name = name.lower()
            if name in _SECRET_HEADERS:
                scheme, _, credential = value.partition(" ")
                value = f"{scheme} {REDACTED}" if credential and scheme.isalpha() else REDACTED
            else:
                value = self.scrub_text(value)
            redacted[name] = f"{redacted[name]}, {value}" if name in redacted else value
        return redacted

    def redact_query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(is_secret_name(name, self.extra_names) for name, _ in pairs) and not self._searched():
            return query
        return urlencode([(name, REDACTED if is_secret_name(name, self.extra_names) and value
                           else self.scrub_text(value)) for name, value in pairs])

    def redact_body(self, body: bytes, media_type: str | None, *, structural: bool = False) -> str | None:
        """A request or response body as journal text: JSON redacted structurally, other text scrubbed.

        Text that names no secret field is only scrubbed of known secret values, unless `structural` asks
        for JSON to be rebuilt whatever it holds (so that scrubbing can never break its syntax).
        """
        if not body:
            return None
        text = body.decode("utf-8", errors="replace")
        if not structural and not self.extra_names and not _may_name_a_secret(text):
            return self.scrub_text(text)  # nothing to find by name: keep the text as it was (and fast)
        if media_type is None or "json" in media_type or text.lstrip()[:1] in ("{", "["):
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or too deep to be a real document
                pass
            else:
                return _dumps(self.redact_document(document))
        return self.scrub_text(text)


def _dumps(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate the client sent: JSON carries it only escaped
        text = json.dumps(document, separators=(",", ":"))
    return text
