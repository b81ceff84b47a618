"""Recorded records written as a fixture folder that ``serve --fixtures DIR`` reads back: DIR/<api>/<kind>.yaml,
replacing the built-in records, each file naming its JSON Schema like the starter files do, with the schemas
copied to DIR/_schemas/<api>/ where that line finds them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..core.fixture_schemas import SCHEMAS_FOLDER
from ..core.fixtures import SETTINGS_FILE
from ..core.resources import fixtures_dir

__all__ = ["copy_schemas", "write_atomically", "write_fixture_folder"]

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
    write_atomically(written[0], _SETTINGS)
    for kind, rows in sorted(records.items()):
        path = target / f"{kind}.yaml"
        header = (f"# yaml-language-server: $schema=../{SCHEMAS_FOLDER}/{api}/{kind}.schema.json\n"
                  f"# Recorded from {origin}. Times are relative to the moment the store is seeded.\n")
        body = yaml.safe_dump([dict(row) for row in rows], sort_keys=False, allow_unicode=True, width=120)
        write_atomically(path, header + body)
        written.append(path)
    return written


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader (or a recorder killed meanwhile) sees the old file or the new one,
    never half of one. The file being written is hidden (a leading "."), which the fixture loader skips."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def copy_schemas(folder: Path, api: str) -> list[Path]:
    """Copy the JSON Schemas of `api`'s fixture files to `folder`/_schemas/`api`/, as ``mockingjob init`` does;
    answer the files copied (none for an API without schemas)."""
    source = fixtures_dir() / SCHEMAS_FOLDER / api
    copied = []
    for schema in sorted(source.glob("*.schema.json")):
        target = folder / SCHEMAS_FOLDER / api / schema.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(schema, target)
        copied.append(target)
    return copied
