"""Statements run again from their compiled form give exactly what SQLAlchemy gives: the same rows under the same
names, values converted the same way both ways, the same counts, keys and errors; and the store's listeners
still see every statement."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mockingjob.core.compiled_statements import PlannedResult
from mockingjob.core.store import JSONText, Store, UtcDateTime, insert_all_returning_ids
from tests.support import STATE

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Tables:
    def __init__(self, store: Store) -> None:
        suffix = uuid.uuid4().hex[:8]  # a shared database may hold another run's tables
        metadata = sa.MetaData()
        self.items = sa.Table(
            f"planned_items_{suffix}", metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, unique=True),
            sa.Column("at", UtcDateTime),
            sa.Column("document", JSONText),
            sa.Column("ratio", sa.Float),
            sa.Column("active", sa.Boolean, nullable=False, default=True),
            sa.Column("position", sa.Integer),
        )
        self.tags = sa.Table(
            f"planned_tags_{suffix}", metadata,
            sa.Column("item_id", sa.ForeignKey(self.items.c.id), primary_key=True),
            sa.Column("tag", sa.String(20), primary_key=True),
        )
        self.metadata = metadata
        store.add_tables([self.items, self.tags])
        store.create_tables()


def _stores() -> Iterator[tuple[Store, Store]]:
    planned, plain = Store(STATE), Store(STATE, plan_statements=False)
    yield planned, plain
    for store in (planned, plain):
        store.dispose()


@pytest.fixture
def stores() -> Iterator[tuple[Store, Store]]:
    yield from _stores()


def _shown(result: Any, reads: bool) -> dict[str, Any]:
    """What a caller can read of a result, whichever way it was made (`reads`: it has rows to read)."""
    if isinstance(result, list):  # the ids `insert_all_returning_ids` returns
        return {"ids": result}
    shown: dict[str, Any] = {"rowcount": result.rowcount}
    if reads:
        rows = result.all()
        shown["keys"] = list(result.keys())
        shown["rows"] = [tuple(row) for row in rows]
        shown["mappings"] = [dict(row._mapping) for row in rows]
        shown["attributes"] = [[getattr(row, key) for key in shown["keys"]] for row in rows]
    else:
        try:
            shown["key"] = tuple(result.inserted_primary_key)
        except (sa.exc.InvalidRequestError, TypeError):  # not a one-row INSERT
            shown["key"] = None
    return shown


Scenario = list[tuple[str, bool, Callable[[Connection, int], Any]]]
"""Each statement's label, whether it returns rows, and how to run it in the `n`th transaction."""


def _scenario(tables: Tables) -> Scenario:
    """Statements built once, as the packs build theirs, each with what to pass it in the `n`th transaction."""
    items, tags = tables.items, tables.tags
    c = items.c
    insert = items.insert()
    by_id = sa.select(items).where(c.id == sa.bindparam("id"))
    labelled = sa.select(c.name.label("label"), (c.ratio * 2).label("double"), sa.literal("x").label("fixed"),
                         c.document, c.at).where(c.name != "nobody").order_by(c.id)
    page = sa.select(c.id, c.name).order_by(c.id.desc()).limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
    joined = (sa.select(c.name, tags.c.tag).join(tags, tags.c.item_id == c.id)
              .where(c.at < sa.bindparam("before")).order_by(c.name, tags.c.tag))
    counted = sa.select(sa.func.count(), sa.func.max(c.ratio)).select_from(items).where(c.active)
    renamed = items.update().where(c.id == sa.bindparam("item")).values(name=sa.bindparam("new_name"),
                                                                         at=sa.bindparam("when"))
    deactivate = items.update().where(c.position > sa.bindparam("above")).values(active=False)
    forget = tags.delete().where(tags.c.tag == sa.bindparam("tag"))
    tag_rows = tags.insert()
    numbered = items.insert().returning(c.position, c.id)
    among = (sa.select(c.id, c.name, c.at).where(c.id.in_(sa.bindparam("ids", expanding=True)),
                                                   c.name.not_in(sa.bindparam("names", expanding=True)))
             .order_by(c.id).limit(sa.bindparam("limit")))

    def ran(statement: Any, values: Callable[[int], Any] = lambda n: None) -> Callable[[Connection, int], Any]:
        return lambda conn, n: conn.execute(statement, values(n))

    def several(conn: Connection, n: int) -> Any:
        if not conn.dialect.insert_executemany_returning:
            return conn.execute(numbered, {"name": f"many {n}", "position": 100 * n})
        rows = [{"name": f"many {n} {k}", "position": 100 * n + k} for k in range(3)]
        return insert_all_returning_ids(conn, items, rows, key="position")

    return [
        ("insert with a default and the key from the database", False, ran(insert, lambda n: {
            "name": f"item {n}", "at": AT + timedelta(hours=n), "document": {"n": n}, "ratio": n / 3,
            "position": n})),
        ("insert with its key given", False, ran(insert, lambda n: {"id": 5000 - n, "name": f"given {n}"})),
        ("executemany", False, ran(tag_rows, lambda n: [{"item_id": 5000 - n, "tag": t} for t in "abc"])),
        ("insert returning, several rows", False, several),
        ("insert returning, one row", True, ran(numbered, lambda n: {"name": f"one {n}", "position": 1000 * n})),
        ("select by key", True, ran(by_id, lambda n: {"id": 5000 - n})),
        ("select given a parameter it does not use", True, ran(by_id, lambda n: {"id": 5000 - n, "unused": n})),
        ("select among lists (IN) of several lengths", True, ran(among, lambda n: {
            "ids": [5000 - k for k in range(n % 3 + 1)], "names": ["nobody"] * (n % 2), "limit": 10})),
        ("select among an empty list", True, ran(among, lambda n: {"ids": [], "names": ["x"], "limit": 10})),
        ("select of a missing row", True, ran(by_id, lambda n: {"id": -n})),
        ("labels, expressions, a literal, converted values", True, ran(labelled)),
        ("limit and offset as parameters", True, ran(page, lambda n: {"limit": 2, "offset": n % 2})),
        ("a join, a datetime parameter", True, ran(joined, lambda n: {"before": AT + timedelta(days=1)})),
        ("aggregates", True, ran(counted)),
        ("update, its count", False, ran(renamed, lambda n: {"item": 5000 - n, "new_name": f"renamed {n}",
                                                             "when": AT - timedelta(minutes=n)})),
        ("update of no row", False, ran(renamed, lambda n: {"item": -1, "new_name": "x", "when": None})),
        ("update by a condition", False, ran(deactivate, lambda n: {"above": 2})),
        ("delete, its count", False, ran(forget, lambda n: {"tag": "b"})),
    ]


def test_statements_run_from_their_plans_give_what_sqlalchemy_gives(stores: tuple[Store, Store]) -> None:
    seen: list[list[Any]] = []
    planned_ran: set[str] = set()
    for store in stores:
        tables = Tables(store)
        scenario = _scenario(tables)
        outcomes: list[Any] = []
        for n in range(1, 5):  # a plan is made the second time a statement runs, in another transaction
            with store.begin() as conn:
                for label, reads, run in scenario:
                    result = run(conn, n)
                    if isinstance(result, PlannedResult):
                        planned_ran.add(label)
                    outcomes.append((n, label, _shown(result, reads)))
        with store.begin() as conn:
            outcomes.append([tuple(row) for row in conn.execute(sa.select(tables.items).order_by(tables.items.c.id))])
        seen.append(outcomes)
        tables.metadata.drop_all(store.engine)
    planned, plain = seen
    assert planned == plain
    # Every statement was run from its plan (but the one `insert_all_returning_ids` runs, whose result it reads).
    assert planned_ran >= {label for label, _, _ in scenario} - {"insert returning, several rows"}


def test_a_statement_built_anew_for_each_request_is_left_to_sqlalchemy(stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    kept = len(type(store.engine.connect())._plans)  # type: ignore[attr-defined]
    for n in range(50):
        with store.begin() as conn:
            built = sa.select(tables.items.c.id).where(tables.items.c.position == n)
            assert not isinstance(conn.execute(built), PlannedResult)
            assert not isinstance(conn.execute(built), PlannedResult)  # again, in the same transaction
        del built
    gc.collect()
    # Nothing is kept of them but what SQLAlchemy's own cache of compiled statements holds (the first of them).
    assert len(type(store.engine.connect())._plans) <= kept + 1  # type: ignore[attr-defined]
    tables.metadata.drop_all(store.engine)


def test_a_refused_write_raises_sqlalchemys_own_error_and_the_transaction_goes_on(
        stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    insert = tables.items.insert()
    for n in range(3):
        with store.begin() as conn:
            conn.execute(insert, {"name": f"unique {n}"})
    with store.begin() as conn:
        assert isinstance(conn.execute(insert, {"name": "unique 9"}), PlannedResult)
        with pytest.raises(sa.exc.IntegrityError) as refused, conn.begin_nested():
            conn.execute(insert, {"name": "unique 1"})
        assert Store.conflicted(refused.value)
        conn.execute(insert, {"name": "unique 10"})
    with store.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.items)).scalar() == 5
    tables.metadata.drop_all(store.engine)


def test_a_statement_missing_a_parameter_is_refused_as_sqlalchemy_refuses_it(stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    by_name = sa.select(tables.items.c.id).where(tables.items.c.name == sa.bindparam("name"))
    for _ in range(3):
        with store.begin() as conn:
            conn.execute(by_name, {"name": "x"}).all()
            with pytest.raises(sa.exc.StatementError):
                conn.execute(by_name, {}).all()
            with pytest.raises(sa.exc.StatementError):
                conn.execute(by_name).all()
    tables.metadata.drop_all(store.engine)


def test_a_write_given_a_parameter_that_names_no_column_ignores_it_as_sqlalchemy_does(
        stores: tuple[Store, Store]) -> None:
    outcomes = []
    for store in stores:
        tables = Tables(store)
        insert = tables.items.insert()
        for n in range(3):
            with store.begin() as conn:
                result = conn.execute(insert, {"name": f"named {n}", "colour": "red"})
                outcomes.append((n, isinstance(result, PlannedResult), tuple(result.inserted_primary_key)))
        with store.begin() as conn:
            outcomes.append(conn.execute(sa.select(tables.items.c.name)).scalars().all())
        tables.metadata.drop_all(store.engine)
    planned, plain = outcomes[:4], outcomes[4:]
    assert [outcome[2] for outcome in planned[:3]] == [outcome[2] for outcome in plain[:3]]
    assert planned[3] == plain[3] == ["named 0", "named 1", "named 2"]
    assert planned[2][1]  # run from its plan the third time


def test_the_stores_listeners_see_planned_writes(stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    store.watch("items", [tables.items])
    rename = tables.items.update().where(tables.items.c.id == sa.bindparam("item")).values(name="renamed")
    with store.begin() as conn:
        conn.execute(tables.items.insert(), {"id": 1, "name": "first"})
    before = store.generations(("items",))[1]
    for n in range(3):
        with store.begin() as conn:
            result = conn.execute(rename, {"item": 1})
        assert store.generations(("items",))[1] == before + n + 1
    assert isinstance(result, PlannedResult)
    tables.metadata.drop_all(store.engine)


def test_a_listener_on_the_cursor_sees_every_statement(stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    by_id = sa.select(tables.items.c.name).where(tables.items.c.id == sa.bindparam("id"))
    for _ in range(3):
        with store.begin() as conn:
            conn.execute(by_id, {"id": 1}).all()
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    with store.begin() as conn:
        assert not isinstance(conn.execute(by_id, {"id": 1}), PlannedResult)
    assert any(sql.lstrip().upper().startswith("SELECT") for sql in statements)
    tables.metadata.drop_all(store.engine)


def _outcome(action: Callable[[], Any]) -> Any:
    """What a caller sees: the value, or the exception's type and first line."""
    try:
        return action()
    except Exception as exc:  # what is compared is which exception, worded how
        return type(exc).__name__, str(exc).splitlines()[0]


def test_edge_cases_come_out_as_sqlalchemy_makes_them(stores: tuple[Store, Store]) -> None:
    seen = []
    for store in stores:
        tables = Tables(store)
        c = tables.items.c
        insert = tables.items.insert()
        before = sa.select(c.id).where(c.at < sa.bindparam("before"))
        by_id = sa.select(c.id, c.name).where(c.id == sa.bindparam("id"))
        among = sa.select(c.id).where(c.id.in_(sa.bindparam("ids", expanding=True))).order_by(c.id)
        rename = tables.items.update().where(c.id == sa.bindparam("item")).values(name=sa.bindparam("new"))
        outcomes = []
        for n in range(3):
            with store.begin() as conn:
                # SQLite numbers a row whose key is given as None; PostgreSQL refuses it (both ways alike).
                keyless = {"id": None} if conn.dialect.name == "sqlite" else {}
                key = conn.execute(insert, {**keyless, "name": f"keyless {n}"}).inserted_primary_key
                outcomes.append(("a key given as None is the database's", tuple(key), key.id))
                outcomes.append(("a value its type cannot take", _outcome(
                    lambda conn=conn, before=before: conn.execute(before, {"before": "yesterday"}).all())))
                row = conn.execute(by_id, {"id": key.id}).one()
                outcomes.append(("a row read by its column", row._mapping[c.name], row.name, row[1]))
                outcomes.append(("a set for an IN list", conn.execute(among, {"ids": {key.id}}).scalars().all()))
                outcomes.append(("an IN list", conn.execute(among, {"ids": [key.id]}).scalars().all()))
                updated = conn.execute(rename, {"item": key.id, "new": f"renamed {n}"})
                outcomes.append(("an UPDATE's rows", _outcome(updated.all), updated.rowcount))
                outcomes.append(("a SELECT's key", _outcome(
                    lambda conn=conn, by_id=by_id: conn.execute(by_id, {"id": 0}).inserted_primary_key)))
        seen.append(outcomes)
        tables.metadata.drop_all(store.engine)
    assert seen[0] == seen[1]


def test_a_listener_before_execution_sees_every_statement(stores: tuple[Store, Store]) -> None:
    store = stores[0]
    tables = Tables(store)
    by_id = sa.select(tables.items.c.name).where(tables.items.c.id == sa.bindparam("id"))
    seen: list[Any] = []
    sa.event.listen(store.engine, "before_execute", lambda _conn, statement, *_: seen.append(statement))
    for _ in range(3):
        with store.begin() as conn:
            conn.execute(by_id, {"id": 1}).all()
    assert seen.count(by_id) == 3
    tables.metadata.drop_all(store.engine)
