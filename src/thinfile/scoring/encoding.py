"""Turning a table, or one applicant's record, into the numeric matrix every model reads.

Numeric columns stay as floats (missing = NaN), booleans become 0/1, and categories become
their index in the training categories: NaN when missing, ``UNKNOWN`` (-1) when the category
was never seen in training. The same encoding serves training, batch and single scoring, so
the three can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring.contract import ColumnRole, ColumnSpec, InputSchema

__all__ = ["UNKNOWN", "RecordEncoder", "encode_frame"]

UNKNOWN = -1.0
_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0"}


def encode_frame(frame: pd.DataFrame, schema: InputSchema) -> np.ndarray:
    """The feature matrix (rows × features, float64, C order) of ``frame``."""
    schema.check_columns(frame)
    features = schema.features
    plain = [j for j, s in enumerate(features) if _is_plain_number(frame[s.name], s)]
    block = frame[[features[j].name for j in plain]].to_numpy(dtype=np.float64, na_value=np.nan)
    if len(plain) == len(features):  # all numeric: one pandas call, no per-column copies
        return np.ascontiguousarray(block)
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    out[:, plain] = block
    for j, spec in enumerate(features):
        if j not in plain:
            out[:, j] = _encode_column(frame[spec.name], spec)
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
    if spec.role is ColumnRole.BOOLEAN:
        return _encode_booleans(col, spec.name)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(col, errors="coerce")
    bad = converted.isna() & col.notna()
    if bad.any():
        raise DataContractError(
            f"{int(bad.sum())} value(s) are not numbers",
            field=spec.name,
            value=col[bad].iloc[0],
            remedy="fix or blank those values",
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


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


def _encode_booleans(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        values = col.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isin(values[~np.isnan(values)], (0.0, 1.0), invert=True).any():
            raise DataContractError("boolean column has values other than 0/1", field=name)
        return values
    text = col.astype(str).str.strip().str.lower()
    out = np.full(len(col), np.nan)
    out[text.isin(_TRUE).to_numpy()] = 1.0
    out[text.isin(_FALSE).to_numpy()] = 0.0
    bad = np.isnan(out) & col.notna().to_numpy()
    if bad.any():
        raise DataContractError(
            "not a true/false value",
            field=name,
            value=col[bad].iloc[0],
            remedy="use true/false or 1/0",
        )
    return out


class RecordEncoder:
    """Encodes one applicant's record (a mapping) without pandas: the online path."""

    def __init__(self, schema: InputSchema) -> None:
        self.schema = schema
        self._plan = tuple(
            (spec.name, spec.role, {c: float(i) for i, c in enumerate(spec.categories)})
            for spec in schema.features
        )

    def encode(self, record: Mapping[str, object]) -> list[float]:
        return [
            self._value(record.get(name), name, role, codes) for name, role, codes in self._plan
        ]

    @staticmethod
    def _value(raw: object, name: str, role: ColumnRole, codes: Mapping[str, float]) -> float:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return math.nan
        if role is ColumnRole.CATEGORICAL:
            return codes.get(str(raw), UNKNOWN)
        if role is ColumnRole.BOOLEAN and isinstance(raw, str):
            text = raw.strip().lower()
            if text in _TRUE:
                return 1.0
            if text in _FALSE:
                return 0.0
            raise DataContractError("not a true/false value", field=name, value=raw)
        if isinstance(raw, bool | int | float | np.number):
            return float(raw)
        if isinstance(raw, str):
            try:
                return float(raw) if raw.strip() else math.nan
            except ValueError:
                pass
        raise DataContractError(
            "not a number", field=name, value=raw, remedy="send a number or leave it out"
        )
