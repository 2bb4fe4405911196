"""An automatic debit's money beyond what is due is held as overpayment (溢缴款), whatever the
product does with extra money: the agreement takes what is due, never an installment ahead of
its date. Replayed (a payment booked at its value date, a refund), the held repayment holds
again. The oracle: the installments' own figures — what is due paid, nothing paid on the
second installment, the rest as credit — against a plain repayment that pays ahead."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from tests.unit.test_servicing_money_rules import issue_loan
from thinfile.money import Money
from thinfile.services.loan_postings import HELD_EXTRA, event_of, payment_row
from thinfile.servicing import (
    Components,
    Event,
    EventKind,
    ServicingProduct,
    open_loan,
    pay,
    replay,
)


def _due_twice():
    opening = open_loan(1, issue_loan().schedule, ServicingProduct())
    first = opening.loan.installments[0]
    owed = first.principal_due + first.interest_due + first.fee_due
    return opening, first.due, owed


def test_an_automatic_debit_holds_what_is_beyond_what_is_due() -> None:
    opening, due, owed = _due_twice()
    at_due = replay(opening, [], due - timedelta(days=1)).loan  # closed to the eve
    held = pay(at_due, Money(2 * owed), due, hold_extra=True).loan
    assert held.installments[0].is_settled
    assert held.installments[1].principal_paid == 0  # nothing paid ahead of its date
    assert held.credit == owed
    ahead = pay(at_due, Money(2 * owed), due).loan  # the product's rule: paid ahead
    assert ahead.credit == 0 and ahead.installments[1].principal_paid > 0


def test_a_held_repayment_is_stored_and_replayed_as_held() -> None:
    opening, due, owed = _due_twice()
    row = payment_row(
        EventKind.REPAYMENT, due, Money(2 * owed), "intent:x", None, Components(), owed, held=True
    )
    assert row["mode"] == HELD_EXTRA
    stored = SimpleNamespace(
        **{**row, "kind": "repayment"}, subsidy_unwound=None, lender_unwound=None
    )
    event = event_of(stored)
    assert event == Event(EventKind.REPAYMENT, due, 2 * owed, hold=True)
    again = replay(opening, [event], due).loan
    assert again.credit == owed and again.installments[1].principal_paid == 0
