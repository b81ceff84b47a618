"""What the test packages share: the fixed instant and store, per-API in-process fixtures, contract settings."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.core.lint import HEADER
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


class Mode:
    """One of the two ways an API is served: as the real service reads requests (findings reported), or with
    ``--strict`` (findings refused)."""

    def __init__(self, mock: MockApp, client: TestClient, strict: bool) -> None:
        self.mock, self.client, self.strict = mock, client, strict

    @staticmethod
    def findings(response: Any) -> list[tuple[str, str]]:
        """The (rule, where) of each finding the answer's lint header reports."""
        found = []
        for value in response.headers.get_list(HEADER):
            rule, rest = value.split(" ", 1)
            found.append((rule, json.JSONDecoder().raw_decode(rest)[0]))
        return found


def lint_fixtures(api: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``<api>_modes`` (the API in process twice a session: by default and with ``--strict``) and ``mode``: a test
    that takes it runs once in each (a `Mode`, reset to the fixtures first). Assign them in a test module:
    ``scale_modes, mode = lint_fixtures("scale")``."""

    @pytest.fixture(scope="session", name=f"{api}_modes")
    def modes() -> Iterator[dict[bool, MockApp]]:
        served = {strict: MockApp(Config(apis=[api], speed=0, validate_responses=True, state=STATE, strict=strict))
                  for strict in (False, True)}
        yield served
        for each in served.values():
            each.close()

    @pytest.fixture(name="mode", params=[False, True], ids=["lenient", "strict"])
    def mode(request: pytest.FixtureRequest) -> Iterator[Mode]:
        served: MockApp = request.getfixturevalue(f"{api}_modes")[request.param]
        served.reset(control=True, at=EPOCH)
        with served.asgi.test_client() as client:
            yield Mode(served, client, request.param)

    return modes, mode


def headers_unless_broken(case: schemathesis.Case, headers: dict[str, str]) -> dict[str, str]:
    """`headers` (credentials), unless this case deliberately breaks the request's headers (leaves out
    Authorization, say)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    return headers

class Meanwhile:
    """Runs `action` (a request to another instance) in another thread just before `app` next executes a
    statement starting with `prefix`, after all it read first: the interleaving of two writers.

    On PostgreSQL the other writer finishes first, and `app`'s own statement then meets what it wrote. On a
    SQLite file the other writer waits for `app`'s write lock (taken when its transaction began) and goes
    second: each sees the other's work whole. Either way the two must both be answered correctly.
    """

    def __init__(self, app: MockApp, prefix: str, action: Callable[[], Any]) -> None:
        import sqlalchemy as sa

        self.results: list[Any] = []
        self._thread: threading.Thread | None = None
        prefix = prefix.upper()

        def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self._thread is None and statement.lstrip().upper().startswith(prefix):
                self._thread = threading.Thread(target=lambda: self.results.append(action()))
                self._thread.start()
                self._thread.join(timeout=1)  # done by now, unless it waits for this transaction

        sa.event.listen(app.store.engine, "before_cursor_execute", hook)

    def result(self) -> Any:
        assert self._thread is not None, "the statement was never executed"
        self._thread.join(timeout=60)
        return self.results[0]
