"""Batch scoring of a file, chunk by chunk, so files larger than memory can be scored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from thinfile.scoring.contract import iter_table
from thinfile.scoring.model import ScoringModel

__all__ = ["score_file"]


def score_file(
    model: ScoringModel,
    data: str | Path,
    out: str | Path,
    *,
    reasons: int = 4,
    chunk_rows: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``id, pd, score`` (and reason columns) for every row of ``data``; returns rows."""
    id_col = model.schema.id_col
    written = 0
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as sink:
        for chunk in iter_table(data, chunk_rows=chunk_rows):
            scored = model.explain_frame(chunk, reasons=reasons)
            ids = (
                chunk[id_col].to_numpy()
                if id_col and id_col in chunk.columns
                else range(written, written + len(chunk))
            )
            scored.insert(0, "id", list(ids))
            scored["pd"] = scored["pd"].round(8)
            scored.to_csv(sink, index=False, header=written == 0)
            written += len(chunk)
            if progress is not None:
                progress(len(chunk))
    if written == 0:
        pd.DataFrame(columns=["id", "pd", "score"]).to_csv(target, index=False)
    return written
