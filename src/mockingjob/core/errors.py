"""Errors raised by mockingjob.

Two families that never mix::

    MockError
    ├── LoadError                 problems found while loading, before any request is served
    │   ├── PackError             a pack is missing or malformed
    │   ├── SpecError             a spec file cannot be read or is not valid OpenAPI 3.0
    │   ├── FixtureError          a fixture file cannot be read or contradicts its spec
    │   └── UsageError            a bad command-line or configuration value
    └── ApiError                  an HTTP error a handler wants the client to see (data only)
        └── RequestInvalid        the request broke the spec (raised by validation)

Handlers raise `ApiError`; they never build error bodies. Each pack renders an `ApiError` in the shape of the
real service it mocks (see `Pack.render_error`).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


class MockError(Exception):
    """Base class of every error mockingjob raises on purpose."""


class LoadError(MockError):
    """Something could not be loaded; the message says what and where."""


class PackError(LoadError):
    """A pack is missing or does not provide what the engine needs."""


class SpecError(LoadError):
    """A spec cannot be read or is not valid OpenAPI 3.0."""


class FixtureError(LoadError):
    """A fixture cannot be read or does not fit its spec."""


class FixtureConflict(FixtureError):
    """A record added to a running server has the identity of one it already holds (an id, a name)."""


class UsageError(LoadError):
    """A command-line option or configuration value is wrong."""


QUOTED_CHARS = 1000
"""The most of an error message answered: messages quote what the client sent, which may be megabytes."""


def clip(text: str, limit: int = QUOTED_CHARS) -> str:
    """`text`, cut to `limit` characters (and an ellipsis) if it is longer."""
    return text if len(text) <= limit else text[:limit] + "…"


ASKED_FOR = frozenset({"fault", "scenario"})
"""`ApiError.code` of an error a test asked for: it is answered with exactly its status, in the API's shape."""


class ApiError(MockError):
    """An HTTP error answered to the client, rendered by the pack in its API's own shape.

    `detail` is the human message; `code` is an optional machine-readable reason that a pack may map to its own
    wording; `extra` carries pack-specific fields (for example a Marquez error code).

    >>> raise ApiError(404, "Not found.")
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.detail = clip(detail) if detail is not None else HTTPStatus(status).phrase
        self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{status}: {self.detail}")


@dataclass(frozen=True)
class Violation:
    """One way a request broke the spec, described structurally so that a pack can word it its own way.

    `location` is "query", "path", "header", "body" or "content-type"; `name` is the parameter name or the
    dotted path into the body (empty for the body as a whole); `rule` is the JSON Schema keyword that failed
    ("type", "required", "enum", "pattern", "minimum", …) or one of "extra", "missing", "malformed", "encoding",
    "media-type"; `expected` is what the rule asked for (a type name, the enum list, a bound…).
    """

    location: str
    name: str
    rule: str
    message: str
    expected: Any = None
    value: Any = None

    def __post_init__(self) -> None:
        # Both quote the request (a body's path, a value's repr): the answer must not grow with it.
        object.__setattr__(self, "name", clip(self.name))
        object.__setattr__(self, "message", clip(self.message))


class RequestInvalid(ApiError):
    """The request does not match the spec. Raised by the validation layer, rendered by the pack."""

    def __init__(self, violation: Violation, status: int = 400) -> None:
        self.violation = violation
        super().__init__(status, violation.message, code=f"{violation.location}:{violation.rule}")
