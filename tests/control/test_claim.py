"""A rule limited to N uses is used N times, even when several workers race for it with stale reads."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from mockingjob.control.tables import ControlTables, claim
from mockingjob.core.store import Store
from tests.conftest import STATE


def test_a_rule_with_one_use_left_is_claimed_once_then_removed():
    store = Store(STATE)
    tables = ControlTables.define(store.metadata)
    store.create_tables()
    try:
        with store.begin() as conn:
            conn.execute(tables.faults.delete())
            conn.execute(tables.faults.insert().values(api="scale", spec={"error": {}}, remaining=1,
                                                       origin="admin", created=datetime.now(UTC)))
            stale = conn.execute(sa.select(tables.faults)).one()  # what two workers both read
            assert claim(conn, tables.faults, stale) is True
            assert claim(conn, tables.faults, stale) is False
            assert conn.execute(sa.select(sa.func.count()).select_from(tables.faults)).scalar() == 0
    finally:
        store.dispose()
