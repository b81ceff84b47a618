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
``--mockingjob-admin-token`` if it has one); one that does not answer stops the session at its start, in one
line. ``--mockingjob-lint=fail`` fails every test whose requests relied on a leniency of a real service (an
ignored field, a coerced value: ``mockingjob.journal.lint()`` lists them);
``--mockingjob-strict`` starts the session's server with ``--strict``, which refuses them with the API's 400.
In the ini file: ``mockingjob_apis`` (which APIs; default all), ``mockingjob_speed`` (clock speed; default 0, a
clock that moves only when the test advances it), ``mockingjob_state`` (a state file or database URL),
``mockingjob_fixtures`` (folders of your own fixtures, as ``serve --fixtures``; relative to the ini file),
``mockingjob_admin_token``, ``mockingjob_lint`` (``report`` or ``fail``), ``mockingjob_lint_ignore`` (rules that
``fail`` lets pass, such as ``deprecated``) and ``mockingjob_strict``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from .client import Mockingjob

__all__ = ["Seeder", "mockingjob", "mockingjob_seed", "mockingjob_server"]

# Settings of a settings file that the session's server does not take: it listens where the plugin says, in
# this process, and its clock is `mockingjob_speed`'s.
_NOT_FOR_TESTS = frozenset({"host", "port", "workers", "speed", "loop", "access_log", "mount", "reload",
                            # Faults at random would fail tests at random: a test asks for the faults it wants.
                            "latency", "error_rate", "error_status"})


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


def pytest_sessionstart(session: pytest.Session) -> None:
    """A server given with ``--mockingjob-url`` must be there before any test runs: one clear line if it is not,
    rather than a connection error in every test."""
    config = session.config
    url = config.getoption("mockingjob_url")
    if not url or config.option.collectonly:
        return
    problem = _unreachable(str(url), _admin_token(config))
    if problem is not None:
        raise pytest.UsageError(problem)


def _unreachable(url: str, admin_token: str | None) -> str | None:
    """What is wrong with the mockingjob at `url`, in one line; None if it answers as one."""
    from urllib.parse import urlsplit

    from .client import AdminError

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"mockingjob: --mockingjob-url {url}: give the server's base URL, such as http://127.0.0.1:8080"
    try:
        Mockingjob(url, admin_token=admin_token, timeout=_PROBE_SECONDS).apis  # noqa: B018 - asks the server
    except AdminError as exc:
        if exc.status == 404:
            where = "the server's base URL, without an API's path" if parts.path.strip("/") else "the right port"
            return (f"mockingjob: {url} answers, but not as a mockingjob (GET /_mockingjob/apis: 404); is it "
                    f"{where}?")
    except OSError as exc:  # urllib's URLError, a timeout, a reset connection
        return _cannot_reach(url, exc)
    return None


_PROBE_SECONDS = 10.0


def _cannot_reach(url: str, exc: OSError) -> str:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, ConnectionRefusedError):
        why = "connection refused"
    elif isinstance(reason, socket.gaierror):
        why = "no such host"
    elif isinstance(reason, TimeoutError):
        why = "no answer"
    else:
        why = str(reason) or type(reason).__name__
    return f"mockingjob: cannot reach {url} ({why}); is the server running?"


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
    from .core.errors import LoadError

    server = LiveServer(config)
    try:
        base_url = server.start()
    except LoadError as exc:  # the project's fixtures or scenarios: its owner's to mend, told once
        pytest.exit("mockingjob cannot start:\n  " + str(exc).replace("\n", "\n  "), returncode=4)
    try:
        yield base_url
    finally:
        server.stop()


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
    except UsageError as exc:  # told once, and the session stops: every test would fail the same way
        pytest.exit(f"mockingjob: {exc}", returncode=4)
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
    try:
        handle.reset()
    except OSError as exc:  # the server went away during the session
        pytest.fail(_cannot_reach(mockingjob_server, exc), pytrace=False)
    handle.clock.set_speed(float(pytestconfig.getini("mockingjob_speed")))
    yield handle
    if (pytestconfig.getoption("mockingjob_lint") or pytestconfig.getini("mockingjob_lint")) == "fail":
        ignore = pytestconfig.getoption("mockingjob_lint_ignore") or pytestconfig.getini("mockingjob_lint_ignore")
        found = handle.journal.lint(ignore=ignore)
        if found:
            pytest.fail("requests the real service would only have tolerated:\n  " + "\n  ".join(found),
                        pytrace=False)


class Seeder:
    """Adds records to the session's mockingjob for one test (see `Mockingjob.add_records`); a refusal fails the
    test with every problem, one line each."""

    def __init__(self, handle: Mockingjob, root: Path) -> None:
        self.handle = handle
        self.root = root

    def __call__(self, api: str, records: Mapping[str, Iterable[Mapping[str, Any]]] | None = None, /,
                 **kinds: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """Add records of `api`, by fixture kind; answer their identities by kind, in order."""
        return self._add(api, {**(records or {}), **kinds}, f"mockingjob_seed({api!r})")

    def load(self, path: str | Path) -> dict[str, dict[str, list[Any]]]:
        """Add the records of YAML files laid out like a fixtures folder: ``DIR/<api>/<kind>.yaml``, the folder
        of one API (``DIR/scale``) or one file (``DIR/scale/jobs.yaml``); a relative path is the rootdir's.
        Answer the identities by API and kind."""
        from .core.fixtures import yaml_problem
        from .core.resources import read_yaml

        found = path if Path(path).is_absolute() else self.root / path
        found = Path(found)
        if not found.exists():
            pytest.fail(f"mockingjob_seed.load: {found}: no such file or folder", pytrace=False)
        if found.is_file():
            files = [found]
        elif any(child.is_dir() and not child.name.startswith((".", "_")) for child in found.iterdir()):
            files = sorted(found.glob("*/*.yaml"))
        else:
            files = sorted(found.glob("*.yaml"))
        by_api: dict[str, dict[str, Any]] = {}
        for file in files:
            if file.name.startswith(("_", ".")) or file.parent.name.startswith(("_", ".")):
                continue
            try:
                records = read_yaml(file)
            except Exception as exc:  # unreadable or not YAML: the file's own line
                pytest.fail(f"mockingjob_seed.load: {file}: {yaml_problem(exc)}", pytrace=False)
            by_api.setdefault(file.parent.name, {})[file.stem] = [] if records is None else records
        return {api: self._add(api, records, f"mockingjob_seed.load({str(path)!r})")
                for api, records in by_api.items()}

    def _add(self, api: str, records: Mapping[str, Any], what: str) -> dict[str, list[Any]]:
        from .client import AdminError

        try:
            return self.handle.add_records(api, records)
        except (AdminError, TypeError) as exc:
            lines = exc.errors if isinstance(exc, AdminError) else [str(exc)]
            pytest.fail(f"{what} was refused:\n  " + "\n  ".join(lines), pytrace=False)


@pytest.fixture
def mockingjob_seed(mockingjob: Mockingjob, pytestconfig: pytest.Config) -> Seeder:
    """Adds the records a test needs to the session's mockingjob, reset just before the test:
    ``mockingjob_seed("coalesce", runs=[...])`` or ``mockingjob_seed.load("tests/data")``."""
    return Seeder(mockingjob, Path(pytestconfig.rootpath))
