"""What is served of each API's spec: ``<prefix>/openapi.json``, ``<prefix>/openapi.yaml`` and Swagger UI's.

The spec as written, for machines as well as people: its ``components`` and every ``$ref`` kept (connexion
would serve it with every reference inlined, which code generators turn into duplicate models under invented
names), its examples, and its keys in the order the file has them. Serving adds only what depends on where the
API is mounted: ``servers`` is that mount path (``/`` at the root, never an empty URL, which tools resolve
against the spec document's own URL).

Under ``--strict`` it is the documented view (`leniency.documented_view`): without the forms the real service
only tolerates. Where that leaves an alternative of one form, the form stands alone (`unwrapped`), as a
hand-written spec would have it, rather than as a one-member ``allOf``, which generators make a model of.

The examples are the spec's own, written in its YAML from what the API answers from its fixtures (and held to
that by ``mockingjob check`` and the tests), not made at serve time: what is served is the same document on
every worker whatever the state, and whoever reads ``specs/`` sees them too.

Both forms are made once per mount path, then served as bytes.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

import yaml

__all__ = ["ServedSpec", "as_json", "as_yaml", "unwrapped"]

JSON_MEDIA_TYPE = "application/json"
YAML_MEDIA_TYPE = "application/yaml"  # RFC 9512


class ServedSpec:
    """One API's spec as served at one mount path, in both forms, each made when first asked for."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._json: bytes | None = None
        self._yaml: bytes | None = None

    @classmethod
    def made(cls, raw: dict[str, Any], base_path: str,
             shown: Callable[[dict[str, Any]], dict[str, Any]] = lambda spec: spec) -> ServedSpec:
        """From the spec as written (`raw`, left as it is), mounted at `base_path`; `shown` makes the view
        served (the documented view under ``--strict``)."""
        spec = copy.deepcopy(raw)
        spec["servers"] = [{"url": base_path.rstrip("/") or "/"}]
        shown_spec = shown(spec)
        return cls(unwrapped(shown_spec) if shown_spec is not spec else shown_spec)

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = as_json(self.spec)
        return self._json

    @property
    def yaml(self) -> bytes:
        if self._yaml is None:
            self._yaml = as_yaml(self.spec)
        return self._yaml


def _plain(value: Any) -> Any:
    # YAML reads an unquoted date or instant as one: it is served as ISO-8601 text.
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def as_json(spec: dict[str, Any]) -> bytes:
    return json.dumps(spec, ensure_ascii=False, default=_plain).encode()


class _SpecDumper(yaml.SafeDumper):
    """Block YAML in the document's own key order, without anchors (the file's ``&``/``*`` are read as copies),
    with text of several lines as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip("\n") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SpecDumper.add_representer(str, _text)


def as_yaml(spec: dict[str, Any]) -> bytes:
    text: str = yaml.dump(spec, Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=120)
    return text.encode()


_KEEPS_MEANING = frozenset({"description", "title", "example", "deprecated", "readOnly", "writeOnly"})
"""Keywords beside a one-member ``allOf`` that say nothing about which values are valid (type is checked apart)."""


def unwrapped(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with each one-member ``allOf`` that only carried a description (or restated its member's type)
    replaced by its member: ``{allOf: [{$ref: X}], description: d}`` → ``{$ref: X}``. The spec is changed in
    place and returned."""
    schemas = spec.get("components", {}).get("schemas") or {}

    def member_type(member: Any) -> Any:
        if isinstance(member, dict) and isinstance(member.get("$ref"), str):
            target = schemas.get(member["$ref"].rsplit("/", 1)[-1])
            return target.get("type") if isinstance(target, dict) else None
        return member.get("type") if isinstance(member, dict) else None

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: walk(value) for key, value in node.items()}
        parts = node.get("allOf")
        if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict):
            member = parts[0]
            rest = {key: value for key, value in node.items() if key != "allOf"}
            restated = "type" not in rest or rest["type"] == member_type(member)
            if restated and set(rest) - {"type"} <= _KEEPS_MEANING:
                if "$ref" in member:
                    return member
                return {**rest, **member}
        return node

    result: dict[str, Any] = walk(spec)
    return result
