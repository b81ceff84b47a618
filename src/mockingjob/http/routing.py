"""Which API and operation a request is for, worked out once per request from the specs' paths.

Every layer of ours (faults and the journal, authentication, the endpoint, error rendering) reads the answer
from the request's `Exchange` rather than working it out again. (connexion's router still finds the handler
and the path parameters, inside connexion.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import compile_path

from ..core.effect import Effect
from ..core.engine import HTTP_METHODS
from ..core.lint import Finding
from ..core.pack import Pack

ENCODED_SLASH = "\ue02f"
"""Stands, while a request is routed, for a ``/`` the client sent encoded (``%2F``) inside a path segment: servers
decode the path before routing, and a Marquez namespace such as ``postgres://host:5432`` would split into
segments. Path parameters get their ``/`` back before validation."""

__all__ = ["ENCODED_SLASH", "EXCHANGE", "Exchange", "Route", "Router"]

EXCHANGE = "mockingjob.exchange"
"""Scope key of the request's `Exchange`."""


_DOCUMENTATION = frozenset({"", "/", "/ui", "/openapi.json", "/openapi.yaml"})


@dataclass(frozen=True)
class Route:
    """Where a request goes: the pack whose path it is, and the operation, if one matches path and method."""

    pack: Pack | None
    """None outside every API (the landing page)."""
    operation: str | None = None
    security: tuple[Any, ...] = ()
    """The operation's security requirements (empty: no authentication)."""
    journaled: bool = False
    """An API request (not the admin API, a Swagger UI page or a spec): faults apply and the journal keeps it."""
    allowed: tuple[str, ...] = ()
    """The methods the matched path has (for a 405's ``Allow``)."""
    spelled: str | None = None
    """The path as the spec spells it, when the request matched it only in another case (see
    `Pack.path_case_note`)."""


@dataclass
class Exchange:
    """One request as the layers of the request path learn about it, created by the outermost one."""

    route: Route
    scenario: int | None = None
    effect: Effect | None = None
    """The scenario's or Prefer header's effect, if one applied (for the journal)."""
    strict: bool = False
    """``--strict``: a leniency of the real service is refused rather than reported."""
    findings: list[Finding] = field(default_factory=list)
    """The leniencies the request relied on (validation's and the handler's), for the answer and the journal."""


@dataclass
class _Mount:
    pack: Pack
    prefix: str
    journaled: bool
    paths: list[tuple[re.Pattern[str], dict[str, tuple[str, tuple[Any, ...]]]]] = field(default_factory=list)
    # With a pack that reads paths in any case: each path's pattern ignoring case, and its format to spell a
    # match as the spec does.
    folded: list[tuple[re.Pattern[str], str]] = field(default_factory=list)


class Router:
    """Path and method → `Route`, from the mounted specs. A request to an API's Swagger UI or spec still belongs
    to that API (its errors are the API's), but names no operation."""

    def __init__(self) -> None:
        self._mounts: list[_Mount] = []
        self._root: _Mount | None = None

    def mount(self, pack: Pack, spec: Mapping[str, Any], prefix: str, *, journaled: bool = True) -> None:
        mount = _Mount(pack, prefix, journaled)
        default_security = tuple(spec.get("security", ()))
        for template, item in spec.get("paths", {}).items():
            operations = {method.upper(): (op["operationId"], tuple(op.get("security", default_security)))
                          for method, op in item.items() if method in HTTP_METHODS}
            pattern, spelling, _ = compile_path(prefix + template)
            mount.paths.append((pattern, operations))
            if pack.path_case_note is not None:
                mount.folded.append((re.compile(pattern.pattern, re.IGNORECASE), spelling))
        if prefix:
            self._mounts.append(mount)
            self._mounts.sort(key=lambda m: -len(m.prefix))  # the most specific prefix first
        else:
            self._root = mount

    def route(self, path: str, method: str) -> Route:
        mount = self._mount_of(path)
        if mount is None:
            return Route(None)
        # The spec's own paths first: an API may well have an operation at "/" or under "/ui…".
        for pattern, operations in mount.paths:
            if pattern.match(path):
                operation, security = operations.get(method.upper(), (None, ()))
                return Route(mount.pack, operation, security, mount.journaled, tuple(sorted(operations)))
        for number, (pattern, spelling) in enumerate(mount.folded):
            match = pattern.match(path)
            if match:
                operations = mount.paths[number][1]
                operation, security = operations.get(method.upper(), (None, ()))
                return Route(mount.pack, operation, security, mount.journaled, tuple(sorted(operations)),
                             spelled=spelling.format(**match.groupdict()))
        rest = path[len(mount.prefix):]
        if rest in _DOCUMENTATION or rest.startswith("/ui/"):
            return Route(mount.pack)  # the landing page, Swagger UI and the spec: not API requests
        return Route(mount.pack, journaled=mount.journaled)

    def _mount_of(self, path: str) -> _Mount | None:
        for mount in self._mounts:
            if path == mount.prefix or path.startswith(mount.prefix + "/"):
                return mount
        return self._root
