"""Shared fixtures: the Scale API in process, one per test session, on a manual clock, reset before every test.
Each API's test package has the same fixtures for its API (see tests/support.py)."""

from __future__ import annotations

from tests.support import EPOCH, STATE, api_fixtures

__all__ = ["EPOCH", "STATE", "TOKEN"]

pytest_plugins = ["pytester"]

TOKEN = {"Authorization": "Token test-token"}

scale_mock, mock, client = api_fixtures("scale")
