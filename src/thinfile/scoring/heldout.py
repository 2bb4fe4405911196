"""Held-out predictions for choosing and calibrating the blend, and the final models.

Two pipelines run side by side, so training takes about the longer of the two rather than
their sum: the trees in a second thread (LightGBM releases the interpreter lock) and the
scorecard in the calling thread (optbinning holds it).

- Large tables (``SMALL_TABLE`` rows or more): one stratified 80/20 split. Scorecard: binned on
  the 80 % (judged on the 20 %); then, in a blend, the same features and bins with WoE counted
  and the regression refitted on all rows (the blend keeps the bins it was judged with, and
  optbinning runs once), while a scorecard alone is re-binned on all rows, as a scorecard is
  developed on the whole sample. Trees: tuned with early stopping on the 20 %, then refitted
  on all rows. The 20 % is cut into five stratified groups to judge the blend.
- Small tables: ``FOLDS``-fold stratified cross-validation. Scorecard: fitted on all rows (its
  regularisation chosen there), then re-binned and refitted on each fold's training part at
  that regularisation, so it never scores rows it was binned on. Trees: size and rounds tuned
  on the mean of the same folds (a 20 % split of a small table is too few rows to choose by),
  each fold's trees scoring its held-out part, then refitted on all rows. Every fold is one
  group.

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
from thinfile.scoring.gbm import GradientBoostedModel
from thinfile.scoring.scorecard import Scorecard

__all__ = ["SMALL_TABLE", "Group", "HeldOut", "choose_weight", "held_out"]

SMALL_TABLE = 5_000  # below this many rows, cross-validation instead of one split
FOLDS = 5  # one pass: three repeats chose the same blend on the 1,000-row benchmark tables,
#            at three times the cost (each fold re-bins the scorecard)
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
    """Held-out groups (each held-out row once) and the final models, fitted on all rows."""

    groups: list[Group]
    card: Scorecard | None
    gbm: GradientBoostedModel | None

    def stacked(self, field: str) -> np.ndarray:
        return np.concatenate([getattr(g, field) for g in self.groups])


def held_out(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str, seed: int) -> HeldOut:
    """Out-of-sample log-odds of each model of ``kind``, and the models refitted on all rows."""
    if len(y) >= SMALL_TABLE:
        return _split(x, y, schema, kind=kind, seed=seed)
    return _cross_validated(x, y, schema, kind=kind, seed=seed)


def _tuner(schema: InputSchema, kind: str, seed: int) -> GradientBoostedModel:
    # beside the scorecard, one thread each; alone, threads by table size
    return GradientBoostedModel(schema.features, seed=seed, threads=1 if kind == "both" else 0)


def _split(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str, seed: int) -> HeldOut:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    fit, val = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
    fit, val = np.sort(fit), np.sort(val)
    zeros = np.zeros(len(val))
    with ThreadPoolExecutor(1) as pool:
        trees = (
            pool.submit(_gbm_split, x, y, fit, val, _tuner(schema, kind, seed))
            if kind != "scorecard"
            else None
        )
        card, z_sc = None, zeros
        if kind != "gbm":
            part = Scorecard(schema.features).fit(x[fit], y[fit])
            z_sc = part.logit(x[val])
            card = _refit_card(part, x, y) if kind == "scorecard" else part.recounted(x, y)
        gbm, z_gbm = trees.result() if trees is not None else (None, zeros)
    chunks = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    groups = [Group(val[part], z_sc[part], z_gbm[part]) for _, part in chunks.split(val, y[val])]
    return HeldOut(groups, card, gbm)


def _gbm_split(
    x: np.ndarray, y: np.ndarray, fit: np.ndarray, val: np.ndarray, tuner: GradientBoostedModel
) -> tuple[GradientBoostedModel, np.ndarray]:
    """Tune on ``fit`` with early stopping on ``val``; then the final trees on all rows."""
    tuned = tuner.fit(x[fit], y[fit], valid=(x[val], y[val]))
    return _final_gbm(tuned, x, y), tuned.logit(x[val])


def _final_gbm(tuned: GradientBoostedModel, x: np.ndarray, y: np.ndarray) -> GradientBoostedModel:
    """The tuned size refitted on all rows, read back from its text as a loaded model is.

    Threads as the tuning had them: one beside the scorecard, otherwise by table size.
    """
    return (
        GradientBoostedModel(tuned.specs, seed=tuned.seed, threads=tuned.threads)
        .refit_all(
            x, y, leaves=tuned.num_leaves_, rounds=tuned.rounds_, learning_rate=tuned.learning_rate_
        )
        .reloaded()
    )


def _cross_validated(
    x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str, seed: int
) -> HeldOut:
    from sklearn.model_selection import StratifiedKFold

    folds = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(x, y))
    zeros = [np.zeros(len(v)) for _, v in folds]
    with ThreadPoolExecutor(1) as pool:
        trees = (
            pool.submit(_gbm_folds, x, y, folds, _tuner(schema, kind, seed))
            if kind != "scorecard"
            else None
        )
        card = Scorecard(schema.features).fit(x, y) if kind != "gbm" else None
        z_sc = (
            [_refit_card(card, x[f], y[f]).logit(x[v]) for f, v in folds]
            if card is not None
            else zeros
        )
        gbm, z_gbm = trees.result() if trees is not None else (None, zeros)
    groups = [Group(v, s, g) for (_, v), s, g in zip(folds, z_sc, z_gbm, strict=True)]
    return HeldOut(groups, card, gbm)


def _refit_card(card: Scorecard, x: np.ndarray, y: np.ndarray) -> Scorecard:
    """The scorecard re-binned and refitted on other rows, at the same settings."""
    return Scorecard(card.specs, min_iv=card.min_iv, c=card.c_).fit(x, y)


def _gbm_folds(
    x: np.ndarray,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    tuner: GradientBoostedModel,
) -> tuple[GradientBoostedModel, list[np.ndarray]]:
    """Size and rounds tuned on the folds, each fold's held-out log-odds, the final trees."""
    out = tuner.cross_validate(x, y, folds)
    return _final_gbm(tuner, x, y), out


def choose_weight(y: np.ndarray, groups: list[Group]) -> float:
    """The scorecard's share of the blend: 0.5, or 0 / 1 when one model clearly wins alone."""
    weights = (0.0, BLEND, 1.0)
    areas = np.array(
        [[ev.auc(y[g.rows], w * g.scorecard + (1 - w) * g.gbm) for w in weights] for g in groups]
    )
    mean = areas.mean(axis=0)
    single = 0 if mean[0] >= mean[2] else 2  # the better model alone (ties: trees)
    gain = areas[:, single] - areas[:, 1]
    spread = float(gain.std(ddof=1)) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    return weights[single] if float(gain.mean()) > EVIDENCE * spread else BLEND
