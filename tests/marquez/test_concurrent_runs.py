"""Runs, jobs and namespaces created at the same time through two instances sharing one store, as ``--workers 2``
serves them.

Each instance has its own engine and connections, as each worker process has. A hook on the second instance's
engine lets the first instance create a run just before the second one writes its own, after the second one
has read everything it reads first: the interleaving that lost concurrent creations to a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockingjob.core.config import Config
from mockingjob.http.app import MockApp
from tests.support import STATE, Meanwhile

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


def test_a_run_created_elsewhere_meanwhile_does_not_take_the_new_runs_place(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    elsewhere = Meanwhile(second, "INSERT INTO marquez_runs", lambda: one.post(OTHER_RUNS, json={}))
    created = two.post(RUNS, json={})
    assert elsewhere.result().status_code == 201, elsewhere.result().text
    assert created.status_code == 201, created.text
    assert two.get(f"/api/v1/jobs/runs/{elsewhere.result().json()['id']}").status_code == 200
    assert one.get(f"/api/v1/jobs/runs/{created.json()['id']}").status_code == 200


def test_the_same_id_given_to_both_at_once_is_created_once_and_refused_once(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    given = str(uuid.uuid4())
    elsewhere = Meanwhile(second, "INSERT INTO marquez_runs", lambda: one.post(RUNS, json={"id": given}))
    here = two.post(RUNS, json={"id": given})
    answers = sorted([elsewhere.result(), here], key=lambda answer: answer.status_code)
    assert [answer.status_code for answer in answers] == [201, 400], [answer.text for answer in answers]
    assert answers[1].json() == {"code": 400, "message": f"Run '{given}' already exists for 'etl_orders' under "
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


def test_the_same_new_job_put_through_both_at_once_is_created_once(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    job = {"type": "BATCH", "inputs": [], "outputs": [], "description": "put twice"}
    name = f"raced_job_{uuid.uuid4().hex[:8]}"  # new, even in a database an earlier run left behind
    path = f"/api/v1/namespaces/food_delivery/jobs/{name}"
    elsewhere = Meanwhile(second, "INSERT INTO marquez_jobs", lambda: one.put(path, json=job))
    here = two.put(path, json=job)
    assert here.status_code == elsewhere.result().status_code == 200, (here.text, elsewhere.result().text)
    named = [j for j in one.get("/api/v1/namespaces/food_delivery/jobs", params={"limit": 1000}).json()["jobs"]
             if j["name"] == name]
    assert len(named) == 1


def test_the_same_new_namespace_put_through_both_at_once_is_created_once(
        clients: tuple[TestClient, TestClient, MockApp]) -> None:
    one, two, second = clients
    name = f"raced_namespace_{uuid.uuid4().hex[:8]}"
    path = f"/api/v1/namespaces/{name}"
    elsewhere = Meanwhile(second, "INSERT INTO marquez_namespaces",
                          lambda: one.put(path, json={"ownerName": "elsewhere"}))
    here = two.put(path, json={"ownerName": "here"})
    assert here.status_code == elsewhere.result().status_code == 200, (here.text, elsewhere.result().text)
    names = [ns["name"] for ns in one.get("/api/v1/namespaces", params={"limit": 1000}).json()["namespaces"]]
    assert names.count(name) == 1
