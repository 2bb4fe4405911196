"""Vintage curves (账龄分析): how each origination month's loans go bad as they age.

For a vintage v and months on book k (DOMAIN §14): ever-30+ at k is the share of v's loans that
were 30 or more days past due at some month-end up to k; likewise 60+ and 90+; the cumulative
default rate is the share of v's loans in default (:func:`~thinfile.portfolio.buckets.is_default`)
by k. The denominator is every loan originated in v, so a loan that closes early stays in it
with the state it reached; each share is given by loan count and by principal lent.
A vintage's rows run from k = 1 to the largest months on book any of its loans reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thinfile.portfolio.buckets import is_default
from thinfile.portfolio.loan_months import check_loan_months

__all__ = ["VINTAGE_COLUMNS", "vintage_curves", "vintage_events"]

VINTAGE_COLUMNS: tuple[str, ...] = (
    "vintage",
    "mob",
    "loans",
    "principal",
    "ever_30",
    "ever_60",
    "ever_90",
    "default_cum",
    "ever_30_principal",
    "ever_60_principal",
    "ever_90_principal",
    "default_cum_principal",
)
_EVENTS = ("ever_30", "ever_60", "ever_90", "default_cum")


def vintage_events(loan_months: pd.DataFrame) -> pd.DataFrame:
    """One row per loan: vintage, principal, last month on book, and the first month on book
    of each event (30+, 60+, 90+ days past due, default); 0 where it never happened."""
    t = check_loan_months(loan_months)
    flags = {
        "ever_30": t["days_past_due"] >= 30,
        "ever_60": t["days_past_due"] >= 60,
        "ever_90": t["days_past_due"] >= 90,
        "default_cum": is_default(t["status"], t["days_past_due"]),
    }
    grouped = t.groupby("loan_id", sort=True)
    loans = pd.DataFrame(
        {
            "vintage": grouped["vintage"].first(),
            "principal": grouped["principal"].first(),
            "last_mob": grouped["mob"].max(),
        }
    )
    for name, flag in flags.items():
        first = t.loc[flag].groupby("loan_id")["mob"].min()
        loans[name] = first.reindex(loans.index, fill_value=0).astype(np.int64)
    return loans


def vintage_curves(loan_months: pd.DataFrame) -> pd.DataFrame:
    """The curves: :data:`VINTAGE_COLUMNS`, one row per vintage and month on book.

    Shares are floats in [0, 1] (ratios of counts, and of fen: never money themselves).
    """
    loans = vintage_events(loan_months)
    frames = [_one_vintage(v, group) for v, group in loans.groupby("vintage", sort=True)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in VINTAGE_COLUMNS}).astype(
            {"vintage": "str"}
        )
    return pd.concat(frames, ignore_index=True)[list(VINTAGE_COLUMNS)]


def _one_vintage(vintage: object, loans: pd.DataFrame) -> pd.DataFrame:
    horizon = int(loans["last_mob"].max())
    mobs = np.arange(1, horizon + 1)
    count = len(loans)
    lent = int(loans["principal"].sum())
    out: dict[str, object] = {
        "vintage": pd.array([str(vintage)] * horizon, dtype="str"),
        "mob": mobs,
        "loans": np.full(horizon, count, dtype=np.int64),
        "principal": np.full(horizon, lent, dtype=np.int64),
    }
    for name in _EVENTS:
        first = loans[name].to_numpy()
        happened = first > 0
        by_count = np.bincount(first[happened], minlength=horizon + 1)[1:]
        by_principal = np.bincount(
            first[happened],
            weights=loans["principal"].to_numpy()[happened].astype(np.float64),
            minlength=horizon + 1,
        )[1:]
        out[name] = np.cumsum(by_count) / count
        out[f"{name}_principal"] = np.cumsum(by_principal) / lent if lent else 0.0
    return pd.DataFrame(out)
