"""From raw log-odds to a calibrated PD and to score points.

- :class:`PlattCalibrator` maps a model's raw log-odds to a calibrated PD (概率校准), fitted on
  rows the model did not train on.
- :class:`ScoreScale` turns a PD into points: ``base_score`` at good:bad odds ``base_odds``,
  and every ``pdo`` points the odds double (points to double the odds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["PlattCalibrator", "ScoreScale", "sigmoid"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))
    return out


class PlattCalibrator:
    """``pd = sigmoid(slope * z + shift)``, fitted by Newton's method on log-loss."""

    def __init__(self, *, ridge: float = 1e-6) -> None:
        self.ridge = ridge

    def fit(self, z: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        design = np.column_stack([z, np.ones_like(z)])
        params = np.array([1.0, 0.0])
        for _ in range(50):
            p = sigmoid(design @ params)
            grad = design.T @ (p - y)
            hess = (design * (p * (1 - p))[:, None]).T @ design + self.ridge * np.eye(2)
            step = np.linalg.solve(hess, grad)
            params -= step
            if float(np.abs(step).max()) < 1e-10:
                break
        self.slope_, self.shift_ = float(params[0]), float(params[1])
        return self

    def logit(self, z: np.ndarray) -> np.ndarray:
        return self.slope_ * z + self.shift_

    def logit_one(self, z: float) -> float:
        return self.slope_ * z + self.shift_

    def as_dict(self) -> dict[str, float]:
        return {"slope": self.slope_, "shift": self.shift_}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> PlattCalibrator:
        cal = cls()
        cal.slope_, cal.shift_ = float(str(d["slope"])), float(str(d["shift"]))
        return cal


@dataclass(frozen=True, slots=True)
class ScoreScale:
    """Points scaling: ``score = offset - factor * ln(bad odds)``, ``factor = pdo / ln 2``."""

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score(self, logit: np.ndarray) -> np.ndarray:
        """Integer scores for bad log-odds."""
        return np.rint(self.offset - self.factor * logit).astype(np.int64)

    def score_one(self, logit: float) -> int:
        return round(self.offset - self.factor * logit)

    def attribute_points(self, part: float, intercept: float, n_features: int) -> float:
        """Points of one scorecard attribute whose log-odds share is ``part``."""
        return round((self.offset - self.factor * intercept) / n_features - self.factor * part, 1)

    def as_dict(self) -> dict[str, float]:
        return {"base_score": self.base_score, "base_odds": self.base_odds, "pdo": self.pdo}

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> ScoreScale:
        return cls(float(str(d["base_score"])), float(str(d["base_odds"])), float(str(d["pdo"])))
