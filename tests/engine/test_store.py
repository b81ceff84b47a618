"""The store's own guarantees: transactions hold on SQLite as elsewhere, and older state files are brought up to
date when opened."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mockingjob.core.config import Config
from mockingjob.core.store import Store
from mockingjob.http.app import MockApp
from tests.support import STATE


@pytest.mark.parametrize("in_file", [False, True], ids=["memory", "file"])
def test_a_released_savepoint_is_undone_with_its_transaction(tmp_path: Path, in_file: bool) -> None:
    store = Store(str(tmp_path / "state.sqlite") if in_file else None)
    table = sa.Table("items", store.metadata, sa.Column("id", sa.Integer, primary_key=True))
    store.create_tables()
    with pytest.raises(RuntimeError), store.begin() as conn:
        conn.execute(sa.select(table)).all()  # only reads before the savepoint
        with conn.begin_nested():
            conn.execute(table.insert().values(id=1))
        conn.execute(table.insert().values(id=2))
        raise RuntimeError("the request fails after its savepoint was released")
    with store.begin() as conn:
        assert conn.execute(sa.select(table.c.id)).scalars().all() == []
    store.dispose()


def test_a_savepoint_rolled_back_leaves_the_rest_of_the_transaction(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "state.sqlite"))
    table = sa.Table("items", store.metadata, sa.Column("id", sa.Integer, primary_key=True))
    store.create_tables()
    with store.begin() as conn:
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(table.insert(), [{"id": 1}, {"id": 1}])
        conn.execute(table.insert().values(id=2))
    with store.begin() as conn:
        assert conn.execute(sa.select(table.c.id)).scalars().all() == [2]
    store.dispose()


def test_an_index_missing_from_an_older_state_file_is_created_when_it_is_opened(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    config = Config(apis=["marquez"], state=state, speed=0)
    MockApp(config).close()
    engine = sa.create_engine(f"sqlite:///{state}")
    runs = sa.Table("marquez_runs", sa.MetaData(), autoload_with=engine)
    (index,) = (i for i in runs.indexes if i.name == "ix_marquez_runs_page")
    index.drop(engine)
    assert "ix_marquez_runs_page" not in {i["name"] for i in sa.inspect(engine).get_indexes("marquez_runs")}

    reopened = MockApp(config)
    try:
        names = {i["name"] for i in sa.inspect(reopened.store.engine).get_indexes("marquez_runs")}
    finally:
        reopened.close()
    assert {"ix_marquez_runs_page", "ix_marquez_runs_latest"} <= names
    with engine.connect() as conn:  # the state itself is kept
        assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() > 0
    engine.dispose()


def _parent_and_child() -> tuple[sa.Table, sa.Table]:
    """Two tables declared once, on a MetaData of their own, as a pack declares its tables."""
    metadata = sa.MetaData()
    parent = sa.Table("parents", metadata, sa.Column("id", sa.Integer, primary_key=True))
    child = sa.Table("children", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("parent_id", sa.ForeignKey("parents.id"), nullable=False),
                     sa.Index("ix_children_parent", "parent_id"))
    return parent, child


def test_tables_declared_once_serve_every_store_of_the_process(tmp_path: Path) -> None:
    parent, child = _parent_and_child()
    stores = [Store(), Store(str(tmp_path / "state.sqlite"))]
    for number, store in enumerate(stores, start=1):
        # SQLite checks foreign keys only when asked to: ask, so that clearing in the wrong order would fail.
        sa.event.listen(store.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA foreign_keys=ON"))
        assert store.add_tables([child, parent]) == [child, parent]
        store.create_tables()
        assert store.tables[-2:] == [parent, child]  # a referenced table before the ones referring to it
        with store.begin() as conn:
            conn.execute(parent.insert(), [{"id": n} for n in range(number)])
            conn.execute(child.insert(), [{"id": n, "parent_id": n} for n in range(number)])
    for number, store in enumerate(stores, start=1):  # each database holds its own rows
        with store.begin() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(child)).scalar_one() == number
            store.clear(conn, [parent, child])  # children first, or the foreign key would not hold
            assert conn.execute(sa.select(sa.func.count()).select_from(parent)).scalar_one() == 0
        store.dispose()


def test_opening_a_state_file_creates_only_the_tables_it_lacks(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    parent, child = _parent_and_child()
    older = Store(state)
    older.add_tables([parent])
    older.create_tables()
    with older.begin() as conn:
        conn.execute(parent.insert().values(id=7))
    older.dispose()

    store = Store(state)
    store.add_tables([parent, child])
    store.create_tables()
    with store.begin() as conn:
        assert conn.execute(sa.select(parent.c.id)).scalars().all() == [7]
        conn.execute(child.insert().values(id=1, parent_id=7))
    assert "ix_children_parent" in {i["name"] for i in sa.inspect(store.engine).get_indexes("children")}
    store.create_tables()  # again: nothing is missing now, and nothing fails
    store.dispose()


def test_a_journal_written_by_an_older_version_gets_the_columns_it_lacks(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    MockApp(Config(apis=["scale"], state=state, speed=0)).close()
    with sa.create_engine(f"sqlite:///{state}").begin() as conn:  # as the journal was before lint findings
        conn.execute(sa.text("ALTER TABLE mockingjob_journal DROP COLUMN warnings"))
        conn.execute(sa.text("INSERT INTO mockingjob_journal (at, api, method, path, query, latency_ms, "
                             "request_headers) VALUES ('2026-01-01 00:00:00', 'scale', 'GET', '/old', '', 1, '{}')"))
    app = MockApp(Config(apis=["scale"], state=state, speed=0))
    try:
        with app.asgi.test_client() as client:
            client.post("/v6/jobs/cancel/", json={"job_ids": [20], "url": "x"}, headers={"Authorization": "Token t"})
            entries = client.get("/_mockingjob/journal?order=asc").json()["entries"]
    finally:
        app.close()
    assert [(entry["path"], len(entry["warnings"])) for entry in entries] == [("/old", 0), ("/v6/jobs/cancel/", 1)]


@pytest.fixture(params=["file", *(["database"] if STATE and STATE.startswith("postgresql") else [])])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store: a SQLite file, or a schema of its own in the test database (PostgreSQL)."""
    if request.param == "file":
        yield str(tmp_path / "empty.sqlite")
        return
    assert STATE is not None
    schema = f"empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(STATE)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield sa.make_url(STATE).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_instances_started_together_on_an_empty_store_create_and_seed_it_once(empty_store: str) -> None:
    # As replicas (or `--workers` after a fresh start) do: each creates the tables and seeds them if missing.
    starting = threading.Barrier(4)
    started: list[MockApp] = []
    failures: list[BaseException] = []

    def start() -> None:
        starting.wait()
        try:
            started.append(MockApp(Config(apis=["scale", "marquez"], state=empty_store, speed=0)))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, failures
        counts = set()
        for app in started:
            with app.asgi.test_client() as client:
                counts.add(client.get("/scale/v6/jobs/").json()["count"])
                counts.add(len(client.get("/marquez/api/v1/namespaces").json()["namespaces"]) * 10_000)
        alone = MockApp(Config(apis=["scale", "marquez"], speed=0))
        with alone.asgi.test_client() as client:
            expected = {client.get("/scale/v6/jobs/").json()["count"],
                        len(client.get("/marquez/api/v1/namespaces").json()["namespaces"]) * 10_000}
        alone.close()
        assert counts == expected  # seeded once: as many jobs and namespaces as one instance alone has
    finally:
        for app in started:
            app.close()
