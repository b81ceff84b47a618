"""Shared fixtures: the Scale API in process, one per test session, on a manual clock, reset before every test.
Each API's test package has the same fixtures for its API (see tests/support/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import EPOCH, STATE, api_fixtures

__all__ = ["EPOCH", "STATE", "TOKEN"]

pytest_plugins = ["pytester"]

TOKEN = {"Authorization": "Token test-token"}

scale_mock, mock, client = api_fixtures("scale")


# The slow groups, so that `pytest -m "not contract and not subprocess"` is a fast inner loop:
# - contract: schemathesis holding an API to its spec (every test_contract.py);
# - subprocess: tests that start real servers or processes (over TCP, in threads or child processes). A module
#   that starts its own says so (`pytestmark = pytest.mark.subprocess`); these fixtures start one for a test.
_SERVER_FIXTURES = {"pytester", "mockingjob_live_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = Path(str(item.fspath)).name
        if name == "test_contract.py":
            item.add_marker(pytest.mark.contract)
        if _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.subprocess)
