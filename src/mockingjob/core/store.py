"""The store: every piece of mocked state lives in SQL, through SQLAlchemy Core.

SQLite in memory is the default; a file (``--state FILE``) survives restarts and is shared by several worker
processes; any SQLAlchemy URL (PostgreSQL included) works the same way, because packs write portable Core
expressions only. Dialect-specific tuning stays in this module, at connection set-up.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .compiled_statements import PlannedConnection

__all__ = ["EVERYTHING", "JSONText", "PortableString", "PortableText", "Store", "UtcDateTime", "database_url",
           "insert_all_returning_ids", "insert_ignoring_duplicate", "insert_racing", "inserted_id",
           "seconds_between"]

T = TypeVar("T")
_SETUP_LOCK = 0x6D6F636B  # PostgreSQL advisory lock key ("mock") held while tables are created and seeded
_NOT_KEPT: Any = object()  # what `Store.kept` answers when `cached` must read
_CHANGED = "mockingjob.changed"  # the groups of tables a transaction wrote to, in its connection's info
EVERYTHING = "*"
"""The generation every other one depends on: the settings (the clock) and whatever else is watched under it."""


class PortableString(sa.types.TypeDecorator[str]):
    """A string column whose values compare the same on every backend, whatever a client sends.

    PostgreSQL cannot hold or even compare text with a NUL character, and no database driver takes a lone
    surrogate (which JSON text may carry); either fails the whole statement. No stored value contains one, so
    in a value bound for comparison they become U+FFFD: the comparison stays false instead of failing.
    """

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if not isinstance(value, str):
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (legal in JSON text) cannot be stored or compared either
            value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        return value.replace("\x00", "\ufffd")


class PortableText(PortableString):
    """`PortableString` without a length: free text (descriptions) that a client may send anything in."""

    impl = sa.Text
    cache_ok = True


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, stored as naive UTC on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class JSONText(sa.types.TypeDecorator[Any]):
    """A JSON document kept as text, so that it behaves the same on SQLite and PostgreSQL."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


class seconds_between(FunctionElement[float]):  # named like the sa.func functions it sits beside
    """``seconds_between(later, earlier)``: the seconds from one UtcDateTime column to another, as a float (NULL
    if either is NULL), written in each backend's own date arithmetic."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between)
def _seconds_between_sql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


def database_url(state: str | None) -> str:
    """Turn a ``--state`` value into a database URL: None → SQLite in memory, a path → a SQLite file."""
    if not state:
        return "sqlite://"
    if "://" in state:
        return state
    return f"sqlite:///{Path(state).expanduser().resolve()}"


def _savepoints_inside_the_transaction(engine: Engine) -> None:
    """Make a SAVEPOINT (``Connection.begin_nested``) nest in the transaction on SQLite as elsewhere.

    The sqlite3 module opens the database's transaction only before a statement that writes. A SAVEPOINT
    before any write would open it instead, and releasing that savepoint would commit the request's work
    there and then, not when its transaction ends. The transaction is opened first (deferred: no lock yet).
    """

    @sa.event.listens_for(engine, "savepoint")
    def _begin_first(conn: Connection, _name: str) -> None:
        driver = conn.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("BEGIN")


def _engine(url: str) -> Engine:
    if url == "sqlite://":
        # One shared connection: an in-memory database exists only as long as its connection.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
        )
    elif url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @sa.event.listens_for(engine, "connect")
        def _tune(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets readers in other workers proceed while one worker writes.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL stays consistent with NORMAL; only a power cut could lose the last commits, fine for a mock.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _savepoints_inside_the_transaction(engine)
    return engine


class Store:
    """A database holding the engine's own settings and every pack's tables.

    >>> store = Store()                       # SQLite in memory
    >>> with store.begin() as conn: ...
    """

    def __init__(self, state: str | None = None, *, plan_statements: bool = True) -> None:
        self.url = database_url(state)
        self.engine = _engine(self.url)
        if plan_statements:  # statements run again from their compiled form (`compiled_statements`)
            self.engine._connection_cls = PlannedConnection.for_engine()
        # A database in this process's memory has no other writer, so what it read it can keep (`cached`).
        self.private = self.url == "sqlite://"
        self._file_sqlite = not self.private and self.engine.dialect.name == "sqlite"
        self._writes: Counter[str] = Counter()
        self._cache: dict[str, tuple[tuple[int, ...], Any]] = {}
        if self.private:
            sa.event.listen(self.engine, "after_execute", self._count_write)
            sa.event.listen(self.engine, "rollback", self._forget_all)
        self.metadata = sa.MetaData()  # the engine's own tables (and any declared for this store alone)
        self._added: list[sa.Table] = []  # tables declared once per process elsewhere (the packs'), kept here too
        self.settings = sa.Table(
            "mockingjob_settings",
            self.metadata,
            sa.Column("key", sa.String(100), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
        )
        self._setting_query = sa.select(self.settings.c.value).where(self.settings.c.key == sa.bindparam("key"))
        # How many committed transactions changed each watched group of tables (`watch`, `generations`).
        self.generation_table = sa.Table(
            "mockingjob_generations",
            self.metadata,
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("n", sa.BigInteger, nullable=False),
        )
        # A SQLite file's counts, as last read, and the file's data version then (`_file_generations`).
        self._version_lock = threading.Lock()
        self._version_connection: Any = None
        self._version_read: int | None = None
        self._version_counts: dict[str, int] = {}
        self._watched: dict[str, str] = {self.settings.name: EVERYTHING}
        self._generations: Counter[str] = Counter()
        sa.event.listen(self.engine, "after_execute", self._note_change)
        # Every row: a few groups, and no parameter, so that the statement is the same text in every dialect.
        self._generation_sql = str(sa.select(self.generation_table.c.name, self.generation_table.c.n)
                                   .compile(dialect=self.engine.dialect))

    def add_tables(self, tables: Iterable[sa.Table]) -> list[sa.Table]:
        """Keep `tables` in this store as well as its own: `create_tables` creates them, `clear` orders them.

        They may be declared on any MetaData, once for every store of the process (Core tables are not tied
        to a database); foreign keys may only point within one MetaData. Returns them as a list.
        """
        tables = list(tables)
        self._added.extend(t for t in tables if t not in self._added)
        return tables

    def watch(self, name: str, tables: Iterable[sa.Table]) -> None:
        """Count the transactions that write to `tables` as generations of `name` (see `generations`). A write
        to the settings (the clock among them) counts for `EVERYTHING`."""
        for table in tables:
            self._watched[table.name] = name

    def generations(self, names: tuple[str, ...]) -> tuple[int, ...]:
        """How many committed transactions, of any process sharing this store, have written to each group of
        tables `names` (and `EVERYTHING`) so far: equal answers mean nothing they hold has changed between.
        A private store counts in memory; a shared one reads one row per name."""
        keys = (EVERYTHING, *names)
        if self.private:
            return tuple(self._generations[key] for key in keys)
        found = self._file_generations() if self._file_sqlite else self._read_generations()
        return tuple(int(found.get(key, 0)) for key in keys)

    def _read_generations(self) -> dict[str, int]:
        # Read on every request of a shared store: one plain statement on a pooled connection, without what a
        # SQLAlchemy execution costs (several times the query itself). The pool ends its transaction on return.
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(self._generation_sql)
            found = dict(cursor.fetchall())
            cursor.close()
        finally:
            raw.close()
        return found

    def _file_generations(self) -> dict[str, int]:
        """The counts in a SQLite file, read again only when a commit has been made since they were last read:
        SQLite tells a connection so (``PRAGMA data_version`` changes when any other connection, of this process
        or another, commits), for a fraction of what reading them costs. One connection of the pool is kept for
        this, and asked in autocommit reads."""
        with self._version_lock:
            if self._version_connection is None:
                self._version_connection = self.engine.raw_connection()
            driver = self._version_connection.driver_connection
            assert driver is not None
            version = driver.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version_read:
                self._version_counts = dict(driver.execute(self._generation_sql).fetchall())
                self._version_read = version
            return self._version_counts

    def _note_change(self, conn: Connection, statement: Any, *_args: Any) -> None:
        table = getattr(statement, "table", None)
        if isinstance(statement, sa.sql.dml.UpdateBase) and isinstance(table, sa.Table):
            name = self._watched.get(table.name)
            if name is not None:
                conn.info.setdefault(_CHANGED, set()).add(name)
        elif not isinstance(statement, sa.sql.Select) and table is not self.generation_table:
            conn.info.setdefault(_CHANGED, set()).add(EVERYTHING)  # text or DDL: it may have changed anything

    def _count_generations(self, conn: Connection) -> None:
        """Count this transaction's writes as a generation of each group it wrote to, in the transaction itself
        on a shared store (so that other processes see the count move exactly when they see the rows move)."""
        changed = conn.info.pop(_CHANGED, None)
        if not changed:
            return
        if self.private:
            self._generations.update(changed)
            return
        generation = self.generation_table
        for name in sorted(changed):  # always in one order: two writers never wait on each other's rows
            counted = conn.execute(generation.update().where(generation.c.name == name)
                                   .values(n=generation.c.n + 1)).rowcount
            if not counted and not insert_ignoring_duplicate(conn, generation.insert(), {"name": name, "n": 1}):
                conn.execute(generation.update().where(generation.c.name == name).values(n=generation.c.n + 1))

    @property
    def tables(self) -> list[sa.Table]:
        """Every table of the store, each referenced one before the tables that refer to it."""
        return [*self.metadata.sorted_tables, *sa.schema.sort_tables(self._added)]

    def create_tables(self, conn: Connection | None = None) -> None:
        """Create the missing tables, and the columns and indexes a table made by an older version lacks (in
        `conn`'s transaction, or a setup transaction of its own)."""
        if conn is None:
            with self.begin_setup() as own:
                self.create_tables(own)
            return
        inspector = sa.inspect(conn)
        existing = set(inspector.get_table_names())
        missing: dict[sa.MetaData, list[sa.Table]] = {}
        for table in self.tables:
            if table.name in existing:  # a table created just now (below) has all its columns and indexes
                _add_missing_columns(conn, table, {c["name"] for c in inspector.get_columns(table.name)})
                for index in table.indexes:
                    index.create(conn, checkfirst=True)
            else:
                missing.setdefault(table.metadata, []).append(table)
        for metadata, tables in missing.items():
            # Already known to be missing: no need to ask the database about each one again.
            metadata.create_all(conn, tables=tables, checkfirst=False)

    @contextmanager
    def begin(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success and rolled back on error.

        `write` says the transaction will write after it reads. On a SQLite file it then takes the write lock
        at once (BEGIN IMMEDIATE), waiting for other writers: a transaction that read first and then wrote
        after another process had committed would be refused (SQLITE_BUSY), however long it waited.
        """
        with self.engine.begin() as conn:
            if write and self._file_sqlite:
                conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            try:
                yield conn
            except BaseException:
                conn.info.pop(_CHANGED, None)  # the pooled connection keeps its info: nothing of this is kept
                raise
            self._count_generations(conn)

    @contextmanager
    def begin_setup(self) -> Iterator[Connection]:
        """A transaction that one process at a time holds, whatever other processes share the database: for
        creating the tables and seeding them, which several replicas starting together would otherwise race."""
        with self.engine.begin() as conn:
            if self._file_sqlite:
                conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            elif conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK})
            try:
                yield conn
            except BaseException:
                conn.info.pop(_CHANGED, None)
                raise
            self._count_generations(conn)

    @staticmethod
    def conflicted(exc: BaseException) -> bool:
        """Whether `exc` came of another process writing at the same time, so that the transaction, tried
        again, should succeed: a unique key taken meanwhile, SQLite busy, a PostgreSQL serialization failure."""
        if not isinstance(exc, sa.exc.DBAPIError):
            return False
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None)
        if sqlstate is not None:  # psycopg
            return sqlstate in ("23505", "40001", "40P01")
        name = getattr(orig, "sqlite_errorname", "") or ""
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or name in (
            "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")

    # --- tables read on every request, written rarely -----------------------------------------------------
    def _count_write(self, _conn: Connection, statement: Any, *_args: Any) -> None:
        table = getattr(statement, "table", None)
        if isinstance(statement, sa.sql.dml.UpdateBase) and isinstance(table, sa.Table):
            self._writes[table.name] += 1
        elif not isinstance(statement, sa.sql.Select):  # text or DDL: it may have changed anything
            self._forget_all()

    def _forget_all(self, *_args: Any) -> None:
        self._writes["*"] += 1

    def cached(self, conn: Connection, key: str, tables: tuple[sa.Table, ...], load: Callable[[Connection], T]
               ) -> T:
        """`load(conn)`, or what it returned last time if none of `tables` has been written since.

        Only a private store keeps anything: with several processes, another may have written. A read inside a
        transaction that later rolls back is forgotten with it. The value must not be modified by callers.
        """
        value = self.kept(key, tables, default=_NOT_KEPT)
        if value is _NOT_KEPT:
            stamp = self._stamp(tables)  # taken before reading: a write meanwhile makes the value stale
            value = load(conn)
            if self.private:
                self._cache[key] = (stamp, value)
        return value

    def kept(self, key: str, tables: tuple[sa.Table, ...], default: Any = None) -> Any:
        """What `cached` would return for `key` without reading the database, or `default` if it would have to
        read (a shared store, nothing kept yet, or one of `tables` written since)."""
        kept = self._cache.get(key) if self.private else None
        if kept is None or kept[0] != self._stamp(tables):
            return default
        return kept[1]

    def _stamp(self, tables: tuple[sa.Table, ...]) -> tuple[int, ...]:
        return (self._writes["*"], *(self._writes[t.name] for t in tables))

    def get_setting(self, conn: Connection, key: str) -> Any:
        def load(conn: Connection) -> Any:
            value = conn.execute(self._setting_query, {"key": key}).scalar()
            return None if value is None else json.loads(value)

        return self.cached(conn, f"setting:{key}", (self.settings,), load)

    def put_setting(self, conn: Connection, key: str, value: Any) -> None:
        text = json.dumps(value)
        updated = conn.execute(
            self.settings.update().where(self.settings.c.key == key).values(value=text)
        ).rowcount
        if not updated:
            conn.execute(self.settings.insert().values(key=key, value=text))

    def put_setting_if_absent(self, conn: Connection, key: str, value: Any) -> bool:
        """Store `value` under `key` unless another writer stored one first; True if this one was stored."""
        return insert_ignoring_duplicate(conn, self.settings.insert(), {"key": key, "value": json.dumps(value)})

    def clear(self, conn: Connection, tables: list[sa.Table]) -> None:
        """Delete every row of `tables`, children first so that foreign keys hold."""
        for table in reversed(self.tables):
            if table in tables:
                conn.execute(table.delete())

    def sync_id_sequences(self, conn: Connection, tables: list[sa.Table]) -> None:
        """After rows were inserted with explicit ids (fixtures), let the database's own id allocation
        continue after them. SQLite does this by itself; PostgreSQL's sequences need to be moved."""
        if conn.dialect.name != "postgresql":
            return
        for table in tables:
            column = table.autoincrement_column
            if column is None:
                continue
            conn.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
            ))

    def dispose(self) -> None:
        with self._version_lock:
            if self._version_connection is not None:
                self._version_connection.close()
                self._version_connection = None
        self.engine.dispose()


def _add_missing_columns(conn: Connection, table: sa.Table, present: set[str]) -> None:
    """Add the columns a table made by an older version lacks. Only nullable columns are ever added to a
    table after its first release, so the rows it holds need no value."""
    prepare = conn.dialect.identifier_preparer
    for column in table.columns:
        if column.name not in present:
            assert column.nullable, f"{table.name}.{column.name} was added later, so it must be nullable"
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE {prepare.format_table(table)} "
                                 f"ADD COLUMN {prepare.format_column(column)} {kind}"))


def insert_ignoring_duplicate(conn: Connection, statement: sa.Insert, values: Mapping[str, Any]) -> bool:
    """Insert a row unless its unique key is taken (by another process meanwhile too); True if it was inserted.

    A refused statement leaves a SQLite transaction usable; elsewhere it is tried in a SAVEPOINT, so that the
    refusal leaves the transaction usable there too.
    """
    try:
        if conn.dialect.name == "sqlite":
            conn.execute(statement, values)
        else:
            with conn.begin_nested():
                conn.execute(statement, values)
    except sa.exc.IntegrityError as exc:
        if not Store.conflicted(exc):
            raise
        return False
    return True


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The id the database gave the row `result` inserted."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def insert_all_returning_ids(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str) -> list[int]:
    """Insert `rows` into `table` and return the ids the database gave them, in the order of `rows`.

    `key` names a column whose value is unique among `rows`: RETURNING need not keep the rows' order, so each
    row's id is found by it. One statement where the database returns ids from an executemany, else a
    statement per row.
    """
    if not rows:
        return []
    if conn.dialect.insert_executemany_returning:
        returned = conn.execute(_returning_ids(table, key), rows)
        numbered = {row[0]: row[1] for row in returned}
        return [numbered[row[key]] for row in rows]
    return [inserted_id(conn.execute(table.insert(), row)) for row in rows]


@functools.cache
def _returning_ids(table: sa.Table, key: str) -> sa.Insert:
    """One statement object per table and key, so that it is run from its plan (`compiled_statements`)."""
    id_column = table.autoincrement_column
    assert id_column is not None
    return table.insert().returning(table.c[key], id_column)


def insert_racing(conn: Connection, statement: sa.Insert, values: Mapping[str, Any], *,
                  lost: Callable[[], bool], attempts: int = 5) -> bool:
    """Execute `statement`, whose values the INSERT works out itself from other rows (a next number, say),
    where writers in other processes may be inserting at the same time. Returns False when the row's own key
    turned out to be taken (`lost()` says so after a refused INSERT).

    SQLite has one writer at a time, and a refused statement leaves its transaction usable: one attempt, no
    SAVEPOINT. Under PostgreSQL's READ COMMITTED a row committed meanwhile elsewhere can take the number the
    INSERT computed, and a unique constraint refuses the second: the INSERT is tried again, each time in a
    SAVEPOINT so that a refused one leaves the request's transaction usable.
    """
    if conn.dialect.name == "sqlite":
        try:
            conn.execute(statement, values)
        except sa.exc.IntegrityError:
            if lost():
                return False
            raise
        return True
    for attempt in range(1, attempts + 1):
        try:
            with conn.begin_nested():
                conn.execute(statement, values)
            return True
        except sa.exc.IntegrityError:
            if lost():
                return False
            if attempt == attempts:
                raise
    return False
