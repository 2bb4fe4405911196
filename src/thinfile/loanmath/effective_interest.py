"""Income by the effective-interest method (实际利率法, CAS 22 / IFRS 9), period by period.

A lender pays out a net investment ``N`` (what it lent less what it was paid to lend it — a
merchant subsidy) and receives equally spaced ``payments``. The periodic effective rate ``r``
discounts the payments to ``N``::

    N = Σ_k payment_k / (1 + r)^k

Each period earns ``r × carrying amount at its start``, rounded to the fen with the given mode;
the carrying amount then grows by that income and falls by the payment. No period earns more
than is still to be earned, none less than nothing, and the last period earns the rest, so the
incomes sum exactly to ``Σ payments − N`` (the residual of rounding lands in the last period).

``thinfile.commerce.recognition`` (the lender part of a checkout quote) and
``thinfile.servicing.subsidy`` (close of business) both take their figures from here, so the
quote and the books agree to the fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from thinfile.errors import InvalidInputError
from thinfile.loanmath.irr import periodic_irr
from thinfile.money import Rounding, round_fen

__all__ = ["EffectiveIncome", "effective_interest_income"]


@dataclass(frozen=True, slots=True)
class EffectiveIncome:
    """The periodic effective rate and each period's income (fen), in payment order."""

    rate: Decimal
    incomes: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.incomes)


def effective_interest_income(
    net_investment: int, payments: Sequence[int], *, rounding: Rounding = Rounding.HALF_UP
) -> EffectiveIncome:
    """Each period's income on ``net_investment`` fen repaid by ``payments`` fen.

    Refuses a net investment that is not positive or above what the payments repay.
    """
    to_earn = sum(payments) - net_investment
    if net_investment <= 0 or to_earn < 0 or not payments:
        raise InvalidInputError(
            "the net investment must be positive and at most what the borrower repays",
            field="net_investment",
            value=net_investment,
        )
    rate = periodic_irr([-net_investment, *payments]) if to_earn else Decimal(0)
    incomes: list[int] = []
    carrying, remaining = net_investment, to_earn
    last = len(payments) - 1
    for k, payment in enumerate(payments):
        income = remaining if k == last else min(round_fen(rate * carrying, rounding), remaining)
        income = max(income, 0)
        incomes.append(income)
        remaining -= income
        carrying += income - payment
    return EffectiveIncome(rate, tuple(incomes))
