"""The check an auto-debit (代扣) passes before it reaches the card, in one place: when the
sender takes it from the queue (:mod:`thinfile.services.auto_debit`), and again when a debit
the sender claimed never reached the gateway and is sent again
(:func:`~thinfile.services.payment_status_queries.refresh_payment_intent`) — whatever happened
since (the borrower paid, the loan closed, the purchase went under dispute) is seen before
any money moves."""

from __future__ import annotations

from datetime import date, datetime

from thinfile.services.audit import record_audit
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_intents import IntentStatus, borrower_label, fallen_due_today
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_intents_repo import StoredIntent

__all__ = ["recheck_debit"]


def recheck_debit(
    uow: UnitOfWork,
    intent: StoredIntent,
    status: IntentStatus,
    today: date | None,
    *,
    stale_before: datetime | None = None,
) -> StoredIntent | None:
    """Under the loan's row lock, ``intent`` (still in ``status``, without a gateway
    transaction) checked against what has fallen due by the business date and is unpaid, less
    what the loan's other unsettled intents take. None when it is no longer in ``status`` or
    has a gateway transaction, or when nothing is left to take: then it is closed ``failed``
    without a debit (``auto_debit.cancelled``). Nothing is due from a loan no longer active or
    a purchase under an open dispute
    (:func:`~thinfile.services.payment_intents.fallen_due_today`).

    A queued debit (``created``) above what is left is lowered to it (``auto_debit.lowered``).
    A claimed one (``pending``) is lowered only when claimed before ``stale_before`` (the
    gateway's :attr:`~thinfile.services.gateway_port.PaymentGateway.request_expiry` ago): the
    request it was sent under, if it went, would now be refused as stale. A younger claim is
    sent again for the same amount under the same request id, since the gateway may yet
    receive the first request and acts on a request id once (what it takes beyond what is
    owed goes as any overpayment). The caller commits."""
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
    if status is not IntentStatus.CREATED and not _expired(current, stale_before):
        return current
    uow.payment_intents.update(current.id, amount=room)
    details = {"intent": current.id, "from_fen": current.amount, "to_fen": room}
    record_audit(uow, borrower_label(current), "auto_debit.lowered", subject, details)
    return uow.payment_intents.get(current.id)


def _expired(intent: StoredIntent, stale_before: datetime | None) -> bool:
    """Whether ``intent`` was claimed before ``stale_before`` (a claim of unknown time: no)."""
    claimed = intent.claimed_at
    return stale_before is not None and claimed is not None and claimed < stale_before
