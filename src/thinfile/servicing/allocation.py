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


def _pay_component(inst: InstallmentState, component: Component,
                   amount: int) -> tuple[InstallmentState, int, int]:
    """Pay up to ``amount`` of one component; returns (row, paid, recognised now)."""
    unpaid = getattr(inst.unpaid, component.value)
    pay = min(amount, unpaid)
    if pay <= 0:
        return inst, 0, 0
    field = f"{component.value}_paid"
    inst = replace(inst, **{field: getattr(inst, field) + pay})
    if component in (Component.INTEREST, Component.FEE):
        accrued_field = f"{component.value}_accrued"
        accrued, paid = getattr(inst, accrued_field), getattr(inst, field)
        if paid > accrued:
            return replace(inst, **{accrued_field: paid}), pay, paid - accrued
    return inst, pay, 0


def _order(rows: Sequence[InstallmentState], timing: Timing, on: date,
           current: int | None, fallen_due_only: bool) -> list[int]:
    return [k for k, row in enumerate(rows)
            if (Timing.DUE if k == current else timing_of(row, on)) is timing
            and not (fallen_due_only and row.due > on)]


def _as_components(component: Component, amount: int) -> Components:
    return Components(**{component.value: amount})


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
    paid, recognised, left = Components(), Components(), amount
    for timing, component in rules:
        for k in _order(out, timing, on, current, fallen_due_only):
            if left == 0:
                break
            out[k], pay, now = _pay_component(out[k], component, left)
            left -= pay
            paid += _as_components(component, pay)
            recognised += _as_components(component, now)
    return tuple(out), Allocation(paid, recognised, left)
