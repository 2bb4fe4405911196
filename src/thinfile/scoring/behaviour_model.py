"""The behaviour model (行为评分): a line's risk from its own repayment, trained on synthetic
performance and compared with the application score alone on the same borrowers.

Data flow::

    performance ─line_months_from_performance─► line months ─behaviour_sums at day 30·k─►
      features of each loan open at review month k (the definition the limit review reads
      in SQL) + ``application_score`` (the application model on the borrower) + the outcome
      ─split by borrower─► training borrowers ─train_model─► ScoringModel
                           held-out borrowers ─► AUC, KS, calibration by months on book of the
                                                 behaviour model and the application score alone

**The outcome** (``bad_next``) at review month k: the loan reaches default (90+ days past due)
in months k+1 … k+``horizon``. A loan is a row at k when it is open after month k (its month-k
status is not closed, prepaid or default) and the table shows how it ends: it has a row at
month k+``horizon`` or it ended earlier.

**The application score alone** is the application model's log-odds, Platt-calibrated to
``bad_next`` on the training borrowers (ranking unchanged), so its AUC, KS and calibration
are judged on the same held-out rows as the behaviour model's. The behaviour model reads the
application score too: the difference between the two is what behaviour adds. If the
application model was trained on these very borrowers its figures are optimistic, and the
difference understates what behaviour adds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError, InvalidInputError
from thinfile.scoring import evaluation as ev
from thinfile.scoring.behaviour import (
    MONTH_DAYS,
    BehaviourFeatures,
    behaviour_sums,
    line_months_from_performance,
)
from thinfile.scoring.calibration import PlattCalibrator, sigmoid
from thinfile.scoring.model import ScoringModel
from thinfile.scoring.training import train_model

__all__ = [
    "BEHAVIOUR_INPUTS",
    "DEFAULT_HORIZON",
    "DEFAULT_REVIEW_MONTHS",
    "TARGET",
    "behaviour_table",
    "compare_with_application",
    "split_by_borrower",
    "train_behaviour_model",
    "with_application_score",
]

TARGET = "bad_next"
DEFAULT_HORIZON = 6
DEFAULT_REVIEW_MONTHS: tuple[int, ...] = (3, 6, 9, 12)
BEHAVIOUR_INPUTS: tuple[str, ...] = (
    "months_on_book",
    "current_dpd",
    "worst_dpd_12m",
    "delinquent_months_3m",
    "delinquent_months_6m",
    "delinquent_months_12m",
    "on_time_share_bps",
    "utilization_bps",
    "utilization_avg_bps",
    "payment_to_due_bps",
)
"""The behaviour features the model reads: counts, days and ratios, not the loan's size."""
APPLICATION_SCORE = "application_score"
_ENDED = ("prepaid", "closed", "default")
_NEEDED = ("applicant_id", "loan_id", "segment", "month", "status")


def _check_performance(performance: pd.DataFrame) -> None:
    missing = [c for c in _NEEDED if c not in performance.columns]
    if missing:
        raise DataContractError(
            f"the performance table lacks {', '.join(missing)}",
            field="performance",
            value=", ".join(missing),
            remedy="pass a table made by thinfile synth performance",
        )


def _check_windows(review_months: Sequence[int], horizon: int) -> None:
    if not 1 <= horizon <= 24:
        raise InvalidInputError("the horizon is 1 to 24 months", field="horizon", value=horizon)
    if not review_months or any(not 1 <= k <= 60 for k in review_months):
        raise InvalidInputError(
            "review months are months on book from 1 to 60",
            field="review_months",
            value=",".join(map(str, review_months)),
        )


def _outcomes(performance: pd.DataFrame, month: int, horizon: int) -> pd.DataFrame:
    """Per loan open after ``month``: ``bad_next``, for the loans whose window is observed."""
    p = performance
    at = p.loc[(p["month"] == month) & ~p["status"].isin(_ENDED), "loan_id"].astype(str)
    later = p[(p["month"] > month) & (p["month"] <= month + horizon)]
    ids = later["loan_id"].astype(str)
    ended = set(ids[later["status"].isin(_ENDED).to_numpy()])
    reached = set(ids[(later["month"] == month + horizon).to_numpy()])
    defaulted = set(ids[(later["status"] == "default").to_numpy()])
    seen = at[at.isin(ended | reached)]
    return pd.DataFrame(
        {"loan_id": seen.to_numpy(), TARGET: seen.isin(defaulted).to_numpy().astype(np.int64)}
    )


def behaviour_table(
    performance: pd.DataFrame,
    *,
    review_months: Sequence[int] = DEFAULT_REVIEW_MONTHS,
    horizon: int = DEFAULT_HORIZON,
) -> pd.DataFrame:
    """One row per loan open at each review month: ``applicant_id``, ``loan_id``,
    ``segment``, ``review_month``, every behaviour feature (:class:`BehaviourFeatures`,
    computed by :func:`behaviour_sums`) and ``bad_next``."""
    _check_performance(performance)
    _check_windows(review_months, horizon)
    months = line_months_from_performance(performance)
    who = performance.drop_duplicates("loan_id").set_index("loan_id")[["applicant_id", "segment"]]
    parts = []
    for k in sorted(set(review_months)):
        day = k * MONTH_DAYS
        sums = behaviour_sums(months, day)
        rows: list[dict[str, Any]] = sums.to_dict(orient="records")  # type: ignore[assignment]
        features = pd.DataFrame(
            [BehaviourFeatures.from_sums(r, day).as_context() for r in rows],
            columns=list(BehaviourFeatures.__dataclass_fields__)[1:],
        )
        features.insert(0, "loan_id", sums["line_id"].astype(str).to_numpy())
        frame = _outcomes(performance, k, horizon).merge(features, on="loan_id", how="inner")
        frame.insert(1, "review_month", np.int64(k))
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True).join(who, on="loan_id")
    first = ["applicant_id", "loan_id", "segment", "review_month"]
    return table[first + [c for c in table.columns if c not in first]]


def split_by_borrower(ids: pd.Series, *, test_share: float, seed: int) -> np.ndarray:
    """A mask of the rows whose borrower is held out (``test_share`` of the borrowers)."""
    if not 0.05 <= test_share <= 0.5:
        raise InvalidInputError("the held-out share is 0.05 to 0.5", field="test_share")
    people = np.sort(ids.astype(str).unique())
    chosen = np.random.default_rng(seed).random(len(people)) < test_share
    held: np.ndarray = ids.astype(str).isin(people[chosen]).to_numpy()
    return held


def _logit(pd_: np.ndarray) -> np.ndarray:
    p = np.clip(pd_, 1e-9, 1 - 1e-9)
    out: np.ndarray = np.log(p / (1 - p))
    return out


def _figures(y: np.ndarray, pd_: np.ndarray) -> dict[str, float]:
    m = ev.metrics(y, pd_)
    return {k: float(m[k]) for k in ("auc", "ks", "gini", "brier")}


def compare_with_application(
    model: ScoringModel, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, object]:
    """The behaviour model and the application score alone on the held-out borrowers."""
    y_train, y = train[TARGET].to_numpy(), test[TARGET].to_numpy()
    platt = PlattCalibrator().fit(_score_logit(train), y_train)
    app = sigmoid(platt.logit(_score_logit(test)))
    beh = model.score_frame(test)["pd"].to_numpy()
    by_mob = []
    for k in sorted(set(test["review_month"].tolist())):
        m = (test["review_month"] == k).to_numpy()
        by_mob.append(
            {
                "months_on_book": int(k),
                "rows": int(m.sum()),
                "bad_rate": float(y[m].mean()),
                "behaviour_mean_pd": float(beh[m].mean()),
                "application_mean_pd": float(app[m].mean()),
                "behaviour_auc": ev.auc(y[m], beh[m]),
                "application_auc": ev.auc(y[m], app[m]),
            }
        )
    b, a = _figures(y, beh), _figures(y, app)
    return {
        "rows": len(y),
        "borrowers": int(test["applicant_id"].nunique()),
        "bad_rate": float(y.mean()),
        "behaviour": b,
        "application": a,
        "auc_gain": b["auc"] - a["auc"],
        "auc_gain_se": ev.auc_difference_se(y, beh, app),
        "ks_gain": b["ks"] - a["ks"],
        "application_calibration": platt.as_dict(),
        "by_months_on_book": by_mob,
    }


def _score_logit(frame: pd.DataFrame) -> np.ndarray:
    """The application score as log-odds of bad on the workbench's default scale (600 at
    50:1, 20 points to double the odds); Platt then fits the map to ``bad_next``."""
    points = frame[APPLICATION_SCORE].to_numpy(dtype=np.float64)
    out: np.ndarray = -((points - 600.0) * math.log(2) / 20.0 + math.log(50.0))
    return out


def with_application_score(
    table: pd.DataFrame, applicants: pd.DataFrame, application: ScoringModel
) -> pd.DataFrame:
    """``table`` with each borrower's ``application_score`` (the application model's points
    on the applicants table, as at origination)."""
    if "applicant_id" not in applicants.columns:
        raise DataContractError("the applicants table lacks applicant_id", field="applicants")
    ids = applicants["applicant_id"].astype(str)
    people = applicants[ids.isin(set(table["applicant_id"].astype(str)))]
    scored = application.score_frame(people)["score"].astype(np.int64)
    by_id = pd.Series(scored.to_numpy(), index=people["applicant_id"].astype(str).to_numpy())
    score = table["applicant_id"].astype(str).map(by_id)
    if score.isna().any():
        missing = table.loc[score.isna(), "applicant_id"].iloc[0]
        raise DataContractError(
            "a borrower of the performance table is not in the applicants table",
            field="applicant_id",
            value=str(missing),
            remedy="pass the applicants table the performance was simulated from",
        )
    return table.assign(**{APPLICATION_SCORE: score.astype(np.int64)})


def train_behaviour_model(
    table: pd.DataFrame,
    *,
    application_version: str,
    kind: str = "both",
    seed: int = 42,
    test_share: float = 0.3,
    horizon: int = DEFAULT_HORIZON,
    progress: Callable[[str], None] | None = None,
) -> ScoringModel:
    """Train the behaviour model on ``table`` (:func:`behaviour_table` then
    :func:`with_application_score`) with the scoring workbench on the training borrowers;
    the comparison on the held-out borrowers goes into its evaluation (``model.evaluation
    ["behaviour_comparison"]``), so the model directory and its report carry it."""
    held = split_by_borrower(table["applicant_id"], test_share=test_share, seed=seed)
    train, test = table[~held].reset_index(drop=True), table[held].reset_index(drop=True)
    inputs = [*BEHAVIOUR_INPUTS, APPLICATION_SCORE]
    model = train_model(
        train[[*inputs, TARGET, "segment"]],
        target=TARGET,
        kind=kind,
        seed=seed,
        segment="segment",
        monotone={"current_dpd": 1, "worst_dpd_12m": 1, APPLICATION_SCORE: -1},
        # read at the review date, before the outcome window: days past due now may rank
        # defaults almost perfectly (a borrower who stopped paying defaults within months)
        keep=inputs,
        progress=progress,
    )
    model.evaluation["behaviour_comparison"] = compare_with_application(model, train, test)
    model.training.update(
        {
            "kind_of_model": "behaviour",
            "horizon_months": horizon,
            "review_months": sorted({int(k) for k in table["review_month"]}),
            "application_model": application_version,
            "held_out_borrowers_share": test_share,
            "training_borrowers": int(train["applicant_id"].nunique()),
        }
    )
    return model
