"""Input for a policy simulation from the console: a small synthetic file, or an uploaded CSV.

The synthetic file comes from :func:`thinfile.sim.generate_applicants` (money in fen, as the
simulator reads it). An uploaded CSV must use the same column names. The cells of a text or date
field (an ID number, a phone, a birth date: :data:`TEXT_COLUMNS`) stay text, even when they are
all digits; the other cells are read as whole numbers, decimals and true/false where they look
like one. A row without an ``applicant_id`` is named by its number (``row-1``), as in the API.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from collections.abc import Mapping
from datetime import date

from thinfile.decisioning.application import FIELD_TYPES
from thinfile.errors import InvalidInputError

__all__ = ["MAX_ROWS", "csv_records", "synthetic_records"]

MAX_ROWS = 5_000
TEXT_COLUMNS = frozenset(name for name, kind in FIELD_TYPES.items() if kind in (str, date))
"""The columns read as text: an ID number or a phone of digits only is still text."""


def synthetic_records(n: int, *, seed: int) -> list[Mapping[str, object]]:
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInputError(f"choose from 1 to {MAX_ROWS} applicants", field="rows", value=n)
    try:
        sim = importlib.import_module("thinfile.sim")
    except ImportError:  # pragma: no cover - thinfile.sim ships with thinfile
        raise InvalidInputError(
            "no synthetic population is available here",
            field="rows",
            remedy="upload a CSV of past applications instead",
        ) from None
    frame = sim.generate_applicants(n, seed=seed)
    records: list[Mapping[str, object]] = frame.to_dict("records")
    return records


def _cell(column: str, text: str) -> object:
    value = text.strip()
    if value == "":
        return None
    if column in TEXT_COLUMNS:
        return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    if re.fullmatch(r"-?[0-9]*\.[0-9]+", value):
        return float(value)
    return value


def csv_records(data: bytes) -> list[Mapping[str, object]]:
    """Rows of an uploaded CSV (UTF-8, header row), at most :data:`MAX_ROWS`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError("the file is not UTF-8 text", field="file") from None
    rows: list[Mapping[str, object]] = [
        {"applicant_id": f"row-{n}"} | {k: _cell(k, v or "") for k, v in row.items() if k}
        for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=1)
    ]
    if not rows or len(rows) > MAX_ROWS:
        raise InvalidInputError(
            f"the file needs 1 to {MAX_ROWS} rows", field="file", value=len(rows)
        )
    return rows
