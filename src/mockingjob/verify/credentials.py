"""How a token is sent, read from the spec's security schemes, never from per-API code: HTTP ``bearer`` (or any
other HTTP scheme) as ``Authorization: <Scheme> <token>``, an API key in its header or cookie. An API key whose
description shows its form (``Authorization: Token <key>``, as Django REST framework wants it) is sent in that
form."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["CredentialsError", "credential_headers", "parse_header"]


class CredentialsError(ValueError):
    """The token cannot be sent the way the spec says (a query-string key, say): one line for the user."""


def credential_headers(spec: Mapping[str, Any], token: str) -> dict[str, str]:
    """The headers that carry `token` for the first security scheme the spec's operations use; none when the
    spec asks for no credentials."""
    schemes: Mapping[str, Any] = spec.get("components", {}).get("securitySchemes", {})
    for name in _used_schemes(spec):
        scheme = schemes.get(name)
        if isinstance(scheme, Mapping):
            return _headers_for(name, scheme, token)
    return {}


def _used_schemes(spec: Mapping[str, Any]) -> Iterator[str]:
    """Scheme names in the order the spec asks for them: the spec-wide requirement first, then each operation's."""
    requirements = list(spec.get("security", []))
    for item in spec.get("paths", {}).values():
        for operation in item.values() if isinstance(item, Mapping) else ():
            if isinstance(operation, Mapping):
                requirements.extend(operation.get("security", []))
    for requirement in requirements:
        yield from requirement


def _headers_for(name: str, scheme: Mapping[str, Any], token: str) -> dict[str, str]:
    kind = scheme.get("type")
    if kind == "http":
        http_scheme = str(scheme.get("scheme", "bearer"))
        if http_scheme.lower() == "basic":
            # The token is "user:password"; Basic wants it in base64.
            return {"Authorization": f"Basic {base64.b64encode(token.encode()).decode()}"}
        return {"Authorization": f"{http_scheme.capitalize()} {token}"}
    if kind == "apiKey":
        header = str(scheme.get("name", ""))
        where = scheme.get("in")
        if where == "header":
            return {header: _api_key_value(header, str(scheme.get("description", "")), token)}
        if where == "cookie":
            return {"Cookie": f"{header}={token}"}
        raise CredentialsError(f"the spec's {name!r} scheme takes the key in the {where}: pass it with --header "
                               "or in the URL yourself")
    raise CredentialsError(f"the spec's {name!r} scheme ({kind}) takes no plain token: pass credentials with --header")


def _api_key_value(header: str, description: str, token: str) -> str:
    """The header's value: the key, after the prefix the scheme's description shows (`Authorization: Token
    <key>`), if it shows one."""
    shown = re.search(rf"{re.escape(header)}:\s*([A-Za-z][\w-]*)\s+<", description, flags=re.IGNORECASE)
    return f"{shown.group(1)} {token}" if shown else token


def parse_header(text: str) -> tuple[str, str]:
    """``Name: value`` as (name, value); ValueError unless there is a name before the colon."""
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name.strip()):
        raise ValueError(f"{text!r} is not 'Name: value'")
    return name.strip(), value.strip()
