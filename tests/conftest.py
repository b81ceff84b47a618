"""Shared fixtures: one in-process mock per test session, on a manual clock, reset before every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from mockingjob.app import MockApp
from mockingjob.config import Config

pytest_plugins = ["pytester"]

# Set to a database URL (an empty PostgreSQL database, say) to run the suite on that store instead of memory.
STATE = os.environ.get("MOCKINGJOB_TEST_STATE") or None

# A fixed starting instant, so that fixture times (relative to seeding) are reproducible.
EPOCH = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
TOKEN = {"Authorization": "Token test-token"}


@pytest.fixture(scope="session")
def scale_mock() -> Iterator[MockApp]:
    """The Scale API at its real root paths, manual clock, responses validated against the spec."""
    mock = MockApp(Config(apis=["scale"], speed=0, validate_responses=True, state=STATE))
    yield mock
    mock.store.dispose()


@pytest.fixture
def mock(scale_mock: MockApp) -> MockApp:
    """Fixtures, scenarios, faults and journal reset; the clock stopped at EPOCH."""
    scale_mock.reset(control=True, at=EPOCH)
    return scale_mock


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    with mock.asgi.test_client() as test_client:
        yield test_client
