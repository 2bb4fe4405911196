"""Training: from a table of past applications with outcomes to a :class:`ScoringModel`.

Data flow::

    frame ─► infer_schema ─► encode_frame ─► leakage check ─► ``heldout``: held-out log-odds
      (one 80/20 split, or 5-fold cross-validation on small tables) and the scorecard (re-binned,
      same regularisation) and GBM (tuned size, rounds scaled up) refitted on 100 %, the trees
      and the scorecard side by side
        ─► blend weight and Platt calibration on the held-out rows ─► ScoringModel
    frame (bureau fields only) ─► ``bureau_baseline``: a bureau-only logistic regression on
      all rows, stored in the evaluation for the inclusion comparison of the live book

Everything is learned from the rows given; figures on the held-out rows go to the report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError
from thinfile.scoring import evaluation as ev
from thinfile.scoring.artifact_checks import KINDS
from thinfile.scoring.bureau_baseline import EVALUATION_KEY, fit_bureau_baseline, has_bureau_fields
from thinfile.scoring.calibration import PlattCalibrator, ScoreScale, sigmoid
from thinfile.scoring.contract import (
    ColumnRole,
    InputSchema,
    binary_target,
    check_class_counts,
    infer_schema,
    is_protected,
)
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.heldout import HeldOut, choose_weight, held_out
from thinfile.scoring.missing import with_missing_values
from thinfile.scoring.model import ScoringModel
from thinfile.scoring.reasons import ReasonBook

__all__ = ["KINDS", "check_leakage", "train_model"]

Progress = Callable[[str], None]


def train_model(
    frame: pd.DataFrame,
    *,
    target: str,
    kind: str = "both",
    id_col: str | None = None,
    exclude: Sequence[str] = (),
    keep: Sequence[str] = (),
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
    missing_as_riskiest: bool = False,
) -> ScoringModel:
    """Train a scorecard, a GBM or both (the better or a blend, chosen on held-out rows).

    A column that predicts the target suspiciously well is refused as leakage unless it is
    named in ``keep``. Protected attributes (:data:`~thinfile.scoring.contract.PROTECTED_INPUTS`)
    are never features: they are left out and named in ``model.training["protected_left_out"]``.
    With ``missing_as_riskiest``, each number never missing in the rows given gets the value
    a missing entry of it is scored as, the riskiest the model knows
    (:mod:`thinfile.scoring.missing`): for a lender whose records always hold those fields,
    so that leaving one out never helps. Without it (the default) a missing entry is scored
    as the model learned nothing of it (the scorecard's average, the trees' zero side): an
    application form that does not ask for a field is not declined for it.
    """
    if kind not in KINDS:
        raise DataContractError(
            f"unknown model kind, use one of: {', '.join(KINDS)}", field="kind", value=kind
        )
    step = progress or (lambda _: None)
    y = binary_target(frame, target, bad_value=bad_value)
    check_class_counts(y, target)
    side = [c for c in (segment, protected) if c]
    left_out = _protected_columns(frame, target=target, id_col=id_col)
    schema = infer_schema(
        frame,
        target=target,
        id_col=id_col,
        exclude=[*exclude, *side, *left_out],
        roles=roles,
        special_codes=special_codes,
        monotone=monotone,
    )
    step("encoding")
    x = encode_frame(frame, schema)
    check_leakage(x, y, schema, keep=keep)
    with _one_blas_thread():
        step("fitting on held-out rows, then on all rows")
        held = held_out(x, y, schema, kind=kind, seed=seed)
        step("blending and calibrating")
        weight, calibrator = _blend(y, held, kind)
        bureau = fit_bureau_baseline(frame, y) if has_bureau_fields(frame) else None
    card = held.card if weight > 0 else None
    trees = held.gbm is not None and weight < 1
    if missing_as_riskiest:
        schema = with_missing_values(schema, x, y, card=card, trees=trees)
    model = ScoringModel(
        schema=schema,
        kind=kind,
        scorecard=held.card,
        gbm=held.gbm,
        blend_weight=weight,
        calibrator=calibrator,
        scale=scale or ScoreScale(),
        book=ReasonBook(schema.feature_names, descriptions=descriptions),
    )
    val = held.stacked("rows")
    raw = weight * held.stacked("scorecard") + (1 - weight) * held.stacked("gbm")
    _, train_scores = model.score_matrix(x)
    groups = {c: frame[c].to_numpy()[val] for c in side}
    model.evaluation = validation_report(
        y[val],
        sigmoid(calibrator.logit(raw)),
        model.scale,
        train_scores,
        groups=groups,
        protected=protected,
    )
    if bureau is not None:
        model.evaluation[EVALUATION_KEY] = bureau.as_dict()
    model.training = {
        "rows": len(y),
        "bad_rate": float(y.mean()),
        "seed": seed,
        "validation_rows": len(val),
        "target": target,
        "protected_left_out": left_out,
    }
    return model


def _protected_columns(frame: pd.DataFrame, *, target: str, id_col: str | None) -> list[str]:
    """The columns of ``frame`` that are protected attributes, which no model reads."""
    return [str(c) for c in frame.columns if c not in (target, id_col) and is_protected(str(c))]


def _one_blas_thread() -> AbstractContextManager[object]:
    """BLAS threads slow the small regressions down tenfold (and fight LightGBM for cores)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    limits: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limits


def _blend(y: np.ndarray, held: HeldOut, kind: str) -> tuple[float, PlattCalibrator]:
    """The scorecard's blend weight and the calibration of the blended held-out log-odds."""
    if kind == "scorecard":
        return 1.0, PlattCalibrator.from_dict({"slope": 1.0, "shift": 0.0})
    weight = choose_weight(y, held.groups) if kind == "both" else 0.0
    rows = held.stacked("rows")
    blended = weight * held.stacked("scorecard") + (1 - weight) * held.stacked("gbm")
    return weight, PlattCalibrator().fit(blended, y[rows])


def check_leakage(
    x: np.ndarray, y: np.ndarray, schema: InputSchema, *, keep: Sequence[str] = ()
) -> None:
    """Refuse a feature that gives the outcome away, unless it is named in ``keep``.

    Two signs of a column known only after the outcome (or computed from it): alone it
    separates goods from bads almost perfectly (AUC > 0.995), or it already is a probability
    of the target — values in [0, 1] averaging the bad rate, calibrated (Platt slope 0.8-1.25,
    shift within 0.25 log-odds) and ranking well (AUC >= 0.65), like a simulator's true PD or
    another model's output for the same target.
    """
    remedy = (
        "exclude it (--exclude) if it is known only after the outcome, or keep it "
        "deliberately (--keep)"
    )
    for j, spec in enumerate(schema.features):
        col = x[:, j]
        known = ~np.isnan(col)
        if spec.name in keep or known.sum() < 0.5 * len(col) or len(np.unique(y[known])) < 2:
            continue
        values, y_known = col[known], y[known]
        if spec.role is ColumnRole.CATEGORICAL:
            values = pd.Series(y_known).groupby(values).transform("mean").to_numpy()
        area = ev.auc(y_known, values)
        if max(area, 1 - area) > 0.995:
            raise DataContractError(
                "this column predicts the target almost perfectly (leakage?)",
                field=spec.name,
                remedy=remedy,
            )
        if spec.role is not ColumnRole.CATEGORICAL and _is_probability_of(values, y_known, area):
            raise DataContractError(
                f"this column is already a calibrated probability of the target (AUC "
                f"{area:.3f}): an outcome-time value or another model's PD?",
                field=spec.name,
                remedy=remedy,
            )


def _is_probability_of(values: np.ndarray, y: np.ndarray, area: float) -> bool:
    """Values in [0, 1] that behave as a calibrated PD of ``y`` and rank it well."""
    if area < 0.65 or values.min() < 0 or values.max() > 1 or len(np.unique(values)) < 20:
        return False
    rate = float(y.mean())
    if abs(float(values.mean()) - rate) > 0.1 * rate + 0.005:
        return False
    clipped = np.clip(values, 1e-6, 1 - 1e-6)
    platt = PlattCalibrator().fit(np.log(clipped / (1 - clipped)), y)
    return 0.8 <= platt.slope_ <= 1.25 and abs(platt.shift_) <= 0.25


def validation_report(
    y: np.ndarray,
    pd_: np.ndarray,
    scale: ScoreScale,
    train_scores: np.ndarray,
    *,
    groups: Mapping[str, np.ndarray],
    protected: str | None,
) -> dict[str, object]:
    """Figures on the held-out rows, and the training score distribution (for PSI)."""
    logit = np.log(np.clip(pd_, 1e-15, 1 - 1e-15) / np.clip(1 - pd_, 1e-15, 1))
    scores = scale.score(logit)
    baseline = ev.score_distribution(train_scores)
    report: dict[str, object] = {
        "metrics": ev.metrics(y, pd_),
        "calibration": ev.calibration_by_decile(y, pd_),
        "roc": ev.roc_points(y, pd_),
        "score_distribution": ev.score_distribution(scores, y, edges=baseline["edges"]),
        "training_distribution": baseline,
    }
    for name, values in groups.items():
        key = "protected" if name == protected else "segment"
        report[key] = {"column": name, **ev.group_metrics(y, pd_, values)}
    return report
