"""The portfolio report as plain data: every measure, rates as decimal strings.

Shape (``thinfile portfolio report --json``)::

    {"vintages": [{"vintage", "mob", "loans", "ever_30", "ever_60", "ever_90", "default_cum"}],
     "roll_rates": {"from": {"to": rate}},
     "psi": {"score": {"value", "flag"} | null, "features": {name: {"value", "flag"}}},
     "psi_windows": {"week": [{"window", "rows", "psi", "flag"}], "month": [...]},
     "backtest": [{"grade", "loans", "bads", "predicted_pd", "bad_rate", "low", "high",
                   "alert"}],
     "ranking": [{"vintage", "loans", "bads", "auc", "gini", "ks"}],
     "fairness": [{"attribute", "group", "applications", "approvals", "approval_rate",
                   "bad_rate", "impact_ratio", "four_fifths", "z", "p_value", "significant"}],
     "inclusion": {"thin_file": {...}, "thick_file": {...},
                   "baseline": {"cutoff", "cutoff_rule", "included", ..., "policies": [...]}}
                  or {}  (the console's live report adds "needs_bureau_baseline": true when
                  the active model has no bureau-only baseline),
     "roll_trend": [{"month", "bucket", "loans", "rolled", "rate"}],
     "alerts": [{"level", "measure", "subject", "value", "limit"}],
     "alert_thresholds": "portfolio-alerts/3"}

A rate is a string with six decimal places (``"0.333333"``), or null where it is undefined
(an empty roll-rate row, a bad rate with no known outcome). Inputs: the loan-month table; the
baseline and current score tables (a ``score`` column — the application score, higher is
safer, as thinfile's scores are — model inputs beside it; the current one
may carry ``grade``, ``pd`` and ``bad`` for the back-test, ``vintage`` for ranking by
vintage, and a ``decided_on`` date for the weekly and monthly PSI); the decisions table
(``approved``, protected attributes, optionally ``bad``, ``bureau_records``, and
``bureau_score`` with ``pd`` for the comparison with a bureau-only policy, see ``inclusion``).
``roll_trend`` is each bucket's forward roll by calendar month; ``alerts`` the measures past
the thresholds (``alerts.py``).
"""

from __future__ import annotations

import math

import pandas as pd

from thinfile.errors import DataContractError
from thinfile.portfolio.alerts import Thresholds, evaluate_alerts, load_thresholds
from thinfile.portfolio.backtest import backtest_by_grade, ranking_by_vintage
from thinfile.portfolio.drift import WINDOWS, Stability, csi, psi, psi_by_window
from thinfile.portfolio.fairness import fairness_table
from thinfile.portfolio.inclusion import THIN_FILE_RECORDS, inclusion
from thinfile.portfolio.roll_rates import RollRates, forward_by_month, roll_rates
from thinfile.portfolio.vintage import vintage_curves

__all__ = [
    "DECIDED_ON",
    "PROTECTED_ATTRIBUTES",
    "THIN_FILE_RECORDS",
    "build_report",
    "rate_text",
]

PROTECTED_ATTRIBUTES: tuple[str, ...] = (
    "gender",
    "age_band",
    "hukou_status",
    "is_local_hukou",
    "region",
)
DECIDED_ON = "decided_on"
"""The date column of the current scores that the weekly and monthly PSI read."""
"""A thin file (征信白户 included) has at most this many bureau records."""
_NOT_FEATURES = frozenset(
    {"score", "grade", "pd", "bad", "applicant_id", "loan_id", "vintage", DECIDED_ON}
)

Json = dict[str, object]
_REMEDY = "pass a loan-month table: thinfile portfolio export or thinfile synth performance"


def rate_text(value: object) -> str | None:
    """A rate as a decimal string with six places; None for NaN or a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"{value:.6f}"


def build_report(
    loan_months: pd.DataFrame | None,
    *,
    scores_baseline: pd.DataFrame | None = None,
    scores_current: pd.DataFrame | None = None,
    decisions: pd.DataFrame | None = None,
    curves: pd.DataFrame | None = None,
    rolls: RollRates | None = None,
    forward: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
    bureau_cutoff: float | None = None,
) -> Json:
    """Every measure of the report; ``curves``, ``rolls`` and ``forward`` (the forward roll by
    month) when computed elsewhere (DuckDB), and then ``loan_months`` may be None. Alerts use
    ``thresholds`` (the shipped ones when None); the bureau-only baseline ``bureau_cutoff``
    (chosen at the same expected loss when None)."""
    if curves is None or rolls is None or forward is None:
        if loan_months is None:
            raise DataContractError(
                "the report needs the loan-month table", field="loan_months", remedy=_REMEDY
            )
        curves = vintage_curves(loan_months) if curves is None else curves
        rolls = roll_rates(loan_months) if rolls is None else rolls
        forward = forward_by_month(loan_months) if forward is None else forward
    thresholds = thresholds or load_thresholds()
    report = _measures(curves, rolls, scores_baseline, scores_current, decisions, bureau_cutoff)
    report["roll_trend"] = _records(forward)
    report["alerts"] = [a.as_dict() for a in evaluate_alerts(report, thresholds)]
    report["alert_thresholds"] = thresholds.version
    return report


def _measures(
    curves: pd.DataFrame,
    rolls: RollRates,
    scores_baseline: pd.DataFrame | None,
    scores_current: pd.DataFrame | None,
    decisions: pd.DataFrame | None,
    bureau_cutoff: float | None,
) -> Json:
    return {
        "vintages": _vintages(curves),
        "roll_rates": {
            start: {end: rate_text(v) for end, v in row.items()}
            for start, row in rolls.rates.to_dict(orient="index").items()
        },
        "psi": _drift(scores_baseline, scores_current),
        "psi_windows": _windows(scores_baseline, scores_current),
        "backtest": _backtest(scores_current),
        "ranking": _ranking(scores_current),
        "fairness": _records(fairness_table(decisions, PROTECTED_ATTRIBUTES))
        if decisions is not None
        else [],
        "inclusion": _inclusion(decisions, bureau_cutoff),
    }


def _vintages(curves: pd.DataFrame) -> list[Json]:
    rates = ("ever_30", "ever_60", "ever_90", "default_cum")
    return [
        {
            "vintage": row["vintage"],
            "mob": int(row["mob"]),
            "loans": int(row["loans"]),
            **{name: rate_text(row[name]) for name in rates},
        }
        for row in curves.to_dict(orient="records")
    ]


def _stability(result: Stability) -> Json:
    return {"value": rate_text(result.value), "flag": result.flag}


def _drift(baseline: pd.DataFrame | None, current: pd.DataFrame | None) -> Json:
    if baseline is None or current is None:
        return {"score": None, "features": {}}
    features = [c for c in baseline.columns if c not in _NOT_FEATURES and c in current.columns]
    score = (
        _stability(psi(baseline["score"], current["score"]))
        if "score" in baseline.columns and "score" in current.columns
        else None
    )
    return {
        "score": score,
        "features": {name: _stability(s) for name, s in csi(baseline, current, features).items()},
    }


def _windows(baseline: pd.DataFrame | None, current: pd.DataFrame | None) -> Json:
    if baseline is None or current is None or "score" not in baseline.columns:
        return {}
    if DECIDED_ON not in current.columns or "score" not in current.columns:
        return {}
    return {
        name: _records(psi_by_window(baseline["score"], current, on=DECIDED_ON, window=name))
        for name in WINDOWS
    }


def _ranking(current: pd.DataFrame | None) -> list[Json]:
    if current is None or not {"score", "bad"} <= set(current.columns):
        return []
    matured = current.dropna(subset=["bad"])
    if matured.empty:
        return []
    # ranking reads scores as higher = riskier; an application score is higher = safer
    risk = matured.assign(score=-matured["score"]).astype({"bad": "int64"})
    return _records(ranking_by_vintage(risk))


def _backtest(current: pd.DataFrame | None) -> list[Json]:
    if current is None or not {"grade", "pd", "bad"} <= set(current.columns):
        return []
    matured = current.dropna(subset=["bad"])
    if matured.empty:  # no loan has matured yet: nothing to test
        return []
    return _records(backtest_by_grade(matured.astype({"bad": "int64"})))


def _inclusion(decisions: pd.DataFrame | None, cutoff: float | None) -> Json:
    if decisions is None or "bureau_records" not in decisions.columns:
        return {}
    out = _by_file(decisions)
    can_choose = cutoff is not None or "pd" in decisions.columns
    if "bureau_score" in decisions.columns and can_choose:
        found = inclusion(decisions, cutoff=cutoff)
        out["baseline"] = {
            "cutoff": None if math.isinf(found.cutoff) else _plain_number(found.cutoff),
            "cutoff_rule": found.cutoff_rule,
            "included": found.included,
            "included_expected_bad_rate": rate_text(found.included_expected_bad_rate),
            "included_observed_bad_rate": rate_text(found.included_observed_bad_rate),
            "policies": _records(found.table),
        }
    return out


def _plain_number(value: float) -> str:
    """A cut-off as written: no trailing zeros (``650``, ``0.35``)."""
    return format(value, ".10g")


def _by_file(decisions: pd.DataFrame) -> Json:
    thin = decisions["bureau_records"] <= THIN_FILE_RECORDS
    out: Json = {}
    for name, part in (("thin_file", decisions[thin]), ("thick_file", decisions[~thin])):
        approved = part["approved"].astype(bool)
        known = approved & part["bad"].notna() if "bad" in part.columns else approved & False
        out[name] = {
            "applications": len(part),
            "approvals": int(approved.sum()),
            "approval_rate": rate_text(approved.mean()) if len(part) else None,
            "bad_rate": rate_text(part.loc[known, "bad"].mean()) if known.any() else None,
        }
    return out


def _records(table: pd.DataFrame) -> list[Json]:
    """Rows as JSON objects: floats become rate strings; counts ints; flags booleans."""
    rows: list[Json] = []
    for row in table.to_dict(orient="records"):
        rows.append({str(k): _plain(v) for k, v in row.items()})
    return rows


def _plain(value: object) -> object:
    if isinstance(value, bool | str) or value is None:
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return rate_text(value)
    return value
