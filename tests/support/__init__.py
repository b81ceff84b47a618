"""What the test packages share: the fixed instant and store, per-API in-process fixtures, contract settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp

# Set to a database URL (an empty PostgreSQL database, say) to run the suite on that store instead of memory.
STATE = os.environ.get("MOCKINGJOB_TEST_STATE") or None

# A fixed starting instant, so that fixture times (relative to seeding) are reproducible.
EPOCH = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)

# Schemathesis runs bounded and reproducible.
BOUNDED = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                   database=None)


def at(text: str | None) -> datetime | None:
    """Parse a timestamp of an answer the way a client would (``Z`` or an offset)."""
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def api_fixtures(api: str) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """Fixtures for one API in process at its real paths: ``<api>_mock`` (one per session, manual clock,
    responses validated against the spec), ``mock`` (reset before each test: fixtures, scenarios, faults and
    journal, the clock stopped at EPOCH) and ``client``. Assign them in a conftest:
    ``scale_mock, mock, client = api_fixtures("scale")``."""

    @pytest.fixture(scope="session", name=f"{api}_mock")
    def session_mock() -> Iterator[MockApp]:
        served = MockApp(Config(apis=[api], speed=0, validate_responses=True, state=STATE))
        yield served
        served.close()

    @pytest.fixture(name="mock")
    def mock(request: pytest.FixtureRequest) -> MockApp:
        served: MockApp = request.getfixturevalue(f"{api}_mock")
        served.reset(control=True, at=EPOCH)
        return served

    @pytest.fixture(name="client")
    def client(mock: MockApp) -> Iterator[TestClient]:
        with mock.asgi.test_client() as test_client:
            yield test_client

    return session_mock, mock, client


def headers_unless_broken(case: schemathesis.Case, headers: dict[str, str]) -> dict[str, str]:
    """`headers` (credentials), unless this case deliberately breaks the request's headers (leaves out
    Authorization, say)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    return headers
