"""``thinfile synth applicants --engine spark``: a synthetic population generated in blocks.

The population is cut into blocks by the rule of :func:`thinfile.sim.population.generate_block`
(fixed rows per block, each block's generators derived from the seed and the block's number);
Spark spreads the blocks over ``partitions`` partitions. A block does not depend on which
partition makes it, so the same seed and rows per block give the same rows whatever the
partition count, and the same rows as ``--engine local`` with the same ``--block-rows``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from thinfile.sim.population import BLOCK_ROWS, block_count, generate_block
from thinfile.spark.frames import write_parquet

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["applicants_frame", "write_applicants"]


def applicants_frame(
    spark: SparkSession,
    n: int,
    *,
    seed: int,
    block_rows: int = BLOCK_ROWS,
    partitions: int | None = None,
) -> DataFrame:
    """The population of ``n`` applicants as a Spark DataFrame, blocks in order."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    blocks = block_count(n, block_rows)
    sample = generate_block(min(n, 2), 0, seed=seed, block_rows=block_rows)
    schema = from_arrow_schema(pa.Schema.from_pandas(sample, preserve_index=False))
    slices = max(1, min(partitions or blocks, blocks))
    numbers = spark.range(0, blocks, numPartitions=slices)

    def make_blocks(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        target = to_arrow_schema(schema)  # e.g. birth dates to microseconds, as Spark keeps them
        for batch in batches:
            for block in batch.column(0).to_pylist():
                frame = generate_block(n, block, seed=seed, block_rows=block_rows)
                table = pa.Table.from_pandas(frame, preserve_index=False).cast(target)
                yield from table.to_batches()

    return numbers.mapInArrow(make_blocks, schema)


def write_applicants(
    spark: SparkSession,
    n: int,
    out: str,
    *,
    seed: int,
    block_rows: int = BLOCK_ROWS,
    partitions: int | None = None,
) -> None:
    """Write the population as a Parquet folder at ``out`` (a path or a Hadoop URI)."""
    write_parquet(
        applicants_frame(spark, n, seed=seed, block_rows=block_rows, partitions=partitions), out
    )
