"""Hot statements: built and compiled by SQLAlchemy, run by the driver on PostgreSQL.

The few statements every application submission and payment runs (the applicant's facts, the
application row, the business date, the loan and its installments, the idempotency key, the
audit append) are declared as :class:`Hot`. On PostgreSQL each is compiled once per set of
parameter names and then run on the connection's own psycopg cursor, inside the same
transaction: SQLAlchemy's per-execution work (execution context, parameter and result set-up)
cost more client CPU than psycopg's own for these statements (about 120–170 µs against
80–100 µs a statement on the development machine). On SQLite, and for any statement whose
types need SQLAlchemy's conversions, the statement simply runs through SQLAlchemy.

:func:`on_driver` is the one way SQL reaches the driver directly (also the servicing
repository's one-statement posting write): driver errors are raised as SQLAlchemy's
(``IntegrityError`` …), and a lost connection is invalidated as SQLAlchemy would, so callers
see one error vocabulary on both paths.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any, cast

import psycopg
import sqlalchemy as sa
from psycopg.pq import ExecStatus
from psycopg.rows import namedtuple_row
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["Hot", "HotRow", "on_driver"]

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

    def all(self, conn: Connection, params: Mapping[str, Any]) -> Sequence[HotRow]:
        """Every row (none for a statement that returns none)."""
        plan = self._plan(conn.dialect, params)
        if plan is None:
            result = conn.execute(self.statement, dict(params))
            return result.all() if result.returns_rows else ()
        return on_driver(conn, plan.sql, {**plan.defaults, **params})

    def first(self, conn: Connection, params: Mapping[str, Any]) -> HotRow | None:
        """The first row, or None."""
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def one(self, conn: Connection, params: Mapping[str, Any]) -> HotRow:
        """Exactly one row (:class:`sqlalchemy.exc.NoResultFound` otherwise)."""
        rows = self.all(conn, params)
        if len(rows) != 1:
            raise (sa.exc.NoResultFound if not rows else sa.exc.MultipleResultsFound)(
                "expected exactly one row"
            )
        return rows[0]

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Execute, for its effect."""
        self.all(conn, params)

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


def _compile(statement: sa.Executable, dialect: Dialect, names: frozenset[str]) -> _Plan | None:
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


_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


def _has_rows(result: Any) -> bool:
    """Whether the statement returned a result set: what ``cursor.description is not None``
    says, without building a description of every column."""
    return bool(result) and bool(result.nfields or result.status in _ROWS)


def _cursor(conn: Connection, driver: Any, *, numbered: bool) -> Any:
    """A cursor on the driver connection, kept with the pooled connection (``info``) and
    reused by its later statements: one connection serves one thread at a time, and a cursor
    made for every statement cost more than many of these statements' own work."""
    info = conn.connection.info
    key = "thinfile_raw_cursor" if numbered else "thinfile_cursor"
    cursor = info.get(key)
    if cursor is None or cursor.closed or cursor.connection is not driver:
        make = psycopg.RawCursor if numbered else psycopg.Cursor
        cursor = info[key] = make(driver, row_factory=namedtuple_row)
    return cursor


def on_driver(
    conn: Connection, sql: str, values: Mapping[str, Any] | Sequence[Any], *, numbered: bool = False
) -> Sequence[HotRow]:
    """Run ``sql`` on ``conn``'s psycopg connection, in the transaction ``conn`` began; its
    rows, if it returns any. ``numbered``: ``$1 …`` placeholders and a sequence of values
    (psycopg's raw cursor) instead of ``%(name)s`` and a mapping. Errors are raised as
    SQLAlchemy's, and a lost connection is invalidated as SQLAlchemy would."""
    driver: Any = conn.connection.driver_connection
    cursor = _cursor(conn, driver, numbered=numbered)
    try:
        cursor.execute(sql, values)
        return cursor.fetchall() if _has_rows(cursor.pgresult) else ()
    except psycopg.Error as error:
        disconnected = conn.dialect.is_disconnect(cast(Any, error), driver, None)
        wrapped = sa.exc.DBAPIError.instance(
            sql,
            values,
            error,
            psycopg.Error,
            hide_parameters=True,  # they hold ciphertexts and lookup hashes
            connection_invalidated=disconnected,
            dialect=conn.dialect,
        )
        if disconnected:
            conn.invalidate(wrapped)
        raise wrapped from error
