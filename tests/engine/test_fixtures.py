"""Seeding helpers: fixture rows reach the store whole."""

from __future__ import annotations

import sqlalchemy as sa

from mockingjob.core.fixtures import insert_rows
from mockingjob.core.store import Store


def test_rows_with_different_keys_are_all_inserted_with_every_value_they_give() -> None:
    store = Store()
    table = sa.Table("items", store.metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("name", sa.String(20)), sa.Column("size", sa.Integer, server_default="7"))
    store.create_tables()
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": "b", "size": 3}, {"id": 3}, {"id": 4, "name": "d"}]
    with store.begin() as conn:
        insert_rows(conn, table, iter(rows))
        stored = conn.execute(sa.select(table).order_by(table.c.id)).all()
    # A key only a later row has is kept, a key a row lacks gets the column's default.
    assert [tuple(row) for row in stored] == [(1, "a", 7), (2, "b", 3), (3, None, 7), (4, "d", 7)]
    store.dispose()
