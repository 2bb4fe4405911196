"""The reference methods of BASELINES.md, run in the same process as thinfile.

Each fitter takes (dataset, training features, training target) and returns a function from a
feature frame to predicted PDs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from bench.scoring_datasets import Dataset

Predict = Callable[[pd.DataFrame], np.ndarray]


def _categories(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ds.categorical:
        out[c] = pd.Categorical(out[c], categories=sorted(ds.x[c].dropna().unique()))
    return out


def optbinning_scorecard(ds: Dataset, xtr: pd.DataFrame, ytr: np.ndarray) -> Predict:
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    process = BinningProcess(
        list(xtr.columns),
        categorical_variables=ds.categorical,
        selection_criteria={"iv": {"min": 0.02}},
        special_codes=list(ds.special_codes) or None,
    )
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(max_iter=1000),
        scaling_method="min_max",
        scaling_method_params={"min": 300, "max": 850},
    )
    card.fit(xtr, ytr, metric_missing="empirical", metric_special="empirical")
    return lambda f: card.predict_proba(f)[:, 1]


def lightgbm_default(ds: Dataset, xtr: pd.DataFrame, ytr: np.ndarray) -> Predict:
    from lightgbm import LGBMClassifier

    model = LGBMClassifier(verbose=-1).fit(_categories(ds, xtr), ytr)
    return lambda f: model.predict_proba(_categories(ds, f))[:, 1]


def lightgbm_tuned(ds: Dataset, xtr: pd.DataFrame, ytr: np.ndarray) -> Predict:
    import lightgbm as lgb
    from sklearn.model_selection import train_test_split

    x = _categories(ds, xtr)
    xf, xv, yf, yv = train_test_split(x, ytr, test_size=0.2, stratify=ytr, random_state=42)
    best = None
    for leaves in (7, 15, 31):
        model = lgb.LGBMClassifier(
            learning_rate=0.05, num_leaves=leaves, n_estimators=1000, verbose=-1
        )
        model.fit(xf, yf, eval_set=[(xv, yv)], callbacks=[lgb.early_stopping(50, verbose=False)])
        loss = model.best_score_["valid_0"]["binary_logloss"]
        if best is None or loss < best[0]:
            best = (loss, model)
    assert best is not None
    chosen = best[1]
    return lambda f: chosen.predict_proba(_categories(ds, f))[:, 1]


REFERENCES: dict[str, Callable[[Dataset, pd.DataFrame, np.ndarray], Predict]] = {
    "optbinning_scorecard": optbinning_scorecard,
    "lightgbm_default": lightgbm_default,
    "lightgbm_tuned": lightgbm_tuned,
}


def _approval_curve(y: np.ndarray, pd_: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bad rate of the k safest applicants for k = 1..n (ties broken at random)."""
    order = np.lexsort((rng.random(len(pd_)), pd_))
    return np.cumsum(y[order]) / np.arange(1, len(y) + 1)


def _lift_once(
    y: np.ndarray, bureau: np.ndarray, full: np.ndarray, rng: np.random.Generator
) -> tuple[float, float]:
    n = len(y)
    b = _approval_curve(y, bureau, rng)[round(0.6 * n) - 1]
    curve = _approval_curve(y, full, rng)
    ok = np.nonzero(curve <= b + 1e-12)[0]
    a_star = (ok.max() + 1) / n if len(ok) else 0.0
    return float(b), float(a_star)


def inclusion_lift(
    y: np.ndarray, bureau: np.ndarray, full: np.ndarray, *, seed: int = 42, reps: int = 200
) -> tuple[float, float, float, float]:
    """BASELINES.md inclusion lift: b, a*, and the 95 % bootstrap interval of a* − 60 % (pp)."""
    rng = np.random.default_rng(seed)
    b, a_star = _lift_once(y, bureau, full, rng)
    lifts = []
    for _ in range(reps):
        idx = rng.integers(0, len(y), len(y))
        _, a = _lift_once(y[idx], bureau[idx], full[idx], rng)
        lifts.append(100 * (a - 0.6))
    lo, hi = np.percentile(lifts, [2.5, 97.5])
    return b, a_star, float(lo), float(hi)
