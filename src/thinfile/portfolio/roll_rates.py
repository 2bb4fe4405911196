"""Roll rates (迁徙率): where loans in each bucket are found one month later.

M[i][j] (DOMAIN §14) counts loans in bucket i at month on book t found in bucket j at t + 1,
over loans present in both months, pooled over every t; the rate divides by the row total, so
each row with loans sums to 1. A loan that closes at t + 1 counts in column ``closed``; a loan
with no row at t + 1 (the end of the data, or closed at t) is in no pair. The forward roll of
bucket i is M[i][i + 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinfile.portfolio.buckets import BUCKETS, bucket_of
from thinfile.portfolio.loan_months import check_loan_months

__all__ = [
    "FORWARD_COLUMNS",
    "RollRates",
    "forward_by_month",
    "forward_from_counts",
    "month_index",
    "month_text",
    "rates_from_counts",
    "roll_rates",
]

FORWARD_COLUMNS: tuple[str, ...] = ("month", "bucket", "loans", "rolled", "rate")


@dataclass(frozen=True, slots=True)
class RollRates:
    """Transition ``counts`` (int64) and row ``rates`` (float, NaN for an empty row), both
    indexed by the bucket of the earlier month (rows) and of the later month (columns)."""

    counts: pd.DataFrame
    rates: pd.DataFrame

    def forward(self) -> dict[str, float]:
        """The forward roll of each delinquency bucket: current → 1–29, …, 60–89 → 90+."""
        rates = self.rates.to_numpy(dtype=np.float64)
        return {BUCKETS[i]: rates[i, i + 1].item() for i in range(4)}


def roll_rates(loan_months: pd.DataFrame) -> RollRates:
    """The roll-rate matrix of a loan-month table."""
    t = check_loan_months(loan_months)
    states = pd.DataFrame(
        {
            "loan_id": t["loan_id"],
            "mob": t["mob"],
            "bucket": bucket_of(t["status"], t["days_past_due"]).cat.codes,
        }
    )
    later = states.assign(mob=states["mob"] - 1)
    pairs = states.merge(later, on=["loan_id", "mob"], suffixes=("_from", "_to"))
    return rates_from_counts(pairs.assign(n=1))


def rates_from_counts(pairs: pd.DataFrame) -> RollRates:
    """The matrix from ``bucket_from``, ``bucket_to`` (codes into :data:`BUCKETS`) and ``n``
    (loans making that move): the one place counts become rates, for every engine."""
    grid = pairs.pivot_table(
        index="bucket_from", columns="bucket_to", values="n", aggfunc="sum", fill_value=0
    )
    codes = range(len(BUCKETS))
    counts = grid.reindex(index=codes, columns=codes, fill_value=0).astype("int64")
    counts.index = pd.Index(BUCKETS, name="from")
    counts.columns = pd.Index(BUCKETS, name="to")
    totals = counts.sum(axis=1)
    rates = counts.div(totals.where(totals > 0), axis=0)
    return RollRates(counts=counts, rates=rates)


def month_index(vintage: pd.Series, mob: pd.Series) -> pd.Series:
    """The calendar month of a month-end, as year × 12 + month − 1: the vintage's month plus
    months on book − 1 (month on book 1 is the vintage's own month-end)."""
    year = vintage.str.slice(0, 4).astype("int64")
    month = vintage.str.slice(5, 7).astype("int64")
    return year * 12 + month - 1 + mob.astype("int64") - 1


def month_text(index: int) -> str:
    """``YYYY-MM`` of a :func:`month_index` value."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def forward_by_month(loan_months: pd.DataFrame) -> pd.DataFrame:
    """The forward roll of each delinquency bucket by calendar month (迁徙率 month on month):
    :data:`FORWARD_COLUMNS`, ``month`` the month loans rolled *into*."""
    t = check_loan_months(loan_months)
    states = pd.DataFrame(
        {
            "loan_id": t["loan_id"],
            "mob": t["mob"],
            "month": month_index(t["vintage"], t["mob"]),
            "bucket": bucket_of(t["status"], t["days_past_due"]).cat.codes,
        }
    )
    later = states.assign(mob=states["mob"] - 1).drop(columns="month")
    pairs = states.merge(later, on=["loan_id", "mob"], suffixes=("_from", "_to"))
    pairs = pairs.assign(month=pairs["month"] + 1, n=1)
    grouped = pairs.groupby(["month", "bucket_from", "bucket_to"])["n"].sum()
    return forward_from_counts(grouped.reset_index())


def forward_from_counts(pairs: pd.DataFrame) -> pd.DataFrame:
    """:data:`FORWARD_COLUMNS` from ``month`` (a :func:`month_index`), ``bucket_from``,
    ``bucket_to`` and ``n``, for every engine: loans in bucket i the month before, and how
    many of them were in bucket i + 1 in ``month``; buckets current … 60–89."""
    rows = []
    totals = pairs.groupby(["month", "bucket_from"], sort=True)["n"].sum()
    onward = pairs[pairs["bucket_to"] == pairs["bucket_from"] + 1]
    rolled_by = onward.groupby(["month", "bucket_from"])["n"].sum()
    for key, loans in totals.items():
        month, code = (int(k) for k in key)  # type: ignore[attr-defined]  # a (month, bucket) pair
        if code > 3:
            continue
        rolled = int(rolled_by.get((month, code), 0))
        rows.append((month_text(month), BUCKETS[code], int(loans), rolled, rolled / loans))
    return pd.DataFrame(rows, columns=list(FORWARD_COLUMNS))
