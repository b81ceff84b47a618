"""The store's own guarantees: transactions hold on SQLite as elsewhere, and older state files are brought up to
date when opened."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mockingjob.app import MockApp
from mockingjob.config import Config
from mockingjob.store import Store


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
