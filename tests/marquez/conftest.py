"""The Marquez API in process at its real root paths, on a manual clock, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob.app import MockApp
from mockingjob.config import Config
from tests.conftest import EPOCH, STATE


@pytest.fixture(scope="session")
def marquez_mock() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=["marquez"], speed=0, validate_responses=True, state=STATE))
    yield mock
    mock.store.dispose()


@pytest.fixture
def mock(marquez_mock: MockApp) -> MockApp:
    marquez_mock.reset(control=True, at=EPOCH)
    return marquez_mock


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    with mock.asgi.test_client() as test_client:
        yield test_client
