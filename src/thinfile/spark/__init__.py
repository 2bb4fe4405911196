"""The batch jobs on Apache Spark, with the answers of the single-machine path.

Scoring a book, simulating a policy, the portfolio report and synthetic populations run on a
Spark cluster (or Spark's local mode) when a command is given ``--engine spark``. Each job
calls the same domain functions as the single-machine path, inside Spark's partitions:
rows arrive as Arrow batches and are turned into pandas frames exactly as the local reader
turns a Parquet file's batches, so the numbers are identical. PySpark is optional
(``pip install 'thinfile[spark]'``) and imported only when a Spark job runs.

This package sits beside ``thinfile.cli``: it uses the domain and services, and nothing
below it imports it.
"""

from __future__ import annotations

from thinfile.spark.session import SparkSettings, spark_session

__all__ = ["SparkSettings", "spark_session"]
