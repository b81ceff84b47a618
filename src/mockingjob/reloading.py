"""``serve --reload``: watching the fixture folders, the scenarios file and the settings file while serving.

A change to an API's fixtures reloads that API's data, as a reset of it would (its scenarios, faults and journal
stay); a change to the scenarios file (or to the latency and error settings) replaces the start-up scenarios and
faults, leaving those a test added; a change to the settings file applies its fixtures and scenarios, and names
the settings that need a restart. A broken change keeps what is served and says why. Each outcome is one log
line (the console, with uvicorn's).

The files are polled, not watched through the operating system's notifications: fixture folders are small (a
poll reads a few dozen directory entries), and polling also sees changes made through a container's bind mount
or a network file system, where notifications often never arrive.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from .core.config import Config
from .core.fixtures import is_editor_leftover

__all__ = ["LIVE_SETTINGS", "Reloadable", "Reloader", "Watch"]

log = logging.getLogger("mockingjob.reload")

LIVE_SETTINGS = frozenset({"fixtures", "scenarios_file", "latency", "error_rate", "error_status"})
"""What a changed settings file applies at once; every other setting needs a restart."""

_Snapshot = dict[str, tuple[int, int] | None]


class Reloadable(Protocol):
    """What the reloader changes in the serving app."""

    def reload_fixtures(self, folders: Sequence[str]) -> list[str]:
        """Serve these fixture folders; answer the APIs whose data was reloaded. LoadError: nothing changed."""

    def reload_startup_rules(self, latency: str | None, error_rate: float | None, error_status: int,
                             scenarios_file: str | None) -> None:
        """Replace the start-up scenarios and faults. LoadError: nothing changed."""


@dataclass
class Watch:
    """What ``--reload`` watches and how it reads the settings again."""

    config: Config
    settings_file: Path | None = None
    reread: Callable[[], Config] | None = None
    """The settings anew: the settings file read again, under the command line and the environment."""


class Reloader:
    def __init__(self, app: Reloadable, watch: Watch, *, interval: float = 0.5) -> None:
        self.app = app
        self.watch = watch
        self.config = watch.config
        self.interval = interval

    def watched(self) -> dict[str, list[str]]:
        """What is watched, by what it feeds: the settings file, the scenarios file, the fixture folders."""
        return {"settings": [str(self.watch.settings_file)] if self.watch.settings_file else [],
                "scenarios": [self.config.scenarios_file] if self.config.scenarios_file else [],
                "fixtures": list(self.config.fixtures)}

    async def run(self) -> None:
        """Poll until cancelled; apply each change once it has settled (an editor may write a file in steps)."""
        watched = ", ".join(path for paths in self.watched().values() for path in paths) or "nothing"
        log.info("Reloading on changes to %s", watched)
        seen = self.snapshot()
        while True:
            await asyncio.sleep(self.interval)
            now = self.snapshot()
            if now == seen:
                continue
            while True:  # until two polls agree
                await asyncio.sleep(min(self.interval, 0.2))
                settled = self.snapshot()
                if settled == now:
                    break
                now = settled
            self.apply(seen, now)
            seen = self.snapshot()  # what the settings now name (new folders, say) is watched from here on

    def snapshot(self) -> dict[str, _Snapshot]:
        return {what: _files(paths) for what, paths in self.watched().items()}

    def apply(self, before: dict[str, _Snapshot], after: dict[str, _Snapshot]) -> None:
        """Act on what changed between two snapshots."""
        changed = {what for what in after if before.get(what) != after[what]}
        reload_fixtures = "fixtures" in changed
        reload_rules = "scenarios" in changed
        if "settings" in changed and self.watch.reread is not None:
            try:
                config = self.watch.reread()
            except Exception as exc:  # a broken file: the server goes on as it was
                log.error("Settings not reloaded, the server goes on as it was: %s", getattr(exc, "message", exc))
                return
            differing = {f.name for f in fields(Config) if getattr(config, f.name) != getattr(self.config, f.name)}
            if differing - LIVE_SETTINGS:
                log.warning("Settings changed that take effect at the next start: %s",
                            ", ".join(sorted(differing - LIVE_SETTINGS)))
            for name in differing & LIVE_SETTINGS:
                setattr(self.config, name, getattr(config, name))
            reload_fixtures = reload_fixtures or "fixtures" in differing
            reload_rules = reload_rules or bool(differing & (LIVE_SETTINGS - {"fixtures"}))
            if not differing:
                log.info("Settings file changed; nothing in effect changes")
        if reload_fixtures:
            self._reload_fixtures(_changed(before.get("fixtures", {}), after.get("fixtures", {})))
        if reload_rules:
            self._reload_rules()

    def _reload_fixtures(self, files: list[str]) -> None:
        try:
            apis = self.app.reload_fixtures(self.config.fixtures)
        except Exception as exc:  # whatever it is, the server goes on serving what it had
            log.error("Fixtures not reloaded, the data served stays as it was:\n  %s",
                      str(exc).replace("\n", "\n  "))
            return
        changed = f" ({', '.join(files)} changed)" if files else ""
        if apis:
            log.info("Reloaded the fixtures of %s%s, as a reset would: records a test added are gone",
                     ", ".join(apis), changed)
        else:
            log.info("Fixture files changed%s; the records they hold did not", changed)

    def _reload_rules(self) -> None:
        config = self.config
        try:
            self.app.reload_startup_rules(config.latency, config.error_rate, config.error_status,
                                          config.scenarios_file)
        except Exception as exc:  # whatever it is, the server goes on with the rules it had
            log.error("Scenarios not reloaded, the ones in effect stay: %s", exc)
            return
        log.info("Reloaded the start-up scenarios and faults%s",
                 f" from {config.scenarios_file}" if config.scenarios_file else "")


def _changed(before: _Snapshot, after: _Snapshot) -> list[str]:
    """The files added, removed or changed between two snapshots, each by its folder and name (``scale/jobs.yaml``)."""
    paths = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    return [os.path.join(os.path.basename(os.path.dirname(path)), os.path.basename(path)) for path in paths]


def _files(paths: Iterable[str]) -> _Snapshot:
    """Each file under `paths` (a file, or a folder walked through) with its modification time and size; a
    path that does not exist maps to None."""
    found: _Snapshot = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not is_editor_leftover(name):  # an editor's backup changes with every save
                        found[os.path.join(folder, name)] = _stat(os.path.join(folder, name))
        else:
            found[str(path)] = _stat(str(path))
    return found


def _stat(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size
