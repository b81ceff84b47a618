"""Which operation of our spec a request to the real service was: path templates → operationId and path
parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.routing import compile_path

from ..core.engine import HTTP_METHODS
from ..core.pack import Pack
from ..core.resources import load_spec

__all__ = ["Matched", "OperationMatcher"]


@dataclass(frozen=True)
class Matched:
    """The operation a request matched (None: no path of the spec, or not that method) and its path parameters."""

    operation_id: str | None = None
    path_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    folded: re.Pattern[str] | None
    """The same pattern ignoring case, for a service that reads its paths so (`Pack.path_case_note`)."""
    operations: Mapping[str, str]
    """Method (upper-case) → operationId."""


def _literal_first(template: str) -> list[int]:
    """A sort key putting ``/v6/jobs/cancel/`` before ``/v6/jobs/{job_id}/``: segment by segment, a fixed one
    before a parameter, as the real services' routers would choose."""
    return [1 if "{" in segment else 0 for segment in template.split("/")]


class OperationMatcher:
    """A pack's spec paths, compiled once; `match` takes a request's path as the client sent it (percent-encoded),
    so that a parameter holding an encoded ``/`` (a Marquez namespace) is one parameter."""

    def __init__(self, pack: Pack, spec: Mapping[str, Any] | None = None) -> None:
        document = spec if spec is not None else load_spec(pack.spec_path)
        fold = pack.path_case_note is not None
        templates = []
        for template in sorted(document.get("paths", {}), key=_literal_first):
            item = document["paths"][template]
            operations = {method.upper(): str(op["operationId"]) for method, op in item.items()
                          if method in HTTP_METHODS and isinstance(op, Mapping) and "operationId" in op}
            pattern = compile_path(template)[0]
            templates.append(_Template(pattern, re.compile(pattern.pattern, re.IGNORECASE) if fold else None,
                                       operations))
        self._templates = templates

    def match(self, method: str, raw_path: str) -> Matched:
        method = method.upper()
        for template in self._templates:
            found = template.pattern.match(raw_path)
            if found:
                return self._matched(template, method, found)
        for template in self._templates:
            found = template.folded.match(raw_path) if template.folded else None
            if found:
                return self._matched(template, method, found)
        return Matched()

    @staticmethod
    def _matched(template: _Template, method: str, found: re.Match[str]) -> Matched:
        operation = template.operations.get(method)
        if operation is None:
            return Matched()
        return Matched(operation, {name: unquote(value) for name, value in found.groupdict().items()})
