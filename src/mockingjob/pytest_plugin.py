"""pytest plugin (installed with the package): a live mockingjob for the tests of an API client.

Fixtures:

- ``mockingjob``: a `Mockingjob` handle on a server that was reset just before the test: its APIs' base URLs
  (``mockingjob.url("coalesce")``), ``clock``, ``scenarios``, ``faults`` and ``journal``.
- ``mockingjob_server``: the base URL of the server itself, started once per test session.

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

from collections.abc import Iterator

import pytest

from .client import Mockingjob

__all__ = ["mockingjob", "mockingjob_server"]


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


@pytest.fixture(scope="session")
def mockingjob_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """Base URL of the mockingjob serving this test session."""
    url = pytestconfig.getoption("mockingjob_url")
    if url:
        yield str(url).rstrip("/")
        return
    from .core.config import Config
    from .live import LiveServer

    apis = list(pytestconfig.getini("mockingjob_apis"))
    config = Config(apis=apis, port=0, speed=float(pytestconfig.getini("mockingjob_speed")),
                    fixtures=[str(path) for path in pytestconfig.getini("mockingjob_fixtures")],
                    state=pytestconfig.getini("mockingjob_state") or None,
                    admin_token=_admin_token(pytestconfig),
                    strict=bool(pytestconfig.getoption("mockingjob_strict")
                                or pytestconfig.getini("mockingjob_strict")),
                    mount="prefix")
    with LiveServer(config) as base_url:
        yield base_url


def _admin_token(config: pytest.Config) -> str | None:
    return config.getoption("mockingjob_admin_token") or config.getini("mockingjob_admin_token") or None


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
