"""Keeping secrets out of the journal and out of error messages.

A secret is found two ways: by the name of the field or header that carries it (``password``,
``snowflakeKeyPairKey``, ``Authorization``…), and then by its value, wherever else it turns up (an error
message quoting the bad request, say). Values are replaced, structure is kept, so a redacted JSON document is
still the same JSON document.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["MAX_SEARCHED", "REDACTED", "Secrets", "decode", "is_secret_name", "secret_digest"]

REDACTED = "[REDACTED]"

# Field names (compared lower-case, without "_" or "-") that carry secrets in the APIs we mock and their clients.
_SECRET_NAME = re.compile(
    r"pass(word|phrase|wd|wort)?$|passw|pasw|pwd|secret|token|privatekey|keypairkey|keypairpass|apikey|accesskey"
    r"|authorization|authentication|^auth$|cookie|jwt|^key$|^sig$|signature|session|^credentials?$"
)
# A name followed by ":" or "=" in text that is not a JSON document (malformed, truncated, a form, a Python
# repr): "name", 'name' or a bare name. What follows it is read by `_value_at`.
_TEXT_NAME = re.compile(r'"((?:[^"\\]|\\.){1,100})"\s*[:=]\s*|\'([^\'\\]{1,100})\'\s*[:=]\s*'
                        r'|(?<![\w"\'])([A-Za-z_][\w.-]{0,99})\s*[:=]\s*')
_CLOSING = {"[": "]", "{": "}"}
_SCALAR_END = re.compile(r'[,}\]&\s]')
_SCHEMES = frozenset({"basic", "bearer", "digest", "token", "apikey", "api-key", "negotiate", "hoba", "mutual"})
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
# A cheap test on raw text (substring search, much faster than a regular expression): without any of these,
# no field in it can have a secret's name.
_SECRET_NAME_PARTS = ("pass", "pasw", "pwd", "secret", "token", "private", "key", "auth", "cookie", "jwt", "sig",
                      "session", "credential")
# The same parts, grouped under a substring each of them holds: one search rules out a whole group (a group
# without parts is a part itself).
_SECRET_NAME_GROUPS = tuple(
    (common, () if common in _SECRET_NAME_PARTS else tuple(part for part in _SECRET_NAME_PARTS if common in part))
    for common in ("pas", "pwd", "secret", "token", "private", "key", "auth", "cookie", "jwt", "sig", "session",
                   "credential")
)


def _may_name_a_secret(text: str) -> bool:
    lowered = text.lower()
    return any(common in lowered and (not parts or any(part in lowered for part in parts))
               for common, parts in _SECRET_NAME_GROUPS)

# However many secrets a request carries, the most searched for elsewhere: scrubbing costs a pass over the text
# per value. (Secret-named fields are redacted by name whatever their number.) The longest are kept.
MAX_SEARCHED = 64
# Values are looked for with one regular expression while they add up to no more than this; else one by one.
_PATTERN_CHARS = 4096

# Shorter values are redacted where their field names them, but not searched for elsewhere: "1" would be
# found in every number.
_MIN_SEARCHED = 4


def is_secret_name(name: str, extra: frozenset[str] = frozenset()) -> bool:
    key = name.lower().replace("_", "").replace("-", "")
    return bool(_SECRET_NAME.search(key)) or key in extra


class _FieldNames:
    """The verdicts of `is_secret_name` on the field names seen so far, for one set of extra names: the same
    few names come back in every document."""

    _MAX = 4096  # names come from clients too: beyond this many, new ones are judged each time

    def __init__(self, extra: frozenset[str]) -> None:
        self.extra = extra
        self.verdicts: dict[str, bool] = {}
        self.plain: set[str] = set()

    def is_secret(self, name: str) -> bool:
        verdict = self.verdicts.get(name)
        if verdict is None:
            verdict = is_secret_name(name, self.extra)
            if len(self.verdicts) < self._MAX:
                self.verdicts[name] = verdict
                if not verdict:
                    self.plain.add(name)
        return verdict

    def any_secret(self, fields: dict[str, Any]) -> bool:
        return not self.plain.issuperset(fields) and any(self.is_secret(name) for name in fields)


_FIELD_NAMES: dict[frozenset[str], _FieldNames] = {}


def _field_names(extra: frozenset[str]) -> _FieldNames:
    if type(extra) is not frozenset:  # a set, say: judged the same, but not a key
        extra = frozenset(extra)
    names = _FIELD_NAMES.get(extra)
    if names is None:
        if len(_FIELD_NAMES) >= 64:
            _FIELD_NAMES.clear()
        names = _FIELD_NAMES[extra] = _FieldNames(extra)
    return names


# Above this length a text is searched for each needle in turn (fast substring search); below it, with one
# regular expression.
_LONG_TEXT = 256


@dataclass(frozen=True)
class _Search:
    """How to look for a set of secret values, worked out once for all the text redacted with it."""

    replacements: tuple[tuple[str, str | None], ...]
    """Each searched value, longest first, with its JSON-escaped form where that differs: replaced in turn."""
    in_text: tuple[str, ...]
    """The values and their escaped forms: a string holding none of them is left as it is."""
    in_text_pattern: re.Pattern[str] | None
    in_json: tuple[str, ...]
    """The forms `in_text` takes in compact JSON: a document whose JSON holds none of them has no string
    holding any of `in_text`."""

    def occurs_in(self, text: str) -> bool:
        if not self.in_text:
            return False
        if len(text) > _LONG_TEXT or self.in_text_pattern is None:
            return any(needle in text for needle in self.in_text)
        return self.in_text_pattern.search(text) is not None

    def occurs_in_json(self, text: str) -> bool:
        return any(needle in text for needle in self.in_json)

    def scrub(self, text: str) -> str:
        if not self.occurs_in(text):
            return text
        for value, escaped in self.replacements:
            if value in text:
                text = text.replace(value, REDACTED)
            if escaped is not None and escaped in text:
                text = text.replace(escaped, REDACTED)
        return text


_NO_SEARCH = _Search((), (), None, ())
_SEARCHES: dict[tuple[str, ...], _Search] = {}


def _escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _search_for(values: tuple[str, ...]) -> _Search:
    """The search for `values`, in the order the set gives them (which decides between values of equal
    length, as the replacements are made in turn)."""
    search = _SEARCHES.get(values)
    if search is not None:
        return search
    searched = sorted((v for v in values if len(v) >= _MIN_SEARCHED), key=len, reverse=True)[:MAX_SEARCHED]
    if not searched:
        search = _NO_SEARCH
    else:
        escaped = [_escape(value) for value in searched]
        in_text = tuple(dict.fromkeys([*searched, *escaped]))
        small = sum(map(len, in_text)) <= _PATTERN_CHARS
        search = _Search(
            replacements=tuple((v, e if e != v else None) for v, e in zip(searched, escaped, strict=True)),
            in_text=in_text,
            in_text_pattern=re.compile("|".join(re.escape(needle) for needle in in_text)) if small else None,
            # JSON escapes a string character by character: one holding v is written holding v's escaped form.
            in_json=tuple(dict.fromkeys(_escape(needle) for needle in in_text)),
        )
    if sum(map(len, values)) > _PATTERN_CHARS:  # kept only while small: clients choose how long values are
        return search
    if len(_SEARCHES) >= 64:
        _SEARCHES.clear()
    _SEARCHES[values] = search
    return search


@dataclass
class Secrets:
    """The secrets one request carried, and the redaction of anything that might repeat them."""

    extra_names: frozenset[str] = frozenset()
    values: set[str] = field(default_factory=set)
    in_headers: set[str] = field(default_factory=set)
    """The values `from_headers` found: credentials, which no API stores or repeats."""
    digests: frozenset[str] = frozenset()
    """`secret_digest`s of values sent lately to any process: a JSON string with one of them is redacted."""
    salt: bytes = b""
    _search: _Search | None = field(default=None, init=False, repr=False, compare=False)
    _searched_values: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    # --- finding -----------------------------------------------------------------------------------
    def _is_secret_header(self, name: str) -> bool:
        """Authorization and its kin, and any header named like a secret field (X-Auth-Token, X-Api-Key)."""
        return name.lower() in _SECRET_HEADERS or _field_names(self.extra_names).is_secret(name.lower())

    def from_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        for name, value in headers:
            value = value.strip()
            if not value or not self._is_secret_header(name):
                continue
            scheme, _, credential = value.partition(" ")
            if credential.strip():
                found = {value, credential.strip()}
            elif scheme.lower() not in _SCHEMES:  # a bare scheme name ("Token") carries no secret
                found = {value}
            else:
                continue
            self.values |= found
            self.in_headers |= found

    def from_document(self, document: Any) -> None:
        """Collect the values of secret-named fields anywhere in a decoded JSON document."""
        if isinstance(document, Mapping):
            names = _field_names(self.extra_names)
            if self._collect_pair(document):
                return
            for key, value in document.items():
                if isinstance(key, str) and names.is_secret(key):
                    self._collect(value)
                else:
                    self.from_document(value)
        elif isinstance(document, list):
            for item in document:
                self.from_document(item)

    def from_text(self, text: str) -> None:
        """Collect secret-named values from text that is not a JSON document: malformed or cut short JSON, a
        form, a Python dict's repr. Whatever value follows a secret's name is taken: a string (to its closing
        quote, or the end of the text), a number or word, or a whole array or object."""
        if not self.extra_names and not _may_name_a_secret(text):
            return
        names = _field_names(self.extra_names)
        for match in _TEXT_NAME.finditer(text):
            name = next(group for group in match.groups() if group is not None)
            if "\\" in name:  # "pass\u0077ord" is "password"
                with contextlib.suppress(ValueError):
                    name = json.loads(f'"{name}"')
            if not names.is_secret(name):
                continue
            value = _value_at(text, match.end())
            if value:
                self.values.add(value)
                inner = value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'" else None
                if inner:
                    self.values.add(inner)
                    with contextlib.suppress(ValueError):
                        self.values.add(json.loads(f'"{inner}"'))

    def from_query(self, query: str) -> None:
        names = _field_names(self.extra_names)
        for name, value in _query_pairs(query):
            if names.is_secret(name) and value:
                self.values.add(value)
            elif "=" in value:  # a URL or query inside a value (?next=/x%3Ftoken%3D…)
                self.from_query(value.rpartition("?")[2])

    def _collect_pair(self, document: Mapping[str, Any]) -> bool:
        """A ``{"key": "dbPassword", "value": "…"}`` entry (Trifacta's overrides, say): the secret is its value.
        True if `document` is one."""
        label = document.get("key", document.get("name"))
        if "value" in document and isinstance(label, str) and _field_names(self.extra_names).is_secret(label):
            self._collect(document["value"])
            return True
        return False

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
    def _searching(self) -> _Search:
        """The search for the current `values` (which the from_* methods, or anyone, may have changed)."""
        values = tuple(self.values)
        if self._search is None or values != self._searched_values:
            self._search = _search_for(values)
            self._searched_values = values
        return self._search

    def scrub_text(self, text: str) -> str:
        return self._searching().scrub(text)

    def redact_document(self, document: Any, *, into_objects: bool = False) -> Any:
        """`document` with secret-named fields replaced and known secrets scrubbed from every string. With
        `into_objects`, a secret-named field holding an object or a list keeps its shape (a record's public
        ``credentials``): what is inside is redacted by the same rules."""
        return self._redact(document, self._searching(), _field_names(self.extra_names), into_objects)

    def _redact(self, document: Any, search: _Search, names: _FieldNames, into_objects: bool = False) -> Any:
        if isinstance(document, Mapping):
            label = document.get("key", document.get("name"))
            if "value" in document and isinstance(label, str) and names.is_secret(label):
                return {**{k: self._redact(v, search, names, into_objects) for k, v in document.items()
                           if k != "value"}, "value": REDACTED}
            return {
                (search.scrub(key) if isinstance(key, str) else key):
                    (REDACTED if isinstance(key, str) and names.is_secret(key) and value not in (None, "", [], {})
                     and not (into_objects and isinstance(value, (Mapping, list)))
                     else self._redact(value, search, names, into_objects))
                for key, value in document.items()
            }
        if isinstance(document, list):
            return [self._redact(item, search, names, into_objects) for item in document]
        if isinstance(document, str):
            if self.digests and secret_digest(document, self.salt) in self.digests:
                return REDACTED
            return search.scrub(document)
        return document

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        redacted: dict[str, str] = {}
        search = self._searching()
        for name, value in headers:
            name = name.lower()
            if self._is_secret_header(name):
                scheme, _, credential = value.partition(" ")
                value = f"{scheme} {REDACTED}" if credential and scheme.isalpha() else REDACTED
            else:
                value = search.scrub(value)
            redacted[name] = f"{redacted[name]}, {value}" if name in redacted else value
        return redacted

    def redact_query(self, query: str) -> str:
        if not query:
            return query
        pairs = _query_pairs(query)
        search = self._searching()
        names = _field_names(self.extra_names)
        if (not any(names.is_secret(name) or "=" in value for name, value in pairs) and not search.in_text
                and ";" not in query):
            return query

        def redacted(name: str, value: str) -> str:
            if names.is_secret(name) and value:
                return REDACTED
            if "=" in value:  # a URL or query inside a value
                before, mark, inner = value.rpartition("?")
                return before + mark + self.redact_query(inner)
            return search.scrub(value)

        return urlencode([(name, redacted(name, value)) for name, value in pairs])

    def redact_body(self, body: bytes, media_type: str | None, *, structural: bool = False) -> str | None:
        """A request or response body as journal text: JSON redacted structurally, other text scrubbed.

        Text that names no secret field is only scrubbed of known secret values, unless `structural` asks
        for JSON to be rebuilt whatever it holds (so that scrubbing can never break its syntax).
        """
        if not body:
            return None
        text = decode(body, media_type)
        if not structural and not self.extra_names and not _may_name_a_secret(text):
            return self.scrub_text(text)  # nothing to find by name: keep the text as it was (and fast)
        if media_type is None or "json" in media_type or text.lstrip()[:1] in ("{", "["):
            names = _field_names(self.extra_names)
            named = False

            def look(fields: dict[str, Any]) -> dict[str, Any]:
                nonlocal named
                named = named or names.any_secret(fields)
                return fields

            try:
                document = json.loads(text, object_hook=look)
            except (ValueError, RecursionError):  # not JSON, or too deep to be a real document
                pass
            else:
                search = self._searching()
                if not named and not self.digests:
                    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
                    if not search.occurs_in_json(text):
                        return _encodable(text, document)  # nothing in it to redact
                try:
                    return _dumps(self._redact(document, search, names))
                except RecursionError:  # nested deeper than any real document (a refused one): as text below
                    pass
        return self._scrub_text_and_pairs(text)

    def _scrub_text_and_pairs(self, text: str) -> str:
        """`text` scrubbed of the known secrets and of the values of secret-named ``"name": "value"`` pairs."""
        if not self.extra_names and not _may_name_a_secret(text):
            return self.scrub_text(text)
        found = Secrets(extra_names=self.extra_names, values=set(self.values))
        found.from_text(text)
        return found.scrub_text(text)


def _value_at(text: str, start: int) -> str:
    """The value that starts at `start` in `text`, as written there: a quoted string (to its closing quote or
    the end of the text), an array or object (to its closing bracket, or the end), else a scalar word."""
    if start >= len(text):
        return ""
    first = text[start]
    if first in "\"'":
        at = start + 1
        while at < len(text) and text[at] != first:
            at += 2 if text[at] == "\\" else 1
        return text[start:at + 1]
    if first in _CLOSING:
        depth, at, quote = 0, start, ""
        while at < len(text):
            char = text[at]
            if quote:
                if char == "\\":
                    at += 1
                elif char == quote:
                    quote = ""
            elif char in "\"'":
                quote = char
            elif char in _CLOSING:
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    break
            at += 1
        return text[start:at + 1]
    end = _SCALAR_END.search(text, start)
    return text[start:end.start() if end else len(text)]


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """A query string's name/value pairs, separated by ``&`` or ``;`` (which many servers also take)."""
    return parse_qsl(query.replace(";", "&"), keep_blank_values=True)


def secret_digest(value: str, salt: bytes) -> str:
    """What the store keeps of a secret value: a salted digest, from which the value cannot be read back."""
    return hashlib.sha256(salt + value.encode("utf-8", "surrogatepass")).hexdigest()


def decode(body: bytes, media_type: str | None) -> str:
    """`body` as text: in the charset its media type names, else as JSON is detected (UTF-8, -16 or -32)."""
    charset = None
    for parameter in (media_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"')
    try:
        return body.decode(charset or json.detect_encoding(body), errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode(json.detect_encoding(body), errors="replace")


def _dumps(document: Any) -> str:
    return _encodable(json.dumps(document, ensure_ascii=False, separators=(",", ":")), document)


def _encodable(text: str, document: Any) -> str:
    """`text`, `document` as compact JSON, unless it cannot be written as UTF-8: then with escapes."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate the client sent: JSON carries it only escaped
            text = json.dumps(document, separators=(",", ":"))
    return text
