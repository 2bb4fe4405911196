"""Small loan-month tables whose measures are worked out by hand in the tests."""

from __future__ import annotations

import pandas as pd

from thinfile.portfolio import LOAN_MONTH_COLUMNS

__all__ = ["loan_months", "small_book"]


def loan_months(rows: list[tuple[str, str, int, str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(LOAN_MONTH_COLUMNS))


def small_book() -> pd.DataFrame:
    """Three loans in 2026-01 (A goes bad, B prepays in month 2, C slips and cures and slips
    again) and a one-loan vintage 2026-02 (D, 31 days past due in its second month)."""
    return loan_months(
        [
            ("A", "2026-01", 1, "on_time", 0, 900, 1000),
            ("A", "2026-01", 2, "late", 35, 900, 1000),
            ("A", "2026-01", 3, "late", 65, 900, 1000),
            ("A", "2026-01", 4, "default", 95, 900, 1000),
            ("B", "2026-01", 1, "on_time", 0, 2800, 3000),
            ("B", "2026-01", 2, "prepaid", 0, 0, 3000),
            ("C", "2026-01", 1, "late", 10, 2000, 2000),
            ("C", "2026-01", 2, "on_time", 0, 1700, 2000),
            ("C", "2026-01", 3, "on_time", 0, 1500, 2000),
            ("C", "2026-01", 4, "late", 40, 1500, 2000),
            ("D", "2026-02", 1, "on_time", 0, 450, 500),
            ("D", "2026-02", 2, "late", 31, 450, 500),
        ]
    )
