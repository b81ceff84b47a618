"""The records that answers describe, merged across answers by kind and identity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.pack import Answer, Pack

__all__ = ["RecordSet"]


class RecordSet:
    """Fixture records by kind, in the order first seen; a record seen again takes the later answer's fields."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self._kinds: dict[str, dict[str, dict[str, Any]]] = {}

    def add_answer(self, answer: Answer) -> int:
        """Take in the records `answer` describes; answer how many there were."""
        described = self.pack.records_from_answer(answer)
        for kind, records in described.items():
            self.add(kind, records)
        return sum(len(records) for records in described.values())

    def add(self, kind: str, records: Iterable[Mapping[str, Any]]) -> None:
        held = self._kinds.setdefault(kind, {})
        for record in records:
            # The key is compared as JSON so that a dict identity ({"namespace", "name"}) can be one.
            key = json.dumps(self.pack.record_key(kind, record), sort_keys=True, default=str)
            held[key] = {**held.get(key, {}), **record}

    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        return {kind: list(records.values()) for kind, records in self._kinds.items() if records}

    def __len__(self) -> int:
        return sum(len(records) for records in self._kinds.values())
