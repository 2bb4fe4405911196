"""Training: from a table of past applications with outcomes to a :class:`ScoringModel`.

Data flow::

    frame ─► infer_schema ─► encode_frame ─► internal split: 80/20, or 5 folds if small
      scorecard: bins + regression on the 80 %  ─┐
      GBM: tuned with early stopping on the 20 % ─┤─► blend weight and calibration on the 20 %
                                                  └─► both refitted on 100 % ─► ScoringModel

Everything is learned from the rows given; figures on the held-out rows go to the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring import evaluation as ev
from thinfile.scoring.calibration import PlattCalibrator, ScoreScale, sigmoid
from thinfile.scoring.contract import (
    ColumnRole,
    InputSchema,
    binary_target,
    check_class_counts,
    infer_schema,
)
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.gbm import GradientBoostedModel
from thinfile.scoring.model import ScoringModel
from thinfile.scoring.reasons import ReasonBook
from thinfile.scoring.scorecard import Scorecard

__all__ = ["KINDS", "train_model"]

KINDS = ("scorecard", "gbm", "both")
SMALL_TABLE = 5_000  # below this many rows, 5 folds instead of one 80/20 split
Progress = Callable[[str], None]


def train_model(
    frame: pd.DataFrame,
    *,
    target: str,
    kind: str = "both",
    id_col: str | None = None,
    exclude: Sequence[str] = (),
    seed: int = 42,
    roles: Mapping[str, str] | None = None,
    special_codes: Mapping[str, Sequence[float]] | None = None,
    monotone: Mapping[str, int] | None = None,
    descriptions: Mapping[str, str] | None = None,
    bad_value: object = None,
    segment: str | None = None,
    protected: str | None = None,
    scale: ScoreScale | None = None,
    progress: Progress | None = None,
) -> ScoringModel:
    """Train a scorecard, a GBM or both (the better or a blend, chosen on held-out rows)."""
    if kind not in KINDS:
        raise DataContractError(f"unknown model kind, use one of: {', '.join(KINDS)}",
                                field="kind", value=kind)
    step = progress or (lambda _: None)
    y = binary_target(frame, target, bad_value=bad_value)
    check_class_counts(y, target)
    side = [c for c in (segment, protected) if c]
    schema = infer_schema(frame, target=target, id_col=id_col,
                          exclude=[*exclude, *side], roles=roles,
                          special_codes=special_codes, monotone=monotone)
    step("encoding")
    x = encode_frame(frame, schema)
    check_leakage(x, y, schema)
    step("fitting on held-out folds")
    held = held_out_logits(x, y, schema, kind=kind, seed=seed)
    step("blending and calibrating")
    val, z_sc, z_gbm = held.rows, held.scorecard, held.gbm
    weight = {"scorecard": 1.0, "gbm": 0.0}.get(kind) or choose_weight(y[val], z_sc, z_gbm)
    blended = weight * z_sc + (1 - weight) * z_gbm
    calibrator = _identity() if kind == "scorecard" else PlattCalibrator().fit(blended, y[val])
    val_pd = sigmoid(calibrator.logit(blended))
    step("refitting on all rows")
    card = Scorecard(schema.features).fit(x, y) if kind != "gbm" else None
    gbm = None
    if kind != "scorecard":
        gbm = GradientBoostedModel(schema.features, seed=seed)
        gbm = gbm.refit_all(x, y, leaves=held.leaves, rounds=held.rounds).reloaded()
    book = ReasonBook(schema.feature_names, descriptions=descriptions)
    model = ScoringModel(schema=schema, kind=kind, scorecard=card, gbm=gbm,
                         blend_weight=weight, calibrator=calibrator,
                         scale=scale or ScoreScale(), book=book)
    _, train_scores = model.score_matrix(x)
    groups = {c: frame[c].to_numpy()[val] for c in side}
    model.evaluation = validation_report(y[val], val_pd, model.scale, train_scores,
                                         groups=groups, protected=protected)
    model.training = {"rows": len(y), "bad_rate": float(y.mean()), "seed": seed,
                      "validation_rows": len(val), "target": target}
    return model


def _identity() -> PlattCalibrator:
    return PlattCalibrator.from_dict({"slope": 1.0, "shift": 0.0})


@dataclass(frozen=True)
class HeldOut:
    """Log-odds predicted for rows by models that did not train on them."""

    rows: np.ndarray
    scorecard: np.ndarray
    gbm: np.ndarray
    leaves: int
    rounds: int


def _folds(y: np.ndarray, seed: int, *,
           small: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """One stratified 80/20 split, or 5 folds when the table is ``small``."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    rows = np.arange(len(y))
    if small:
        splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        return list(splitter.split(rows, y))
    fit, val = train_test_split(rows, test_size=0.2, stratify=y, random_state=seed)
    return [(np.sort(fit), np.sort(val))]


def held_out_logits(x: np.ndarray, y: np.ndarray, schema: InputSchema, *, kind: str,
                    seed: int) -> HeldOut:
    """Out-of-fold log-odds of each model, and the tree size and rounds the GBM chose."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    sizes: list[tuple[int, int]] = []
    leaves: tuple[int, ...] = ()
    # a lone scorecard needs held-out rows only for its report: one split is enough
    for fit, val in _folds(y, seed, small=len(y) < SMALL_TABLE and kind != "scorecard"):
        z_sc = z_gbm = np.zeros(len(val))
        if kind != "gbm":
            z_sc = Scorecard(schema.features).fit(x[fit], y[fit]).logit(x[val])
        if kind != "scorecard":
            gbm = GradientBoostedModel(schema.features, seed=seed, leaves=leaves).fit(
                x[fit], y[fit], valid=(x[val], y[val]))
            leaves = (gbm.num_leaves_,)  # later folds reuse the first fold's tree size
            z_gbm = gbm.logit(x[val])
            sizes.append((gbm.num_leaves_, gbm.rounds_))
        parts.append((val, z_sc, z_gbm))
    rows, z_sc, z_gbm = (np.concatenate(p) for p in zip(*parts, strict=True))
    rounds = round(float(np.mean([s[1] for s in sizes]))) if sizes else 0
    return HeldOut(rows, z_sc, z_gbm, sizes[0][0] if sizes else 0, rounds)


def choose_weight(y: np.ndarray, z_sc: np.ndarray, z_gbm: np.ndarray, *,
                  grid: int = 20) -> float:
    """The scorecard's share of the blend with the best held-out AUC (ties: more trees)."""
    best_w, best_auc = 0.0, -1.0
    for w in np.linspace(0.0, 1.0, grid + 1):
        area = ev.auc(y, w * z_sc + (1 - w) * z_gbm)
        if area > best_auc + 1e-9:
            best_w, best_auc = float(w), area
    return best_w


def check_leakage(x: np.ndarray, y: np.ndarray, schema: InputSchema) -> None:
    """Refuse a feature that alone separates goods from bads almost perfectly."""
    for j, spec in enumerate(schema.features):
        col = x[:, j]
        known = ~np.isnan(col)
        if known.sum() < 0.5 * len(col) or len(np.unique(y[known])) < 2:
            continue
        values, y_known = col[known], y[known]
        if spec.role is ColumnRole.CATEGORICAL:
            rates = pd.Series(y_known).groupby(values).transform("mean").to_numpy()
            values = rates
        area = ev.auc(y_known, values)
        if max(area, 1 - area) > 0.995:
            raise DataContractError(
                "this column predicts the target almost perfectly (leakage?)", field=spec.name,
                remedy="exclude it (--exclude) if it is known only after the outcome")


def validation_report(y: np.ndarray, pd_: np.ndarray, scale: ScoreScale,
                      train_scores: np.ndarray, *, groups: Mapping[str, np.ndarray],
                      protected: str | None) -> dict[str, object]:
    """Figures on the held-out rows, and the training score distribution (for PSI)."""
    logit = np.log(np.clip(pd_, 1e-15, 1 - 1e-15) / np.clip(1 - pd_, 1e-15, 1))
    scores = scale.score(logit)
    baseline = ev.score_distribution(train_scores)
    report: dict[str, object] = {
        "metrics": ev.metrics(y, pd_), "calibration": ev.calibration_by_decile(y, pd_),
        "roc": ev.roc_points(y, pd_),
        "score_distribution": ev.score_distribution(scores, y, edges=baseline["edges"]),
        "training_distribution": baseline,
    }
    for name, values in groups.items():
        key = "protected" if name == protected else "segment"
        report[key] = {"column": name, **ev.group_metrics(y, pd_, values)}
    return report
