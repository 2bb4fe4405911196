"""``--engine local|spark`` and ``--spark-master`` of the batch commands."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from thinfile.cli.options import option_choice
from thinfile.errors import InvalidInputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["Engine", "EngineOption", "MasterOption", "choose_engine", "local_path", "spark"]


class Engine(enum.StrEnum):
    LOCAL = "local"
    SPARK = "spark"


EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local (this machine) or spark (Apache Spark; pip install 'thinfile[spark]').",
    ),
]
MasterOption = Annotated[
    str,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine spark: local[*], local[2], spark://host:7077, yarn.",
    ),
]


def choose_engine(text: str) -> Engine:
    return option_choice(text.strip().lower(), "--engine", Engine)


def local_path(text: str, option: str) -> Path:
    """``text`` as a local path: the local engine reads no URIs."""
    if "://" in text:
        raise InvalidInputError(
            "the local engine reads local files only",
            field=option,
            value=text,
            remedy="use --engine spark for a Hadoop-compatible URI",
        )
    return Path(text)


@contextmanager
def spark(master: str) -> Iterator[SparkSession]:
    """A Spark session on ``master``; stopped at the end unless it was already running."""
    from thinfile.spark import SparkSettings, spark_session
    from thinfile.spark.session import active_session

    running = active_session()
    session = spark_session(SparkSettings(master=master))
    try:
        yield session
    finally:
        if running is None:
            session.stop()
