"""A project's settings file: ``mockingjob.toml``, or ``[tool.mockingjob]`` in ``pyproject.toml``.

Every ``serve`` option can be set there by its long name (``error-rate = 0.1``; ``error_rate`` is read the same),
and the API names as ``apis``. The file is found from the working directory upwards, the nearest one winning
(``mockingjob.toml`` before a ``pyproject.toml`` of the same folder, which counts only with a
``[tool.mockingjob]`` table); ``--config FILE`` names one. Paths in it (fixture folders, the scenarios file, a
state file) are relative to the file's folder, so that the project can be served from anywhere inside it.

Reading only: which options exist and what their values may be is the command line's business (`cli`).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .core.errors import UsageError

__all__ = ["CONFIG_FILE", "PATH_SETTINGS", "ProjectConfig", "find_config_file", "read_config_file"]

CONFIG_FILE = "mockingjob.toml"
PYPROJECT = "pyproject.toml"

PATH_SETTINGS = {"fixtures", "scenarios", "state"}
"""Settings that name files or folders: read relative to the settings file's folder (a database URL is kept)."""


@dataclass(frozen=True)
class ProjectConfig:
    """A settings file, read: its values by setting name (``error-rate``), paths made absolute."""

    path: Path
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Where the values come from, for messages: ``mockingjob.toml`` or ``pyproject.toml [tool.mockingjob]``."""
        return f"{self.path} [tool.mockingjob]" if self.path.name == PYPROJECT else str(self.path)


def find_config_file(start: Path) -> Path | None:
    """The nearest ``mockingjob.toml``, or ``pyproject.toml`` with a ``[tool.mockingjob]`` table, from `start` up."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        candidate = folder / PYPROJECT
        if candidate.is_file() and _has_tool_table(candidate):
            return candidate
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        return "mockingjob" in _load(path).get("tool", {})
    except UsageError:
        return True  # a broken pyproject.toml is reported when read, not silently passed over


def read_config_file(path: Path, names: Iterable[str]) -> ProjectConfig:
    """Read `path`, whose settings must be among `names` (kebab-case); UsageError names the file and the key."""
    document = _load(path)
    if path.name == PYPROJECT:
        table = document.get("tool", {}).get("mockingjob", {})
        where = f"{path} [tool.mockingjob]"
    else:
        table, where = document, str(path)
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table of settings")
    known = sorted(names)
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("_", "-")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{where}: {key}: not a setting{hint}; the settings: {', '.join(known)}")
        if name in values:
            raise UsageError(f"{where}: {key}: set twice (as {name} too)")
        values[name] = _resolved(name, value, path.parent)
    return ProjectConfig(path, values)


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc


def _resolved(name: str, value: Any, folder: Path) -> Any:
    if name not in PATH_SETTINGS:
        return value
    if isinstance(value, list):
        return [_resolved(name, item, folder) for item in value]
    if not isinstance(value, str) or not value or "://" in value or value == ":memory:":
        return value
    return str(folder / Path(value).expanduser())
