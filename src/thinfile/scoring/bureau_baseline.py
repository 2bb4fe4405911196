"""The bureau-only baseline (仅用征信的基准模型): what a lender without alternative data scores.

A logistic regression on the credit-bureau fields alone — months of bureau history, bureau
records and delinquencies in the last 24 months (:data:`BUREAU_FIELDS`) — fitted when a model
is trained, on all its training rows, and kept beside the model as plain JSON in its
evaluation (``evaluation["bureau_baseline"]``, :data:`EVALUATION_KEY`)::

    {"version": "bureau-baseline/1", "features": [...], "means": [...], "scales": [...],
     "coefficients": [...], "intercept": -3.1, "rows": 16000}

Each field is standardised, ``(x − mean) ÷ scale`` (``scale`` the training standard
deviation, 1 for a constant field), and ``PD_bureau = sigmoid(intercept + Σ coefficient ×
standardised)``. The bureau score is ``round(1000 × (1 − PD_bureau))`` (half to even), higher
is better: the ``bureau_score`` the inclusion measure (:mod:`thinfile.portfolio.inclusion`)
compares the model's approvals against. A field left out of an application counts as 0: no
bureau report is a 征信白户, with no history, records or delinquencies.

The baseline is data, never code: :func:`bureau_baseline_of` reads it back, checks its
``version`` and every field, and raises :class:`~thinfile.errors.DataContractError` naming
the field that is wrong. No pickle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from thinfile.errors import DataContractError
from thinfile.scoring.calibration import sigmoid

__all__ = [
    "BUREAU_FIELDS",
    "EVALUATION_KEY",
    "VERSION",
    "BureauBaseline",
    "bureau_baseline_of",
    "fit_bureau_baseline",
    "has_bureau_fields",
]

BUREAU_FIELDS: tuple[str, ...] = (
    "bureau_history_months",
    "bureau_records",
    "bureau_delinquencies_24m",
)
"""The bureau report's fields, as the applicant table (``thinfile.sim``) and an application
(``thinfile.decisioning.application``) name them."""
VERSION = "bureau-baseline/1"
EVALUATION_KEY = "bureau_baseline"
"""Where the baseline sits in a model's evaluation (``evaluation.json``)."""
_REMEDY = "retrain the model (thinfile model train) to store a new bureau baseline"


@dataclass(frozen=True, slots=True)
class BureauBaseline:
    """A fitted bureau-only logistic regression: per feature its training mean, scale and
    coefficient (on the standardised feature), and the intercept."""

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    rows: int

    def bureau_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """The bureau-only PD of each row of ``frame`` (which holds the features)."""
        standardised = (_design(frame, self.features) - np.array(self.means)) / np.array(
            self.scales
        )
        logit = self.intercept + standardised @ np.array(self.coefficients)
        return sigmoid(logit)

    def scores(self, frame: pd.DataFrame) -> pd.Series:
        """``bureau_score`` = round(1000 × (1 − PD_bureau)) per row, on ``frame``'s index."""
        points = np.rint(1000.0 * (1.0 - self.bureau_pd(frame))).astype(np.int64)
        return pd.Series(points, index=frame.index, name="bureau_score")

    def as_dict(self) -> dict[str, object]:
        """The JSON form stored in the model's evaluation."""
        return {
            "version": VERSION,
            "features": list(self.features),
            "means": list(self.means),
            "scales": list(self.scales),
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: object) -> BureauBaseline:
        """The baseline of its JSON form, every field checked (``DataContractError``)."""
        if not isinstance(data, Mapping):
            raise _malformed("", data, "is not a JSON object")
        if data.get("version") != VERSION:
            raise DataContractError(
                f"unsupported bureau baseline version, expected {VERSION}",
                field=f"{EVALUATION_KEY}.version",
                value=data.get("version"),
                remedy=_REMEDY,
            )
        features = data.get("features")
        if (
            not isinstance(features, list)
            or not features
            or not all(isinstance(f, str) and f for f in features)
        ):
            raise _malformed("features", features, "is not a list of feature names")
        width = len(features)
        means = _numbers(data, "means", width)
        scales = _numbers(data, "scales", width)
        if any(s <= 0 for s in scales):
            raise _malformed("scales", data.get("scales"), "holds a scale that is not positive")
        rows = data.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            raise _malformed("rows", rows, "is not a positive count of training rows")
        return cls(
            features=tuple(features),
            means=means,
            scales=scales,
            coefficients=_numbers(data, "coefficients", width),
            intercept=_number("intercept", data.get("intercept")),
            rows=rows,
        )


def has_bureau_fields(frame: pd.DataFrame) -> bool:
    """True when ``frame`` holds every bureau field as numbers (a baseline can be fitted)."""
    return all(
        name in frame.columns and pd.api.types.is_numeric_dtype(frame[name])
        for name in BUREAU_FIELDS
    )


def fit_bureau_baseline(
    frame: pd.DataFrame, y: np.ndarray, *, features: Sequence[str] = BUREAU_FIELDS
) -> BureauBaseline:
    """Fit the baseline on every row of ``frame`` against the outcome ``y`` (1 = bad)."""
    x = _design(frame, tuple(features))
    outcome = np.asarray(y, dtype=np.int64)
    if len(outcome) != len(x) or len(np.unique(outcome)) != 2:
        raise DataContractError(
            "the bureau baseline needs one outcome per row, both goods and bads",
            field="y",
            value=len(outcome),
            remedy="train on a table with both outcomes",
        )
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    regression = LogisticRegression(C=1.0, max_iter=1000)
    regression.fit((x - means) / scales, outcome)
    return BureauBaseline(
        features=tuple(features),
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        coefficients=tuple(float(v) for v in regression.coef_[0]),
        intercept=float(regression.intercept_[0]),
        rows=len(outcome),
    )


def bureau_baseline_of(evaluation: Mapping[str, object] | None) -> BureauBaseline | None:
    """The baseline stored in a model's ``evaluation``; None when the model has none (it was
    trained before baselines were stored, or on a table without the bureau fields)."""
    if not evaluation or evaluation.get(EVALUATION_KEY) is None:
        return None
    return BureauBaseline.from_dict(evaluation[EVALUATION_KEY])


def _design(frame: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """The features as a float matrix; a missing value is 0 (no bureau report)."""
    columns = []
    for name in features:
        if name not in frame.columns:
            raise DataContractError(
                "the table lacks a bureau field", field=name, remedy="pass every bureau field"
            )
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() & frame[name].notna()
        if bad.any():
            raise DataContractError(
                "a bureau field must be a number",
                field=name,
                value=frame.loc[bad, name].iloc[0],
                remedy="give months and counts as whole numbers",
            )
        columns.append(values.fillna(0).to_numpy(dtype=np.float64))
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def _malformed(field: str, value: object, problem: str) -> DataContractError:
    where = f"{EVALUATION_KEY}.{field}" if field else EVALUATION_KEY
    return DataContractError(
        f"the bureau baseline {problem}", field=where, value=value, remedy=_REMEDY
    )


def _number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _malformed(field, value, "holds a value that is not a finite number")
    return float(value)


def _numbers(data: Mapping[str, object], field: str, width: int) -> tuple[float, ...]:
    values = data.get(field)
    if not isinstance(values, list) or len(values) != width:
        raise _malformed(field, values, f"is not a list of {width} numbers, one per feature")
    return tuple(_number(field, v) for v in values)
