"""The checkout's repayment schedule as the cost statement shows it: each installment with its
due date, and its principal and fee when the plan's flat monthly fee makes them exact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from thinfile.loanmath import Frequency, due_dates
from thinfile.services.checkout_records import PlanRecord

__all__ = ["CheckoutInstallment", "checkout_schedule"]


@dataclass(frozen=True, slots=True)
class CheckoutInstallment:
    n: int
    due: date
    total: int
    principal: int | None
    fee: int | None


def _flat_fee(plan: PlanRecord) -> int | None:
    """The fee in each installment: a plan's fee is the same every month (a monthly rate on
    the amount financed), so the total cost split evenly; None when it does not split so."""
    each, left = divmod(plan.total_cost.fen, plan.periods)
    return None if left else each


def checkout_schedule(plan: PlanRecord, start: date) -> tuple[CheckoutInstallment, ...]:
    """``plan``'s installments, due monthly from ``start`` as the loan opened that day would
    be (the first one month after it)."""
    fee = _flat_fee(plan)
    dues = due_dates(start, plan.periods, Frequency.MONTHLY, None)
    return tuple(
        CheckoutInstallment(
            n,
            due,
            amount.fen,
            None if fee is None else amount.fen - fee,
            fee,
        )
        for n, (due, amount) in enumerate(zip(dues, plan.installments, strict=True), start=1)
    )
