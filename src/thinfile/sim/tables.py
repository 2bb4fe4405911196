"""Reading and writing simulated tables as CSV or Parquet, chosen by the file suffix.

Parquet keeps every type; CSV is read back with the documented types (money as integer fen,
text columns as text, ``birth_date`` as a date).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from thinfile.errors import InvalidInputError

__all__ = ["SUFFIXES", "read_table", "table_format", "write_table"]

SUFFIXES = (".csv", ".parquet")
_TEXT_COLUMNS = (
    "applicant_id",
    "loan_id",
    "name",
    "id_number",
    "phone",
    "gender",
    "city",
    "hukou_province",
    "segment",
    "purpose",
    "status",
)
_DATE_COLUMNS = ("birth_date",)


def table_format(path: Path, *, field: str = "path") -> str:
    """``"csv"`` or ``"parquet"`` from the suffix, or an error naming ``field``."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInputError(
            f"{path.name!r} is neither .csv nor .parquet",
            field=field,
            value=str(path),
            remedy="name the file with a .csv or .parquet suffix",
        )
    return suffix[1:]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` (CSV in UTF-8, or Parquet), without the index."""
    if table_format(path) == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")


def read_table(path: Path, *, field: str = "path") -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    kind = table_format(path, field=field)
    if not path.is_file():
        raise InvalidInputError(f"{str(path)!r} does not exist", field=field, value=str(path))
    if kind == "parquet":
        return pd.read_parquet(path)
    header = pd.read_csv(path, nrows=0).columns
    frame = pd.read_csv(
        path, dtype={c: "str" for c in _TEXT_COLUMNS if c in header}, encoding="utf-8"
    )
    for column in _DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d").astype("datetime64[s]")
    return frame
