"""The API's error shapes, derived from its spec: every schema its error responses (4xx, 5xx, ``4XX``,
``default``) give. An error answer is held to them where nothing else holds it to a schema: a status the
operation does not document, a documented error response without a schema, or one only a ``default`` covers
(whose schema need not be an error's). A documented error status with a schema is response_schema_conformance's
to judge, so that no answer is reported twice."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

__all__ = ["ErrorShapes"]

_SPEC_URI = "urn:mockingjob:verify-spec"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class _Documented:
    """How an operation documents one status key: whether its answer has a JSON schema, and where."""

    schema_pointer: str | None


class ErrorShapes:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        self._responses: dict[tuple[str, str], dict[str, _Documented]] = {}
        pointers: dict[str, None] = {}  # ordered, without repeats: one shape used by many responses is one shape
        for method, path, status, documented in self._documented_responses():
            self._responses.setdefault((method, path), {})[status] = documented
            if documented.schema_pointer is not None and (status[0] in "45" or status == "default"):
                pointers[documented.schema_pointer] = None
        self.pointers = tuple(pointers)
        """JSON pointers (into the spec) of the schemas of its error responses."""
        registry = Registry().with_resource(_SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4))
        self._validator = OAS30Validator({"anyOf": [{"$ref": f"{_SPEC_URI}#{p}"} for p in self.pointers]},
                                         registry=registry) if self.pointers else None

    def _documented_responses(self) -> Iterator[tuple[str, str, str, _Documented]]:
        for path, item in self._spec.get("paths", {}).items():
            for method in _METHODS:
                operation = item.get(method) if isinstance(item, Mapping) else None
                if not isinstance(operation, Mapping):
                    continue
                base = f"/paths/{_escape(path)}/{method}/responses"
                for status, response in operation.get("responses", {}).items():
                    documented = self._describe(response, f"{base}/{_escape(str(status))}")
                    yield method.upper(), path, str(status).upper(), documented

    def _describe(self, response: Any, pointer: str) -> _Documented:
        """Where the JSON schema of a response is (through its $ref, if it has one)."""
        while isinstance(response, Mapping) and isinstance(response.get("$ref"), str):
            pointer = response["$ref"].removeprefix("#")
            response = self._resolve(pointer)
        content = response.get("content", {}) if isinstance(response, Mapping) else {}
        for media_type, body in content.items():
            if "json" in media_type and isinstance(body, Mapping) and "schema" in body:
                schema_pointer = f"{pointer}/content/{_escape(media_type)}/schema"
                schema = body["schema"]
                if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and len(schema) == 1:
                    schema_pointer = schema["$ref"].removeprefix("#")  # one shape, however many responses use it
                return _Documented(schema_pointer)
        return _Documented(None)

    def _resolve(self, pointer: str) -> Any:
        node: Any = self._spec
        for part in pointer.lstrip("/").split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, Mapping) else None
        return node

    def needs_checking(self, method: str, path: str, status: int) -> bool:
        """Whether an error answer of `status` to the operation is ours to hold to the error shapes."""
        if status < 400 or self._validator is None:
            return False
        documented = self._responses.get((method.upper(), path), {})
        for key in (str(status), f"{str(status)[0]}XX"):
            if key in documented:
                return documented[key].schema_pointer is None
        default = documented.get("default")
        # A default whose schema is one of the error shapes is checked as the documented answer already.
        return default is None or default.schema_pointer is None or default.schema_pointer not in self.pointers

    def mismatch(self, body: bytes) -> str | None:
        """Why `body` is in none of the error shapes, or None if it is in one of them."""
        if self._validator is None:
            return None
        try:
            document = json.loads(body)
        except ValueError:
            return "the body is not JSON"
        if self._validator.is_valid(document):
            return None
        return f"the body fits none of the API's error schemas ({', '.join(map(_shape_name, self.pointers))})"


def _shape_name(pointer: str) -> str:
    """A schema's name for people: ``Error``, a response's name, or the operation and status it is given for."""
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]
    if parts[:2] in (["components", "schemas"], ["components", "responses"]):
        return parts[2]
    if parts[0] == "paths" and len(parts) > 4:
        return f"{parts[2].upper()} {parts[1]} {parts[4]}"
    return pointer
