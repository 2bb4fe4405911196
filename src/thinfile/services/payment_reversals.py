"""Reversing a payment (冲正): reverse-and-replay of a posted payment or fee waiver.

The loan is rebuilt from its opening without the reversed posting; the ledger gets the exact
reversal of its journal entry plus, when later history changes, one adjustment entry. A card
payment's posting reversed after its date was reconciled adds an ``unposted`` break to that
date's reconciliation: the card was debited, and the money is the borrower's to return.
``reverse_in_unit`` works inside the caller's unit of work, ``reverse_today`` on the current
business date with its audit row for the caller to append last (the API's idempotent form),
and ``reverse_payment`` wraps it in a unit of work of its own, committed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import NotFoundError
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.loan_postings import (
    catch_up,
    in_own_unit,
    rebuild_opening,
    rewrite_history,
    stored_events,
)
from thinfile.services.reasons import staff_reason
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import (
    Account,
    EventKind,
    InvariantViolation,
    JournalEntry,
    JournalLine,
    LoanStatus,
    replay,
    replay_steps,
    reversal_entries,
)
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "REVERSIBLE",
    "Reversal",
    "reversal_audit",
    "reverse_in_unit",
    "reverse_payment",
    "reverse_today",
]

REVERSIBLE: frozenset[EventKind] = frozenset(
    {
        EventKind.REPAYMENT,
        EventKind.PREPAYMENT,
        EventKind.MERCHANT_REFUND,
        EventKind.RECOVERY,
        EventKind.FEE_WAIVER,
    }
)
"""The kinds of posting a reversal may undo."""


@dataclass(frozen=True, slots=True)
class Reversal:
    """A reversed payment: the reversal transaction and the loan status after replay."""

    txn_id: int
    reversed_txn_id: int
    status: LoanStatus
    adjusted: bool
    """True when replaying the later history changed more than the reversed payment."""
    loan_id: int
    on: date
    kind: EventKind = EventKind.REPAYMENT
    """What was reversed: a payment's kind, or ``fee-waiver``."""


def _booked_entry(uow: UnitOfWork, txn_id: int) -> tuple[int, JournalEntry]:
    head = uow.ledger.first_entry_of(txn_id)
    if head is None:
        raise NotFoundError(f"transaction {txn_id} has no journal entry", value=txn_id)
    lines = uow.ledger.lines_of(head.id)
    entry = JournalEntry(
        head.kind,
        from_day(head.day),
        tuple(JournalLine(Account(li.account), li.amount, li.currency) for li in lines),
        head.loan_id,
    )
    return head.id, entry


def reverse_in_unit(
    uow: UnitOfWork, txn_id: int, on: date, *, reason: str = "", loan_id: int | None = None
) -> Reversal:
    """Reverse a payment inside an open unit of work (the caller commits); with ``loan_id``,
    only a payment of that loan."""
    row = uow.transactions.get(txn_id)
    if (
        row is None
        or row.kind not in REVERSIBLE
        or row.reversed
        or loan_id not in (None, row.loan_id)
    ):
        raise NotFoundError(f"no reversible payment {txn_id}", field="txn_id", value=txn_id)
    stored = catch_up(uow, uow.loans.get(row.loan_id, lock=True), on)
    events = stored_events(uow, row.loan_id)
    opening, through = rebuild_opening(stored), on - timedelta(days=1)
    held = uow.disputes.held_of_loan(row.loan_id)
    before = replay(opening, [e for _, e in events], through, held)
    if before.loan != stored.account:
        raise InvariantViolation(
            f"loan {row.loan_id} cannot be replayed to its stored state; reverse it by hand",
            value=row.loan_id,
        )
    kept = [(t, e) for t, e in events if t != txn_id]
    after, replayed = replay_steps(opening, [e for _, e in kept], through, held)
    entry_id, entry = _booked_entry(uow, txn_id)
    booked = reversal_entries(before, after, entry, on)
    txn = {
        "kind": "reversal",
        "day": to_day(on),
        "amount": row.amount,
        "currency": row.currency,
        "reversal_of": txn_id,
    }
    steps = [(t, e, s) for (t, e), s in zip(kept, replayed, strict=True)]
    new_id, ids = rewrite_history(uow, stored, after.loan, booked, txn, on, steps)
    uow.transactions.mark_reversed(txn_id)
    uow.ledger.mark_reversal(ids[0], reverses=entry_id, memo=reason or "payment reversed")
    uow.collections.reopen_promises(row.loan_id, int(row.day))  # money that never arrived
    _card_money_to_return(uow, row.loan_id, txn_id)
    return Reversal(
        new_id, txn_id, after.loan.status, len(booked) > 1, row.loan_id, on, EventKind(row.kind)
    )


def _card_money_to_return(uow: UnitOfWork, loan_id: int, txn_id: int) -> None:
    """A reversed posting of a card payment leaves the card debited and the books without
    the money: a break for staff to return it (reconciliation's ``unposted``). On a date
    already reconciled it is added there now; a date not reconciled yet finds it itself."""
    intent = uow.payment_intents.of_posting(loan_id, txn_id)
    if intent is not None and intent.gateway_txn_id is not None:
        uow.reconciliations.break_reversed(intent.gateway_txn_id)


def reversal_audit(actor: str, done: Reversal, *, reason: str = "") -> AuditDraft:
    """The audit row of a reversal (``payment.reverse``, or ``loan.fee_waiver_reverse`` for a
    waiver), to append last in its transaction."""
    action = "loan.fee_waiver_reverse" if done.kind is EventKind.FEE_WAIVER else "payment.reverse"
    return AuditDraft(
        actor,
        action,
        f"loan:{done.loan_id}",
        {
            "txn": done.reversed_txn_id,
            "reversal_txn": done.txn_id,
            "on": done.on.isoformat(),
            "adjusted": done.adjusted,
            "reason": reason,
        },
    )


def reverse_today(
    uow: UnitOfWork, actor: str, txn_id: int, *, reason: str = ""
) -> tuple[Reversal, AuditDraft]:
    """Reverse a payment in ``uow`` on the current business date (read in the same
    transaction); the reversal and its audit row, which the caller appends last."""
    reason = staff_reason(reason)
    done = reverse_in_unit(uow, txn_id, business_date_in(uow), reason=reason)
    return done, reversal_audit(actor, done, reason=reason)


def reverse_payment(
    engine: Engine,
    txn_id: int,
    on: date,
    *,
    reason: str = "",
    loan_id: int | None = None,
    actor: str | None = None,
) -> Reversal:
    """Reverse a payment (or a fee waiver) by reverse-and-replay (冲正): the loan is rebuilt
    without it.

    The ledger gets the exact reversal of the payment's entry plus, when later history
    changes (penalty, allocation of later payments), one adjustment entry. With ``actor``,
    audited as ``payment.reverse`` (``loan.fee_waiver_reverse``) in the same transaction, and
    the reason follows the staff rule (:func:`~thinfile.services.reasons.staff_reason`).
    """
    reason = staff_reason(reason) if actor else reason
    return in_own_unit(
        engine,
        lambda uow: reverse_in_unit(uow, txn_id, on, reason=reason, loan_id=loan_id),
        lambda done: reversal_audit(actor, done, reason=reason) if actor else None,
    )
