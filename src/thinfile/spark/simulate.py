"""``thinfile policy simulate --engine spark``: the decisions of a policy simulation on Spark.

Each partition scores and decides its applications with
:func:`thinfile.decisioning.simulate_rows.decide_records` — the model rebuilt from its artifact,
the policy compiled from its JSON in that worker — and returns one compact row per
application. The driver counts those rows in input order (file, then row within the file)
with :func:`thinfile.decisioning.simulate.report_from_rows`, the counting of the local
path, so sums of probabilities are added in the same order and the report is identical.
The driver holds the compact rows (about 200 bytes each), not the applications.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from thinfile.decisioning.policy import Policy, policy_from_json
from thinfile.decisioning.simulate import (
    ROW_FIELDS,
    DecidedRows,
    SimulationReport,
    decide_records,
    report_from_rows,
)
from thinfile.scoring import artifact
from thinfile.scoring.model import model_from_files
from thinfile.spark.frames import FILE, ROW, arrow_frames, read_parquet
from thinfile.spark.scoring import worker_model

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

__all__ = ["simulate_parquet"]


def _schema(with_baseline: bool) -> str:
    arms = ("c_", "b_") if with_baseline else ("c_",)
    columns = [f"{FILE} string", f"{ROW} long"]
    columns += [f"{arm}{name} {kind}" for arm in arms for name, kind in ROW_FIELDS]
    return ", ".join([*columns, "bad long"])


def simulate_parquet(
    spark: SparkSession,
    data: str,
    *,
    policy: Policy,
    model_dir: Path,
    on: date,
    baseline: Policy | None = None,
    outcome: str = "bad_12m",
    min_segment_share: Decimal | None = None,
) -> SimulationReport:
    """:func:`thinfile.decisioning.simulate` over the Parquet applications at ``data``."""
    version, files = artifact.read_artifact(model_dir)
    model = model_from_files(files, version=version, source=str(model_dir))
    frame = read_parquet(spark, data, field="--data", positions=True)
    texts = (policy.settings_json(), policy.graph_json)
    old_texts = (baseline.settings_json(), baseline.graph_json) if baseline else None
    shipped = spark.sparkContext.broadcast((version, dict(files)))
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(_schema(baseline is not None))  # parsed by the driver's JVM
    assert isinstance(schema, StructType)

    def decide_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        target = to_arrow_schema(schema)
        scorer = worker_model(*shipped.value)
        candidate = policy_from_json(*texts)
        old = policy_from_json(*old_texts) if old_texts is not None else None
        for batch, chunk in arrow_frames(batches, drop=(FILE, ROW)):
            decided = decide_records(
                chunk.to_dict("records"),  # type: ignore[arg-type]
                policy=candidate,
                model=scorer,
                on=on,
                baseline=old,
                outcome=outcome,
            )
            columns: dict[str, list[object]] = {
                FILE: batch.column(FILE).to_pylist(),
                ROW: batch.column(ROW).to_pylist(),
            }
            for record in decided.records():
                for name in target.names[2:]:
                    columns.setdefault(name, []).append(record[name])
            yield pa.RecordBatch.from_pydict(
                {name: columns.get(name, []) for name in target.names}, schema=target
            )

    rows = (
        frame.mapInArrow(decide_batches, schema)
        .toArrow()
        .sort_by([(FILE, "ascending"), (ROW, "ascending")])
    )
    decided = DecidedRows.from_records(rows.to_pylist(), with_baseline=baseline is not None)
    return report_from_rows(
        decided, policy=policy, baseline=baseline, model=model, share=min_segment_share
    )
