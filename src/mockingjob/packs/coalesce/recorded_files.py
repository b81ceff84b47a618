"""The recorded Coalesce records as they are written (`CoalescePack.recorded_files`): without the stand-ins
(`UNRECORDED`) that no record refers to any more, and each kind in ID order, so that the files a recording writes
do not depend on the order the client asked in.

A stand-in is referred to until an answer tells what it stood for: the workspace of a job an environment's job
list shows, until a workspace's job list shows the job too; the user who created an environment a run names,
until the environments are listed.

Order matters for seeding in two places only, and ID order is the listing order the service pages by in both:
an environment's nodes are processed in the order they are given (no answer but a run's results tells that
order), and a run that names no user was started by the first user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .recorded import UNRECORDED

__all__ = ["recorded_files"]

Record = dict[str, Any]

# The fields of a record that name a record of another kind: a kind refers only to kinds listed before it.
_REFERENCES: dict[str, dict[str, str]] = {
    "environments": {"createdBy": "users"},
    "nodes": {"environment": "environments"},
    "jobs": {"environment": "environments", "workspace": "workspaces"},
    "runs": {"environment": "environments", "job": "jobs", "user": "users"},
}
_REFERRING_FIRST = ("runs", "jobs", "nodes", "environments", "workspaces", "users")


def recorded_files(records: Mapping[str, list[Record]]) -> dict[str, list[Record]]:
    """`records` (by kind) without the stand-ins nothing refers to, each kind in ID order."""
    kept: dict[str, list[Record]] = {}
    # The kinds that refer to others first: whether a stand-in is referred to is known once they are settled.
    for kind in (*_REFERRING_FIRST, *(kind for kind in records if kind not in _REFERRING_FIRST)):
        referred = _referred_to(kind, kept)
        needed = [record for record in records.get(kind, ())
                  if record.get("id") != UNRECORDED or UNRECORDED in referred]
        kept[kind] = sorted(needed, key=_node_order if kind == "nodes" else _record_order)
    return {kind: kept[kind] for kind in records}


def _referred_to(kind: str, kept: Mapping[str, list[Record]]) -> set[Any]:
    """The IDs of `kind` that the records kept so far name."""
    return {record.get(name) for referring, fields in _REFERENCES.items() for record in kept.get(referring, ())
            for name, target in fields.items() if target == kind}


def _id_order(value: Any) -> tuple[int, int, str]:
    """Numbers, and number-like text (environments are "2", "10"), by value, before other IDs, by text."""
    text = str(value)
    return (0, int(text), "") if text.isascii() and text.isdigit() else (1, 0, text)


def _record_order(record: Record) -> tuple[int, int, str]:
    return _id_order(record.get("id"))


def _node_order(node: Record) -> tuple[tuple[int, int, str], tuple[int, int, str]]:
    return _id_order(node.get("environment")), _id_order(node.get("id"))
