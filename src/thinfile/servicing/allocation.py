"""Payment allocation (还款冲抵): spread money over installments by the product's rules.

Each rule names a timing and a component; rules run in order, and within a rule the oldest
installment comes first. Paying
interest or fees that have not yet accrued recognises them at once, so receivables never go
negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from thinfile.servicing.account import Components, InstallmentState
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.product import Component, Rule, Timing

__all__ = ["Allocation", "allocate", "timing_of"]


def timing_of(inst: InstallmentState, on: date) -> Timing:
    """Past due before ``on``; due if ``on`` falls in its period; otherwise in advance."""
    if inst.due < on:
        return Timing.PAST_DUE
    if inst.start < on or inst.due == on:
        return Timing.DUE
    return Timing.IN_ADVANCE


@dataclass(frozen=True, slots=True)
class Allocation:
    """Where money went: components paid, interest/fees recognised on the spot, the rest."""

    paid: Components
    recognised: Components
    leftover: int

    def post(self, entry: EntryBuilder, *, source: Account) -> EntryBuilder:
        """Add this allocation to ``entry``: debit ``source``, credit what was paid."""
        entry.debit(source, self.paid.total + self.leftover)
        return self.credit_paid(entry)

    def credit_paid(self, entry: EntryBuilder) -> EntryBuilder:
        """Credit what was paid: receivables, or income for what was recognised on the spot."""
        paid, now = self.paid, self.recognised
        entry.credit(Account.PENALTY_RECEIVABLE, paid.penalty)
        entry.credit(Account.FEE_RECEIVABLE, paid.fee - now.fee)
        entry.credit(Account.FEE_INCOME, now.fee)
        entry.credit(Account.INTEREST_RECEIVABLE, paid.interest - now.interest)
        entry.credit(Account.INTEREST_INCOME, now.interest)
        entry.credit(Account.LOANS_RECEIVABLE, paid.principal)
        return entry


_FIELDS = {c: (f"{c.value}_due", f"{c.value}_paid") for c in Component}
_ACCRUED = {Component.INTEREST: "interest_accrued", Component.FEE: "fee_accrued"}


def _pay_component(
    inst: InstallmentState, component: Component, amount: int
) -> tuple[InstallmentState, int, int]:
    """Pay up to ``amount`` of one component; returns (row, paid, recognised now)."""
    due_field, paid_field = _FIELDS[component]
    paid_before = getattr(inst, paid_field)
    pay = min(amount, getattr(inst, due_field) - paid_before)
    if pay <= 0:
        return inst, 0, 0
    paid = paid_before + pay
    accrued_field = _ACCRUED.get(component)
    if accrued_field is not None and paid > (accrued := getattr(inst, accrued_field)):
        return replace(inst, **{paid_field: paid, accrued_field: paid}), pay, paid - accrued
    return replace(inst, **{paid_field: paid}), pay, 0


def allocate(
    rows: Sequence[InstallmentState],
    amount: int,
    on: date,
    rules: Sequence[Rule],
    *,
    current: int | None = None,
    fallen_due_only: bool = False,
) -> tuple[tuple[InstallmentState, ...], Allocation]:
    """Allocate ``amount`` fen paid on ``on`` over ``rows`` rule by rule.

    ``current`` forces one row to count as due (a prepayment settles its period first);
    ``fallen_due_only`` leaves out rows whose due date is after ``on``.
    """
    out = list(rows)
    timings = [
        None
        if fallen_due_only and row.due > on
        else Timing.DUE
        if k == current
        else timing_of(row, on)
        for k, row in enumerate(out)
    ]
    paid = dict.fromkeys(Component, 0)
    recognised = dict.fromkeys(Component, 0)
    left = amount
    for timing, component in rules:
        if left == 0:
            break
        for k, row_timing in enumerate(timings):
            if row_timing is not timing:
                continue
            out[k], pay, now = _pay_component(out[k], component, left)
            left -= pay
            paid[component] += pay
            recognised[component] += now
            if left == 0:
                break
    return tuple(out), Allocation(_components(paid), _components(recognised), left)


def _components(by: dict[Component, int]) -> Components:
    return Components(
        by[Component.PRINCIPAL], by[Component.INTEREST], by[Component.FEE], by[Component.PENALTY]
    )
