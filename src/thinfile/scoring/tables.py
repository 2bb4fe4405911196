"""Reading a training or scoring table: CSV (optionally gzipped) or Parquet, whole or in
chunks, each with every named column a column (see :func:`_as_columns`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from thinfile.errors import DataContractError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["SUFFIXES", "iter_table", "read_table"]

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet file."""
    file = _checked_path(path)
    if file.name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        return _as_columns(pq.read_table(file, use_pandas_metadata=True))
    return pd.read_csv(file, low_memory=False)


def iter_table(path: str | Path, *, chunk_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """Stream a table in chunks, so files larger than memory can be scored."""
    file = _checked_path(path)
    if file.name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(file).iter_batches(batch_size=chunk_rows):
            yield _as_columns(batch)
        return
    yield from pd.read_csv(file, chunksize=chunk_rows, low_memory=False)


_ROW_LABELS = re.compile(r"__index_level_\d+__")
"""The name pandas gives an unnamed index it writes into a Parquet file."""


def _as_columns(data: pa.Table | pa.RecordBatch) -> pd.DataFrame:
    """A Parquet table or batch with every named column as a column: a file pandas wrote
    with its index (an id set as the index) keeps that id as a column, as Spark reads it,
    rather than becoming row positions; an unnamed index (row labels) is left out."""
    frame: pd.DataFrame = data.to_pandas(ignore_metadata=True)
    labels = [name for name in frame.columns if _ROW_LABELS.fullmatch(str(name))]
    return frame.drop(columns=labels) if labels else frame


def _checked_path(path: str | Path) -> Path:
    file = Path(path)
    if not file.is_file():
        raise DataContractError(
            "no such file",
            field="DATA",
            value=str(path),
            remedy="give the path of a CSV or Parquet file",
        )
    if not file.name.lower().endswith(SUFFIXES):
        raise DataContractError(
            "unsupported file type",
            field="DATA",
            value=str(path),
            remedy="use .csv, .csv.gz or .parquet",
        )
    return file
