"""``thinfile model score --engine spark``: a book scored with reasons on Spark.

The model travels to the executors as its artifact (the JSON and text files of its
directory, checked against its version on arrival, never a pickled object); each Python
worker builds it once and scores its Arrow batches with
:func:`thinfile.scoring.batch.score_chunk`, the function of the single-machine path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from thinfile.errors import DataContractError
from thinfile.scoring import artifact
from thinfile.scoring.batch import score_chunk
from thinfile.scoring.model import ScoringModel, model_from_files
from thinfile.scoring.reason_table import ReasonMethod
from thinfile.spark.frames import arrow_frames, carrying_errors, read_parquet, write_parquet

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

__all__ = ["score_parquet"]

_MODELS: dict[str, ScoringModel] = {}
"""Models already built in this Python worker, by version."""


def worker_model(version: str, files: Mapping[str, bytes]) -> ScoringModel:
    """The model of ``files`` (checked against ``version``), built once per worker."""
    model = _MODELS.get(version)
    if model is None:
        model = _MODELS[version] = model_from_files(files, version=version)
    return model


def score_parquet(
    spark: SparkSession,
    model_dir: Path,
    data: str,
    out: str,
    *,
    reasons: int = 4,
    method: ReasonMethod = ReasonMethod.EXACT,
) -> int:
    """Score every row of the Parquet ``data`` into the Parquet folder ``out``; returns the
    rows. The input needs the model's id column: Spark's rows have no position to fall back on.
    """
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    version, files = artifact.read_artifact(model_dir)
    model = model_from_files(files, version=version, source=str(model_dir))
    id_col = model.schema.id_col
    frame = read_parquet(spark, data, field="DATA")
    if not id_col or id_col not in frame.columns:
        raise DataContractError(
            f"the data has no id column {id_col or ''}".rstrip(),
            field="DATA",
            value=data,
            remedy="score a table with the model's id column (or use --engine local)",
        )
    missing = [name for name in model.feature_names if name not in frame.columns]
    if missing:
        raise DataContractError(
            f"the model needs {len(missing)} column(s) the data lacks: {', '.join(missing)}",
            field=missing[0],
            remedy="score a table with the columns the model was trained on",
        )
    fields = [
        StructField("id", frame.schema[id_col].dataType),
        StructField("pd", DoubleType()),
        StructField("score", LongType()),
    ]
    for k in range(1, reasons + 1):
        fields += [
            StructField(f"reason_{k}", StringType()),
            StructField(f"reason_{k}_text", StringType()),
        ]
    schema = StructType(fields)
    shipped = spark.sparkContext.broadcast((version, dict(files)))

    @carrying_errors
    def score_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        scoring = worker_model(*shipped.value)
        target = to_arrow_schema(schema)
        for _batch, chunk in arrow_frames(batches):
            scored = score_chunk(scoring, chunk, reasons=reasons, method=method)
            yield pa.RecordBatch.from_pandas(scored, schema=target, preserve_index=False)

    write_parquet(frame.mapInArrow(score_batches, schema), out, source=("DATA", data))
    return int(read_parquet(spark, out, field="--out").count())
