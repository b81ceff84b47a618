"""The Coalesce API in process at its real paths, on a manual clock, reset to EPOCH before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob.app import MockApp
from mockingjob.config import Config
from tests.conftest import EPOCH, STATE


@pytest.fixture(scope="session")
def coalesce_mock() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=["coalesce"], speed=0, validate_responses=True, state=STATE))
    yield mock
    mock.store.dispose()


@pytest.fixture
def mock(coalesce_mock: MockApp) -> MockApp:
    """Fixtures, scenarios, faults and journal reset; the clock stopped at EPOCH."""
    coalesce_mock.reset(control=True, at=EPOCH)
    return coalesce_mock


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    with mock.asgi.test_client() as test_client:
        yield test_client
