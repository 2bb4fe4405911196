"""A limit review's batch read and written column by column (``uow.limit_decisions``).

On PostgreSQL the batch comes out of one statement by ``COPY … TO STDOUT`` (CSV, read by
pandas into integer columns, no float on the way) and the decisions and offers go in by
``COPY … FROM STDIN`` as one text buffer each; on SQLite the same frames come from and go to
ordinary statements.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.limit_features_sql import REVIEW_LINES, UNREVIEWED

__all__ = ["REVIEW_TEXT_COLUMNS", "copy_columns", "review_lines"]

REVIEW_TEXT_COLUMNS = ("status", "annual_rate")
"""The columns of ``REVIEW_LINES`` that are text; every other one is a whole number."""
_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")


def review_lines(
    conn: Connection, day: int, first: int, last: int, *, unreviewed: bool
) -> pd.DataFrame:
    """``REVIEW_LINES`` for lines ``first`` to ``last``: the text columns as ``str``, the
    others as pandas ``Int64`` (missing where the database has NULL)."""
    sql = REVIEW_LINES.format(
        unreviewed=UNREVIEWED if unreviewed else "", lines="AND m.line_id BETWEEN :first AND :last"
    )
    params = {"d": int(day), "first": int(first), "last": int(last)}
    if conn.dialect.name == "postgresql":
        frame = _copied_out(conn, sa.text(sql).bindparams(**params))
    else:
        result = conn.execute(sa.text(sql), params)
        frame = pd.DataFrame(list(result), columns=list(result.keys()), dtype=object)
    for column in frame.columns:
        if column in REVIEW_TEXT_COLUMNS:
            frame[column] = frame[column].astype(object)
        else:
            frame[column] = frame[column].astype("Int64")
    return frame


def _copied_out(conn: Connection, statement: sa.TextClause) -> pd.DataFrame:
    query = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)") as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(
        buffer,
        dtype={c: str for c in REVIEW_TEXT_COLUMNS},
        keep_default_na=False,
        na_values={c: [""] for c in ("income", "last_increase")},
        dtype_backend="numpy_nullable",
    )


def _texts(values: Sequence[Any] | np.ndarray | object, n: int) -> list[str]:
    """One column as ``COPY`` text fields (``\\N`` for None)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return [str(v) for v in values.tolist()]
    if isinstance(values, (str, int)) or values is None:
        return [_field(values)] * n
    listed = values.tolist() if isinstance(values, np.ndarray) else list(values)  # type: ignore[call-overload]
    return [_field(v) for v in listed]


def _field(value: object) -> str:
    if value is None:
        return _NULL
    text = str(value)
    if _SPECIAL.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_columns(conn: Connection, table: sa.Table, columns: Mapping[str, object], n: int) -> None:
    """Insert ``n`` rows given column by column (an array, a sequence, or one value for
    every row): one ``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    if n == 0:
        return
    names = list(columns)
    if conn.dialect.name != "postgresql":
        cells = [_values(columns[c], n) for c in names]
        rows = [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]
        conn.execute(sa.insert(table), rows)
        return
    fields = [_texts(columns[c], n) for c in names]
    text = "".join("\t".join(row) + "\n" for row in zip(*fields, strict=True))
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(text)


def _values(values: object, n: int) -> list[object]:
    if isinstance(values, np.ndarray):
        return list(values.tolist())
    if isinstance(values, (str, int)) or values is None:
        return [values] * n
    listed: list[object] = list(values)  # type: ignore[call-overload]
    return listed
