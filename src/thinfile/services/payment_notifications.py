"""The gateway's signed notifications (异步通知): verified, replays refused, each transaction
acted on once.

A notification carries no user's credentials: the gateway's signature over the raw body is its
authentication. :func:`receive_notification`

1. has the adapter verify the signature and its timestamp (within the tolerance) and parse the
   body (:meth:`~thinfile.services.ports.PaymentGateway.parse_notification`), else
   :class:`~thinfile.errors.NotificationRejectedError` (401);
2. keeps the delivery in the replay store (with what it did, written together with the
   intent's settled row: one statement on PostgreSQL), keyed by a digest of what its
   signature signs (timestamp and body, however the header is spelt: re-spacing it or
   adding an entry does not make a new delivery): the same
   bytes with the same signature twice are a replay of a captured request, refused with
   :class:`~thinfile.errors.NotificationReplayedError` (401). A provider's own retry or
   duplicate is signed again at its own time, so it is a new delivery of the same
   ``notification_id``: acknowledged, and acted on at most once;
3. settles the intent whose id is the notification's ``request_id``
   (:func:`~thinfile.services.payment_settlement.settle_payment_intent`, under its row lock),
   in the same transaction as the delivery row: a success posts once however many copies
   arrive at once.

An unknown transaction (no such intent, or a refund, which is not an intent's) is answered 2xx
so the provider stops retrying, and logged (``unknown``); reconciliation sees it in the file.
Close of business running refuses with 503: the provider retries later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine

from thinfile.security.signatures import signed_content
from thinfile.services.gateway_port import TransactionKind
from thinfile.services.payment_settlement import (
    Delivery,
    GatewayWord,
    keep_delivery_in_unit,
    settle_payment_intent,
)
from thinfile.services.ports import PaymentGateway
from thinfile.services.uow import UnitOfWork

__all__ = ["NOTIFICATION_MAX_BYTES", "NotificationReceipt", "receive_notification"]

log = logging.getLogger("thinfile.payments")

NOTIFICATION_MAX_BYTES = 8_192
"""The largest notification body accepted (the gateway's are a few hundred bytes)."""

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class NotificationReceipt:
    """What one delivery did: ``outcome`` a :class:`Settlement` value or ``unknown``."""

    notification_id: str
    gateway_txn_id: str
    outcome: str


def receive_notification(
    engine: Engine,
    gateway: PaymentGateway,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    today: date | None = None,
) -> NotificationReceipt:
    """Verify, keep and act on one notification delivery (see the module docstring); a
    success posts on the business date (``today``: a replay's day, see
    :func:`~thinfile.services.payment_settlement.settle_in_unit`)."""
    notification = gateway.parse_notification(headers, body, now=now)
    delivery = Delivery(
        signed_content(headers, body),
        notification.notification_id,
        notification.gateway_txn_id,
        now,
    )
    if notification.kind is TransactionKind.DEBIT:
        word = GatewayWord(
            notification.gateway_txn_id,
            notification.status,
            notification.amount_fen,
            notification.failure,
            notification.completed_at,
        )
        outcome = settle_payment_intent(
            engine, notification.request_id, word, delivery=delivery, today=today
        ).value
    else:
        outcome = UNKNOWN
        with UnitOfWork(engine) as uow:
            keep_delivery_in_unit(uow, delivery, outcome)
            uow.commit()
    if outcome == UNKNOWN:
        log.warning(
            "notification %s for an unknown transaction %s",
            notification.notification_id,
            notification.gateway_txn_id,
        )
    return NotificationReceipt(notification.notification_id, notification.gateway_txn_id, outcome)
