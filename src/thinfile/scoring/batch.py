"""Batch scoring of a file, chunk by chunk, so files larger than memory can be scored.

:func:`score_chunk` is the one function that turns rows into ``id, pd, score`` and reasons;
the single-machine path (:func:`score_file`) and the Spark path (``thinfile.spark``) both call
it, so the two give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from thinfile.scoring.model import ScoringModel
from thinfile.scoring.reason_table import ReasonMethod
from thinfile.scoring.tables import iter_table

__all__ = ["score_chunk", "score_file"]

PD_DECIMALS = 8
"""Places the written probability of default keeps."""


def score_chunk(
    model: ScoringModel,
    chunk: pd.DataFrame,
    *,
    reasons: int,
    first_row: int = 0,
    method: ReasonMethod = ReasonMethod.EXACT,
) -> pd.DataFrame:
    """``id, pd, score`` and ``reason_k``, ``reason_k_text`` of the rows of ``chunk``.

    The id is the model's id column when the chunk has it, else the row's position in the
    input, counting from ``first_row``.
    """
    id_col = model.schema.id_col
    scored = model.explain_frame(chunk, reasons=reasons, method=method).reset_index(drop=True)
    ids = (
        chunk[id_col].to_numpy()
        if id_col and id_col in chunk.columns
        else range(first_row, first_row + len(chunk))
    )
    scored.insert(0, "id", list(ids))
    scored["pd"] = scored["pd"].round(PD_DECIMALS)
    return scored


def score_file(
    model: ScoringModel,
    data: str | Path,
    out: str | Path,
    *,
    reasons: int = 4,
    chunk_rows: int = 100_000,
    progress: Callable[[int], None] | None = None,
    method: ReasonMethod = ReasonMethod.EXACT,
) -> int:
    """Write ``id, pd, score`` (and reason columns) for every row of ``data`` to a CSV file,
    or to a Parquet file when ``out`` ends in ``.parquet``; returns the rows."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.name.lower().endswith(".parquet"):
        return _score_to_parquet(model, data, target, reasons, chunk_rows, progress, method)
    written, chunks = 0, 0
    with target.open("w", encoding="utf-8", newline="") as sink:
        for chunk in iter_table(data, chunk_rows=chunk_rows):
            scored = score_chunk(model, chunk, reasons=reasons, first_row=written, method=method)
            scored.to_csv(sink, index=False, header=chunks == 0)
            written, chunks = written + len(chunk), chunks + 1
            if progress is not None:
                progress(len(chunk))
        if chunks == 0:
            _no_rows(model, reasons, method).to_csv(sink, index=False)
    return written


def _no_rows(model: ScoringModel, reasons: int, method: ReasonMethod) -> pd.DataFrame:
    """The scored table of no rows: every column, so an empty input gives the header."""
    empty = pd.DataFrame(columns=list(model.feature_names))
    return score_chunk(model, empty, reasons=reasons, method=method)


def _score_to_parquet(
    model: ScoringModel,
    data: str | Path,
    target: Path,
    reasons: int,
    chunk_rows: int,
    progress: Callable[[int], None] | None,
    method: ReasonMethod,
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = 0
    writer = None
    try:
        for chunk in iter_table(data, chunk_rows=chunk_rows):
            table = pa.Table.from_pandas(
                score_chunk(model, chunk, reasons=reasons, first_row=written, method=method),
                schema=writer.schema if writer is not None else None,
                preserve_index=False,
            )
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        _no_rows(model, reasons, method).to_parquet(target, index=False)
    return written
