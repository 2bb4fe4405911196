"""Hot statements: built and compiled by SQLAlchemy, run by the driver on PostgreSQL.

The few statements every application submission and payment runs (the applicant's facts, the
application row, the business date, the loan and its installments, the idempotency key, the
audit append) are declared as :class:`Hot`. On
PostgreSQL each is compiled once per set of parameter names and then run on the connection's
own psycopg cursor, inside the same transaction: SQLAlchemy's per-execution work (execution
context, parameter and result set-up) cost more client CPU than psycopg's own for these
statements (about 120–170 µs against 80–100 µs a statement on the development machine). On
SQLite, and for any statement whose types need SQLAlchemy's conversions, the statement simply
runs through SQLAlchemy.

Driver errors are raised as SQLAlchemy's (``IntegrityError`` …), and a lost connection is
invalidated as SQLAlchemy would, so callers see one error vocabulary on both paths.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Hot", "HotRow"]

HotRow = Any
"""A result row: columns by attribute (``row.name``) on both paths."""


class _Plan:
    """One statement compiled for PostgreSQL with one set of parameter names."""

    __slots__ = ("defaults", "sql")

    def __init__(self, compiled: SQLCompiler) -> None:
        self.sql = str(compiled)
        self.defaults = compiled.construct_params(_check=False)


class Hot:
    """A statement run often enough that its execution path matters (see the module)."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._plans: dict[frozenset[str], _Plan | None] = {}
        self._lock = threading.Lock()

    def first(self, executor: Session | Connection, params: Mapping[str, Any]) -> HotRow | None:
        """The first row, or None."""
        conn = _connection(executor)
        plan = self._plan(conn.dialect, params)
        if plan is None:
            return conn.execute(self.statement, dict(params)).first()
        rows = _run(conn, plan, params, fetch=True)
        return rows[0] if rows else None

    def one(self, executor: Session | Connection, params: Mapping[str, Any]) -> HotRow:
        """Exactly one row (:class:`sqlalchemy.exc.NoResultFound` otherwise)."""
        conn = _connection(executor)
        plan = self._plan(conn.dialect, params)
        if plan is None:
            return conn.execute(self.statement, dict(params)).one()
        rows = _run(conn, plan, params, fetch=True)
        if len(rows) != 1:
            raise (sa.exc.NoResultFound if not rows else sa.exc.MultipleResultsFound)(
                "expected exactly one row")
        return rows[0]

    def all(self, executor: Session | Connection, params: Mapping[str, Any]) -> Sequence[HotRow]:
        """Every row."""
        conn = _connection(executor)
        plan = self._plan(conn.dialect, params)
        if plan is None:
            return conn.execute(self.statement, dict(params)).all()
        return _run(conn, plan, params, fetch=True)

    def scalar(self, executor: Session | Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(executor, params)
        return None if row is None else row[0]

    def run(self, executor: Session | Connection, params: Mapping[str, Any]) -> None:
        """Execute; the result, if any, is not read."""
        conn = _connection(executor)
        plan = self._plan(conn.dialect, params)
        if plan is None:
            conn.execute(self.statement, dict(params))
            return
        _run(conn, plan, params, fetch=False)

    def _plan(self, dialect: Dialect, params: Mapping[str, Any]) -> _Plan | None:
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            return None
        names = frozenset(params)
        try:
            return self._plans[names]
        except KeyError:
            pass
        with self._lock:
            if names not in self._plans:
                self._plans[names] = _compile(self.statement, dialect, names)
            return self._plans[names]


def _compile(statement: sa.Executable, dialect: Dialect,
             names: frozenset[str]) -> _Plan | None:
    clause = cast(sa.ClauseElement, statement)  # every executable statement is a clause
    compiled = clause.compile(dialect=dialect, column_keys=sorted(names))
    if not isinstance(compiled, SQLCompiler):
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None  # expanding parameters are rendered per execution: leave it to SQLAlchemy
    processors = compiled._bind_processors
    if any(processors.get(name) for name in compiled.bind_names.values()):
        return None  # a type converts its values: SQLAlchemy's path does that
    for column in compiled._result_columns:
        if column.type._cached_result_processor(dialect, None) is not None:
            return None
    return _Plan(compiled)


def _connection(executor: Session | Connection) -> Connection:
    return executor.connection() if isinstance(executor, Session) else executor


def _run(conn: Connection, plan: _Plan, params: Mapping[str, Any], *,
         fetch: bool) -> Sequence[HotRow]:
    from psycopg import Error
    from psycopg.rows import namedtuple_row

    values = {**plan.defaults, **params}
    raw: Any = conn.connection.driver_connection
    try:
        with raw.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(plan.sql, values)
            return cursor.fetchall() if fetch and cursor.description is not None else ()
    except Error as error:
        disconnected = conn.dialect.is_disconnect(cast(Any, error), raw, None)
        wrapped = sa.exc.DBAPIError.instance(plan.sql, values, error, Error,
                                             connection_invalidated=disconnected,
                                             dialect=conn.dialect)
        if disconnected:
            conn.invalidate(wrapped)
        raise wrapped from error
