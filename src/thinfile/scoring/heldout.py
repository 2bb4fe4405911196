"""Held-out predictions for choosing and calibrating the blend, from the training rows only.

- Large tables (``SMALL_TABLE`` rows or more): one stratified 80/20 split. The scorecard is
  binned on the 80 % while, in a second thread, LightGBM is tuned with early stopping on the
  20 % (LightGBM releases the interpreter lock, optbinning does not, so the two share the
  cores). The 20 % is cut into five stratified groups to judge the blend.
- Small tables: the final scorecard is fitted on all rows (its regularisation chosen there), the
  GBM's size and rounds on an internal 80/20 split; then ``REPEATS`` × 5-fold stratified
  cross-validation refits both at those settings — bins, WoE, regression and trees from each
  fold's training part only, so neither model has seen the rows it is judged on — and every
  fold is one group.

:func:`choose_weight` starts from the equal-weight average of the two models' log-odds (on
small or noisy tables it usually ranks at least as well as either) and moves to one model
alone only when that model beats the average by more than twice the standard error of the
per-group gain.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from thinfile.scoring import evaluation as ev
from thinfile.scoring.contract import InputSchema
from thinfile.scoring.gbm import SMALL_ROWS, GradientBoostedModel
from thinfile.scoring.scorecard import Scorecard

__all__ = ["SMALL_TABLE", "Group", "HeldOut", "choose_weight", "held_out"]

SMALL_TABLE = 5_000  # below this many rows, repeated cross-validation instead of one split
REPEATS = 1  # three repeats chose the same blend on the 1,000-row benchmark tables, at 3x
#              the cost (each fold re-bins the scorecard)
FOLDS = 5
EVIDENCE = 2.0  # standard errors a single model must gain over the equal-weight blend
BLEND = 0.5  # the scorecard's share of the default blend


@dataclass(frozen=True)
class Group:
    """Held-out rows and the log-odds each model predicted for them."""

    rows: np.ndarray
    scorecard: np.ndarray
    gbm: np.ndarray


@dataclass(frozen=True)
class HeldOut:
    """Held-out groups, the report's rows (each once), and the tuned models and settings."""

    groups: list[Group]
    report_groups: int  # the first this many groups cover every held-out row once
    card: Scorecard | None
    gbm: GradientBoostedModel | None
    card_on_all_rows: bool = False  # the scorecard was binned and fitted on every row

    def stacked(self, field: str) -> np.ndarray:
        return np.concatenate([getattr(g, field) for g in self.groups])

    def report(self, field: str) -> np.ndarray:
        return np.concatenate([getattr(g, field) for g in self.groups[:self.report_groups]])


def held_out(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str,
             seed: int) -> HeldOut:
    """Out-of-sample log-odds of each model of ``kind`` on rows it did not train on."""
    if len(y) >= SMALL_TABLE:
        return _split(x, y, schema, kind=kind, seed=seed)
    return _cross_validated(x, y, schema, kind=kind, seed=seed)


def _tuner(schema: InputSchema, kind: str, seed: int, rows: int) -> GradientBoostedModel:
    # beside the scorecard, one thread each; alone, threads by table size
    threads = 1 if kind == "both" or rows < SMALL_ROWS else 0
    return GradientBoostedModel(schema.features, seed=seed, threads=threads)


def _split(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str,
           seed: int) -> HeldOut:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    fit, val = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y,
                                random_state=seed)
    fit, val = np.sort(fit), np.sort(val)
    with ThreadPoolExecutor(1) as pool:
        tuning = (pool.submit(_tuner(schema, kind, seed, len(fit)).fit, x[fit], y[fit],
                              valid=(x[val], y[val])) if kind != "scorecard" else None)
        card = Scorecard(schema.features).fit(x[fit], y[fit]) if kind != "gbm" else None
        gbm = tuning.result() if tuning is not None else None
    zeros = np.zeros(len(val))
    z_sc = card.logit(x[val]) if card is not None else zeros
    z_gbm = gbm.logit(x[val]) if gbm is not None else zeros
    chunks = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    groups = [Group(val[part], z_sc[part], z_gbm[part])
              for _, part in chunks.split(val, y[val])]
    return HeldOut(groups, len(groups), card, gbm)


def _cross_validated(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str,
                     seed: int) -> HeldOut:
    from sklearn.model_selection import StratifiedKFold

    repeats = REPEATS if kind == "both" else 1
    folds = [fold for r in range(repeats) for fold in StratifiedKFold(
        n_splits=FOLDS, shuffle=True, random_state=seed + r).split(x, y)]
    with ThreadPoolExecutor(1) as pool:
        trees = (pool.submit(_gbm_folds, x, y, schema, folds, seed=seed)
                 if kind != "scorecard" else None)
        card = Scorecard(schema.features).fit(x, y) if kind != "gbm" else None
        z_sc = [_fold_card(card, x[f], y[f]).logit(x[v]) if card is not None
                else np.zeros(len(v)) for f, v in folds]
        gbm, z_gbm = trees.result() if trees is not None else (
            None, [np.zeros(len(v)) for _, v in folds])
    groups = [Group(v, s, g) for (_, v), s, g in zip(folds, z_sc, z_gbm, strict=True)]
    return HeldOut(groups, FOLDS, card, gbm, card_on_all_rows=True)


def _fold_card(card: Scorecard, x: np.ndarray, y: np.ndarray) -> Scorecard:
    """The scorecard re-binned and refitted on one fold's training part (same settings)."""
    return Scorecard(card.specs, min_iv=card.min_iv, c=card.c_).fit(x, y)


def _gbm_folds(x: np.ndarray, y: np.ndarray, schema: InputSchema,
               folds: list[tuple[np.ndarray, np.ndarray]], *,
               seed: int) -> tuple[GradientBoostedModel, list[np.ndarray]]:
    """Tune once on an internal split, then refit that size and rounds on every fold."""
    tuned = GradientBoostedModel(schema.features, seed=seed, threads=1).fit(x, y)
    out = []
    for fit, val in folds:
        model = GradientBoostedModel(schema.features, seed=seed, threads=1).refit_all(
            x[fit], y[fit], leaves=tuned.num_leaves_, rounds=tuned.rounds_,
            learning_rate=tuned.learning_rate_, grow=False)
        out.append(model.logit(x[val]))
    return tuned, out


def choose_weight(y: np.ndarray, groups: list[Group]) -> float:
    """The scorecard's share of the blend: 0.5, or 0 / 1 when one model clearly wins alone."""
    weights = (0.0, BLEND, 1.0)
    areas = np.array([[ev.auc(y[g.rows], w * g.scorecard + (1 - w) * g.gbm) for w in weights]
                      for g in groups])
    mean = areas.mean(axis=0)
    single = 0 if mean[0] >= mean[2] else 2  # the better model alone (ties: trees)
    gain = areas[:, single] - areas[:, 1]
    spread = float(gain.std(ddof=1)) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    return weights[single] if float(gain.mean()) > EVIDENCE * spread else BLEND
