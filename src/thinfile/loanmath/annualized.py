"""The annualized rate (年化利率) of a loan from the borrower's actual cash flows.

PBOC Announcement [2021] No. 3: every cost the borrower bears, over the principal actually
occupied, by the IRR (compound) method. Chinese practice discloses the periodic IRR times the
periods per year (``nominal``, e.g. 13.03% for a 0.6%/month fee plan); the compounded
effective annual rate (``effective``, 13.84%) and the XIRR on actual dates are kept too.

A broken (irregular) first period counts as what it is on the calendar: four days of a
31-day month are 4/31 of a period, not a whole one. The periodic IRR then discounts with
``(1+R)^s · (1+R·f)`` (DOMAIN §1.9(c)), so the disclosed figures and the cap check follow the
real dates; a regular schedule's figures are the plain periodic IRR's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from thinfile.errors import RateCapExceededError
from thinfile.loanmath.calendar import periods_between
from thinfile.loanmath.irr import broken_period_irr, periodic_irr, xirr
from thinfile.loanmath.schedule import Schedule
from thinfile.loanmath.terms import LoanTerms

__all__ = [
    "DEFAULT_CAP",
    "AnnualizedRate",
    "CapBasis",
    "annualize_daily_rate",
    "annualized_rate",
    "cap_measure",
    "check_cap",
    "compounded_daily_rate",
]

DEFAULT_CAP = Decimal("0.24")


@dataclass(frozen=True, slots=True)
class AnnualizedRate:
    periodic_irr: Decimal
    periods_per_year: int
    nominal: Decimal
    """Periodic IRR × periods per year: the figure Chinese disclosure shows (IRR 法)."""
    effective: Decimal
    """(1 + periodic IRR)^periods per year − 1: the compounded effective annual rate."""
    first_period: Decimal = Decimal(1)
    """The first period's length in periods on the calendar: 1 unless it is broken."""
    dated_flows: tuple[tuple[date, int], ...] = ()
    """The borrower's flows on their dates (disbursed net, then each installment), which
    :attr:`xirr` is found from; none when nothing is owed (an XIRR of 0)."""
    _xirr: list[Decimal] = field(default_factory=list, init=False, repr=False, compare=False)

    @property
    def xirr(self) -> Decimal:
        """The annual rate on the actual dates with actual days / 365, found when first asked
        for: a disclosure shows it, a policy simulation pricing thousands of offers does not."""
        if not self._xirr:
            flows = self.dated_flows
            self._xirr.append(xirr(flows, guess=self.effective) if flows else Decimal(0))
        return self._xirr[0]

    @property
    def is_broken_first_period(self) -> bool:
        return self.first_period != 1

    def as_dict(self) -> dict[str, str]:
        """The figures as text; ``first_period`` only when the first period is broken."""
        out = {
            "periodic_irr": str(self.periodic_irr),
            "nominal": str(self.nominal),
            "effective": str(self.effective),
            "xirr": str(self.xirr),
            "periods_per_year": str(self.periods_per_year),
        }
        if self.is_broken_first_period:
            out["first_period"] = str(self.first_period)
        return out


def _first_period(terms: LoanTerms) -> tuple[int, Decimal]:
    """The first period as whole periods and a fraction on the calendar; (1, 0) if regular."""
    if terms.first_due is None:
        return 1, Decimal(0)
    return periods_between(terms.start, terms.first_due, terms.frequency)


def annualized_rate(schedule: Schedule) -> AnnualizedRate:
    """The annualized all-in cost of ``schedule``, net of upfront fees, including every fee.

    A broken first period is discounted as its actual fraction of a period (DOMAIN §1.9(c)).
    """
    per_year = schedule.terms.frequency.periods_per_year
    flows = schedule.period_cash_flows()
    whole, fraction = _first_period(schedule.terms)
    length = whole + fraction
    if not any(flows[1:]) or sum(flows) == 0:
        zero = Decimal(0)
        return AnnualizedRate(zero, per_year, zero, zero, length)
    if whole == 1 and fraction == 0:
        terms = schedule.terms  # a flat fee per period costs about twice its rate
        rate = periodic_irr(flows, guess=terms.annual_rate / per_year + 2 * terms.monthly_fee_rate)
    else:
        rate = broken_period_irr(flows, whole=whole, fraction=fraction)
    effective = (1 + rate) ** per_year - 1
    return AnnualizedRate(
        periodic_irr=rate,
        periods_per_year=per_year,
        nominal=rate * per_year,
        effective=effective,
        first_period=length,
        dated_flows=tuple(schedule.dated_cash_flows()),
    )


def annualize_daily_rate(daily_rate: Decimal, *, days_in_year: int = 365) -> Decimal:
    """A daily rate (日利率) as a simple annual rate: 0.05%/day × 365 = 18.25%."""
    return daily_rate * days_in_year


def compounded_daily_rate(daily_rate: Decimal, *, days_in_year: int = 365) -> Decimal:
    """A daily rate compounded over a year, ``(1 + daily)^365 − 1`` to 1e-8: the effective
    annual rate that bounds the XIRR of a draw repaid however soon."""
    return ((1 + daily_rate) ** days_in_year - 1).quantize(Decimal("1e-8"))


class CapBasis(enum.StrEnum):
    NOMINAL = "nominal"
    EFFECTIVE = "effective"
    STRICTER = "stricter"
    """The higher of nominal and effective (the safer reading until compliance signs off)."""


def cap_measure(rate: AnnualizedRate, basis: CapBasis) -> Decimal:
    """The figure a cap check compares: nominal, effective, or the higher of the two."""
    if basis is CapBasis.NOMINAL:
        return rate.nominal
    if basis is CapBasis.EFFECTIVE:
        return rate.effective
    return max(rate.nominal, rate.effective)


def check_cap(
    rate: AnnualizedRate,
    cap: Decimal = DEFAULT_CAP,
    *,
    basis: CapBasis = CapBasis.STRICTER,
    field: str = "annual_rate",
    value: object = None,
    remedy: str = "lower the rate or the fees until the cost is under the cap",
) -> None:
    """Refuse a loan whose annualized all-in cost is above ``cap``; ``field`` names the input
    to change (``--annual-rate`` on the command line), ``value`` what was given there (by
    default the cost measured), ``remedy`` what to do."""
    measured = cap_measure(rate, basis)
    if measured > cap:
        raise RateCapExceededError(
            f"the annualized all-in cost {measured:.2%} ({basis.value}) is above the cap {cap:.2%}",
            field=field,
            value=f"{measured:.6f}" if value is None else value,
            remedy=remedy,
            extra={"annualized": f"{measured:.6f}", "cap": str(cap), "basis": basis.value},
        )
