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
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
