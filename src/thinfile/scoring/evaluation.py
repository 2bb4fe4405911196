"""How good a model is on labelled data: discrimination, calibration, stability, fairness.

All figures take ``y`` (1 = bad) and the predicted PD. Higher AUC/KS/Gini rank bads above goods
better; Brier is the mean squared error of the PD; PSI compares two score distributions
(< 0.1 stable, 0.1-0.25 watch, > 0.25 shifted). Fairness compares approval rates between
groups of a protected attribute when the riskiest ``1 - approve_share`` are declined.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pandas import isna as pd_isna

__all__ = [
    "auc",
    "auc_difference_se",
    "calibration_by_decile",
    "group_metrics",
    "ks",
    "metrics",
    "psi",
    "roc_points",
    "score_distribution",
]


def auc(y: np.ndarray, pd: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half), from the ranks of the bads."""
    from scipy.stats import rankdata

    bad = np.asarray(y) == 1
    n_bad = int(bad.sum())
    n_good = len(bad) - n_bad
    if n_bad == 0 or n_good == 0:
        return float("nan")
    ranks = rankdata(np.asarray(pd, dtype=np.float64))
    return float((ranks[bad].sum() - n_bad * (n_bad + 1) / 2) / (n_bad * n_good))


def auc_difference_se(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Standard error of ``auc(y, a) - auc(y, b)`` on the same rows (DeLong et al., 1988).

    Each bad's share of goods ranked below it (and each good's share of bads above it) per
    model; the variance of the difference follows from their covariances across the two models.
    """
    from scipy.stats import rankdata

    bad = np.asarray(y) == 1
    n_bad, n_good = int(bad.sum()), int((~bad).sum())
    if n_bad < 2 or n_good < 2:
        return float("nan")
    per_bad, per_good = [], []
    for score in (np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)):
        ranks = rankdata(score)
        per_bad.append((ranks[bad] - rankdata(score[bad])) / n_good)
        per_good.append(1.0 - (ranks[~bad] - rankdata(score[~bad])) / n_bad)
    cov = np.cov(per_bad) / n_bad + np.cov(per_good) / n_good
    return float(np.sqrt(max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)))


def ks(y: np.ndarray, pd: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the bad and good cumulative shares."""
    from sklearn.metrics import roc_curve

    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, pd)
    return float(np.max(tpr - fpr))


def roc_points(y: np.ndarray, pd: np.ndarray, *, points: int = 101) -> list[list[float]]:
    """The ROC curve thinned to about ``points`` (false-positive rate, true-positive rate)."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, pd)
    grid = np.linspace(0.0, 1.0, points)
    return [[float(f), float(t)] for f, t in zip(grid, np.interp(grid, fpr, tpr), strict=True)]


def metrics(y: np.ndarray, pd: np.ndarray) -> dict[str, float | int]:
    """The headline figures: AUC, KS, Gini, Brier, rows and bad rate."""
    area = auc(y, pd)
    return {
        "auc": area,
        "ks": ks(y, pd),
        "gini": 2.0 * area - 1.0,
        "brier": float(np.mean((pd - y) ** 2)),
        "rows": len(y),
        "bad_rate": float(np.mean(y)) if len(y) else float("nan"),
    }


def calibration_by_decile(y: np.ndarray, pd: np.ndarray) -> list[dict[str, float | int]]:
    """Mean predicted PD against the observed bad rate, in ten PD-ordered groups."""
    order = np.argsort(pd, kind="stable")
    out: list[dict[str, float | int]] = []
    for k, part in enumerate(np.array_split(order, 10), start=1):
        if len(part):
            out.append(
                {
                    "decile": k,
                    "rows": len(part),
                    "mean_pd": float(pd[part].mean()),
                    "bad_rate": float(y[part].mean()),
                }
            )
    return out


def score_distribution(
    score: np.ndarray, y: np.ndarray | None = None, *, edges: Sequence[float] | None = None
) -> dict[str, list[float]]:
    """Counts (and bad rates) of scores in bands; ``edges`` default to 20-point bands."""
    if edges is None:
        lo = float(np.floor(score.min() / 20.0) * 20.0) if len(score) else 0.0
        hi = float(np.ceil((score.max() + 1) / 20.0) * 20.0) if len(score) else 20.0
        edges = list(np.arange(lo, hi + 20.0, 20.0))
    bands = np.clip(np.searchsorted(np.asarray(edges), score, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(bands, minlength=len(edges) - 1)
    out: dict[str, list[float]] = {
        "edges": [float(e) for e in edges],
        "counts": [float(c) for c in counts],
    }
    if y is not None:
        bads = np.bincount(bands, weights=y, minlength=len(edges) - 1)
        out["bad_rate"] = [
            float(b / c) if c else float("nan") for b, c in zip(bads, counts, strict=True)
        ]
    return out


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index between two distributions given as counts per band."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e = (e + 0.5) / (e.sum() + 0.5 * len(e))
    a = (a + 0.5) / (a.sum() + 0.5 * len(a))
    return float(np.sum((a - e) * np.log(a / e)))


def group_metrics(
    y: np.ndarray, pd: np.ndarray, groups: np.ndarray, *, approve_share: float = 0.6
) -> dict[str, object]:
    """Per-group rows, bad rate, AUC and approval rate; the lowest/highest approval ratio."""
    cutoff = float(np.quantile(pd, approve_share)) if len(pd) else 0.0
    approved = pd <= cutoff
    labels = np.asarray(groups, dtype=object)
    missing = pd_isna(labels)
    labels = np.where(missing, "(missing)", labels).astype(str)
    per_group: dict[str, dict[str, float | int]] = {}
    for g in sorted(set(labels.tolist())):
        m = labels == g
        per_group[g] = {
            "rows": int(m.sum()),
            "bad_rate": float(y[m].mean()),
            "auc": auc(y[m], pd[m]),
            "approval_rate": float(approved[m].mean()),
        }
    rates = [v["approval_rate"] for v in per_group.values() if v["rows"] > 0]
    ratio = min(rates) / max(rates) if rates and max(rates) > 0 else float("nan")
    return {
        "approve_share": approve_share,
        "pd_cutoff": cutoff,
        "groups": per_group,
        "approval_rate_ratio": ratio,
    }
