"""Recorded records written as a fixture folder that ``serve --fixtures DIR`` reads back: DIR/<api>/<kind>.yaml,
replacing the built-in records, each file naming its JSON Schema like the starter files do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..core.fixture_schemas import SCHEMAS_FOLDER
from ..core.fixtures import SETTINGS_FILE

__all__ = ["write_fixture_folder"]

_SETTINGS = """\
# Recorded from the real service: these records replace the built-in ones (a kind left out has no records).
mode: replace
"""


def write_fixture_folder(folder: Path, api: str, records: Mapping[str, Sequence[Mapping[str, Any]]],
                         *, origin: str) -> list[Path]:
    """Write `records` (by kind) as `folder`/`api`/<kind>.yaml, replacing what a previous recording wrote there;
    answer the files written. `origin` (the upstream's URL) goes in each file's header."""
    target = folder / api
    target.mkdir(parents=True, exist_ok=True)
    written = [target / SETTINGS_FILE]
    written[0].write_text(_SETTINGS, encoding="utf-8")
    for kind, rows in sorted(records.items()):
        path = target / f"{kind}.yaml"
        header = (f"# yaml-language-server: $schema=../{SCHEMAS_FOLDER}/{api}/{kind}.schema.json\n"
                  f"# Recorded from {origin}. Times are relative to the moment the store is seeded.\n")
        body = yaml.safe_dump([dict(row) for row in rows], sort_keys=False, allow_unicode=True, width=120)
        path.write_text(header + body, encoding="utf-8")
        written.append(path)
    return written
