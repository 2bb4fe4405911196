"""The terms of a working-capital line and their checks, the rate cap included.

The daily rate is disclosed with its annualized figures (DOMAIN §1.8, §13): the nominal
``daily × 365`` (0.05%/day = 18.25%, the PBOC's own example) and the effective
``(1 + daily)^365 − 1``. With daily interest, the effective annual rate of a draw repaid after
``t`` days is ``(1 + daily·t)^(365/t) − 1``, highest when repaid after one day, where it
equals ``(1 + daily)^365 − 1``. So a line whose nominal *and* daily-compounded effective rates
are under the cap keeps every draw under it, whenever it is repaid — the check
:func:`check_terms` makes (the stricter reading of §2.2 until compliance signs off).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from thinfile.errors import InvalidInputError, RateCapExceededError
from thinfile.loanmath.annualized import DEFAULT_CAP, compounded_daily_rate
from thinfile.loanmath.defaults import RATE_SCALE
from thinfile.money import Money, Rounding

DAY_ROUNDING = Rounding.DOWN
"""How a draw's day of interest becomes whole fen: truncated, so it never exceeds principal ×
daily rate and a small balance is never charged above the cap its rate was checked against."""

__all__ = [
    "CHARGE_OFF_DAYS",
    "DAY_ROUNDING",
    "TERM_DAYS",
    "RepaymentMode",
    "WorkingCapitalTerms",
    "check_term_days",
    "check_terms",
    "rate_units",
]


CHARGE_OFF_DAYS = 180
"""Days past due (from the oldest unmet obligation) at which close of business charges a
line off (核销): the same rule as an installment loan's ``ServicingProduct.charge_off_days``
(DOMAIN §7). The line's principal goes to charge-off expense and its unpaid interest is
reversed out of income; the borrower still owes it, but the line takes no more postings."""

TERM_DAYS = (90, 180)
"""The final maturities a draw may have, in days."""


def check_term_days(term_days: int) -> int:
    if isinstance(term_days, bool) or term_days not in TERM_DAYS:
        raise InvalidInputError(
            "a draw's final maturity is 90 or 180 days", field="term_days", value=str(term_days)
        )
    return term_days


class RepaymentMode(enum.StrEnum):
    MINIMUM = "minimum"
    """最低还款: repay whenever, at least each period's minimum."""
    SALES = "sales"
    """按销售额还款: a set share of each day's collected sales, with the period minimum."""


@dataclass(frozen=True, slots=True)
class WorkingCapitalTerms:
    limit: Money
    daily_rate: Decimal
    mode: RepaymentMode = RepaymentMode.MINIMUM
    sales_share: Decimal = Decimal(0)
    """Share of each day's collected sales repaid (sales mode), e.g. 0.1."""
    minimum_share: Decimal = Decimal("0.1")
    """Share of the principal a period must repay at least (Square: 1/18 in 60 days)."""
    period_days: int = 60
    near_breach_days: int = 20
    shortfall_days: int = 10
    """Days after a breached period's end its shortfall falls due."""
    cap: Decimal = DEFAULT_CAP

    @property
    def nominal_annual(self) -> Decimal:
        """日利率 × 365: the simple annual rate disclosed beside the daily rate."""
        return self.daily_rate * 365

    @property
    def effective_annual(self) -> Decimal:
        """(1 + 日利率)^365 − 1: the most a draw's XIRR can reach (repaid after a day)."""
        return compounded_daily_rate(self.daily_rate)


def rate_units(rate: Decimal, *, field: str) -> int:
    """A rate as whole units of 1e-8, refusing finer ones."""
    units = rate * RATE_SCALE
    if units != units.to_integral_value():
        raise InvalidInputError(
            f"{field} has more than 8 decimal places", field=field, value=str(rate)
        )
    return int(units)


def _share(value: Decimal, field: str, *, zero_ok: bool) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInputError(f"{field} must be a decimal", field=field, value=str(value))
    if value > 1 or value < 0 or (value == 0 and not zero_ok):
        raise InvalidInputError(
            f"{field} must be above 0 and at most 1", field=field, value=str(value)
        )
    rate_units(value, field=field)


def _check_days(terms: WorkingCapitalTerms) -> None:
    for name in ("period_days", "near_breach_days", "shortfall_days"):
        days = getattr(terms, name)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 366:
            raise InvalidInputError(f"{name} must be whole days", field=name, value=str(days))
    if terms.period_days < 1 or terms.near_breach_days >= terms.period_days:
        raise InvalidInputError(
            "a period is at least a day, longer than its near-breach window",
            field="period_days",
            value=terms.period_days,
        )


MAX_LIMIT_FEN = 1_000_000_000
"""The largest line: 10 million yuan, the ceiling of inclusive small-business credit per
borrower (普惠型小微企业贷款, 单户授信 1000 万元以下). It also keeps a night's interest, a
line's principal times its rate in units of 1e-8, a 64-bit whole number on both databases."""


def check_terms(terms: WorkingCapitalTerms) -> WorkingCapitalTerms:
    """The terms, refused with the field to change when unusable or above the cap."""
    if terms.limit.fen <= 0:
        raise InvalidInputError("the limit must be positive", field="limit", value=str(terms.limit))
    if terms.limit.fen > MAX_LIMIT_FEN:
        raise InvalidInputError(
            f"a working-capital line is at most {Money(MAX_LIMIT_FEN, terms.limit.currency)}",
            field="limit",
            value=str(terms.limit),
            remedy="open a line of at most 10,000,000.00 yuan",
        )
    _share(terms.daily_rate, "daily_rate", zero_ok=False)
    _share(terms.minimum_share, "minimum_share", zero_ok=True)
    sales = terms.mode is RepaymentMode.SALES
    _share(terms.sales_share, "sales_share", zero_ok=not sales)
    if not sales and terms.sales_share:
        raise InvalidInputError(
            "only a sales-linked line has a sales share",
            field="sales_share",
            value=str(terms.sales_share),
        )
    _check_days(terms)
    worst = max(terms.nominal_annual, terms.effective_annual)
    if worst > terms.cap:
        raise RateCapExceededError(
            f"a daily rate of {terms.daily_rate} is {terms.nominal_annual:.2%} a year nominal, "
            f"{terms.effective_annual:.2%} effective: above the cap {terms.cap:.2%}",
            field="daily_rate",
            value=str(terms.daily_rate),
            remedy="lower the daily rate",
            extra={"annualized": f"{worst:.6f}", "cap": str(terms.cap)},
        )
    return terms
