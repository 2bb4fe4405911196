"""Back-tests: is the predicted PD still the realised bad rate, and does the score still rank?

Per grade and overall: loans, bads, the mean predicted PD, the realised bad rate and its Wilson
(binomial) 95% interval; an alert when the mean predicted PD lies outside the interval
(DOMAIN §14: check drift first, then ranking, then calibration). Ranking on matured outcomes:
AUC (scikit-learn), Gini = 2 × AUC − 1, and KS, the largest gap between the score's distribution
among bads and among goods (SciPy's two-sample statistic).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest, ks_2samp
from sklearn.metrics import roc_auc_score

from thinfile.errors import DataContractError

__all__ = [
    "BACKTEST_COLUMNS",
    "CONFIDENCE",
    "RANKING_COLUMNS",
    "Ranking",
    "backtest_by_grade",
    "ranking",
    "ranking_by_vintage",
]

CONFIDENCE = 0.95
BACKTEST_COLUMNS: tuple[str, ...] = (
    "grade",
    "loans",
    "bads",
    "predicted_pd",
    "bad_rate",
    "low",
    "high",
    "alert",
)
RANKING_COLUMNS: tuple[str, ...] = ("vintage", "loans", "bads", "auc", "gini", "ks")
OVERALL = "all"


@dataclass(frozen=True, slots=True)
class Ranking:
    """How well a score separates bads from goods (NaN when one class is absent)."""

    auc: float
    gini: float
    ks: float


def backtest_by_grade(
    outcomes: pd.DataFrame, *, grade: str = "grade", pd_column: str = "pd", bad: str = "bad"
) -> pd.DataFrame:
    """:data:`BACKTEST_COLUMNS`, one row per grade (sorted) and a last row ``all``."""
    _require(outcomes, (grade, pd_column, bad))
    rows = [_row(str(g), group, pd_column, bad) for g, group in outcomes.groupby(grade)]
    rows.append(_row(OVERALL, outcomes, pd_column, bad))
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))


def ranking(scores: pd.Series, bad: pd.Series) -> Ranking:
    """AUC, Gini and KS of ``scores`` (higher = riskier) against 0/1 outcomes ``bad``."""
    is_bad = bad.to_numpy(dtype=np.int64) == 1
    if is_bad.all() or not is_bad.any():
        return Ranking(auc=np.nan, gini=np.nan, ks=np.nan)
    values = scores.to_numpy(dtype=np.float64)
    auc = np.float64(roc_auc_score(is_bad, values)).item()
    ks = ks_2samp(values[is_bad], values[~is_bad]).statistic.item()
    return Ranking(auc=auc, gini=2 * auc - 1, ks=ks)


def ranking_by_vintage(
    outcomes: pd.DataFrame, *, score: str = "score", bad: str = "bad", vintage: str = "vintage"
) -> pd.DataFrame:
    """:data:`RANKING_COLUMNS`: AUC, Gini and KS on matured outcomes per vintage (sorted) and a
    last row ``all``; without a ``vintage`` column only the ``all`` row. A vintage whose loans
    are all good (or all bad) cannot be ranked: its measures are NaN."""
    _require_ranking(outcomes, score, bad)
    groups = list(outcomes.groupby(vintage)) if vintage in outcomes.columns else []
    rows = [_ranked(str(v), group, score, bad) for v, group in groups]
    rows.append(_ranked(OVERALL, outcomes, score, bad))
    return pd.DataFrame(rows, columns=list(RANKING_COLUMNS))


def _ranked(name: str, group: pd.DataFrame, score: str, bad: str) -> dict[str, object]:
    measures = ranking(group[score], group[bad])
    return {
        "vintage": name,
        "loans": len(group),
        "bads": int(group[bad].sum()),
        "auc": measures.auc,
        "gini": measures.gini,
        "ks": measures.ks,
    }


def _require_ranking(table: pd.DataFrame, score: str, bad: str) -> None:
    missing = [c for c in (score, bad) if c not in table.columns]
    if missing:
        raise DataContractError(
            f"the outcomes table lacks {', '.join(missing)}",
            field="outcomes",
            value=", ".join(missing),
            remedy="pass one row per matured loan with its score and 0/1 bad",
        )
    if not table[bad].isin([0, 1]).all():
        raise DataContractError(
            "the bad flag must be 0 or 1", field=bad, remedy="mark each loan 1 if bad"
        )


def _row(name: str, group: pd.DataFrame, pd_column: str, bad: str) -> dict[str, object]:
    loans = len(group)
    bads = int(group[bad].sum())
    interval = binomtest(bads, loans).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    predicted = np.float64(group[pd_column].mean()).item()
    low, high = np.float64(interval.low).item(), np.float64(interval.high).item()
    return {
        "grade": name,
        "loans": loans,
        "bads": bads,
        "predicted_pd": predicted,
        "bad_rate": bads / loans,
        "low": low,
        "high": high,
        "alert": not low <= predicted <= high,
    }


def _require(table: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataContractError(
            f"the outcomes table lacks {', '.join(missing)}",
            field="outcomes",
            value=", ".join(missing),
            remedy="pass one row per matured loan with its grade, predicted PD and 0/1 bad",
        )
    if not table[columns[2]].isin([0, 1]).all():
        raise DataContractError(
            "the bad flag must be 0 or 1", field=columns[2], remedy="mark each loan 1 if bad"
        )
