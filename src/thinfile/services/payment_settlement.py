"""Settling a payment intent on the gateway's word (DOMAIN.md §15): its signed notification
(:mod:`thinfile.services.payment_notifications`) or a status query.

Under the intent's row lock a success posts through
:func:`~thinfile.services.payments.pay_in_unit` (pay now) or
:func:`~thinfile.services.payments.prepay_in_unit` (payoff, part prepayment) with the servicing
idempotency key ``intent:<id>``, so the allocation rules are the payments' own and the ledger
takes the money once, whatever number of notifications and queries arrive.

The gateway's word on a transaction is final (``adapters/docs.md``): notifications come late,
twice or out of order, but never change their status. If two words disagree anyway, the money
wins: a success after a failure is posted (the card was debited; the intent becomes succeeded),
a failure after a success changes nothing (a posting is corrected only by a reversal, by staff,
after reconciliation); both are logged as ``conflict``. A word whose amount differs from the
intent's is not posted (``mismatch``): an intent still waiting is ``held`` — it no longer
blocks the loan's other payments, an auto-debit's retry or a payoff, and a later word of its
own amount (the reconciliation file's, a status query's) settles it; a success the loan refuses
(repaid in full meanwhile) is kept ``succeeded`` without a posting (``unposted``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.engine import Engine

from thinfile.errors import (
    BusinessDateClosedError,
    CloseOfBusinessRunning,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    NotificationReplayedError,
)
from thinfile.money import Money
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in, lender_today
from thinfile.services.gateway_port import DebitFailure, TransactionStatus
from thinfile.services.identity_records import now_utc
from thinfile.services.loan_postings import Receipt, receipt_audit
from thinfile.services.payment_intents import (
    IntentKind,
    IntentStatus,
    borrower_label,
    tell_debit_failed,
)
from thinfile.services.payments import pay_on_business_date_in_unit, prepay_in_unit
from thinfile.services.uow import UnitOfWork
from thinfile.services.value_dated import intent_value_date
from thinfile.servicing import PrepaymentMode
from thinfile.store.cob_statements import AUTO_DEBIT_PREFIX
from thinfile.store.payment_intents_repo import StoredIntent

__all__ = [
    "Delivery",
    "GatewayWord",
    "Settlement",
    "keep_delivery_in_unit",
    "settle_in_unit",
    "settle_payment_intent",
]

log = logging.getLogger("thinfile.payments")


class Settlement(StrEnum):
    """What one word of the gateway (a notification or a status query) did to an intent."""

    POSTED = "posted"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    """The intent had this final status already: nothing written."""
    CONFLICT = "conflict"
    """The word disagrees with the intent's final status (see the module docstring)."""
    MISMATCH = "mismatch"
    """The amount is not the intent's: nothing posted, a waiting intent held for
    reconciliation."""
    UNPOSTED = "unposted"
    """The card was debited but the loan refused the posting: left for reconciliation."""
    PENDING = "pending"
    """A status query found the debit not final yet."""
    UNKNOWN = "unknown"
    """No intent has this id: nothing written (acknowledged, logged)."""


def _post(
    uow: UnitOfWork, intent: StoredIntent, today: date | None, completed: datetime | None
) -> Receipt:
    amount, key = Money(intent.amount, intent.currency), f"intent:{intent.id}"
    owner = intent.user_id  # the borrower who paid (or whose agreement was debited)
    mode = PrepaymentMode(intent.mode) if intent.mode else None
    value_on = intent_value_date(intent, completed)  # posted there if closed since
    if intent.kind == IntentKind.PAYMENT:  # the business date read with the loan's lock
        day = today or lender_today()
        return pay_on_business_date_in_unit(
            uow,
            intent.loan_id,
            amount,
            key,
            today=day,
            borrower=owner,
            value_on=value_on,
            hold_extra=intent.idempotency_key.startswith(AUTO_DEBIT_PREFIX),
        )
    on = business_date_in(uow, today=today)
    return prepay_in_unit(
        uow, intent.loan_id, amount, on, mode=mode, key=key, borrower=owner, value_on=value_on
    )


@dataclass(frozen=True, slots=True)
class _Change:
    """What settling decided to write: the intent's settled columns, and its audit row
    (appended last, after the intent's row and the notification's delivery)."""

    values: dict[str, object]
    audit: AuditDraft | None


def _post_success(
    uow: UnitOfWork,
    intent: StoredIntent,
    word: GatewayWord,
    *,
    may_post: bool,
    today: date | None = None,
) -> tuple[Settlement, _Change]:
    receipt = _post(uow, intent, today, word.completed_at) if may_post else None
    gateway_txn_id = word.gateway_txn_id
    values: dict[str, object] = {
        "status": IntentStatus.SUCCEEDED.value,
        "failure": None,
        "gateway_txn_id": gateway_txn_id,
        "txn_id": None if receipt is None else receipt.txn_id,
        "settled_at": now_utc(),
    }
    if receipt is None:
        return Settlement.UNPOSTED, _Change(values, None)
    details = {"intent": intent.id, "gateway_txn": gateway_txn_id}
    return Settlement.POSTED, _Change(
        values, receipt_audit(borrower_label(intent), receipt, **details)
    )


def _fail(
    uow: UnitOfWork, intent: StoredIntent, gateway_txn_id: str, failure: DebitFailure | None
) -> tuple[Settlement, _Change]:
    reason = (failure or DebitFailure.TIMEOUT).value
    values: dict[str, object] = {
        "status": IntentStatus.FAILED.value,
        "failure": reason,
        "gateway_txn_id": gateway_txn_id,
        "txn_id": intent.txn_id,
        "settled_at": now_utc(),
    }
    audit = AuditDraft(
        borrower_label(intent),
        "payment_intent.failed",
        f"loan:{intent.loan_id}",
        {"intent": intent.id, "failure": reason, "gateway_txn": gateway_txn_id},
    )
    tell_debit_failed(uow, intent, reason)
    return Settlement.FAILED, _Change(values, audit)


def _hold(intent: StoredIntent, word: GatewayWord) -> _Change | None:
    """A final word of another amount or transaction holds an intent still waiting (nothing
    posted; its own gateway transaction kept): waiting for a word that may never come would
    block the loan's payments for good. A final intent is left as it is."""
    if intent.status not in (IntentStatus.CREATED, IntentStatus.PENDING):
        return None
    values: dict[str, object] = {
        "status": IntentStatus.HELD.value,
        "failure": None,
        "gateway_txn_id": intent.gateway_txn_id,
        "txn_id": None,
        "settled_at": now_utc(),
    }
    audit = AuditDraft(
        borrower_label(intent),
        "payment_intent.held",
        f"loan:{intent.loan_id}",
        {
            "intent": intent.id,
            "gateway_txn": word.gateway_txn_id,
            "gateway_status": word.status.value,
            "gateway_amount_fen": word.amount_fen,
        },
    )
    return _Change(values, audit)


@dataclass(frozen=True, slots=True)
class GatewayWord:
    """The gateway's word on one debit: from a notification or a status query."""

    gateway_txn_id: str
    status: TransactionStatus
    amount_fen: int
    failure: DebitFailure | None = None
    completed_at: datetime | None = None
    """When the gateway completed the debit, if it says: a success is booked at that date
    when close of business has closed it since (:mod:`thinfile.services.value_dated`)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A notification delivery, kept in the replay store with what it did (its outcome), in
    the settlement's transaction (:mod:`thinfile.services.payment_notifications`)."""

    signature_digest: str
    notification_id: str
    gateway_txn_id: str
    at: datetime

    def row(self, outcome: str) -> dict[str, object]:
        return {
            "signature_digest": self.signature_digest,
            "notification_id": self.notification_id,
            "gateway_txn_id": self.gateway_txn_id,
            "outcome": outcome,
            "received_at": self.at,
        }


def _replayed(delivery: Delivery) -> NotificationReplayedError:
    return NotificationReplayedError(
        "this notification was received before",
        field="notification_id",
        value=delivery.notification_id,
        remedy="a provider's retry is signed again at its own time",
    )


def keep_delivery_in_unit(uow: UnitOfWork, delivery: Delivery, outcome: str) -> None:
    """Keep a delivery that settled nothing (an unknown transaction); a replay of one kept
    before raises :class:`~thinfile.errors.NotificationReplayedError`."""
    if not uow.payment_intents.keep_delivery(
        signature_digest=delivery.signature_digest,
        notification_id=delivery.notification_id,
        gateway_txn_id=delivery.gateway_txn_id,
        outcome=outcome,
        at=delivery.at,
    ):
        raise _replayed(delivery)


def _decide(
    uow: UnitOfWork, intent: StoredIntent, word: GatewayWord, *, may_post: bool, today: date | None
) -> tuple[Settlement, _Change | None]:
    if word.status is TransactionStatus.ACCEPTED:
        return Settlement.PENDING, None
    if word.amount_fen != intent.amount or intent.gateway_txn_id not in (
        None,
        word.gateway_txn_id,
    ):
        log.error("intent %s: the gateway's word does not match it", intent.id)
        return Settlement.MISMATCH, _hold(intent, word)
    succeeded = word.status is TransactionStatus.SUCCEEDED
    if intent.status == IntentStatus.SUCCEEDED:
        if not succeeded:
            log.error("intent %s: a failure after its success is ignored", intent.id)
        return (Settlement.DUPLICATE if succeeded else Settlement.CONFLICT), None
    if intent.status == IntentStatus.FAILED:
        if not succeeded:
            return Settlement.DUPLICATE, None
        log.error("intent %s: a success after its failure is posted", intent.id)
        _, change = _post_success(uow, intent, word, may_post=may_post, today=today)
        return Settlement.CONFLICT, change
    if succeeded:
        return _post_success(uow, intent, word, may_post=may_post, today=today)
    return _fail(uow, intent, word.gateway_txn_id, word.failure)


def settle_in_unit(
    uow: UnitOfWork,
    intent_id: str,
    word: GatewayWord,
    *,
    may_post: bool = True,
    today: date | None = None,
    delivery: Delivery | None = None,
) -> Settlement:
    """Apply the gateway's final word on the debit of ``intent_id`` (locked here; the
    caller commits): post a success once, record a failure with its reason. A posting the
    loan refuses raises; ``may_post=False`` records the success without posting. A success
    posts on the business date (``today``: the caller's day when it is not the wall clock's,
    a replay's), or at its value date when the gateway completed it on a date closed since
    (:mod:`thinfile.services.value_dated`). A notification's ``delivery`` is kept with the
    outcome, written together with the intent's row (one statement on PostgreSQL); the audit
    row comes last. A delivery kept before raises
    :class:`~thinfile.errors.NotificationReplayedError`."""
    intent = uow.payment_intents.get(intent_id, lock=True)
    if intent is None:
        log.warning("a word on %s, which is no payment intent", word.gateway_txn_id)
        done, change = Settlement.UNKNOWN, None
    else:
        done, change = _decide(uow, intent, word, may_post=may_post, today=today)
    if change is None and delivery is None:
        return done
    audit = None if change is None else change.audit
    kept, taken = uow.payment_intents.write_settlement(  # the audit row's head taken with it
        intent_id,
        values=None if change is None else change.values,
        delivery=None if delivery is None else delivery.row(done.value),
        audit_chain=None if audit is None else audit.chain,
    )
    if delivery is not None and not kept:
        raise _replayed(delivery)
    if audit is not None:
        audit.append(uow, taken=taken)
    return done


def settle_payment_intent(
    engine: Engine,
    intent_id: str,
    word: GatewayWord,
    *,
    delivery: Delivery | None = None,
    today: date | None = None,
) -> Settlement:
    """:func:`settle_in_unit` in a unit of work of its own, one commit.

    A success the loan refuses to take (repaid in full meanwhile, say) rolls back and is
    recorded in a second unit of work as succeeded but ``unposted`` — the card was debited,
    so reconciliation returns the money; close of business running (503), or the date closed
    since it was read (409), is raised for the gateway to retry later.
    """
    try:
        with UnitOfWork(engine) as uow:
            done = settle_in_unit(uow, intent_id, word, today=today, delivery=delivery)
            uow.commit()
            return done
    except (InvalidInputError, ConflictError, NotFoundError) as refused:
        if isinstance(refused, (CloseOfBusinessRunning, BusinessDateClosedError)):
            raise  # the date moved on or is being closed: the gateway's retry posts it
        log.error("intent %s was paid but not posted: %s", intent_id, refused.code)
    with UnitOfWork(engine) as uow:
        done = settle_in_unit(uow, intent_id, word, may_post=False, delivery=delivery)
        uow.commit()
        return done
