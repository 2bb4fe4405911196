"""Re-amortization (重新计算还款计划) after principal is cut by a prepayment or a refund.

The remaining installments keep their due dates and period rates. Equal-installment (等额本息)
loans get a new level payment (reduce installment) or keep the old one and finish early
(shorten term); other methods re-split principal equally or keep the old principal part.
Interest is on the declining balance, rounded with the loan's mode; the last row absorbs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from thinfile.loanmath import RepaymentMethod, level_installment
from thinfile.money import round_fen
from thinfile.servicing.account import InstallmentState, LoanAccount
from thinfile.servicing.daily import accrued_to
from thinfile.servicing.product import PrepaymentMode

__all__ = ["reamortize", "rest_cost", "rest_of_period"]


def _principal_rule(
    loan: LoanAccount, future: Sequence[InstallmentState], balance: int, mode: PrepaymentMode
) -> Callable[[int], int]:
    terms = loan.schedule.terms
    annuity = terms.method is RepaymentMethod.EQUAL_INSTALLMENT
    if mode is PrepaymentMode.SHORTEN_TERM:
        first = future[0]
        level = first.principal_due + first.interest_due
        return (
            (lambda interest: level - interest)
            if annuity
            else (lambda _interest: first.principal_due)
        )
    if annuity:
        rates = [loan.rates[i.n] for i in future]
        level = round_fen(level_installment(balance, rates), terms.level_rounding)
        return lambda interest: level - interest
    part = round_fen(Decimal(balance) / len(future), terms.level_rounding)
    return lambda _interest: part


def reamortize(
    loan: LoanAccount, future: Sequence[InstallmentState], balance: int, mode: PrepaymentMode
) -> tuple[InstallmentState, ...]:
    """New unpaid rows for ``future`` repaying ``balance`` fen (rows may be dropped)."""
    rule = _principal_rule(loan, future, balance, mode)
    rounding = loan.schedule.terms.rounding
    rows: list[InstallmentState] = []
    left = balance
    for idx, old in enumerate(future):
        interest = round_fen(left * loan.rates[old.n], rounding)
        last = idx == len(future) - 1
        part = left if last else min(left, max(0, rule(interest)))
        rows.append(InstallmentState(old.n, old.start, old.due, part, interest, old.fee_due))
        left -= part
        if left == 0:
            break
    return tuple(rows)


def rest_cost(
    loan: LoanAccount, original: InstallmentState, lent: int, on: date
) -> tuple[int, int]:
    """Interest and fees for the rest of the current period (``on`` to its due date) when
    ``lent`` fen of principal stays outstanding: interest on what is lent, the period's
    scheduled fee for the days left (nothing once nothing is lent)."""
    period = original.period_days
    rest = (original.due - on).days
    if lent == 0 or period <= 0 or rest <= 0:
        return 0, 0
    exact = Decimal(lent) * loan.rates[original.n] * rest / period
    interest = round_fen(exact, loan.schedule.terms.rounding)
    fee = original.fee_due - accrued_to(original.fee_due, original.start, original.due, on)
    return interest, fee


def rest_of_period(
    loan: LoanAccount, cur: InstallmentState, original: InstallmentState, balance: int, on: date
) -> InstallmentState:
    """Add interest and fees for the rest of the current period on what is still lent —
    never more, with the part already counted, than the period's original amounts."""
    interest, fee = rest_cost(loan, original, balance + cur.unpaid.principal, on)
    return replace(
        cur,
        interest_due=min(cur.interest_due + interest, original.interest_due),
        fee_due=min(cur.fee_due + fee, original.fee_due),
    )
