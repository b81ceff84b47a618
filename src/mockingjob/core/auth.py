"""The ``Authorization: <scheme> <token>`` check every token-protected API makes, worded by each API its own way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import ApiError

__all__ = ["AuthFailure", "TokenAuth", "credentials_problem"]

AuthFailure = Literal["missing", "scheme", "no-credentials", "spaces", "unknown-token"]
"""What is wrong with the credentials: no header; another scheme; the scheme alone; a token with spaces; a
token the server was not configured to accept."""


def credentials_problem(header: str | None, scheme: str, tokens: frozenset[str]) -> AuthFailure | None:
    """What is wrong with an Authorization header for `scheme` (compared case-insensitively), or None.

    The header is split on white space, as Django REST framework and most gateways split it. `tokens` empty
    means any token is accepted.
    """
    parts = (header or "").split()
    if not parts:
        return "missing"
    if parts[0].lower() != scheme.lower():
        return "scheme"
    if len(parts) == 1:
        return "no-credentials"
    if len(parts) > 2:
        return "spaces"
    if tokens and parts[1] not in tokens:
        return "unknown-token"
    return None


@dataclass(frozen=True)
class TokenAuth:
    """A token check answered in an API's own words: `messages` maps each `AuthFailure` to the message (a
    failure it does not name gets ``messages["default"]``)."""

    scheme: str
    status: int
    messages: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)
    code: str | None = None

    def check(self, header: str | None, tokens: frozenset[str]) -> None:
        """Raise the API's `ApiError` unless `header` carries an acceptable token."""
        failure = credentials_problem(header, self.scheme, tokens)
        if failure is not None:
            message = self.messages.get(failure) or self.messages["default"]
            raise ApiError(self.status, message, code=self.code, headers=dict(self.headers))
