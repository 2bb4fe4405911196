"""A loan's plan for recognising its merchant subsidy: one period per installment period.

See :mod:`thinfile.servicing.subsidy` for the rules; this module only builds the plan (it sits
below ``account``, which opens a loan with one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from thinfile.loanmath import effective_interest_income
from thinfile.money import Rounding
from thinfile.servicing.daily import accrued_to

if TYPE_CHECKING:
    from thinfile.servicing.account import InstallmentState

__all__ = ["SubsidyPeriod", "plan_subsidy"]


@dataclass(frozen=True, slots=True)
class SubsidyPeriod:
    """One period of the plan: ``amount`` fen recognised over ``(start, due]``, linear by
    days, after ``before`` fen recognised earlier (so ``before + amount`` by ``due``)."""

    n: int
    start: date
    due: date
    amount: int
    before: int

    def recognized_by(self, x: date) -> int:
        """What the plan has recognised by the end of ``x`` (``start < x``)."""
        return self.before + accrued_to(self.amount, self.start, self.due, x)


def _flow(row: InstallmentState) -> int:
    """What the row still has the borrower pay (principal, interest, fees; not penalty)."""
    return (
        row.principal_due
        - row.principal_paid
        + row.interest_due
        - row.interest_paid
        + row.fee_due
        - row.fee_paid
    )


def _contractual(row: InstallmentState) -> int:
    """Interest and fees the row will still accrue on its own (not the subsidy's)."""
    return row.interest_due - row.interest_accrued + row.fee_due - row.fee_accrued


def plan_subsidy(
    rows: Sequence[InstallmentState],
    deferred: int,
    *,
    first_start: date | None = None,
    before: int = 0,
    rounding: Rounding = Rounding.HALF_UP,
) -> tuple[SubsidyPeriod, ...]:
    """Plan ``deferred`` fen over ``rows`` (the installments still to run, in order).

    The net investment is what the rows still owe in principal, interest and fees accrued,
    less ``deferred``; the first period starts at ``first_start`` (default: its row's start),
    each later one at its row's start. ``before`` is what was recognised before the plan.
    """
    rows = [r for r in rows if r.n > 0]
    if deferred <= 0 or not rows:
        return ()
    flows = [_flow(r) for r in rows]
    contractual = [_contractual(r) for r in rows]
    net = sum(flows) - sum(contractual) - deferred
    starts = [first_start or rows[0].start, *(r.start for r in rows[1:])]
    if net <= 0:  # nothing left to earn a rate on: the rest over the rows, straight
        return (SubsidyPeriod(rows[-1].n, starts[0], rows[-1].due, deferred, before),)
    incomes = effective_interest_income(net, flows, rounding=rounding).incomes
    periods: list[SubsidyPeriod] = []
    left = deferred
    for k, (row, start) in enumerate(zip(rows, starts, strict=True)):
        part = left if k == len(rows) - 1 else max(0, min(incomes[k] - contractual[k], left))
        periods.append(SubsidyPeriod(row.n, start, row.due, part, before + deferred - left))
        left -= part
    return tuple(periods)
