"""What each payment did (还款明细): the loan's payments in force, replayed from its opening,
each with its split into principal, interest, fees and penalty, the installments it went to,
and what was held as overpayment (溢缴款) or returned.

The stored loan keeps only its current installments (re-amortized after an early repayment,
folded into one after a payoff); replaying its events from the stored terms
(:func:`thinfile.services.loan_postings.rebuild_opening`) with the servicing rules of
:mod:`thinfile.servicing.payments` recovers what each payment paid where. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.services.loan_postings import rebuild_opening, stored_events
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import Components, InstallmentState, LoanAccount, Timing, timing_of
from thinfile.servicing.replay import Event, EventKind, apply_event

__all__ = ["InstallmentPaid", "PaymentReceipt", "payment_receipts"]

_PAYMENTS = (EventKind.REPAYMENT, EventKind.PREPAYMENT, EventKind.SETTLEMENT)


@dataclass(frozen=True, slots=True)
class InstallmentPaid:
    """What one payment paid on installment ``n`` (the original schedule's numbering)."""

    n: int
    paid: Components


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    """One payment in force and what it did, in fen."""

    txn_id: int
    kind: str
    on: date
    amount: int
    paid: Components
    held: int
    """Kept as overpayment, for installments still to fall due."""
    returned: int
    """Beyond the payoff, paid back at once."""
    installments: tuple[InstallmentPaid, ...]
    closed: bool
    """The payment repaid the loan in full."""
    ahead: int = 0
    """Principal paid before it fell due — beyond the principal of the installments past due
    or running on the day — which re-planned the installments still to come (a payment on the
    day a period begins pays no interest for it: all of it is principal ahead)."""


def payment_receipts(engine: Engine, loan_id: int) -> tuple[PaymentReceipt, ...]:
    """The loan's repayments and early repayments in force, oldest first (a reversed payment
    did nothing and is left out)."""
    with UnitOfWork(engine) as uow:
        stored = uow.loans.get(loan_id)
        events = stored_events(uow, loan_id)
    loan = rebuild_opening(stored).loan
    receipts = []
    for txn_id, event in events:
        after = apply_event(loan, event).loan
        if event.kind in _PAYMENTS:
            receipts.append(_receipt(txn_id, event, loan, after))
        loan = after
    return tuple(receipts)


def _paid(row: InstallmentState) -> Components:
    return Components(row.principal_paid, row.interest_paid, row.fee_paid, row.penalty_paid)


def _minus(a: Components, b: Components) -> Components:
    return Components(
        a.principal - b.principal, a.interest - b.interest, a.fee - b.fee, a.penalty - b.penalty
    )


def _by_installment(before: LoanAccount, after: LoanAccount) -> tuple[InstallmentPaid, ...]:
    """What the payment paid on each installment. A payoff folds the installments into one:
    then each open installment was paid what it still owed in principal, and the interest,
    fees and penalty go to the earliest (they were owed for the days used, not per
    installment)."""
    was = {row.n: row for row in before.installments}
    if len(after.installments) == len(before.installments):
        moved = [
            InstallmentPaid(row.n, _minus(_paid(row), _paid(was[row.n])))
            for row in after.installments
            if row.n in was
        ]
        return tuple(m for m in moved if m.paid.total)
    paid_now = _minus(
        sum((_paid(r) for r in after.installments), Components()),
        sum((_paid(r) for r in before.installments), Components()),
    )
    open_rows = [row for row in before.installments if not row.is_settled]
    shares = [Components(principal=row.unpaid.principal) for row in open_rows]
    if shares:
        rest = _minus(paid_now, sum(shares, Components()))
        shares[0] = shares[0] + rest
    return tuple(
        InstallmentPaid(row.n, share)
        for row, share in zip(open_rows, shares, strict=True)
        if share.total
    )


def _owed_principal(loan: LoanAccount, on: date) -> int:
    """The principal of the installments past due or running on ``on``, still unpaid."""
    return sum(
        row.unpaid.principal
        for row in loan.installments
        if timing_of(row, on) is not Timing.IN_ADVANCE
    )


def _receipt(txn_id: int, event: Event, before: LoanAccount, after: LoanAccount) -> PaymentReceipt:
    installments = _by_installment(before, after)
    paid = sum((i.paid for i in installments), Components())
    held = max(after.credit - before.credit, 0)
    ahead = max(paid.principal - _owed_principal(before, event.on), 0)
    return PaymentReceipt(
        txn_id=txn_id,
        kind=event.kind.value,
        on=event.on,
        amount=event.amount,
        paid=paid,
        held=held,
        returned=max(event.amount - paid.total - held, 0),
        installments=installments,
        closed=after.status is not before.status and not after.outstanding.total,
        ahead=ahead,
    )
