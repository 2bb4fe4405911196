"""Portfolio monitoring (精细运营): measures of a loan book as pure functions over tables.

Data flow::

    loan-month table (export from the live book, or thinfile synth performance)
        ──► check_loan_months ──► vintage_curves, roll_rates
    baseline and current scores or model inputs ──► psi, csi
    matured outcomes (grade, predicted PD, bad) ──► backtest_by_grade, ranking,
                                                    ranking_by_vintage
    current scores by date ──► psi_by_window (weekly, monthly)
    decisions (protected attributes, approved, bad) ──► fairness_table
    decisions (approved, bureau records and score, PD, bad) ──► inclusion (bureau-only baseline)
    loan-month table ──► forward_by_month (roll rates month on month)
    the report + thresholds (alert_thresholds.json) ──► evaluate_alerts

Definitions in ``docs.md`` beside this file (and DOMAIN §14); the SQL forms live in ``store``.
"""

from thinfile.portfolio.alerts import (
    AMBER,
    DEFAULT_THRESHOLDS,
    RED,
    Alert,
    Thresholds,
    evaluate_alerts,
    has_red,
    load_thresholds,
)
from thinfile.portfolio.backtest import (
    BACKTEST_COLUMNS,
    RANKING_COLUMNS,
    Ranking,
    backtest_by_grade,
    ranking,
    ranking_by_vintage,
)
from thinfile.portfolio.buckets import BUCKETS, bucket_of, is_default
from thinfile.portfolio.drift import (
    ACT,
    SHARE_FLOOR,
    WATCH,
    WINDOWS,
    Stability,
    csi,
    psi,
    psi_by_window,
    stability_flag,
)
from thinfile.portfolio.fairness import FAIRNESS_COLUMNS, FOUR_FIFTHS, fairness_table
from thinfile.portfolio.inclusion import (
    INCLUSION_COLUMNS,
    THIN_FILE_RECORDS,
    Inclusion,
    bureau_only_approvals,
    cutoff_at_same_expected_loss,
    inclusion,
)
from thinfile.portfolio.loan_months import LOAN_MONTH_COLUMNS, OPTIONAL_COLUMNS, check_loan_months
from thinfile.portfolio.report import PROTECTED_ATTRIBUTES, build_report, rate_text
from thinfile.portfolio.roll_rates import (
    FORWARD_COLUMNS,
    RollRates,
    forward_by_month,
    forward_from_counts,
    rates_from_counts,
    roll_rates,
)
from thinfile.portfolio.vintage import VINTAGE_COLUMNS, vintage_curves, vintage_events

__all__ = [
    "ACT",
    "AMBER",
    "BACKTEST_COLUMNS",
    "BUCKETS",
    "DEFAULT_THRESHOLDS",
    "FAIRNESS_COLUMNS",
    "FORWARD_COLUMNS",
    "FOUR_FIFTHS",
    "INCLUSION_COLUMNS",
    "LOAN_MONTH_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PROTECTED_ATTRIBUTES",
    "RANKING_COLUMNS",
    "RED",
    "SHARE_FLOOR",
    "THIN_FILE_RECORDS",
    "VINTAGE_COLUMNS",
    "WATCH",
    "WINDOWS",
    "Alert",
    "Inclusion",
    "Ranking",
    "RollRates",
    "Stability",
    "Thresholds",
    "backtest_by_grade",
    "bucket_of",
    "build_report",
    "bureau_only_approvals",
    "check_loan_months",
    "csi",
    "cutoff_at_same_expected_loss",
    "evaluate_alerts",
    "fairness_table",
    "forward_by_month",
    "forward_from_counts",
    "has_red",
    "inclusion",
    "is_default",
    "load_thresholds",
    "psi",
    "psi_by_window",
    "ranking",
    "ranking_by_vintage",
    "rate_text",
    "rates_from_counts",
    "roll_rates",
    "stability_flag",
    "vintage_curves",
    "vintage_events",
]
