"""Portfolio monitoring (精细运营): measures of a loan book as pure functions over tables.

Data flow::

    loan-month table (export from the live book, or thinfile synth performance)
        ──► check_loan_months ──► vintage_curves, roll_rates
    baseline and current scores or model inputs ──► psi, csi
    matured outcomes (grade, predicted PD, bad) ──► backtest_by_grade, ranking
    decisions (protected attributes, approved, bad) ──► fairness_table

Definitions in ``docs.md`` beside this file (and DOMAIN §14); the SQL forms live in ``store``.
"""

from thinfile.portfolio.backtest import BACKTEST_COLUMNS, Ranking, backtest_by_grade, ranking
from thinfile.portfolio.buckets import BUCKETS, bucket_of, is_default
from thinfile.portfolio.drift import ACT, SHARE_FLOOR, WATCH, Stability, csi, psi, stability_flag
from thinfile.portfolio.fairness import FAIRNESS_COLUMNS, FOUR_FIFTHS, fairness_table
from thinfile.portfolio.loan_months import LOAN_MONTH_COLUMNS, OPTIONAL_COLUMNS, check_loan_months
from thinfile.portfolio.report import PROTECTED_ATTRIBUTES, build_report, rate_text
from thinfile.portfolio.roll_rates import RollRates, rates_from_counts, roll_rates
from thinfile.portfolio.vintage import VINTAGE_COLUMNS, vintage_curves, vintage_events

__all__ = [
    "ACT",
    "BACKTEST_COLUMNS",
    "BUCKETS",
    "FAIRNESS_COLUMNS",
    "FOUR_FIFTHS",
    "LOAN_MONTH_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PROTECTED_ATTRIBUTES",
    "SHARE_FLOOR",
    "VINTAGE_COLUMNS",
    "WATCH",
    "Ranking",
    "RollRates",
    "Stability",
    "backtest_by_grade",
    "bucket_of",
    "build_report",
    "check_loan_months",
    "csi",
    "fairness_table",
    "is_default",
    "psi",
    "ranking",
    "rate_text",
    "rates_from_counts",
    "roll_rates",
    "stability_flag",
    "vintage_curves",
    "vintage_events",
]
