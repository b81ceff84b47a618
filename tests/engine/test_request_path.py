"""What the request path keeps between requests is never stale: the private store's cached reads, the journal
written in batches, and connexion's validators built once per operation."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mockingjob.core.config import Config
from mockingjob.core.store import Store
from mockingjob.http.app import MockApp


def _store_with_table(state: str | None = None) -> tuple[Store, sa.Table]:
    store = Store(state)
    table = sa.Table("things", store.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(20)))
    store.create_tables()
    return store, table


def _names(store: Store, table: sa.Table) -> list[str]:
    loads: list[str] = []

    def load(conn: sa.Connection) -> list[str]:
        loads.append("read")
        return [row.name for row in conn.execute(sa.select(table).order_by(table.c.id))]

    with store.begin() as conn:
        names = store.cached(conn, "things", (table,), load)
    return names + loads


def test_a_private_store_reads_a_cached_table_again_after_any_write_to_it() -> None:
    store, table = _store_with_table()
    assert store.private
    assert _names(store, table) == ["read"]
    assert _names(store, table) == []  # kept: nothing was written
    with store.begin() as conn:
        conn.execute(table.insert().values(id=1, name="a"))
    assert _names(store, table) == ["a", "read"]
    with store.begin() as conn:
        conn.execute(table.update().values(name="b"))
    assert _names(store, table) == ["b", "read"]
    with store.begin() as conn:
        conn.execute(sa.text("DELETE FROM things"))  # SQL text may write anything: everything is read again
    assert _names(store, table) == ["read"]


def test_a_read_made_inside_a_transaction_that_rolls_back_is_forgotten() -> None:
    store, table = _store_with_table()
    with pytest.raises(RuntimeError), store.begin() as conn:
        conn.execute(table.insert().values(id=1, name="gone"))
        assert store.cached(conn, "things", (table,), lambda c: [r.name for r in c.execute(sa.select(table))]) \
            == ["gone"]
        raise RuntimeError("roll back")
    assert _names(store, table) == ["read"]


def test_a_shared_store_reads_every_time_because_another_process_may_write(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    store, table = _store_with_table(state)
    other, other_table = _store_with_table(state)  # another worker on the same file
    assert not store.private
    assert _names(store, table) == ["read"]
    with other.begin() as conn:
        conn.execute(other_table.insert().values(id=1, name="from the other worker"))
    assert _names(store, table) == ["from the other worker", "read"]
    store.dispose()
    other.dispose()


def test_a_fault_written_straight_into_the_store_applies_to_the_next_request() -> None:
    mock = MockApp(Config(apis=["scale"], speed=0))
    with mock.asgi.test_client() as client:
        assert client.get("/v6/jobs/1/").status_code == 200  # the empty fault table is now cached
        with mock.store.begin() as conn:
            conn.execute(mock.plane.tables.faults.insert().values(
                api="scale", operation=None, remaining=1, origin="admin", created=mock.clock.now(conn),
                spec={"error": {"status": 503}}))
        assert client.get("/v6/jobs/1/").status_code == 503
        assert client.get("/v6/jobs/1/").status_code == 200  # its one use is spent
    mock.close()


def test_every_request_is_in_the_journal_as_soon_as_it_is_asked_for_even_when_written_in_batches() -> None:
    mock = MockApp(Config(apis=["scale"], speed=0))
    with mock.asgi.test_client() as client:
        for job_id in range(1, 301):  # more than one batch
            client.get(f"/v6/jobs/{job_id}/")
        count = client.get("/_mockingjob/journal/count", params={"api": "scale"}).json()["count"]
        newest = client.get("/_mockingjob/journal", params={"limit": 1}).json()["entries"][0]
        assert count == 300
        assert newest["path"] == "/v6/jobs/300/"
        client.delete("/_mockingjob/journal")
        client.get("/v6/jobs/1/")
        assert client.get("/_mockingjob/journal/count").json()["count"] == 1  # nothing older came back
    mock.close()


def test_validators_built_once_per_operation_still_check_every_request() -> None:
    mock = MockApp(Config(apis=["scale"], speed=0))
    headers = {"Authorization": "Token dev"}
    with mock.asgi.test_client() as client:
        for _ in range(2):
            assert client.get("/v6/jobs/", params={"page_size": "many"}).status_code == 400
            assert client.get("/v6/jobs/", params={"page_size": 5}).status_code == 200
            assert client.post("/v6/jobs/", headers=headers, json={"job_type_id": "four"}).status_code == 400
            valid = {"job_type_id": 4, "input": {"files": {"red_band": [11], "nir_band": [7]}, "json": {}}}
            assert client.post("/v6/jobs/", headers=headers, json=valid).status_code == 201
    mock.close()
