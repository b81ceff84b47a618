"""The records that answers describe, merged across answers by kind and identity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.pack import Answer, Mentioned, Pack

__all__ = ["RecordSet"]


class RecordSet:
    """Fixture records by kind, in the order first seen; a record seen again takes the later answer's fields
    (field by field inside nested objects: a list's summary of a record does not undo its details), except that a
    `Mentioned` record (named, not told) only fills in what no answer told."""

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
            before = held.get(key, {})
            held[key] = _merged(record, before) if isinstance(record, Mentioned) else _merged(before, record)

    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """The records to write, by kind, as the pack would have them written (`Pack.recorded_files`)."""
        merged = {kind: list(records.values()) for kind, records in self._kinds.items() if records}
        return {kind: records for kind, records in self.pack.recorded_files(merged).items() if records}

    def __len__(self) -> int:
        return sum(len(records) for records in self._kinds.values())


def _merged(earlier: Mapping[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """`later` over `earlier`; where both hold an object, the two merged the same way. Other values (lists
    included) are the later ones."""
    merged = dict(earlier)
    for name, value in later.items():
        before = merged.get(name)
        merged[name] = _merged(before, value) if isinstance(before, Mapping) and isinstance(value, Mapping) else value
    return merged
