"""Turning a table, or one applicant's record, into the numeric matrix every model reads.

Numeric columns stay as floats (missing = NaN), booleans become 0/1, and categories become
their index in the training categories: NaN when missing, ``UNKNOWN`` (-1) when the category
was never seen in training. The same encoding serves training, batch and single scoring, so
the three can never disagree: a given entry of a number or boolean is read by one function
(:func:`read_entry`; a table applies it to each distinct value of a column that is not plain
numbers) and every encoded matrix, a table's or one record's, is checked by one function
(:func:`check_entries`): an entry that is not a number, is infinite, or is a boolean other
than 0/1 is refused with a :class:`~thinfile.errors.DataContractError` naming the column.

A record that leaves a key out, or gives None, has that input missing (the API sends absent
fields so); a table must have every column (:meth:`InputSchema.check_columns`).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring.contract import ColumnRole, ColumnSpec, InputSchema

__all__ = ["UNKNOWN", "EntryRules", "RecordEncoder", "check_entries", "encode_frame", "read_entry"]

UNKNOWN = -1.0
_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0"}
_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
"""Text that reads as a number: decimal digits, a point, an exponent (no ``nan``, ``inf``)."""

_PLAIN = (float, int, bool)
"""Types read as numbers without a further look (the usual case, first)."""

Example = Callable[[int, int], object]
"""The raw entry at (row, input), for the message of a refused one."""


def _is_missing(raw: object) -> bool:
    """None, NaN or pandas' NA: an entry that was not given."""
    if raw is None or raw is pd.NA:
        return True
    return isinstance(raw, float | np.floating) and math.isnan(raw)


def read_entry(raw: object, role: ColumnRole) -> float:
    """A given entry of a number or boolean input as a float; NaN when it is not one (the
    check then refuses it). Text is read as true/false for a boolean, as a decimal number
    otherwise."""
    if type(raw) in _PLAIN:
        return float(raw)  # type: ignore[arg-type]
    if isinstance(raw, str):
        if role is ColumnRole.BOOLEAN:
            text = raw.strip().lower()
            return 1.0 if text in _TRUE else 0.0 if text in _FALSE else math.nan
        return float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if isinstance(raw, numbers.Real | Decimal | np.bool_):
        return float(raw)
    return math.nan


@dataclass(frozen=True, slots=True)
class EntryRules:
    """A schema's inputs as :func:`check_entries` reads them: the numbers and booleans."""

    features: tuple[ColumnSpec, ...]
    numbers: np.ndarray  # positions of the number and boolean inputs
    booleans: np.ndarray  # which of those are booleans

    @classmethod
    def of(cls, schema: InputSchema) -> EntryRules:
        features = schema.features
        kinds = [(j, s.role) for j, s in enumerate(features) if s.role in _NUMBER_ROLES]
        return cls(
            features,
            np.array([j for j, _ in kinds], dtype=np.intp),
            np.array([role is ColumnRole.BOOLEAN for _, role in kinds], dtype=bool),
        )


_NUMBER_ROLES = (ColumnRole.NUMERIC, ColumnRole.BOOLEAN)


def encode_frame(frame: pd.DataFrame, schema: InputSchema) -> np.ndarray:
    """The feature matrix (rows × features, float64, C order) of ``frame``."""
    schema.check_columns(frame)
    rules = EntryRules.of(schema)
    features = schema.features
    plain = [j for j, s in enumerate(features) if _is_plain_number(frame[s.name], s)]
    block = frame[[features[j].name for j in plain]].to_numpy(dtype=np.float64, na_value=np.nan)

    def example(i: int, j: int) -> object:
        return frame[features[j].name].iloc[i]

    if len(plain) == len(features):  # all numeric: one pandas call, no per-column copies
        out = np.ascontiguousarray(block)
        check_entries(out, None, rules, example)
        return out
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    out[:, plain] = block
    given = np.zeros(out.shape, dtype=bool)
    for j, spec in enumerate(features):
        if j not in plain:
            out[:, j] = _encode_column(frame[spec.name], spec)
            given[:, j] = frame[spec.name].notna().to_numpy()
        else:
            given[:, j] = ~np.isnan(out[:, j])
    check_entries(out, given, rules, example)
    return out


def _is_plain_number(col: pd.Series, spec: ColumnSpec) -> bool:
    return (
        spec.role is ColumnRole.NUMERIC
        and pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
    )


def _encode_column(col: pd.Series, spec: ColumnSpec) -> np.ndarray:
    if spec.role is ColumnRole.CATEGORICAL:
        return _encode_categories(col, spec.categories)
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        seen, distinct = pd.factorize(col)  # each distinct entry read once; missing is -1
    except TypeError:  # an entry that cannot be hashed (a list): read each one
        return np.array([math.nan if _is_missing(v) else read_entry(v, spec.role) for v in col])
    read = np.fromiter((read_entry(v, spec.role) for v in distinct), np.float64, len(distinct))
    return np.append(read, np.nan)[seen]


def _encode_categories(col: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    if isinstance(col.dtype, pd.StringDtype):  # text: look up each distinct value once
        seen, distinct = pd.factorize(col)
        found = pd.Index(list(categories)).get_indexer(distinct).astype(np.float64)
        return np.append(found, np.nan)[seen]  # -1 (missing) picks the appended NaN
    missing = col.isna().to_numpy()
    labels = col.astype(object).where(~missing, "").map(str)
    codes = pd.Index(list(categories)).get_indexer(pd.Index(labels)).astype(np.float64)
    codes[missing] = np.nan
    return codes


def check_entries(
    x: np.ndarray, given: np.ndarray | None, rules: EntryRules, example: Example
) -> None:
    """Refuse an encoded matrix (a table's, or one record's as one row) with an entry of a
    number or boolean that was given but could not be read (``given``: rows × inputs, the
    entries that were not missing; None when every NaN is a missing entry), that is
    infinite, or a boolean other than 0 and 1. The error names the first such input."""
    cols = rules.numbers
    if not cols.size:
        return
    values = x[:, cols]
    bad = np.isinf(values)
    if given is not None:
        bad |= given[:, cols] & np.isnan(values)
    if rules.booleans.any():
        bad |= rules.booleans & (values != 0.0) & (values != 1.0) & ~np.isnan(values)
    if bad.any():
        k = int(np.argmax(bad.any(axis=0)))
        j = int(cols[k])
        _refuse(rules.features[j], values[:, k], bad[:, k], j, example)


def _refuse(
    spec: ColumnSpec, values: np.ndarray, bad: np.ndarray, j: int, example: Example
) -> None:
    rows = np.flatnonzero(bad)
    raw = example(int(rows[0]), j)
    if spec.role is ColumnRole.BOOLEAN:
        raise DataContractError(
            f"{len(rows)} value(s) are not true/false",
            field=spec.name,
            value=raw,
            remedy="use true/false or 1/0, or leave the value out",
        )
    if np.isinf(values[rows]).any():
        raise DataContractError(
            f"{len(rows)} value(s) are infinite",
            field=spec.name,
            value=str(raw),
            remedy="send a finite number or leave the value out",
        )
    raise DataContractError(
        f"{len(rows)} value(s) are not numbers",
        field=spec.name,
        value=raw,
        remedy="send a number (digits, a point) or leave the value out",
    )


class RecordEncoder:
    """Encodes one applicant's record (a mapping) without pandas: the online path."""

    def __init__(self, schema: InputSchema) -> None:
        self.schema = schema
        self._rules = EntryRules.of(schema)
        self._plan = tuple(
            (spec.name, spec.role, {c: float(i) for i, c in enumerate(spec.categories)})
            for spec in schema.features
        )

    def encode(self, record: Mapping[str, object]) -> list[float]:
        raws = [record.get(name) for name, _, _ in self._plan]
        given = [not _is_missing(raw) for raw in raws]
        row = [
            self._value(raw, role, codes) if known else math.nan
            for raw, known, (_, role, codes) in zip(raws, given, self._plan, strict=True)
        ]
        check_entries(np.array([row]), np.array([given]), self._rules, lambda _, j: raws[j])
        return row

    @staticmethod
    def _value(raw: object, role: ColumnRole, codes: Mapping[str, float]) -> float:
        if role is ColumnRole.CATEGORICAL:
            return codes.get(str(raw), UNKNOWN)
        return read_entry(raw, role)
