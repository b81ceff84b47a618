"""Statements run again from what their first compilation left, without SQLAlchemy's per-execution machinery.

SQLAlchemy's ``Connection.execute`` costs 20 to 50 µs a statement on top of the driver's 2 or 3: a cache key made
from the statement, an execution context, result metadata, the parameters processed column by column. The
packs build each statement once, at import, and run the same objects on every request; so this connection
keeps, per statement object and set of parameter names, the SQL text, the order of its parameters, the
conversions each value goes through both ways, and runs the statement straight on the driver's cursor.

Only what such a plan reproduces exactly is planned: a SELECT, UPDATE or DELETE, or a one-row INSERT, run a
second time (a statement built anew for every call is compiled by SQLAlchemy's own cache, as before), with one
dictionary of parameters, inside a transaction, with no execution options, no expanding (``IN``) parameters,
no parameter computed at run time, no RETURNING asked for, and no listener that watches the cursor. Everything
else goes through ``Connection.execute`` unchanged. Results are SQLAlchemy's own `Result` and `Row` types, and
errors SQLAlchemy's own exceptions, so a caller cannot tell which way a statement went.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine.result import IteratorResult, SimpleResultMetaData
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["PlannedConnection"]

_Processor = Callable[[Any], Any] | None


class PlannedResult(IteratorResult[Any]):
    """The rows of a planned statement, all fetched, with what a `CursorResult` also tells of a write."""

    rowcount: int = -1
    inserted_primary_key: tuple[Any, ...] | None = None


class _Plan:
    """What running one statement, with one set of parameter names, takes: its SQL, and how values convert.
    It holds nothing of the statement object itself, so that a statement no longer used can be freed."""

    def __init__(self, statement: Any, compiled: Any, dialect: Any, fixed: dict[str, Any],
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
        self.fixed_used = True  # whether any of them is used (`_plan` knows which names are given)
        self.result_columns: tuple[tuple[str, Any], ...] = tuple(
            (column.keyname, column.type) for column in compiled._result_columns)
        keys = [key for key, _ in self.result_columns]
        self.metadata = SimpleResultMetaData(keys)
        # The result columns that need converting, each with its conversion: made from the first cursor's types.
        self.conversions: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None
        self.dialect = dialect
        # An INSERT's key, column by column: the parameter's name, and where the row RETURNING gives holds it.
        self.primary_key: tuple[tuple[str, int | None], ...] = tuple(
            (column.key, keys.index(column.key) if column.key in keys else None)
            for column in getattr(statement.table, "primary_key", ())) if isinstance(statement, sa.sql.Insert) else ()
        self.needs_lastrowid = any(returned is None for _, returned in self.primary_key)  # and not given
        self.counted_when_closed = isinstance(statement, sa.sql.Insert) and not statement._returning
        self.many = isinstance(statement, sa.sql.Insert)  # rows inserted from a list of parameters

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

    def rows(self, cursor: Any) -> list[Any]:
        fetched: list[Any] = cursor.fetchall()
        conversions = self.conversions
        if conversions is None:
            conversions = self.conversions = tuple(
                (index, convert) for index, ((_, kind), description)
                in enumerate(zip(self.result_columns, cursor.description, strict=True))
                if (convert := kind._cached_result_processor(self.dialect, description[1])) is not None)
        if not conversions:
            return fetched
        converted = []
        for row in fetched:
            values = list(row)
            for index, convert in conversions:
                values[index] = convert(values[index])
            converted.append(tuple(values))
        return converted


_NOT_PLANNED: Any = object()
_TRANSACTIONS = itertools.count(1)


def _source(name: str, expanding: frozenset[str]) -> tuple[str, int]:
    """Where the value of the rendered parameter `name` comes from: (parameter, -1), or (list, index) for the
    items SQLAlchemy renders an expanding parameter ``ids`` into (``ids_1``, ``ids_2``, …)."""
    base, _, number = name.rpartition("_")
    if base in expanding and number.isdigit():
        return base, int(number) - 1
    return name, -1


class _ExpandingPlan:
    """The plans of a statement with expanding (``IN``) parameters: one per count of items in each list,
    rendered by SQLAlchemy itself the first time that count comes. (It holds the compiled statement, and so the
    statement: only statements that live as long as the process are ever planned.)"""

    _MOST_SHAPES = 128  # beyond this many counts of items, SQLAlchemy renders each (as it would anyway)

    def __init__(self, statement: Any, compiled: Any, dialect: Any, fixed: dict[str, Any],
                 expanding: tuple[str, ...]) -> None:
        self.statement_type = type(statement)
        self.plan_of = lambda expanded: _Plan(statement, compiled, dialect, fixed, expanded, frozenset(expanding))
        self.compiled = compiled
        self.fixed = fixed
        self.expanding = expanding
        self.shapes: dict[tuple[int, ...], _Plan] = {}

    def for_values(self, given: dict[str, Any] | None) -> _Plan | None:
        if given is None:
            return None
        try:
            shape = tuple(len(given[name]) for name in self.expanding)
        except (KeyError, TypeError):  # a list missing or not a list: SQLAlchemy says what is wrong
            return None
        plan = self.shapes.get(shape)
        if plan is None and len(self.shapes) < self._MOST_SHAPES:
            if not all(type(given[name]) in (list, tuple) for name in self.expanding):
                return None
            expanded = self.compiled._process_parameters_for_postcompile(
                self.compiled.construct_params({**self.fixed, **given}, _check=False))
            plan = self.shapes[shape] = self.plan_of(expanded)
        return plan


def _plan(connection: Connection, statement: Any, keys: frozenset[str]) -> _Plan | _ExpandingPlan | None:
    """A plan for `statement` run with parameters named `keys`, or None if it must go through SQLAlchemy."""
    if not isinstance(statement, sa.sql.Select | sa.sql.Update | sa.sql.Delete | sa.sql.Insert):
        return None
    if statement._execution_options or (getattr(statement, "_returning", None) and not isinstance(
            statement, sa.sql.Insert)):
        return None
    if isinstance(statement, sa.sql.Insert) and (statement._multi_values or statement._select_names):
        return None
    try:
        compiled: Any = statement.compile(dialect=connection.dialect, column_keys=sorted(keys))
    except sa.exc.SQLAlchemyError:  # a parameter that names no column, say: SQLAlchemy says so when it runs
        return None
    if not isinstance(compiled, SQLCompiler) or any(
            not (processor is None or callable(processor)) for processor in compiled._bind_processors.values()):
        return None  # a tuple of values bound at once: processed as a sequence
    if any(column.keyname is None for column in compiled._result_columns):
        return None
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
    if len({column.keyname for column in compiled._result_columns}) != len(compiled._result_columns):
        return None  # two columns of one name: SQLAlchemy's rows say which is meant
    fixed: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if not bind.required:
            fixed[name] = bind.effective_value
    for column in getattr(compiled, "insert_prefetch", ()):
        fixed[column.key] = column.default.arg
    rendered = set(compiled.positiontup or compiled.bind_names.values())
    if rendered - keys - set(fixed):
        return None  # a parameter missing: SQLAlchemy says which
    # (A parameter the statement does not use is ignored, as SQLAlchemy ignores it; an INSERT's or UPDATE's
    # would have been a column to set, or refused above.)
    if isinstance(statement, sa.sql.Insert):
        returned = {column.keyname for column in compiled._result_columns}
        table: Any = statement.table
        autoincrement = table.autoincrement_column
        for column in table.primary_key.columns:
            if column.key not in keys and column.key not in returned and not (
                    getattr(connection.dialect, "postfetch_lastrowid", False) and column is autoincrement):
                return None  # the row's key would not be known
    if expanding:
        if not set(expanding) <= keys or any(f"{name}_" in rendered_name for name in expanding
                                             for rendered_name in rendered):
            return None  # a list not given, or a name the rendered items' could be taken for
        return _ExpandingPlan(statement, compiled, connection.dialect, fixed, expanding)
    plan = _Plan(statement, compiled, connection.dialect, fixed)
    plan.fixed_used = not rendered <= keys
    plan.needs_lastrowid = any(key not in keys and returned is None for key, returned in plan.primary_key)
    return plan


class PlannedConnection(Connection):
    """A `Connection` that runs statements it has run before from their plan (see the module's documentation).

    Each store's engine makes its connections of a subclass holding that store's plans (`for_engine`).
    """

    # Per statement object, per set of parameter names: its plan, _NOT_PLANNED, or the transaction it was
    # first run in (planned when it runs in another: a statement built for one request is never planned).
    _plans: weakref.WeakKeyDictionary[Any, dict[frozenset[str], Any]]

    @classmethod
    def for_engine(cls) -> type[PlannedConnection]:
        return type("PlannedConnection", (cls,), {"_plans": weakref.WeakKeyDictionary()})

    _transaction_number = 0

    def begin(self) -> Any:
        self._transaction_number = next(_TRANSACTIONS)
        return super().begin()

    def execute(self, statement: Any, parameters: Any = None, *, execution_options: Any = None) -> Any:
        if execution_options is None and self._plannable():
            if parameters is None or type(parameters) is dict:
                plan = self._plan_for(statement, frozenset(parameters) if parameters else frozenset())
                if isinstance(plan, _ExpandingPlan):
                    plan = plan.for_values(parameters)
                if plan is not None:
                    return self._run(plan, statement, parameters)
            elif type(parameters) is list and parameters and type(parameters[0]) is dict:
                keys = frozenset(parameters[0])
                plan = self._plan_for(statement, keys)
                if isinstance(plan, _Plan) and plan.many and all(
                        type(row) is dict and keys == row.keys() for row in parameters):
                    return self._run_many(plan, statement, parameters)
        return super().execute(statement, parameters, execution_options=execution_options)

    def _plan_for(self, statement: Any, keys: frozenset[str]) -> _Plan | _ExpandingPlan | None:
        """The plan for `statement` with parameters named `keys`, if it has one (or should have one by now)."""
        try:
            known = self._plans.get(statement)
        except TypeError:  # not weakly referenceable: nothing this plans
            return None
        if known is None:
            known = self._plans.setdefault(statement, {})
        plan = known.get(keys)
        if isinstance(plan, _Plan | _ExpandingPlan):
            return plan
        if plan is _NOT_PLANNED or plan == self._transaction_number:
            return None
        if plan is None:  # first run: remembered, planned if it runs again in another transaction
            known[keys] = self._transaction_number
            return None
        plan = _plan(self, statement, keys)
        known[keys] = plan or _NOT_PLANNED
        return plan

    def _plannable(self) -> bool:
        transaction = self._transaction
        nested = self._nested_transaction
        return (transaction is not None and transaction.is_active and (nested is None or nested.is_active)
                and self._dbapi_connection is not None and not self._echo and not self.dialect._has_events
                and not self.dispatch.before_cursor_execute and not self.dispatch.after_cursor_execute)

    def _run(self, plan: _Plan, statement: Any, parameters: dict[str, Any] | None) -> PlannedResult:
        values = plan.parameters(parameters)
        dbapi_connection = self._dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, values)
            rowcount = cursor.rowcount  # read before the rows, as SQLAlchemy reads it (SQLite counts as it fetches)
            rows = plan.rows(cursor) if cursor.description is not None else []
            lastrowid = cursor.lastrowid if plan.needs_lastrowid else None
        except BaseException as exc:
            cursor.close()
            self._handle_dbapi_exception(exc, plan.sql, values, cursor, None)
        cursor.close()
        if plan.counted_when_closed:
            # SQLAlchemy has closed an INSERT's cursor by the time its count is asked for: what the driver then
            # says (the row count on SQLite, -1 with psycopg).
            rowcount = cursor.rowcount
        result = PlannedResult(plan.metadata, iter(rows))
        result.rowcount = rowcount
        if plan.primary_key:
            given = parameters or {}
            result.inserted_primary_key = tuple(
                given[key] if key in given else rows[0][returned] if returned is not None else lastrowid
                for key, returned in plan.primary_key)
        return self._executed(statement, parameters or {}, result)

    def _run_many(self, plan: _Plan, statement: Any, parameters: list[dict[str, Any]]) -> PlannedResult:
        """Several rows inserted: one executemany, or, where the rows come back (RETURNING), one statement a row
        (SQLAlchemy would batch them into one; for the few rows a request inserts, a plan a row is cheaper)."""
        dbapi_connection = self._dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        every = [plan.parameters(row) for row in parameters]
        rows: list[tuple[Any, ...]] = []
        try:
            if plan.metadata.keys:
                for values in every:
                    cursor.execute(plan.sql, values)
                    rows.extend(plan.rows(cursor))
                rowcount = len(every)
            else:
                cursor.executemany(plan.sql, every)  # type: ignore[arg-type]
                rowcount = cursor.rowcount
        except BaseException as exc:
            cursor.close()
            self._handle_dbapi_exception(exc, plan.sql, every, cursor, None)
        cursor.close()
        result = PlannedResult(plan.metadata, iter(rows))
        result.rowcount = cursor.rowcount if plan.counted_when_closed else rowcount
        return self._executed(statement, parameters, result)

    def _executed(self, statement: Any, parameters: Any, result: PlannedResult) -> PlannedResult:
        if self._has_events or self.engine._has_events:
            multiparams = parameters if isinstance(parameters, list) else ()
            params = parameters if isinstance(parameters, dict) else {}
            self.dispatch.after_execute(self, statement, multiparams, params, {}, result)
        return result
