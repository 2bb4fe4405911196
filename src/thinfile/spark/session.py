"""One Spark session, started with the settings that matter on the project's machines.

- ``PYSPARK_PYTHON`` (and ``PYSPARK_DRIVER_PYTHON``) point at this interpreter unless already
  set, so executors import the same thinfile, pandas and PyArrow as the driver.
- ``SPARK_LOCAL_IP`` defaults to 127.0.0.1: without it the JVM resolves the host name first,
  which on machines without reverse DNS makes the session start three times slower.
- PySpark warns (``FutureWarning``) that it does not yet fully support pandas 3, the version
  thinfile pins. The jobs here use only the Arrow exchange (``mapInArrow``, ``toArrow``) and
  convert Arrow to pandas with PyArrow itself, as the single-machine reader does, so that
  warning, and only it, is silenced where PySpark raises it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from thinfile.errors import InvalidInputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["DEFAULT_MASTER", "SparkSettings", "active_session", "spark_session"]

DEFAULT_MASTER = "local[*]"
PANDAS_WARNING = "PySpark does not yet fully support pandas"


@dataclass(frozen=True, slots=True)
class SparkSettings:
    """What a thinfile Spark session is started with."""

    master: str = DEFAULT_MASTER
    shuffle_partitions: int = 8
    arrow_batch_rows: int = 10_000
    app_name: str = "thinfile"
    log_level: str = "FATAL"
    """The driver's Spark log level: a job's failure is raised as a thinfile error
    (:func:`thinfile.spark.frames.told_as_thinfile`), so Spark's own account of it, a
    stack trace per failed task, is not printed beside it; "ERROR" or "WARN" to see it."""


def quiet_pandas_warning() -> None:
    """Silence PySpark's warning about pandas 3 (see the module's notes), nothing else."""
    warnings.filterwarnings(
        "ignore", message=PANDAS_WARNING, category=FutureWarning, module=r"pyspark\."
    )


def prepare_environment() -> None:
    """The interpreter and the loopback address, unless the environment already sets them."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def active_session() -> SparkSession | None:
    """The session already running in this process, if PySpark is installed and one is."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """The active Spark session, or a new one with ``settings``."""
    chosen = settings or SparkSettings()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInputError(
            "the Spark engine needs PySpark",
            field="--engine",
            value="spark",
            remedy="pip install 'thinfile[spark]'",
        ) from None
    if (
        chosen.master.startswith("local")
        and shutil.which("java") is None
        and not (os.environ.get("JAVA_HOME"))
    ):
        raise InvalidInputError(
            "Spark needs Java (17 or later) and none was found",
            field="--engine",
            value="spark",
            remedy="install a JRE (Debian: openjdk-17-jre-headless) or set JAVA_HOME",
        )
    _check_master(chosen.master)
    prepare_environment()
    quiet_pandas_warning()
    builder = (
        SparkSession.builder.master(chosen.master)
        .appName(chosen.app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(chosen.shuffle_partitions))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(chosen.arrow_batch_rows))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
    )
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM's refusal arrives as text, whatever its type
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        raise InvalidInputError(
            f"Spark did not start ({first[:200]})",
            field="--spark-master",
            value=chosen.master,
            remedy="check the master URL and that the cluster is reachable",
        ) from None
    session.sparkContext.setLogLevel(chosen.log_level)
    return session


_MASTER = re.compile(
    r"local(\[(\*|[1-9][0-9]*)(,\s*[1-9][0-9]*)?\])?"
    r"|local-cluster\[[1-9][0-9]*,\s*[1-9][0-9]*,\s*[1-9][0-9]*\]"
    r"|(spark|k8s|mesos)://\S+|yarn"
)


def _check_master(master: str) -> None:
    """A master URL Spark accepts, told before Java starts rather than in its stack trace."""
    if _MASTER.fullmatch(master) is None:
        raise InvalidInputError(
            "not a Spark master URL",
            field="--spark-master",
            value=master,
            remedy="use local[*], local[N] (N at least 1), spark://host:7077, k8s://… or yarn",
        )
