"""pytest plugin (installed with the package): a live mockingjob for the tests of an API client.

Fixtures:

- ``mockingjob``: a `Mockingjob` handle on a server that was reset just before the test: its APIs' base URLs
  (``mockingjob.url("coalesce")``), ``clock``, ``scenarios``, ``faults`` and ``journal``.
- ``mockingjob_seed``: adds the records a test needs to that server, by fixture kind
  (``mockingjob_seed("scale", job_types=[...], jobs=[...])``) or from YAML files laid out like a fixtures
  folder (``mockingjob_seed.load("tests/data")``); the next test starts from the configured fixtures again.
- ``mockingjob_server``: the base URL of the server itself, started once per test session.

The session's server starts from the project's settings file (``mockingjob.toml``, or ``[tool.mockingjob]`` in
``pyproject.toml``, found from the rootdir up; ``mockingjob_config`` in the ini file names another): its APIs,
fixtures, scenarios, strictness and the rest, but its own address, a stopped clock and one worker. The ini
options below win over it.

Options: ``--mockingjob-url URL`` uses a server that is already running instead of starting one (with
``--mockingjob-admin-token`` if it has one). ``--mockingjob-lint=fail`` fails every test whose requests relied
on a leniency of a real service (an ignored field, a coerced value: ``mockingjob.journal.lint()`` lists them);
``--mockingjob-strict`` starts the session's server with ``--strict``, which refuses them with the API's 400.
In the ini file: ``mockingjob_apis`` (which APIs; default all), ``mockingjob_speed`` (clock speed; default 0, a
clock that moves only when the test advances it), ``mockingjob_state`` (a state file or database URL),
``mockingjob_fixtures`` (folders of your own fixtures, as ``serve --fixtures``; relative to the ini file),
``mockingjob_admin_token``, ``mockingjob_lint`` (``report`` or ``fail``), ``mockingjob_lint_ignore`` (rules that
``fail`` lets pass, such as ``deprecated``) and ``mockingjob_strict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from .client import Mockingjob

__all__ = ["Seeder", "mockingjob", "mockingjob_seed", "mockingjob_server"]

# Settings of a settings file that the session's server does not take: it listens where the plugin says, in
# this process, and its clock is `mockingjob_speed`'s.
_NOT_FOR_TESTS = frozenset({"host", "port", "workers", "speed", "loop", "access_log", "mount"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockingjob", "mockingjob stand-in server")
    group.addoption("--mockingjob-url", metavar="URL", default=None,
                    help="Use this running mockingjob instead of starting one for the test session.")
    group.addoption("--mockingjob-admin-token", metavar="TOKEN", default=None,
                    help="Admin token of the mockingjob given with --mockingjob-url.")
    group.addoption("--mockingjob-lint", choices=["report", "fail"], default=None,
                    help="fail: a test whose requests relied on a leniency of the real service fails.")
    group.addoption("--mockingjob-lint-ignore", metavar="RULE", action="append", default=None,
                    help="A lint rule (deprecated, unknown-field, ...) that --mockingjob-lint=fail lets pass; "
                         "repeatable.")
    group.addoption("--mockingjob-strict", action="store_true", default=None,
                    help="Start the session's mockingjob with --strict (leniencies refused with a 400).")
    parser.addini("mockingjob_lint", "report (default) or fail: what a lint finding does to its test",
                  default="report")
    parser.addini("mockingjob_lint_ignore", "Lint rules that mockingjob_lint = fail lets pass", type="args",
                  default=[])
    parser.addini("mockingjob_strict", "Start the session's mockingjob with --strict", type="bool", default=False)
    parser.addini("mockingjob_apis", "APIs the session's mockingjob serves (default: all)", type="args", default=[])
    parser.addini("mockingjob_speed", "Clock speed of the session's mockingjob (0: manual)", default="0")
    parser.addini("mockingjob_state", "State file or database URL (default: in memory)", default="")
    parser.addini("mockingjob_admin_token", "Admin token of the mockingjob used", default="")
    parser.addini("mockingjob_fixtures", "Folders of your own fixtures (serve --fixtures), applied in order; every "
                  "reset returns to them", type="paths", default=[])
    parser.addini("mockingjob_config", "The settings file the session's mockingjob starts from (default: the "
                  "nearest mockingjob.toml, or pyproject.toml with [tool.mockingjob], from the rootdir up)",
                  type="paths", default=[])


@pytest.fixture(scope="session")
def mockingjob_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of the mockingjob serving this test session."""
    url = pytestconfig.getoption("mockingjob_url")
    if url:
        yield str(url).rstrip("/")
        return
    from .core.config import Config
    from .live import LiveServer

    settings = _project_settings(pytestconfig)
    ini = pytestconfig.getini
    config = Config(**{
        **settings,
        "apis": list(ini("mockingjob_apis")) or settings.get("apis", []),
        "fixtures": [str(path) for path in ini("mockingjob_fixtures")] or settings.get("fixtures", []),
        "state": ini("mockingjob_state") or settings.get("state"),
        "admin_token": _admin_token(pytestconfig),
        "strict": bool(pytestconfig.getoption("mockingjob_strict") or ini("mockingjob_strict")
                       or settings.get("strict")),
        "speed": float(ini("mockingjob_speed")),
        "mount": "prefix",
        "port": 0,
    })
    with LiveServer(config) as base_url:
        yield base_url


_SETTINGS = pytest.StashKey[dict[str, Any]]()


def _project_settings(pytestconfig: pytest.Config) -> dict[str, Any]:
    """What the project's settings file says the session's server is, but where it listens and its clock
    (read once a session)."""
    if _SETTINGS not in pytestconfig.stash:
        pytestconfig.stash[_SETTINGS] = _read_project_settings(pytestconfig)
    return pytestconfig.stash[_SETTINGS]


def _read_project_settings(pytestconfig: pytest.Config) -> dict[str, Any]:
    from .cli import read_settings
    from .core.errors import UsageError
    from .project import find_config_file

    named = pytestconfig.getini("mockingjob_config")
    path = Path(named[0]) if named else find_config_file(Path(pytestconfig.rootpath))
    if path is None:
        return {}
    try:
        settings = read_settings(path)
    except UsageError as exc:
        raise pytest.UsageError(f"mockingjob: {exc}") from exc
    return {name: value for name, value in settings.items() if name not in _NOT_FOR_TESTS}


def _admin_token(config: pytest.Config) -> str | None:
    return (config.getoption("mockingjob_admin_token") or config.getini("mockingjob_admin_token")
            or _project_settings(config).get("admin_token") or None)


@pytest.fixture
def mockingjob(mockingjob_server: str, pytestconfig: pytest.Config) -> Iterator[Mockingjob]:
    """The session's mockingjob, reset to its fixtures, configured scenarios and faults, an empty journal and
    a fresh clock running at ``mockingjob_speed`` (0, stopped, unless the ini file says otherwise), also on a
    server given with ``--mockingjob-url``. With ``--mockingjob-lint=fail`` the test fails if any of its
    requests relied on a leniency of the real service."""
    handle = Mockingjob(mockingjob_server, admin_token=_admin_token(pytestconfig))
    handle.reset()
    handle.clock.set_speed(float(pytestconfig.getini("mockingjob_speed")))
    yield handle
    if (pytestconfig.getoption("mockingjob_lint") or pytestconfig.getini("mockingjob_lint")) == "fail":
        ignore = pytestconfig.getoption("mockingjob_lint_ignore") or pytestconfig.getini("mockingjob_lint_ignore")
        found = handle.journal.lint(ignore=ignore)
        if found:
            pytest.fail("requests the real service would only have tolerated:\n  " + "\n  ".join(found),
                        pytrace=False)


class Seeder:
    """Adds records to the session's mockingjob for one test (see `Mockingjob.add_records`)."""

    def __init__(self, handle: Mockingjob) -> None:
        self.handle = handle

    def __call__(self, api: str, records: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, /,
                 **kinds: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """Add records of `api`, by fixture kind; answer their identities by kind, in order."""
        return self.handle.add_records(api, records, **kinds)

    def load(self, path: str | Path) -> dict[str, dict[str, list[Any]]]:
        """Add the records of YAML files laid out like a fixtures folder: ``DIR/<api>/<kind>.yaml``, the folder
        of one API (``DIR/scale``) or one file (``DIR/scale/jobs.yaml``). Answer the identities by API and kind."""
        import yaml

        found = Path(path)
        if found.is_file():
            files = [found]
        elif any(child.is_dir() for child in found.iterdir()):
            files = sorted(found.glob("*/*.yaml"))
        else:
            files = sorted(found.glob("*.yaml"))
        by_api: dict[str, dict[str, list[Any]]] = {}
        for file in files:
            if file.name.startswith(("_", ".")):
                continue
            records = yaml.safe_load(file.read_text(encoding="utf-8")) or []
            by_api.setdefault(file.parent.name, {})[file.stem] = records
        return {api: self.handle.add_records(api, records) for api, records in by_api.items()}


@pytest.fixture
def mockingjob_seed(mockingjob: Mockingjob) -> Seeder:
    """Adds the records a test needs to the session's mockingjob, reset just before the test:
    ``mockingjob_seed("coalesce", runs=[...])`` or ``mockingjob_seed.load("tests/data")``."""
    return Seeder(mockingjob)
