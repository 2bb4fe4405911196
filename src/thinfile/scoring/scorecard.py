"""The WoE scorecard (评分卡): optimal bins, logistic regression on WoE, points per attribute.

The inverse regularisation ``c`` is chosen by 5-fold cross-validation on small tables.
Features whose information value is below ``min_iv`` are left out (those far below it are not
even binned); a feature whose coefficient
comes out negative (its WoE pointing the wrong way once the others are known) is dropped and the
regression refitted, so every attribute's points move in the direction its default rate says.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from thinfile.scoring.binning import FeatureBins, fit_bins, recount
from thinfile.scoring.calibration import ScoreScale
from thinfile.scoring.contract import ColumnSpec

__all__ = ["Scorecard"]

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
CV_MAX_ROWS = 5_000  # above this, regularisation hardly matters: C = 1 (on HELOC's 5,857
#                     rows the 5-fold search cost more than the binning and chose 0.1)


class Scorecard:
    """A scikit-learn style estimator over the encoded feature matrix."""

    def __init__(
        self, specs: Sequence[ColumnSpec] = (), *, min_iv: float = 0.02, c: float | None = None
    ) -> None:
        self.specs = specs
        self.min_iv = min_iv
        self.c = c

    def fit(self, x: np.ndarray, y: np.ndarray) -> Scorecard:
        all_bins = fit_bins(x, y, self.specs, screen_below=self.min_iv / 2)
        self.iv_ = {b.name: b.iv for b in all_bins}
        chosen = [b for b in all_bins if b.iv >= self.min_iv] or [max(all_bins, key=_iv)]
        return self.fit_bins(chosen, x, y)

    def fit_bins(self, bins: Sequence[FeatureBins], x: np.ndarray, y: np.ndarray) -> Scorecard:
        """Fit the regression on given bins (no re-binning): used to refit on more rows."""
        chosen = list(bins)
        c = self.c
        while True:
            woe = np.column_stack([b.transform(x[:, b.index]) for b in chosen])
            coef, intercept, c = _logistic(woe, y, c)
            worst = int(np.argmin(coef))
            if coef[worst] >= 0 or len(chosen) == 1:
                break
            del chosen[worst]
        self.bins_ = tuple(chosen)
        self.c_ = c
        self.coef_ = coef
        self.intercept_ = intercept
        self.woe_means_ = woe.mean(axis=0)
        if not hasattr(self, "iv_"):
            self.iv_ = {b.name: b.iv for b in chosen}
        self._prepare()
        return self

    def recounted(self, x: np.ndarray, y: np.ndarray) -> Scorecard:
        """The same features and bins, WoE counted and the regression refitted on ``x``."""
        bins = [recount(b, x[:, b.index], y) for b in self.bins_]
        card = Scorecard(self.specs, min_iv=self.min_iv, c=self.c_)
        card.iv_ = {**self.iv_, **{b.name: b.iv for b in bins}}
        return card.fit_bins(bins, x, y)

    def _prepare(self) -> None:
        self._tables = [b.woe_table() * c for b, c in zip(self.bins_, self.coef_, strict=True)]
        self._means = [float(m * c) for m, c in zip(self.woe_means_, self.coef_, strict=True)]

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of bad for each row of the encoded matrix."""
        return self.logit_of_slots(self.slots(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contribution relative to the training average (rows × bins_)."""
        return self.contributions_of_slots(self.slots(x))

    def slots(self, x: np.ndarray) -> np.ndarray:
        """Rows × bins_: each input's bin in :meth:`FeatureBins.woe_table` order (the last slot
        of a table is an unknown category), found once for the score and its reasons."""
        out = np.empty((len(x), len(self.bins_)), dtype=np.intp, order="F")
        for k, b in enumerate(self.bins_):
            out[:, k] = b.bins(x[:, b.index])
        return out

    def logit_of_slots(self, slots: np.ndarray) -> np.ndarray:
        out = np.full(len(slots), self.intercept_)
        for k, table in enumerate(self._tables):
            out += table[slots[:, k]]
        return out

    def contributions_of_slots(
        self, slots: np.ndarray, out: np.ndarray | None = None, *, by_input: bool = False
    ) -> np.ndarray:
        """Contributions of the bins in ``slots``: rows × bins_, or with ``by_input`` into
        ``out``'s column of each bin's input (rows × the model's inputs)."""
        if out is None:
            out = np.empty(slots.shape)
        for k, (b, table, mean) in enumerate(
            zip(self.bins_, self._tables, self._means, strict=True)
        ):
            np.subtract(table[slots[:, k]], mean, out=out[:, b.index if by_input else k])
        return out

    def explain_one(self, row: Sequence[float]) -> tuple[float, list[float], list[int]]:
        """Log-odds, contributions and bin numbers for one encoded row, without numpy."""
        total = self.intercept_
        parts, slots = [], []
        for b, table, mean in zip(self.bins_, self._tables, self._means, strict=True):
            slot = b.bin_of(row[b.index])
            value = float(table[slot])
            total += value
            parts.append(value - mean)
            slots.append(slot)
        return total, parts, slots

    def points_table(
        self, scale: ScoreScale, categories: Mapping[str, Sequence[str]]
    ) -> list[dict[str, object]]:
        """Each attribute's points: the scorecard a credit officer reads."""
        k = len(self.bins_)
        rows: list[dict[str, object]] = []
        for b, coef in zip(self.bins_, self.coef_, strict=True):
            labels = b.labels(categories.get(b.name, ()))
            for label, woe, (n, bad) in zip(labels, b.woe_table(), b.counts, strict=False):
                rows.append(
                    {
                        "feature": b.name,
                        "bin": label,
                        "rows": n,
                        "bad_rate": bad / n if n else None,
                        "woe": float(woe),
                        "points": scale.attribute_points(float(coef * woe), self.intercept_, k),
                    }
                )
        return rows

    def as_dict(self) -> dict[str, object]:
        return {
            "min_iv": self.min_iv,
            "c": self.c_,
            "intercept": self.intercept_,
            "coef": [float(c) for c in self.coef_],
            "woe_means": [float(m) for m in self.woe_means_],
            "iv": self.iv_,
            "bins": [b.as_dict() for b in self.bins_],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> Scorecard:
        card = cls(min_iv=float(str(d["min_iv"])), c=float(str(d["c"])))
        card.c_ = float(str(d["c"]))
        card.bins_ = tuple(
            FeatureBins.from_dict(b) for b in _list(d["bins"]) if isinstance(b, dict)
        )
        card.coef_ = np.array(_list(d["coef"]), dtype=np.float64)
        card.woe_means_ = np.array(_list(d["woe_means"]), dtype=np.float64)
        card.intercept_ = float(str(d["intercept"]))
        iv = d["iv"]
        card.iv_ = {str(k): float(v) for k, v in iv.items()} if isinstance(iv, dict) else {}
        card._prepare()
        return card


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _iv(b: FeatureBins) -> float:
    return b.iv


def _logistic(woe: np.ndarray, y: np.ndarray, c: float | None) -> tuple[np.ndarray, float, float]:
    """Coefficients, intercept and the regularisation used (chosen by 5-fold CV if None)."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
        if c is None and len(y) <= CV_MAX_ROWS:
            cv = LogisticRegressionCV(
                Cs=list(C_GRID), cv=5, scoring="neg_log_loss", max_iter=1000
            ).fit(woe, y)
            c = float(cv.C_[0])
        c = 1.0 if c is None else c
        model = LogisticRegression(C=c, max_iter=1000).fit(woe, y)
    intercept = float(model.intercept_[0])
    if not math.isfinite(intercept):
        intercept = 0.0
    return model.coef_[0].astype(np.float64), intercept, c
