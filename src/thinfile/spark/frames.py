"""Reading and writing Parquet with Spark, the Arrow-to-pandas step of every job, and the
errors a job meets told as thinfile's own.

An error thinfile raises in a Python worker (a value the data contract refuses) reaches the
driver inside Spark's ``PythonException``, as text: :func:`carrying_errors` writes it there as
one marked JSON line, and :func:`told_as_thinfile` raises it again, typed, on the driver. Any
other failure of a job (a file that is not Parquet, a type Spark cannot read) becomes a
:class:`~thinfile.errors.DataContractError` naming the input, with Spark's first line.

A Parquet output is written beside its target and moved there only when the job succeeded,
so a failed run leaves the earlier output as it was; the target must be new, empty, or an
earlier Spark Parquet output, and never an input of the run (:func:`write_parquet`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from thinfile import errors
from thinfile.errors import DataContractError, InvalidInputError, ThinfileError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "arrow_frames",
    "carrying_errors",
    "read_parquet",
    "told_as_thinfile",
    "write_parquet",
]

_MARK = "thinfile-error:"
_CARRIED = re.compile(re.escape(_MARK) + r"(\{.*?\}):" + re.escape(_MARK[:-1]))
_SPARK_OUTPUT = re.compile(r"^(_SUCCESS|\._SUCCESS\.crc|\.?part-[^/]*)$")
"""The names a Spark Parquet folder holds: its part files, their checksums, ``_SUCCESS``."""


def read_parquet(spark: SparkSession, uri: str, *, field: str) -> DataFrame:
    """The Parquet file or folder at ``uri`` (a path or any Hadoop-compatible URI)."""
    with told_as_thinfile(field, uri):
        return spark.read.parquet(uri)


def arrow_frames(
    batches: Iterator[pa.RecordBatch],
) -> Iterator[tuple[pa.RecordBatch, pd.DataFrame]]:
    """Each Arrow batch with its pandas frame, converted by PyArrow as the local reader does
    (``thinfile.scoring.tables.iter_table``)."""
    for batch in batches:
        yield batch, batch.to_pandas()


Job = Callable[[Iterator[Any]], Iterator[Any]]


def carrying_errors(job: Job) -> Job:
    """``job`` (a function a worker runs over its batches) with the errors thinfile raises
    in it carried to the driver (:func:`told_as_thinfile`)."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from job(batches)
        except ThinfileError as exc:
            state = {
                "kind": type(exc).__name__,
                "message": exc.message,
                "field": exc.field,
                "value": None if exc.value is None else str(exc.value)[:200],
                "remedy": exc.remedy,
            }
            raise RuntimeError(f"{_MARK}{json.dumps(state)}:{_MARK[:-1]}") from None

    return run


def _carried(text: str) -> ThinfileError | None:
    found = _CARRIED.search(text)
    if found is None:
        return None
    state = json.loads(found.group(1))
    kind = getattr(errors, str(state["kind"]), None)
    if not (isinstance(kind, type) and issubclass(kind, ThinfileError)):
        kind = DataContractError
    error = kind.__new__(kind)
    ThinfileError.__init__(
        error,
        state["message"],
        field=state["field"],
        value=state["value"],
        remedy=state["remedy"],
    )
    return error


_JAVA_CLASS = re.compile(r"^[\w.$]+(Exception|Error): ")


def _first_line(exc: BaseException) -> str:
    """The first line of Spark's account that says something (not py4j's call site), without
    the Java exception's class."""
    for line in str(exc).splitlines():
        said = line.strip().lstrip(":").strip()
        if said and not said.startswith("An error occurred while calling"):
            return _JAVA_CLASS.sub("", said)[:200]
    return type(exc).__name__


@contextmanager
def told_as_thinfile(field: str, value: str) -> Iterator[None]:
    """Run a Spark job, its failures raised as thinfile's errors (see the module's notes);
    ``field`` and ``value`` name the input a failure is blamed on."""
    try:
        yield
    except ThinfileError:
        raise
    except Exception as exc:
        carried = _carried(str(exc))
        if carried is not None:
            raise carried from None
        if not _from_spark(exc):
            raise
        raise DataContractError(
            f"Spark cannot read it as Parquet ({_first_line(exc)})",
            field=field,
            value=value,
            remedy="give a Parquet file or folder (timestamps in microseconds, as pandas "
            "writes them with coerce_timestamps='us'), a local path or a URI such as s3a://…",
        ) from None


def _from_spark(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("pyspark", "py4j"))


def write_parquet(
    frame: DataFrame, uri: str, *, field: str = "--out", source: tuple[str, str] | None = None
) -> None:
    """Write ``frame`` as a Parquet folder at ``uri``, replacing an earlier Spark output there
    once the job has succeeded; ``source`` is the run's input (its option and path), which
    ``uri`` may not be, hold or lie in, and which a failure to read is blamed on."""
    spark = frame.sparkSession
    target = _HadoopPath(spark, uri)
    if source is not None:
        _refuse_overlap(target, _HadoopPath(spark, source[1]), field, uri)
    _refuse_foreign(target, field, uri)
    staging = _HadoopPath(spark, f"{target.parent}/.{target.name}.writing-{uuid.uuid4().hex}")
    try:
        with told_as_thinfile(*(source or (field, uri))):
            frame.write.mode("errorifexists").parquet(staging.uri)
        if target.exists():
            target.delete()
        staging.rename(target)
    finally:
        if staging.exists():
            staging.delete()


class _HadoopPath:
    """A path on the file system Hadoop reads ``uri`` from (local, HDFS, S3 …)."""

    def __init__(self, spark: SparkSession, uri: str) -> None:
        jvm = spark._jvm
        assert jvm is not None
        path = jvm.org.apache.hadoop.fs.Path(uri)
        self._fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
        self._path = self._fs.makeQualified(path)
        self.uri = str(self._path.toString())
        self.name = str(self._path.getName())
        parent = self._path.getParent()
        self.parent = self.uri if parent is None else str(parent.toString())

    def exists(self) -> bool:
        return bool(self._fs.exists(self._path))

    def is_folder(self) -> bool:
        return bool(self._fs.getFileStatus(self._path).isDirectory())

    def names(self) -> list[str]:
        return [str(s.getPath().getName()) for s in self._fs.listStatus(self._path)]

    def delete(self) -> None:
        self._fs.delete(self._path, True)

    def rename(self, to: _HadoopPath) -> None:
        if not self._fs.rename(self._path, to._path):
            raise InvalidInputError(
                "the output could not be moved into place",
                field="--out",
                value=to.uri,
                remedy="check the folder's permissions and that nothing else writes there",
            )


def _inside(inner: str, outer: str) -> bool:
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def _refuse_overlap(target: _HadoopPath, source: _HadoopPath, field: str, uri: str) -> None:
    if _inside(target.uri, source.uri) or _inside(source.uri, target.uri):
        raise InvalidInputError(
            "the output would overwrite the data it is made from",
            field=field,
            value=uri,
            remedy="write the output to a new folder, outside the input's",
        )


def _refuse_foreign(target: _HadoopPath, field: str, uri: str) -> None:
    """Only a new path, an empty folder or an earlier Spark Parquet output is replaced."""
    if not target.exists():
        return
    if not target.is_folder():
        raise InvalidInputError(
            "Spark writes a folder of Parquet files and this is a file",
            field=field,
            value=uri,
            remedy="name a new folder (or one an earlier run of this command wrote)",
        )
    foreign = [name for name in target.names() if not _SPARK_OUTPUT.match(name)]
    if foreign:
        raise InvalidInputError(
            f"the folder holds files this command did not write ({', '.join(sorted(foreign)[:3])})"
            " and replacing its output would delete them",
            field=field,
            value=uri,
            remedy="name a new folder, or empty this one first",
        )
