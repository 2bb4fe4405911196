"""Equal-installment schedules (等额本息) for many loans at once, in integer fen.

The same rules as :func:`thinfile.loanmath.build_schedule` with
``RepaymentMethod.EQUAL_INSTALLMENT`` and its defaults: monthly rate = annual rate / 12,
the level installment and each month's interest rounded half to even, the last installment
absorbing the residual. Rates are whole basis points *per month*, so every month's interest
is an exact integer division and matches the ``Decimal`` schedule to the fen (a test holds
the two together).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import numpy as np

from thinfile.loanmath import annuity_payment
from thinfile.sim.draws import Floats, Ints

__all__ = ["MONTHLY_RATE_BPS", "Schedules", "build_schedules", "price_monthly_bps"]

MONTHLY_RATE_BPS = (70, 199)
"""Lowest and highest monthly rate in basis points: 8.40% to 23.88% a year, under 24%."""
_BPS = 10_000


def price_monthly_bps(true_pd: Floats) -> Ints:
    """Risk-based price of each loan, in basis points a month (月利率, 万分之)."""
    low, high = MONTHLY_RATE_BPS
    return np.clip(np.rint(60 + 700 * true_pd), low, high).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Schedules:
    """Schedules of ``n`` loans over the first ``width`` months (columns 1…width).

    ``total[:, k]`` and ``interest[:, k]`` are installment ``k``'s amount and interest (0 after
    the term); ``balance[:, k]`` is the principal left after it (``balance[:, 0]`` is the
    principal); ``due[:, k]`` is the cumulative amount due through month ``k``.
    """

    level: Ints
    total: Ints
    interest: Ints
    balance: Ints
    due: Ints

    @property
    def width(self) -> int:
        return int(self.total.shape[1]) - 2


@cache
def _annuity_factor(monthly_bps: int, term: int) -> float:
    """The exact level payment per fen of principal, as the nearest float."""
    return float(annuity_payment(1, Decimal(monthly_bps) / _BPS, term))


def level_installments(principal: Ints, monthly_bps: Ints, term: Ints) -> Ints:
    """The level installment of each loan, rounded half to even."""
    pairs, inverse = np.unique(np.stack([monthly_bps, term]), axis=1, return_inverse=True)
    factors = np.array([_annuity_factor(int(b), int(t)) for b, t in pairs.T])
    level: Ints = np.rint(principal * factors[inverse.ravel()]).astype(np.int64)
    return level


def _half_even_interest(balance: Ints, monthly_bps: Ints) -> Ints:
    whole, rest = np.divmod(balance * monthly_bps, _BPS)
    round_up = (2 * rest > _BPS) | ((2 * rest == _BPS) & (whole % 2 == 1))
    interest: Ints = whole + round_up
    return interest


def build_schedules(principal: Ints, monthly_bps: Ints, term: Ints, *, width: int) -> Schedules:
    """Schedules for the first ``width`` months of every loan (one column per month)."""
    n = principal.shape[0]
    level = level_installments(principal, monthly_bps, term)
    total = np.zeros((n, width + 2), dtype=np.int64)
    interest = np.zeros((n, width + 2), dtype=np.int64)
    balance = np.zeros((n, width + 1), dtype=np.int64)
    balance[:, 0] = principal
    for k in range(1, width + 1):
        opening = balance[:, k - 1]
        running = k <= term
        owed = np.where(running, _half_even_interest(opening, monthly_bps), 0)
        regular = np.clip(level - owed, 0, opening)
        part = np.where(k == term, opening, np.where(running, regular, 0))
        interest[:, k] = owed
        total[:, k] = part + owed
        balance[:, k] = opening - part
    return Schedules(level, total, interest, balance, np.cumsum(total, axis=1))
