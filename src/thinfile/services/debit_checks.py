"""The check an auto-debit (代扣) passes before it reaches the card, in one place: when the
sender takes it from the queue (:mod:`thinfile.services.auto_debit`), and again when a debit
the sender claimed never reached the gateway and is sent again
(:func:`~thinfile.services.payment_settlement.refresh_payment_intent`) — whatever happened
since (the borrower paid, the loan closed, the purchase went under dispute) is seen before
any money moves."""

from __future__ import annotations

from datetime import date

from thinfile.services.audit import record_audit
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_intents import IntentStatus, borrower_label, fallen_due_today
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_intents_repo import StoredIntent

__all__ = ["recheck_debit"]


def recheck_debit(
    uow: UnitOfWork, intent: StoredIntent, status: IntentStatus, today: date | None
) -> StoredIntent | None:
    """Under the loan's row lock, ``intent`` (still in ``status``, without a gateway
    transaction) checked against what has fallen due by the business date and is unpaid, less
    what the loan's other unsettled intents take. None when it is no longer in ``status`` or
    has a gateway transaction, or when nothing is left to take: then it is closed ``failed``
    without a debit (``auto_debit.cancelled``). Nothing is due from a loan no longer active or
    a purchase under an open dispute
    (:func:`~thinfile.services.payment_intents.fallen_due_today`).

    A queued debit (``created``) above what is left is lowered to it (``auto_debit.lowered``).
    A claimed one (``pending``) is never lowered: the gateway may yet receive the request it
    was sent under, and a resend under the same request id must ask for the same amount (what
    it takes beyond what is owed is held as overpayment). The caller commits."""
    due, in_flight = fallen_due_today(uow, intent.loan_id, today=today)  # locks the loan
    current = uow.payment_intents.get(intent.id, lock=True)
    if current is None or current.status != status or current.gateway_txn_id is not None:
        return None
    room = due - (in_flight - current.amount)  # in flight counts this intent too
    if room >= current.amount:
        return current
    subject = f"loan:{current.loan_id}"
    if room <= 0:
        uow.payment_intents.update(
            current.id, status=IntentStatus.FAILED.value, settled_at=now_utc()
        )
        details = {"intent": current.id, "amount_fen": current.amount}
        record_audit(uow, borrower_label(current), "auto_debit.cancelled", subject, details)
        return None
    if status is not IntentStatus.CREATED:
        return current
    uow.payment_intents.update(current.id, amount=room)
    details = {"intent": current.id, "from_fen": current.amount, "to_fen": room}
    record_audit(uow, borrower_label(current), "auto_debit.lowered", subject, details)
    return uow.payment_intents.get(current.id)
