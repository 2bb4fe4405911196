"""``thinfile policy simulate --engine spark``: the decisions of a policy simulation on Spark.

Each partition scores, decides and counts its applications with
:func:`thinfile.decisioning.simulate_rows.count_records` — the model rebuilt from its artifact,
the policy compiled from its JSON in that worker — and returns one row: its counts as JSON
(:meth:`~thinfile.decisioning.simulate_counts.Counts.state`). The driver merges those counts;
every sum in them is exact, so the merged counts, and the report, are the local engine's
whatever the partitioning. The driver holds one small JSON text per partition, never the
applications or their decisions, so the run's length is bounded by the cluster, not the driver.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from thinfile.decisioning.policy import Policy, policy_from_json
from thinfile.decisioning.simulate import (
    Counts,
    SimulationReport,
    count_records,
    report_from_counts,
)
from thinfile.scoring import artifact
from thinfile.scoring.model import model_from_files
from thinfile.spark.frames import arrow_frames, carrying_errors, read_parquet, told_as_thinfile
from thinfile.spark.scoring import worker_model

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import SparkSession

__all__ = ["simulate_parquet"]


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
    # Deciding costs far more than moving a row: spread the rows evenly over twice the
    # cluster's cores whatever the file's row groups (one large row group is one task).
    frame = read_parquet(spark, data, field="--data").repartition(
        2 * spark.sparkContext.defaultParallelism
    )
    texts = (policy.settings_json(), policy.graph_json)
    old_texts = (baseline.settings_json(), baseline.graph_json) if baseline else None
    shipped = spark.sparkContext.broadcast((version, dict(files)))

    @carrying_errors
    def count_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa

        scorer = worker_model(*shipped.value)
        candidate = policy_from_json(*texts)
        old = policy_from_json(*old_texts) if old_texts is not None else None
        arms = [(p.version, p.settings.cap) for p in (candidate, old) if p is not None]
        counts = Counts.empty(arms)
        for _batch, chunk in arrow_frames(batches):
            counts.merge(
                count_records(
                    chunk.to_dict("records"),  # type: ignore[arg-type]
                    policy=candidate,
                    model=scorer,
                    on=on,
                    baseline=old,
                    outcome=outcome,
                )
            )
        yield pa.RecordBatch.from_pydict({"counts": [json.dumps(counts.state())]})

    with told_as_thinfile("--data", data):
        parts = frame.mapInArrow(count_partition, "counts string").toArrow()
    arms = [(p.version, p.settings.cap) for p in (policy, baseline) if p is not None]
    counts = Counts.empty(arms)
    for text in parts.column("counts").to_pylist():
        counts.merge(Counts.from_state(json.loads(text)))
    return report_from_counts(
        counts, policy=policy, model_version=model.version, share=min_segment_share
    )
