"""``mockingjob init DIR``: a new project's settings file and fixture folder, ready to edit and serve.

Each pack may ship starter fixtures in ``<its fixtures folder>/_starter/``: a small, commented copy of its data
that replaces the built-in records (``_fixtures.yaml``: ``mode: replace``), so that what the project serves is
what it holds. The JSON Schemas of the fixture files go beside them, in ``fixtures/_schemas/``, where the
``# yaml-language-server: $schema=…`` line of each starter file finds them.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .core import registry
from .core.errors import UsageError
from .core.fixture_schemas import SCHEMAS_FOLDER
from .core.resources import fixtures_dir
from .project import CONFIG_FILE

__all__ = ["STARTER_FOLDER", "Written", "write_project"]

STARTER_FOLDER = "_starter"
"""The sub-folder of a pack's fixtures folder holding its starter fixtures."""

FIXTURES = "fixtures"


@dataclass
class Written:
    """What `write_project` wrote, and the APIs it had no starter data for."""

    files: list[Path] = field(default_factory=list)
    without_starter: list[str] = field(default_factory=list)


def write_project(folder: Path, apis: Sequence[str], *, force: bool = False) -> Written:
    """Write ``folder/mockingjob.toml`` and ``folder/fixtures/``: the starter data of `apis` (every API when
    empty) and the schemas of their fixture files. UsageError, with nothing written, if a file would be
    overwritten without `force`."""
    names = list(apis) or registry.available()
    plan: dict[Path, Path | str] = {folder / CONFIG_FILE: _settings_text(names, bool(apis))}
    written = Written()
    for name in names:
        starter = registry.load(name).fixtures_path / STARTER_FOLDER
        if not starter.is_dir():
            written.without_starter.append(name)
            continue
        for source in sorted(starter.glob("*.yaml")):
            plan[folder / FIXTURES / name / source.name] = source
        schemas = fixtures_dir() / SCHEMAS_FOLDER / name
        for source in sorted(schemas.glob("*.schema.json")):
            plan[folder / FIXTURES / SCHEMAS_FOLDER / name / source.name] = source
    existing = [path for path in plan if path.exists()]
    if existing and not force:
        shown = ", ".join(str(path) for path in existing[:5]) + (" …" if len(existing) > 5 else "")
        raise UsageError(f"{len(existing)} file(s) would be overwritten: {shown} (--force overwrites them)")
    for target, content in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")
        written.files.append(target)
    return written


def _settings_text(apis: Sequence[str], chosen: bool) -> str:
    names = ", ".join(f'"{name}"' for name in apis)
    return f"""\
# mockingjob's settings for this project: `mockingjob serve`, `mockingjob check` and the pytest plugin read
# them from here (or from [tool.mockingjob] in pyproject.toml). Every `serve` option can be set, by its long
# name; the command line and MOCKINGJOB_* environment variables win. `mockingjob serve --print-config` shows
# what is in effect and where each value came from. Paths are relative to this file.

# Your own data: one sub-folder per API, in the format of the built-in fixtures. Each sub-folder's
# _fixtures.yaml says whether it replaces the built-in records (as these starters do) or extends them.
fixtures = ["{FIXTURES}"]

{"" if chosen else "# "}apis = [{names}]   # the APIs to serve; all of them when unset
# port = 8080
# speed = 1                 # clock speed: 60 makes a minute pass each second, 0 stops the clock
# scenarios = "scenarios.yaml"
# strict = true             # refuse what the real services accept only leniently
# reload = true             # reload the data when a fixture file changes
"""
