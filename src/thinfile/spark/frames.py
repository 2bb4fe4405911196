"""Reading and writing Parquet with Spark, and the Arrow-to-pandas step of every job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from thinfile.errors import DataContractError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["arrow_frames", "read_parquet", "write_parquet"]


def read_parquet(spark: SparkSession, uri: str, *, field: str) -> DataFrame:
    """The Parquet file or folder at ``uri`` (a path or any Hadoop-compatible URI)."""
    from pyspark.errors import AnalysisException

    try:
        frame = spark.read.parquet(uri)
    except AnalysisException as exc:
        raise DataContractError(
            f"Spark cannot read it as Parquet ({str(exc).splitlines()[0][:200]})",
            field=field,
            value=uri,
            remedy="give a Parquet file or folder, a local path or a URI such as s3a://…",
        ) from None
    return frame


def arrow_frames(
    batches: Iterator[pa.RecordBatch],
) -> Iterator[tuple[pa.RecordBatch, pd.DataFrame]]:
    """Each Arrow batch with its pandas frame, converted by PyArrow as the local reader does
    (``thinfile.scoring.contract.iter_table``)."""
    for batch in batches:
        yield batch, batch.to_pandas()


def write_parquet(frame: DataFrame, uri: str) -> None:
    """Write ``frame`` as a Parquet folder at ``uri``, replacing what is there."""
    frame.write.mode("overwrite").parquet(uri)
