"""Fairness by protected group: approval rate, bad rate, adverse impact ratio, significance.

Per attribute (gender, age band, hukou status, region: lawfully held, never model inputs) and
group: applications, approvals, the approval rate, and where outcomes are known the bad rate
among approved loans with an outcome. The adverse impact ratio is a group's approval rate ÷
that of the most-approved group; below 0.8 is the four-fifths warning (DOMAIN §14). Paired with
a two-proportion z-test against the most-approved group (pooled standard error; two-sided
p-value from SciPy's normal distribution); ``significant`` at 5%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import norm

from thinfile.errors import DataContractError

__all__ = [
    "AGE_BANDS",
    "FAIRNESS_COLUMNS",
    "FOUR_FIFTHS",
    "SIGNIFICANCE",
    "age_band",
    "fairness_table",
]

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
)
"""Upper bounds (exclusive) of the age bands; 55 and over is ``55+``."""


def age_band(years: int) -> str:
    """The age band of an age in whole years (18-24, 25-34, 35-44, 45-54, 55+)."""
    for upper, name in AGE_BANDS:
        if years < upper:
            return name
    return "55+"


FOUR_FIFTHS = 0.8
SIGNIFICANCE = 0.05
FAIRNESS_COLUMNS: tuple[str, ...] = (
    "attribute",
    "group",
    "applications",
    "approvals",
    "approval_rate",
    "bad_rate",
    "impact_ratio",
    "four_fifths",
    "z",
    "p_value",
    "significant",
)


def fairness_table(
    decisions: pd.DataFrame,
    attributes: Iterable[str],
    *,
    approved: str = "approved",
    bad: str = "bad",
) -> pd.DataFrame:
    """:data:`FAIRNESS_COLUMNS`, one row per attribute present and group (sorted)."""
    if approved not in decisions.columns:
        raise DataContractError(
            f"the decisions table lacks {approved}",
            field="decisions",
            value=approved,
            remedy="pass one row per application with approved as true or false",
        )
    decisions = decisions.assign(**{approved: _flags(decisions[approved], approved)})
    frames = [
        _one_attribute(decisions, a, approved, bad)
        for a in attributes
        if a in decisions.columns and len(decisions)
    ]
    if not frames:
        return pd.DataFrame(columns=list(FAIRNESS_COLUMNS))
    return pd.concat(frames, ignore_index=True)


_TRUE = frozenset({"true", "1", "1.0"})
_FALSE = frozenset({"false", "0", "0.0"})


def _flags(values: pd.Series, column: str) -> pd.Series:
    """``values`` as booleans: true/false, 1/0 (as numbers or text, any case); a blank or
    any other value is refused naming its row (``astype(bool)`` would call a blank, or
    "no", approved)."""
    if pd.api.types.is_bool_dtype(values):
        return values
    text = values.astype("str").str.strip().str.lower().where(values.notna(), "")
    known = text.isin(_TRUE | _FALSE)
    if not known.all():
        row = int(np.flatnonzero(~known.to_numpy())[0])
        raise DataContractError(
            f"{column} must be true or false on every row; row {row + 1} has {values.iloc[row]!r}",
            field="decisions",
            value=column,
            remedy="write true or false (or 1 or 0) for every application",
        )
    return text.isin(_TRUE)


def _one_attribute(table: pd.DataFrame, attribute: str, approved: str, bad: str) -> pd.DataFrame:
    is_approved = table[approved].astype(bool)
    groups = table[attribute].astype("str").where(table[attribute].notna(), "(missing)")
    counts = pd.DataFrame({"applications": groups.value_counts().sort_index()})
    counts["approvals"] = is_approved.groupby(groups).sum().reindex(counts.index)
    counts["approval_rate"] = counts["approvals"] / counts["applications"]
    if bad in table.columns:
        known = is_approved & table[bad].notna()
        counts["bad_rate"] = table.loc[known, bad].groupby(groups[known]).mean()
    else:
        counts["bad_rate"] = np.nan
    rate = counts["approval_rate"].to_numpy(dtype=np.float64)
    best = int(np.argmax(rate))
    counts["impact_ratio"] = rate / rate[best] if rate[best] > 0 else np.nan
    counts["four_fifths"] = counts["impact_ratio"] < FOUR_FIFTHS
    apps = counts["applications"].to_numpy(dtype=np.int64)
    yes = counts["approvals"].to_numpy(dtype=np.int64)
    tests = [_z_test((yes[i], apps[i]), (yes[best], apps[best])) for i in range(len(apps))]
    counts["z"] = [z for z, _ in tests]
    counts["p_value"] = [p for _, p in tests]
    counts["significant"] = counts["p_value"] < SIGNIFICANCE
    counts.insert(0, "group", counts.index)
    counts.insert(0, "attribute", attribute)
    return counts.reset_index(drop=True)[list(FAIRNESS_COLUMNS)]


def _z_test(group: tuple[int, int], best: tuple[int, int]) -> tuple[float, float]:
    """Two-proportion z statistic of ``group`` against ``best`` (each approvals, applications)
    and its two-sided p-value."""
    (x1, n1), (x2, n2) = group, best
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / spread
    p_value: float = 2 * norm.sf(abs(z)).item()
    return z, p_value
