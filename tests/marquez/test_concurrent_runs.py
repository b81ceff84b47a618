"""Runs created at the same time through two instances sharing one store, as ``--workers 2`` serves them.

Each instance has its own engine and connections, as each worker process has. A hook on the second instance's
engine lets the first instance create a run just before the second one writes its own, after the second one
has read everything it reads first: the interleaving that lost concurrent creations to a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.support import STATE

RUNS = "/api/v1/namespaces/food_delivery/jobs/etl_orders/runs"
OTHER_RUNS = "/api/v1/namespaces/food_delivery/jobs/etl_delivery_7_days/runs"


@pytest.fixture(params=["file", *(["database"] if STATE and "://" in STATE else [])])
def clients(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, TestClient, MockApp]]:
    """Two instances on one SQLite file, and on the test database when the suite runs on one (PostgreSQL)."""
    state = str(tmp_path / "state.sqlite") if request.param == "file" else STATE
    first = MockApp(Config(apis=["marquez"], state=state, speed=0))
    second = MockApp(Config(apis=["marquez"], state=state, speed=0))
    try:
        with first.asgi.test_client() as one, second.asgi.test_client() as two:
            yield one, two, second
    finally:
        first.close()
        second.close()


def _before_inserting_a_run(app: MockApp, action: Callable[[], None]) -> None:
    """Run `action` once, just before `app` next inserts a run."""
    done: list[bool] = []

    def hook(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not done and statement.lstrip().upper().startswith("INSERT INTO MARQUEZ_RUNS"):
            done.append(True)
            action()

    sa.event.listen(app.store.engine, "before_cursor_execute", hook)


def test_a_run_created_elsewhere_meanwhile_does_not_take_the_new_runs_place(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    elsewhere: list[Any] = []
    _before_inserting_a_run(second, lambda: elsewhere.append(one.post(OTHER_RUNS, json={})))
    created = two.post(RUNS, json={})
    assert elsewhere[0].status_code == 201, elsewhere[0].text
    assert created.status_code == 201, created.text
    assert two.get(f"/api/v1/jobs/runs/{elsewhere[0].json()['id']}").status_code == 200
    assert one.get(f"/api/v1/jobs/runs/{created.json()['id']}").status_code == 200


def test_the_same_id_given_to_both_at_once_is_created_once_and_refused_once(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    given = str(uuid.uuid4())
    elsewhere: list[Any] = []
    _before_inserting_a_run(second, lambda: elsewhere.append(one.post(RUNS, json={"id": given})))
    refused = two.post(RUNS, json={"id": given})
    assert elsewhere[0].status_code == 201, elsewhere[0].text
    assert refused.status_code == 400, refused.text
    assert refused.json() == {"code": 400, "message": f"Run '{given}' already exists for 'etl_orders' under "
                                                      "namespace 'food_delivery'."}


def test_many_runs_created_through_both_at_once_all_succeed(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, _ = clients

    def create(index: int) -> int:
        return (one if index % 2 else two).post(RUNS, json={}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(80)))
    assert statuses == [201] * 80
    assert one.get(RUNS, params={"limit": 1}).json()["totalCount"] == two.get(RUNS).json()["totalCount"]
