"""Where the specs and fixtures are: inside the installed wheel, or at the top of a source checkout."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["StrictLoader", "fixtures_dir", "load_spec", "specs_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    checkout = _PACKAGE.parent.parent / name  # src/mockingjob → repository root
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"cannot find the {name}/ folder (looked in {shipped} and {checkout})")


def specs_dir() -> Path:
    return _data_dir("specs")


def fixtures_dir() -> Path:
    return _data_dir("fixtures")


# libyaml's parser when PyYAML was built with it (its wheels are): parsing the specs and fixtures is most of
# the start-up time, and it parses about ten times faster than the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe YAML loader that refuses a mapping with the same key twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@cache
def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=StrictLoader)
    return document


def load_spec(path: Path) -> dict[str, Any]:
    """The parsed spec document. Callers get a deep copy, so connexion may mutate theirs freely."""
    return copy.deepcopy(_load_yaml(path))
