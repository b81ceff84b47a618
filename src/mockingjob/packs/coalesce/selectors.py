"""Coalesce node selectors: which of an environment's nodes a run processes.

A selector is a list of terms separated by spaces (or ``OR``): ``{ location: STG name: STG_ORDERS }`` picks
the nodes matching every key given (name, location, nodeType, id; case-insensitive), and a bare word picks the
node of that name. Graph operators (``+`` for upstream/downstream) are accepted and ignored: the mock's nodes
have no lineage. An unknown key, or a selector that does not parse (an unclosed brace, a key without a value,
an ``OR`` with nothing after it), is refused (ValueError), so a typo does not quietly select nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_GROUP = re.compile(r"\{([^{}]*)\}")
_PAIR = re.compile(r"([A-Za-z]+)\s*:\s*(\"[^\"]*\"|'[^']*'|[^\s{}\"']+)")
_KEYS = {"name": "name", "location": "location_name", "locationname": "location_name", "nodetype": "node_type",
         "id": "id"}
_CONNECTIVES = {"OR", "AND", "+"}


@dataclass(frozen=True)
class Selector:
    groups: tuple[tuple[tuple[str, str], ...], ...]
    names: frozenset[str]

    @classmethod
    @lru_cache(maxsize=256)  # a job's selectors come with every run of it; a Selector is immutable
    def parse(cls, text: str) -> Selector:
        if any(ord(char) < 32 for char in text):
            raise ValueError("Node selector contains a control character.")
        groups = []
        for body in _GROUP.findall(text):
            if not body.strip() or _PAIR.sub(" ", body).strip():
                raise ValueError(f"Cannot read node selector term {{{body}}}: write {{ key: value ... }}.")
            pairs = tuple((key.lower(), value.strip("\"'").lower()) for key, value in _PAIR.findall(body))
            unknown = sorted({key for key, _ in pairs if key not in _KEYS})
            if unknown:
                raise ValueError(f"Unknown node selector key(s) {', '.join(unknown)}: use name, location, "
                                 "nodeType or id.")
            groups.append(pairs)
        rest = _GROUP.sub(" ", text)
        if "{" in rest or "}" in rest:
            raise ValueError("Node selector has an unmatched brace.")
        terms = _GROUP.sub(" {} ", text).split()  # each braced term a word of its own
        if terms and (terms[0].upper() in ("OR", "AND") or terms[-1].upper() in ("OR", "AND")):
            raise ValueError("Node selector has OR or AND without a term on both sides.")
        names = {word.strip("+()").lower() for word in rest.split() if word.upper() not in _CONNECTIVES}
        return cls(tuple(groups), frozenset(name for name in names if name))

    def matches(self, node: Any) -> bool:
        if node.name.lower() in self.names:
            return True
        return any(group and all(key in _KEYS and str(getattr(node, _KEYS[key])).lower() == value
                                 for key, value in group) for group in self.groups)


def select(nodes: Sequence[Any], include: str | None, exclude: str | None) -> list[Any]:
    """The nodes `include` picks (all of them without one) minus those `exclude` picks, in processing order."""
    chosen = list(nodes)
    if include and include.strip():
        wanted = Selector.parse(include)
        chosen = [node for node in chosen if wanted.matches(node)]
    if exclude and exclude.strip():
        unwanted = Selector.parse(exclude)
        chosen = [node for node in chosen if not unwanted.matches(node)]
    return chosen
