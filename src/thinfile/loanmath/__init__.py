"""Loan math: schedules, day counts, IRR/XIRR, the annualized rate and the cost statement.

Pure functions over immutable values; no I/O. Data flow::

    LoanTerms ──build_schedule──► Schedule ──annualized_rate──► AnnualizedRate ──check_cap
                                     └────────cost_statement──► CostStatement (text / JSON)
"""

from thinfile.loanmath.annualized import (
    DEFAULT_CAP,
    AnnualizedRate,
    CapBasis,
    annualize_daily_rate,
    annualized_rate,
    cap_measure,
    check_cap,
    compounded_daily_rate,
)
from thinfile.loanmath.calendar import Frequency, add_months, due_dates, periods_between
from thinfile.loanmath.daycount import DayCount, days_between, year_fraction
from thinfile.loanmath.defaults import (
    DefaultCharges,
    DefaultTerms,
    default_charges,
    leap_year_basis,
    standard_default_terms,
    year_basis,
)
from thinfile.loanmath.disclosure import ChargeItem, CostStatement, DefaultCost, cost_statement
from thinfile.loanmath.effective_interest import EffectiveIncome, effective_interest_income
from thinfile.loanmath.irr import broken_period_irr, periodic_irr, xirr
from thinfile.loanmath.schedule import (
    Installment,
    Schedule,
    annuity_payment,
    annuity_split,
    build_schedule,
    level_installment,
    period_rates,
)
from thinfile.loanmath.terms import (
    COUPON_ROUNDING,
    ChargeCoupon,
    CouponRule,
    InterestBasis,
    LoanTerms,
    RepaymentMethod,
)
from thinfile.loanmath.totals import ScheduleTotals, monthly_totals, schedule_totals

__all__ = [
    "COUPON_ROUNDING",
    "DEFAULT_CAP",
    "AnnualizedRate",
    "CapBasis",
    "ChargeCoupon",
    "ChargeItem",
    "CostStatement",
    "CouponRule",
    "DayCount",
    "DefaultCharges",
    "DefaultCost",
    "DefaultTerms",
    "EffectiveIncome",
    "Frequency",
    "Installment",
    "InterestBasis",
    "LoanTerms",
    "RepaymentMethod",
    "Schedule",
    "ScheduleTotals",
    "add_months",
    "annualize_daily_rate",
    "annualized_rate",
    "annuity_payment",
    "annuity_split",
    "broken_period_irr",
    "build_schedule",
    "cap_measure",
    "check_cap",
    "compounded_daily_rate",
    "cost_statement",
    "days_between",
    "default_charges",
    "due_dates",
    "effective_interest_income",
    "leap_year_basis",
    "level_installment",
    "monthly_totals",
    "period_rates",
    "periodic_irr",
    "periods_between",
    "schedule_totals",
    "standard_default_terms",
    "xirr",
    "year_basis",
    "year_fraction",
]
