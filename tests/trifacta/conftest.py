"""The Trifacta API alone, at its real paths, on a manual clock; reset to the fixtures before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockingjob.app import MockApp
from mockingjob.config import Config
from tests.conftest import EPOCH, STATE


@pytest.fixture(scope="session")
def trifacta_mock() -> Iterator[MockApp]:
    mock = MockApp(Config(apis=["trifacta"], speed=0, validate_responses=True, state=STATE))
    yield mock
    mock.store.dispose()


@pytest.fixture
def mock(trifacta_mock: MockApp) -> MockApp:
    trifacta_mock.reset(control=True, at=EPOCH)
    return trifacta_mock


@pytest.fixture
def client(mock: MockApp) -> Iterator[TestClient]:
    with mock.asgi.test_client() as test_client:
        yield test_client
