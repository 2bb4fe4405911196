"""The check an auto-debit (代扣) passes before it reaches the card, in one place: when the
sender takes it from the queue (:mod:`thinfile.services.auto_debit`), and again when a debit
the sender claimed never reached the gateway and is sent again
(:func:`~thinfile.services.payment_status_queries.refresh_payment_intent`) — whatever happened
since (the borrower paid, the loan closed, the purchase went under dispute) is seen before
any money moves; and the check a borrower's own card payment passes before it is sent again
(:func:`recheck_payment`)."""

from __future__ import annotations

from datetime import date, datetime

from thinfile.errors import ConflictError
from thinfile.services.audit import record_audit
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_intents import (
    IntentStatus,
    borrower_label,
    fallen_due_today,
    owed_today,
)
from thinfile.services.uow import UnitOfWork
from thinfile.store.payment_intents_repo import StoredIntent

__all__ = ["recheck_debit", "recheck_payment"]


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
    lower = status is IntentStatus.CREATED or _before(current.claimed_at, stale_before)
    return _within(uow, current, due, in_flight, lower, "auto_debit")


def recheck_payment(
    uow: UnitOfWork, intent: StoredIntent, today: date | None, *, stale_before: datetime
) -> StoredIntent | None:
    """Under the loan's row lock, a borrower's own card payment (``pending``, without a
    gateway transaction: the gateway never received it) checked before it is sent again
    against what the loan can still take — its payoff on the business date, less what its
    other unsettled payments take (:func:`~thinfile.services.payment_intents.owed_today`):
    the borrower may have paid otherwise since (at the counter, another card), or the loan
    closed. None when it is no longer pending or has a gateway transaction, or when nothing
    is left to take: then it is closed ``failed`` without a debit (``payment.cancelled``).
    Above what is left it is lowered to it (``payment.lowered``) once its request, sent when
    it was created, would be refused as stale (before ``stale_before``); a younger one is sent
    again unchanged (as :func:`recheck_debit`). The caller commits."""
    try:
        owed, in_flight = owed_today(uow, intent.loan_id, today=today)  # locks the loan
        room_of_loan = owed.fen
    except ConflictError:  # the loan is no longer active: it owes nothing
        room_of_loan, in_flight = 0, uow.payment_intents.in_flight(intent.loan_id)
    current = uow.payment_intents.get(intent.id, lock=True)
    pending = IntentStatus.PENDING
    if current is None or current.status != pending or current.gateway_txn_id is not None:
        return None
    stale = _before(current.created_at, stale_before)
    return _within(uow, current, room_of_loan, in_flight, stale, "payment")


def _within(
    uow: UnitOfWork, current: StoredIntent, ceiling: int, in_flight: int, lower: bool, kind: str
) -> StoredIntent | None:
    """``current`` if it fits ``ceiling`` less the other intents in flight (``in_flight``
    counts it too); else closed ``failed`` when nothing is left, lowered to what is left when
    ``lower``, or kept as it is (audited as ``{kind}.cancelled`` / ``{kind}.lowered``)."""
    room = ceiling - (in_flight - current.amount)
    if room >= current.amount:
        return current
    subject = f"loan:{current.loan_id}"
    if room <= 0:
        uow.payment_intents.update(
            current.id, status=IntentStatus.FAILED.value, settled_at=now_utc()
        )
        details = {"intent": current.id, "amount_fen": current.amount}
        record_audit(uow, borrower_label(current), f"{kind}.cancelled", subject, details)
        return None
    if not lower:
        return current
    uow.payment_intents.update(current.id, amount=room)
    details = {"intent": current.id, "from_fen": current.amount, "to_fen": room}
    record_audit(uow, borrower_label(current), f"{kind}.lowered", subject, details)
    return uow.payment_intents.get(current.id)


def _before(sent: datetime | None, stale_before: datetime | None) -> bool:
    """Whether a request sent at ``sent`` is older than ``stale_before`` (unknown: no)."""
    return stale_before is not None and sent is not None and sent < stale_before
