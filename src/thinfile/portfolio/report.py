"""The portfolio report as plain data: every measure, rates as decimal strings.

Shape (``thinfile portfolio report --json``)::

    {"vintages": [{"vintage", "mob", "loans", "ever_30", "ever_60", "ever_90", "default_cum"}],
     "roll_rates": {"from": {"to": rate}},
     "psi": {"score": {"value", "flag"} | null, "features": {name: {"value", "flag"}}},
     "backtest": [{"grade", "loans", "bads", "predicted_pd", "bad_rate", "low", "high",
                   "alert"}],
     "fairness": [{"attribute", "group", "applications", "approvals", "approval_rate",
                   "bad_rate", "impact_ratio", "four_fifths", "z", "p_value", "significant"}],
     "inclusion": {"thin_file": {...}, "thick_file": {...}} or {}}

A rate is a string with six decimal places (``"0.333333"``), or null where it is undefined
(an empty roll-rate row, a bad rate with no known outcome). Inputs: the loan-month table; the
baseline and current score tables (a ``score`` column, model inputs beside it; the current one
may carry ``grade``, ``pd`` and ``bad`` for the back-test); the decisions table (``approved``,
protected attributes, optionally ``bad`` and ``bureau_records``).
"""

from __future__ import annotations

import math

import pandas as pd

from thinfile.errors import DataContractError
from thinfile.portfolio.backtest import backtest_by_grade
from thinfile.portfolio.drift import Stability, csi, psi
from thinfile.portfolio.fairness import fairness_table
from thinfile.portfolio.roll_rates import RollRates, roll_rates
from thinfile.portfolio.vintage import vintage_curves

__all__ = ["PROTECTED_ATTRIBUTES", "THIN_FILE_RECORDS", "build_report", "rate_text"]

PROTECTED_ATTRIBUTES: tuple[str, ...] = (
    "gender",
    "age_band",
    "hukou_status",
    "is_local_hukou",
    "region",
)
THIN_FILE_RECORDS = 2
"""A thin file (征信白户 included) has at most this many bureau records."""
_NOT_FEATURES = frozenset({"score", "grade", "pd", "bad", "applicant_id", "loan_id"})

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
) -> Json:
    """Every measure of the report; ``curves`` and ``rolls`` when computed elsewhere (DuckDB),
    and then ``loan_months`` may be None."""
    if curves is None or rolls is None:
        if loan_months is None:
            raise DataContractError(
                "the report needs the loan-month table", field="loan_months", remedy=_REMEDY
            )
        curves = vintage_curves(loan_months) if curves is None else curves
        rolls = roll_rates(loan_months) if rolls is None else rolls
    return {
        "vintages": _vintages(curves),
        "roll_rates": {
            start: {end: rate_text(v) for end, v in row.items()}
            for start, row in rolls.rates.to_dict(orient="index").items()
        },
        "psi": _drift(scores_baseline, scores_current),
        "backtest": _backtest(scores_current),
        "fairness": _records(fairness_table(decisions, PROTECTED_ATTRIBUTES))
        if decisions is not None
        else [],
        "inclusion": _inclusion(decisions),
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


def _backtest(current: pd.DataFrame | None) -> list[Json]:
    if current is None or not {"grade", "pd", "bad"} <= set(current.columns):
        return []
    matured = current.dropna(subset=["bad"])
    return _records(backtest_by_grade(matured.astype({"bad": "int64"})))


def _inclusion(decisions: pd.DataFrame | None) -> Json:
    if decisions is None or "bureau_records" not in decisions.columns:
        return {}
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
