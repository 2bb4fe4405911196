"""Population stability (PSI) of a score, and of each model input (CSI), baseline → current.

PSI = Σ over bins of (A − E) × ln(A / E), A and E the current and baseline shares of the bin
(DOMAIN §14). Bins come from the baseline alone: a numeric column is cut at its deciles (the
edges that are distinct; bins are right-closed, the first open below, the last open above), a
categorical one (text, boolean, category) has a bin per category seen in either sample, and
missing values are a bin of their own in both cases. Each share is floored at 0.0001 so an empty
bin counts without dividing by zero. Below 0.10 is ``stable``, 0.10 to 0.25 ``watch``, above
0.25 ``act``. CSI is the same figure for one feature. Monitoring reads the score's PSI per
calendar week (ISO, ``2026-W05``) and per month (``2026-05``) of the current sample's dates,
each window against the same baseline.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = [
    "ACT",
    "SHARE_FLOOR",
    "WATCH",
    "WINDOWS",
    "Stability",
    "csi",
    "psi",
    "psi_by_window",
    "stability_flag",
]

SHARE_FLOOR = 0.0001
WATCH = 0.10
ACT = 0.25
MISSING = "(missing)"
WINDOWS: dict[str, str] = {"week": "W-SUN", "month": "M"}
"""The monitoring windows and their pandas periods (ISO weeks end on Sunday)."""


@dataclass(frozen=True, slots=True)
class Stability:
    """One PSI: the figure, its flag and the bins (label, baseline and current share)."""

    value: float
    flag: str
    bins: pd.DataFrame


def stability_flag(value: float) -> str:
    """``stable`` below 0.10, ``watch`` from 0.10 to 0.25, ``act`` above 0.25."""
    if value > ACT:
        return "act"
    return "watch" if value >= WATCH else "stable"


def psi(baseline: pd.Series, current: pd.Series) -> Stability:
    """The population stability index of ``current`` against ``baseline``."""
    if baseline.notna().sum() + baseline.isna().sum() == 0 or len(current) == 0:
        raise DataContractError(
            "PSI needs a baseline and a current sample with rows",
            field="baseline" if len(baseline) == 0 else "current",
            remedy="pass both score tables, each with at least one row",
        )
    if _is_categorical(baseline):
        base, now = _by_category(baseline, current)
    else:
        base, now = _by_decile(baseline, current)
    expected = np.maximum(base / len(baseline), SHARE_FLOOR)
    actual = np.maximum(now / len(current), SHARE_FLOOR)
    value = (actual - expected) * np.log(actual / expected)
    total = value.sum().item()
    bins = pd.DataFrame(
        {"bin": base.index.astype(str), "baseline": expected, "current": actual, "psi": value}
    ).reset_index(drop=True)
    return Stability(value=total, flag=stability_flag(total), bins=bins)


def csi(
    baseline: pd.DataFrame, current: pd.DataFrame, features: Iterable[str]
) -> dict[str, Stability]:
    """The characteristic stability index of each feature present in both tables."""
    shared = [f for f in features if f in baseline.columns and f in current.columns]
    return {f: psi(baseline[f], current[f]) for f in shared}


def _is_categorical(values: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _by_category(baseline: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series]:
    base = baseline.astype("str").where(baseline.notna(), MISSING)
    now = current.astype("str").where(current.notna(), MISSING)
    labels = sorted(set(base) | set(now))
    return (
        base.value_counts().reindex(labels, fill_value=0).astype(np.float64),
        now.value_counts().reindex(labels, fill_value=0).astype(np.float64),
    )


def _by_decile(baseline: pd.Series, current: pd.Series) -> tuple[pd.Series, pd.Series]:
    known = baseline.dropna().to_numpy(dtype=np.float64)
    edges = np.unique(np.quantile(known, np.linspace(0.1, 0.9, 9))) if known.size else np.array([])
    cuts = [-np.inf, *edges.tolist(), np.inf]
    labels = [f"({lo:g}, {hi:g}]" for lo, hi in itertools.pairwise(cuts)] + [MISSING]

    def counts(values: pd.Series) -> pd.Series:
        present = values.dropna().to_numpy(dtype=np.float64)
        bins = np.searchsorted(edges, present, side="left")  # right-closed bins
        tally = [*np.bincount(bins, minlength=edges.size + 1).tolist(), values.isna().sum()]
        return pd.Series(tally, index=labels, dtype=np.float64)

    return counts(baseline), counts(current)


def psi_by_window(
    baseline: pd.Series, current: pd.DataFrame, *, on: str, value: str = "score", window: str
) -> pd.DataFrame:
    """The PSI of ``current[value]`` against ``baseline`` per ``window`` (``week`` or
    ``month``) of the dates in ``current[on]``, oldest first: columns ``window`` (its label),
    ``rows``, ``psi``, ``flag``. Rows without a date belong to no window."""
    if window not in WINDOWS:
        raise DataContractError(
            f"no window {window!r}",
            field="window",
            value=window,
            remedy=f"choose one of {', '.join(WINDOWS)}",
        )
    if on not in current.columns or value not in current.columns:
        raise DataContractError(
            f"the current table lacks {on if on not in current.columns else value}",
            field="current",
            remedy=f"pass the current scores with a {value!r} and a {on!r} date column",
        )
    dated = current[[on, value]].dropna(subset=[on])
    periods = pd.to_datetime(dated[on]).dt.to_period(WINDOWS[window])
    rows = []
    for period, group in dated.groupby(periods, sort=True):
        found = psi(baseline, group[value])
        rows.append(
            {
                "window": _label(period, window),
                "rows": len(group),
                "psi": found.value,
                "flag": found.flag,
            }
        )
    return pd.DataFrame(rows, columns=["window", "rows", "psi", "flag"])


def _label(period: pd.Period, window: str) -> str:
    if window == "month":
        return f"{period.year:04d}-{period.month:02d}"
    year, week, _ = period.start_time.isocalendar()
    return f"{year:04d}-W{week:02d}"
