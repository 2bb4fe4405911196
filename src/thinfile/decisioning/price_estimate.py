"""Where the search for the lowest price starts: the price that earns the build-up's parts,
estimated in floating point without rounding a single installment.

:func:`thinfile.decisioning.buildup.lowest_price` decides the price on exact, rounded
schedules; each one it builds costs more than this whole estimate. Starting it at the
estimate, the search usually builds two schedules (the grid point at the estimate, and the
one below it, which must not earn the parts) instead of three or four. The estimate never
decides anything: a wrong one costs a few more schedules, never another answer.

The model is the schedule in closed form, for the terms an offer is priced on (a level rate
each period, no grace, no first-period stub): with ``P`` the principal, ``n`` the periods and
``r`` the periodic rate,

- level installment ``A = P·r / (1 − (1 + r)^−n)``; interest ``n·A − P``; the opening
  balances sum to ``P·S − A·(S − n)/r`` with ``S = ((1 + r)^n − 1)/r``;
- level principal (equal principal, fee installments, zero interest): the opening balances
  sum to ``P·(n + 1)/2``, interest ``r`` times that; a flat loan's interest is ``P·r·n``;
- interest only: the balance is ``P`` every period, interest ``P·r·n``.

Revenue is interest plus a fee on the original principal each period plus the upfront fee;
the required return is the per-loan cost plus the parts' yearly rates on the balance-years.
Both grow with the price, revenue much faster, so the difference has one root, found by the
secant method from the prices zero and the ceiling (exact at the first step where the
difference is linear in the price, a few more steps for a level installment).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from thinfile.loanmath import RepaymentMethod

__all__ = ["estimate_price"]

_ROUNDS = 8
_LEVEL_PRINCIPAL = frozenset(
    {
        RepaymentMethod.EQUAL_PRINCIPAL,
        RepaymentMethod.FEE_INSTALLMENT,
        RepaymentMethod.ZERO_INTEREST,
    }
)


def estimate_price(
    method: RepaymentMethod,
    *,
    principal: int,
    periods: int,
    per_year: int,
    upfront_fee: int,
    fee_based: bool,
    yearly: Decimal,
    per_loan: int,
    ceiling: Decimal,
    tolerance: Decimal,
) -> Decimal | None:
    """The price (an annual rate, or a monthly fee rate when ``fee_based``) at which the loan
    would earn ``per_loan`` fen plus ``yearly`` a year on the balance, within ``tolerance``;
    ``ceiling`` when even that does not earn them; None for a method the model does not
    cover (a bullet loan)."""
    shortfall = _shortfall(
        method,
        float(principal),  # float-ok: a guess
        periods,
        per_year,
        float(upfront_fee),  # float-ok: a guess
        fee_based,
        float(yearly),  # float-ok: a guess
        float(per_loan),  # float-ok: a guess
    )
    if shortfall is None:
        return None
    top = float(ceiling)  # float-ok: a guess
    at_top = shortfall(top)
    if at_top < 0:
        return ceiling
    at_zero = shortfall(0.0)
    if at_zero >= 0:
        return Decimal(0)
    close = float(tolerance)  # float-ok: a guess
    before, at_before = 0.0, at_zero
    price, at_price = top, at_top
    for _ in range(_ROUNDS):  # secant steps through the last two points
        if at_price == at_before:
            break
        following = price - at_price * (price - before) / (at_price - at_before)
        following = min(max(following, 0.0), top)
        if abs(following - price) < close:
            price = following
            break
        before, at_before = price, at_price
        price, at_price = following, shortfall(following)
    return Decimal(repr(price))


def _shortfall(
    method: RepaymentMethod,
    principal: float,
    periods: int,
    per_year: int,
    upfront: float,
    fee_based: bool,
    yearly: float,
    per_loan: float,
) -> Callable[[float], float] | None:
    """Revenue less the required return, as a function of the price; None for a method the
    closed forms do not cover."""
    n = periods
    halfway = principal * (n + 1) / 2

    def balances_and_interest(r: float) -> tuple[float, float]:
        if method is RepaymentMethod.EQUAL_INSTALLMENT:
            if r == 0:
                return halfway, 0.0
            growth = (1 + r) ** n
            level = principal * r * growth / (growth - 1)
            grown = (growth - 1) / r
            return principal * grown - level * (grown - n) / r, n * level - principal
        if method in _LEVEL_PRINCIPAL:
            return halfway, r * halfway
        if method is RepaymentMethod.FLAT:
            return halfway, principal * r * n
        return principal * n, principal * r * n  # interest only

    if method is RepaymentMethod.BULLET:
        return None

    def shortfall(price: float) -> float:
        rate, fee = (0.0, principal * price) if fee_based else (price / per_year, 0.0)
        opening, interest = balances_and_interest(rate)
        revenue = interest + fee * n + upfront
        return revenue - (per_loan + opening / per_year * yearly)

    return shortfall
