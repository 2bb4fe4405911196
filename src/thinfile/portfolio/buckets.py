"""Delinquency buckets of a loan-month: the states of the roll-rate matrix (DOMAIN §14)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BUCKETS", "DEFAULT_STATUSES", "ENDED_STATUSES", "bucket_of", "is_default"]

BUCKETS: tuple[str, ...] = ("current", "1-29", "30-59", "60-89", "90+", "closed")
"""Current, days past due 1–29, 30–59, 60–89, 90+ (default), and closed or prepaid."""
ENDED_STATUSES: frozenset[str] = frozenset({"closed", "prepaid", "paid_off", "settled"})
"""Statuses of a loan paid off, on time or early: the ``closed`` bucket."""
DEFAULT_STATUSES: frozenset[str] = frozenset({"default", "charged_off", "written_off"})
"""Statuses of a defaulted loan, whatever its days past due."""


def is_default(status: pd.Series, days_past_due: pd.Series) -> pd.Series:
    """True where a loan-month is in default: a default status or 90+ days past due."""
    return status.isin(DEFAULT_STATUSES) | (days_past_due >= 90)


def bucket_of(status: pd.Series, days_past_due: pd.Series) -> pd.Series:
    """The bucket of each loan-month, as an ordered categorical over :data:`BUCKETS`."""
    dpd = days_past_due.to_numpy()
    codes = np.select(
        [
            status.isin(ENDED_STATUSES).to_numpy(),
            is_default(status, days_past_due).to_numpy(),
            dpd >= 60,
            dpd >= 30,
            dpd >= 1,
        ],
        [5, 4, 3, 2, 1],
        0,
    )
    return pd.Series(
        pd.Categorical.from_codes(
            codes.astype(np.int64), categories=pd.Index(BUCKETS), ordered=True
        ),
        index=status.index,
        name="bucket",
    )
