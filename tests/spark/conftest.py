"""One Spark session (local mode) for every Spark test of a pytest process.

With ``pytest -n 2 --dist loadfile`` each worker is a process of its own, so there is one
session per worker that runs a Spark test file; the Spark tests live in one file so that only
one worker starts Java. In CI (``CI=true``) a missing Java or PySpark fails the run; outside
CI the Spark tests skip with the reason.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.environment import in_ci

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install -e '.[dev]')"
    if shutil.which("java") is None:
        return "Java is not installed (Debian: openjdk-17-jre-headless; make services does it)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    reason = _unavailable()
    if reason is not None:
        if in_ci():
            pytest.fail(f"the Spark tests must run in CI: {reason}")
        pytest.skip(reason)
    from thinfile.spark import SparkSettings, spark_session

    session = spark_session(
        SparkSettings(master="local[2]", shuffle_partitions=2, arrow_batch_rows=5_000)
    )
    yield session
    session.stop()
