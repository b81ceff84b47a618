"""Statements run again from what their first compilation left, without SQLAlchemy's per-execution machinery.

SQLAlchemy's ``Connection.execute`` costs 20 to 50 µs a statement on top of the driver's 2 or 3: a cache key made
from the statement, an execution context, result metadata, the parameters processed column by column. The
packs build each statement once, at import, and run the same objects on every request; so this connection
keeps, per statement object and set of parameter names, the SQL text, the order of its parameters, the
conversions each value goes through both ways, and runs the statement straight on the driver's cursor.

Only what such a plan reproduces is planned: a SELECT (its expanding ``IN`` lists rendered by SQLAlchemy once per
count of items), UPDATE or DELETE, or an INSERT of one row or of a list of rows, run again in a later
transaction (a statement built anew for every call goes through SQLAlchemy's own cache, as before), inside a
transaction, with no execution options, no parameter computed at run time or rendered into the SQL, no
``return_defaults()``, and no listener but ``after_execute``. Everything else goes through ``Connection.execute``
unchanged. Results are SQLAlchemy's own `Result`, `Row` and exceptions: what differs is only what no caller here
reads: a count asked of an INSERT … RETURNING before its rows are read (SQLAlchemy counts lazily), the moment a
row that cannot be converted raises (here at ``execute``), and ``lastrowid``.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.cursor import _NO_RESULT_METADATA
from sqlalchemy.engine.result import IteratorResult, ResultMetaData, SimpleResultMetaData, result_tuple
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["PlannedConnection", "PlannedResult"]

_Processor = Callable[[Any], Any] | None
_NOT_PLANNED: Any = object()
_TRANSACTIONS = itertools.count(1)


class PlannedResult(IteratorResult[Any]):
    """The rows of a planned statement, all fetched, with what a `CursorResult` also tells of a write."""

    rowcount: int = -1
    _inserted_primary_key: Any = None
    _is_insert = False

    @property
    def inserted_primary_key(self) -> Any:
        if not self._is_insert:
            raise sa.exc.InvalidRequestError("Statement is not an insert() expression construct.")
        return self._inserted_primary_key


class _Plan:
    """What running one statement, with one set of parameter names, takes: its SQL, and how values convert.
    It holds nothing of the statement object itself, so that a statement no longer used can be freed."""

    def __init__(self, statement: Any, compiled: Any, dialect: Any, fixed: dict[str, Any], keys: frozenset[str],
                 expanded: Any = None, expanding: frozenset[str] = frozenset()) -> None:
        self.positional = compiled.positiontup is not None
        processors: Mapping[str, Any] = compiled._bind_processors
        # Where each value comes from: a parameter, or one item of a list (an expanding IN's, `expanded`).
        self.sources: tuple[tuple[str, int], ...] | None = None
        if expanded is None:
            self.sql = compiled.string
            self.names: tuple[str, ...] = tuple(compiled.positiontup or dict.fromkeys(compiled.bind_names.values()))
        else:
            self.sql = expanded.statement
            self.names = tuple(expanded.positiontup or expanded.parameters)
            self.sources = tuple(_source(name, expanding) for name in self.names)
            processors = {**processors, **expanded.processors}
        self.bind_processors: tuple[_Processor, ...] = tuple(processors.get(name) for name in self.names)
        self.fixed = fixed  # values the statement holds itself (a literal compared with, a column default)
        self.fixed_used = not set(self.names) <= keys
        self.is_insert = isinstance(statement, sa.sql.Insert)
        # The rows the caller reads: a SELECT's, or those an explicit RETURNING asks for. (An INSERT's key that
        # the dialect returns unasked is read here, as SQLAlchemy reads it, and not shown; a write shows none.)
        self.returns_rows = isinstance(statement, sa.sql.Select) or bool(getattr(statement, "_returning", None))
        self.result_columns: tuple[tuple[str, Any], ...] = tuple(
            (column.keyname, column.type) for column in compiled._result_columns)
        keynames = [key for key, _ in self.result_columns]
        self.metadata: ResultMetaData = SimpleResultMetaData(
            keynames, extra=[column.objects for column in compiled._result_columns]) if self.returns_rows \
            else _NO_RESULT_METADATA
        # The result columns that need converting, each with its conversion: made from the first cursor's types.
        self.conversions: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None
        self.dialect = dialect
        # An INSERT's key, column by column: its name, where RETURNING gives it (or None), how the driver's id
        # converts (if it comes from `lastrowid`).
        table: Any = getattr(statement, "table", None)
        autoincrement = table.autoincrement_column if self.is_insert else None
        self.primary_key: tuple[tuple[str, int | None], ...] = tuple(
            (column.key, keynames.index(column.key) if column.key in keynames else None)
            for column in table.primary_key.columns) if self.is_insert else ()
        self.key_row = result_tuple([key for key, _ in self.primary_key]) if self.is_insert else None
        self.lastrowid_key = autoincrement.key if autoincrement is not None and getattr(
            dialect, "postfetch_lastrowid", False) else None
        self.lastrowid_conversion: _Processor = (
            autoincrement.type._cached_result_processor(dialect, None) if autoincrement is not None else None)
        self.counted_when_closed = self.is_insert and not statement._returning

    def parameters(self, given: Mapping[str, Any] | None) -> Sequence[Any] | dict[str, Any]:
        if given is None:
            given = self.fixed
        elif self.fixed_used:
            given = {**self.fixed, **given}
        if self.sources is None:
            values = [given[name] if processor is None else processor(given[name])
                      for name, processor in zip(self.names, self.bind_processors, strict=True)]
        else:
            values = [(given[name] if index < 0 else given[name][index]) if processor is None
                      else processor(given[name] if index < 0 else given[name][index])
                      for (name, index), processor in zip(self.sources, self.bind_processors, strict=True)]
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def learn_types(self, cursor: Any) -> None:
        """Make the conversions of the result's columns, from the types the driver reports (on the first run)."""
        self.conversions = tuple(
            (index, convert) for index, ((_, kind), description)
            in enumerate(zip(self.result_columns, cursor.description, strict=True))
            if (convert := kind._cached_result_processor(self.dialect, description[1])) is not None)

    def converted(self, fetched: list[Any]) -> list[Any]:
        conversions = self.conversions
        if not conversions:
            return fetched
        converted = []
        for row in fetched:
            values = list(row)
            for index, convert in conversions:
                values[index] = convert(values[index])
            converted.append(tuple(values))
        return converted

    def inserted_key(self, given: Mapping[str, Any], row: Any, lastrowid: Any) -> Any:
        """The key of the row inserted, as SQLAlchemy tells it: each column's given value, else what RETURNING
        gave, else (the autoincrement column) the driver's last row id."""
        assert self.key_row is not None
        values = []
        for key, returned in self.primary_key:
            value = given.get(key)
            if value is None and returned is not None and row is not None:
                value = row[returned]
            elif value is None and key == self.lastrowid_key and lastrowid is not None:
                value = lastrowid if self.lastrowid_conversion is None else self.lastrowid_conversion(lastrowid)
            values.append(value)
        return self.key_row(values)


def _source(name: str, expanding: frozenset[str]) -> tuple[str, int]:
    """Where the value of the rendered parameter `name` comes from: (parameter, -1), or (list, index) for the
    items SQLAlchemy renders an expanding parameter ``ids`` into (``ids_1``, ``ids_2``, …)."""
    base, _, number = name.rpartition("_")
    if base in expanding and number.isdigit():
        return base, int(number) - 1
    return name, -1


class _ExpandingPlan:
    """The plans of a SELECT with expanding (``IN``) parameters: one per count of items in each list, rendered
    by SQLAlchemy itself the first time that count comes (compiling the statement again: nothing here holds it)."""

    _MOST_SHAPES = 128  # beyond this many counts of items, SQLAlchemy renders each (as it would anyway)

    def __init__(self, dialect: Any, fixed: dict[str, Any], keys: frozenset[str], expanding: tuple[str, ...]) -> None:
        self.dialect = dialect
        self.fixed = fixed
        self.keys = keys
        self.expanding = expanding
        self.shapes: dict[tuple[int, ...], _Plan] = {}

    def for_values(self, statement: Any, given: dict[str, Any] | None) -> _Plan | None:
        if given is None or not all(type(given.get(name)) in (list, tuple) for name in self.expanding):
            return None  # a set, say, or none: SQLAlchemy renders it
        shape = tuple(len(given[name]) for name in self.expanding)
        plan = self.shapes.get(shape)
        if plan is None and len(self.shapes) < self._MOST_SHAPES:
            compiled: Any = statement.compile(dialect=self.dialect, column_keys=sorted(self.keys))
            expanded = compiled._process_parameters_for_postcompile(
                compiled.construct_params({**self.fixed, **given}, _check=False))
            plan = self.shapes[shape] = _Plan(statement, compiled, self.dialect, self.fixed, self.keys, expanded,
                                              frozenset(self.expanding))
        return plan


def _plan(connection: Connection, statement: Any, keys: frozenset[str], many: bool
          ) -> _Plan | _ExpandingPlan | None:
    """A plan for `statement` run with parameters named `keys` (a list of them, if `many`), or None if it must
    go through SQLAlchemy."""
    if not isinstance(statement, sa.sql.Select | sa.sql.Update | sa.sql.Delete | sa.sql.Insert):
        return None
    if statement._execution_options or getattr(statement, "_return_defaults", False) or (
            getattr(statement, "_returning", None) and not isinstance(statement, sa.sql.Insert)):
        return None
    if isinstance(statement, sa.sql.Insert) and (statement._multi_values or statement._select_names):
        return None
    if many and not isinstance(statement, sa.sql.Insert):
        return None
    try:
        compiled: Any = statement.compile(dialect=connection.dialect, column_keys=sorted(keys),
                                          for_executemany=many)
    except sa.exc.SQLAlchemyError:  # SQLAlchemy says what is wrong when it runs the statement
        return None
    if not isinstance(compiled, SQLCompiler) or any(
            not (processor is None or callable(processor)) for processor in compiled._bind_processors.values()):
        return None  # a tuple of values bound at once: processed as a sequence
    expanding = tuple(sorted(compiled.bind_names[bind] for bind in compiled.post_compile_params))
    if any(not bind.expanding or bind.type._is_tuple_type for bind in compiled.post_compile_params) or (
            expanding and not isinstance(statement, sa.sql.Select)):
        return None  # a value rendered into the SQL, or a list of tuples: SQLAlchemy renders those
    if (compiled.literal_execute_params or compiled.escaped_bind_names
            or getattr(compiled, "update_prefetch", None)
            or any(bind.callable is not None for bind in compiled.bind_names)
            or any(column.default is None or not column.default.is_scalar
                   for column in getattr(compiled, "insert_prefetch", ()))):
        return None
    if any(column.keyname is None for column in compiled._result_columns) or len(
            {column.keyname for column in compiled._result_columns}) != len(compiled._result_columns):
        return None  # a column without a name, or two of one name: SQLAlchemy's rows say which is meant
    fixed: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            fixed[name] = bind.effective_value
    for column in getattr(compiled, "insert_prefetch", ()):
        fixed[column.key] = column.default.arg
    rendered = set(compiled.positiontup or compiled.bind_names.values())
    if rendered - keys - set(fixed):
        return None  # a parameter missing: SQLAlchemy says which
    # (A parameter the statement does not use is ignored, as SQLAlchemy ignores it.)
    if isinstance(statement, sa.sql.Insert) and not many:
        returned = {column.keyname for column in compiled._result_columns}
        table: Any = statement.table
        for column in table.primary_key.columns:
            if column.key not in keys and column.key not in returned and not (
                    getattr(connection.dialect, "postfetch_lastrowid", False)
                    and column is table.autoincrement_column):
                return None  # the row's key would not be known
    if expanding:
        if not set(expanding) <= keys or any(f"{name}_" in rendered_name for name in expanding
                                             for rendered_name in rendered):
            return None  # a list not given, or a name the rendered items' could be taken for
        return _ExpandingPlan(connection.dialect, fixed, keys, expanding)
    return _Plan(statement, compiled, connection.dialect, fixed, keys)


class PlannedConnection(Connection):
    """A `Connection` that runs statements it has run before from their plan (see the module's documentation).

    Each store's engine makes its connections of a subclass holding that store's plans (`for_engine`).
    """

    # Per statement object, per set of parameter names (and one row or many): its plan, _NOT_PLANNED, or the
    # transaction it was first run in (planned when it runs in another: a statement built for one request is
    # never planned).
    _plans: weakref.WeakKeyDictionary[Any, dict[tuple[frozenset[str], bool], Any]]
    _transaction_number = 0

    @classmethod
    def for_engine(cls) -> type[PlannedConnection]:
        return type("PlannedConnection", (cls,), {"_plans": weakref.WeakKeyDictionary()})

    def begin(self) -> Any:
        self._transaction_number = next(_TRANSACTIONS)
        return super().begin()

    def execute(self, statement: Any, parameters: Any = None, *, execution_options: Any = None) -> Any:
        if execution_options is None and self._plannable():
            if parameters is None or type(parameters) is dict:
                plan = self._plan_for(statement, frozenset(parameters) if parameters else frozenset(), False)
                if isinstance(plan, _ExpandingPlan):
                    plan = plan.for_values(statement, parameters)
                if plan is not None:
                    return self._run(plan, statement, parameters)
            elif type(parameters) is list and parameters and type(parameters[0]) is dict:
                keys = frozenset(parameters[0])
                if all(type(row) is dict and keys == row.keys() for row in parameters):
                    plan = self._plan_for(statement, keys, True)
                    if isinstance(plan, _Plan):
                        return self._run_many(plan, statement, parameters)
        return super().execute(statement, parameters, execution_options=execution_options)

    def _plan_for(self, statement: Any, keys: frozenset[str], many: bool) -> _Plan | _ExpandingPlan | None:
        """The plan for `statement` with parameters named `keys`, if it has one (or should have one by now)."""
        try:
            known = self._plans.get(statement)
        except TypeError:  # not weakly referenceable: nothing this plans
            return None
        if known is None:
            known = self._plans.setdefault(statement, {})
        plan = known.get((keys, many))
        if isinstance(plan, _Plan | _ExpandingPlan):
            return plan
        if plan is _NOT_PLANNED or plan == self._transaction_number:
            return None
        if plan is None:  # first run: remembered, planned if it runs again in another transaction
            known[(keys, many)] = self._transaction_number
            return None
        plan = _plan(self, statement, keys, many)
        known[(keys, many)] = plan or _NOT_PLANNED
        return plan

    def _plannable(self) -> bool:
        transaction = self._transaction
        nested = self._nested_transaction
        return (transaction is not None and transaction.is_active and (nested is None or nested.is_active)
                and self._dbapi_connection is not None and not self._echo and not self._execution_options
                and not self.dialect._has_events and not self.dispatch.before_execute
                and not self.dispatch.before_cursor_execute and not self.dispatch.after_cursor_execute)

    def _run(self, plan: _Plan, statement: Any, parameters: dict[str, Any] | None) -> PlannedResult:
        dbapi_connection = self._dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        values: Any = parameters
        try:
            values = plan.parameters(parameters)
            cursor.execute(plan.sql, values)
            rowcount = cursor.rowcount  # read before the rows, as SQLAlchemy reads it (SQLite counts as it fetches)
            fetched: list[Any] = list(cursor.fetchall()) if cursor.description is not None else []
            if fetched and plan.conversions is None:
                plan.learn_types(cursor)
            lastrowid = cursor.lastrowid if plan.lastrowid_key is not None else None
        except BaseException as exc:
            cursor.close()
            self._handle_dbapi_exception(exc, plan.sql, values, cursor, None)
        cursor.close()
        rows = plan.converted(fetched) if fetched else fetched
        if plan.counted_when_closed:
            # SQLAlchemy has closed an INSERT's cursor by the time its count is asked for: what the driver then
            # says (the row count on SQLite, -1 with psycopg).
            rowcount = cursor.rowcount
        result = PlannedResult(plan.metadata, iter(rows) if plan.returns_rows else _nothing())
        result.rowcount = rowcount
        if plan.is_insert:
            result._is_insert = True
            result._inserted_primary_key = plan.inserted_key(parameters or {}, rows[0] if rows else None, lastrowid)
        return self._executed(statement, [parameters] if parameters else [], result)

    def _run_many(self, plan: _Plan, statement: Any, parameters: list[dict[str, Any]]) -> PlannedResult:
        """Several rows inserted: one executemany, or, where the rows come back (RETURNING), one statement a row
        (SQLAlchemy would batch them into one; for the few rows a request inserts, a plan a row is cheaper)."""
        dbapi_connection = self._dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        every: Any = parameters
        rows: list[Any] = []
        try:
            every = [plan.parameters(row) for row in parameters]
            if plan.returns_rows:
                for values in every:
                    cursor.execute(plan.sql, values)
                    rows.extend(cursor.fetchall())
                    if rows and plan.conversions is None:
                        plan.learn_types(cursor)
                rowcount = len(every)
            else:
                cursor.executemany(plan.sql, every)
                rowcount = cursor.rowcount
        except BaseException as exc:
            cursor.close()
            self._handle_dbapi_exception(exc, plan.sql, every, cursor, None)
        cursor.close()
        rows = plan.converted(rows) if rows else rows
        result = PlannedResult(plan.metadata, iter(rows) if plan.returns_rows else _nothing())
        result.rowcount = cursor.rowcount if plan.counted_when_closed else rowcount
        return self._executed(statement, parameters, result)

    def _executed(self, statement: Any, distilled: list[dict[str, Any]], result: PlannedResult) -> PlannedResult:
        if self._has_events or self.engine._has_events:
            # As SQLAlchemy tells its listeners: one row's parameters alone, several as a list.
            multiparams, params = ([], distilled[0]) if len(distilled) == 1 else (distilled, {})
            self.dispatch.after_execute(self, statement, multiparams, params, self._execution_options, result)
        return result


def _nothing() -> Iterator[Any]:
    return iter(())
