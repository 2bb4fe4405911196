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

__all__ = ["RollRates", "rates_from_counts", "roll_rates"]


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
