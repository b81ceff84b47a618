"""The effect a scenario or a ``Prefer`` header has on one request: the type packs apply to the runs they plan.

It belongs to the engine core because packs receive it (``call.effect``) and the control plane produces it;
neither needs the other to use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .lifecycle import Phase, Plan

__all__ = ["Effect", "flatten"]


@dataclass(frozen=True)
class Effect:
    """What a scenario does to the request it matched. The empty effect changes nothing."""

    outcome: str | None = None
    failure: str | None = None
    durations: Mapping[str, float] = field(default_factory=dict)
    """State → seconds it lasts."""
    status: int | None = None
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra headers of a `status` answer (``Retry-After``, say)."""
    scenario: int | None = None
    """The id of the stored scenario this came from (None for a Prefer header)."""

    def __bool__(self) -> bool:
        return any((self.outcome, self.failure, self.durations, self.status))

    def apply(self, plan: Plan) -> Plan:
        """`plan` with this effect's outcome and state durations."""
        phases = tuple(Phase(p.state, self.durations.get(p.state, p.seconds)) for p in plan.phases)
        return Plan(phases, self.outcome or plan.outcome)

    def seconds(self, state: str, default: float) -> float:
        return self.durations.get(state, default)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if self.outcome:
            doc["outcome"] = self.outcome
        if self.failure:
            doc["failure"] = self.failure
        if self.durations:
            doc["durations"] = dict(self.durations)
        if self.status:
            doc["respond"] = {"status": self.status, **({"message": self.message} if self.message else {}),
                              **({"headers": dict(self.headers)} if self.headers else {})}
        return doc

    @property
    def steers_runs(self) -> bool:
        return bool(self.outcome or self.failure or self.durations)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], scenario: int | None = None) -> Effect:
        respond = doc.get("respond") or {}
        return cls(outcome=doc.get("outcome"), failure=doc.get("failure"),
                   durations=dict(doc.get("durations") or {}), status=respond.get("status"),
                   message=respond.get("message"), headers=dict(respond.get("headers") or {}),
                   scenario=scenario)


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to every scalar of `document` (lists give ``a.0.b`` paths)."""
    flat: dict[str, Any] = {}
    if isinstance(document, Mapping):
        items: Sequence[tuple[Any, Any]] = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        if prefix:
            flat[prefix] = document
        return flat
    for key, value in items:
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat
