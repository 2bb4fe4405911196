"""Auto-debit (代扣, DOMAIN.md §15): what close of business queues, sent to the gateway.

Close of business's ``auto-debit`` step (:mod:`thinfile.services.cob`, one statement over
every loan) queues a payment intent (``created``, kind ``payment``, idempotency key
``auto-debit:<day>:<loan>``) for each active loan whose borrower has a default bound card with
an agreement and that has an installment falling due on the next day — the day the queue is
sent, so the debit reaches the card on the due date and a borrower with the funds is never
past due, never sent an overdue notice — or that is past due by a retry day on the next day
(days past due in ``run_cob``'s ``retry_days``, 1, 3 and 7 by default): for what has fallen
due by then and is unpaid, never more, and never while another intent of the loan is
unsettled, and never for a purchase under an open dispute (its payments are paused while
the lender investigates; a rejected dispute's retry days count from the rejection). A failed
debit (insufficient funds …) settles ``failed`` and the night before the next retry day
queues a new one.

:func:`send_queued_debits` (``thinfile payments send-debits``, outside close of business, early
on the business date) sends them: under the loan's row lock each amount is checked again
against what has fallen due by the business date and is unpaid, less what the loan's other
unsettled intents take (:func:`~thinfile.services.debit_checks.recheck_debit`) — the agreement
collects what is due, never an installment ahead of its date: a borrower who paid at the
counter or by card since the queue was made is not debited again, nor one whose purchase went
under dispute. An amount above it is lowered, one with nothing left to take is closed
``failed`` without a debit; a debit claimed by a sending that stopped before the gateway heard
of it is checked again the same way before it is sent again. The debit then goes as a
borrower's card payment does (:func:`~thinfile.services.payment_intents.send_debit`), and its
result posts through the same signed notification
(:mod:`thinfile.services.payment_notifications`), once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from thinfile.comms import zone_of
from thinfile.errors import CloseOfBusinessRunning, InvalidInputError, ThinfileError
from thinfile.services.debit_checks import recheck_debit
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_intents import IntentStatus, IntentView, intent_view, send_debit
from thinfile.services.payment_status_queries import refresh_payment_intent
from thinfile.services.ports import PaymentGateway
from thinfile.services.uow import UnitOfWork
from thinfile.store.cob_statements import AUTO_DEBIT_PREFIX
from thinfile.store.payment_intents_repo import StoredIntent
from thinfile.store.servicing_codec import from_day

__all__ = ["MAX_BATCH", "SendReport", "send_queued_debits"]

log = logging.getLogger("thinfile.payments")

MAX_BATCH = 10_000
"""The most queued debits one call sends."""


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one sending did: the intents sent (as they stand after the gateway's synchronous
    answer) and those closed without a debit (nothing left to take)."""

    sent: tuple[IntentView, ...]
    cancelled: tuple[str, ...]
    waiting: tuple[str, ...] = ()
    """Queued for a due date that has not begun in the lender's time zone: sent on it."""
    recovered: tuple[IntentView, ...] = ()
    """Claimed by an earlier sending that never recorded the gateway's answer: asked about
    (a status query) and sent again under the same request id when the gateway never had it."""


def _checked(engine: Engine, intent: StoredIntent, today: date | None) -> StoredIntent | None:
    """The queued intent to send, checked (:func:`~thinfile.services.debit_checks.recheck_debit`)
    and claimed; None when it was closed without a debit or is no longer queued."""
    with UnitOfWork(engine) as uow:
        checked = recheck_debit(uow, intent, IntentStatus.CREATED, today)
        if checked is None:
            uow.commit()  # a debit closed with nothing to take
            return None
        return _claimed(uow, checked)


def _claimed(uow: UnitOfWork, intent: StoredIntent) -> StoredIntent:
    """``intent`` marked ``pending`` (no gateway transaction yet) in the unit that checked it:
    from here it counts against the borrower's own payments, which a queued debit does not
    (the borrower may pay first; the check then finds less due). Should the sending stop before
    the gateway's answer is recorded, the next sending asks the gateway about it and sends it
    again under the same request id if the gateway never had it (:func:`_recover`); the claim's
    time (``claimed_at``) tells when that first request can no longer be acted on."""
    uow.payment_intents.update(intent.id, status=IntentStatus.PENDING.value, claimed_at=now_utc())
    uow.commit()
    claimed = uow.payment_intents.get(intent.id)
    assert claimed is not None
    return claimed


def send_queued_debits(
    engine: Engine, gateway: PaymentGateway, *, batch: int = 500, today: date | None = None
) -> SendReport:
    """Send up to ``batch`` queued auto-debits, the oldest first (see the module docstring).

    A debit is sent on its due date, never before: one queued for a day that has not begun in
    the lender's time zone waits (a close of business run during the day it closes queues the
    next day's). Debits an earlier sending claimed but never had answered (it stopped between
    the two) are asked about first. One refused intent (its loan closed meanwhile …) does not
    stop the rest; close of business running stops the sending (what is left goes on the next
    call). ``today`` is the date when it is not the wall clock's (a replay, as in
    :func:`~thinfile.services.payment_intents.fallen_due_today`)."""
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise InvalidInputError(
            f"the batch is a whole number from 1 to {MAX_BATCH}",
            field="batch",
            value=str(batch),
        )
    with UnitOfWork(engine) as uow:
        stale = uow.payment_intents.unanswered(AUTO_DEBIT_PREFIX, limit=batch)
        queued = uow.payment_intents.queued(AUTO_DEBIT_PREFIX, limit=batch)
    recovered = [_recover(engine, gateway, intent.id, today) for intent in stale]
    on = today or datetime.now(zone_of(None)).date()
    sent: list[IntentView] = []
    cancelled: list[str] = []
    waiting: list[str] = []
    for intent in queued:
        if on < due_day_of(intent):
            waiting.append(intent.id)
            continue
        try:
            checked = _checked(engine, intent, today)
        except CloseOfBusinessRunning:
            log.info("close of business is running: auto-debits wait for the next sending")
            break
        except ThinfileError as error:
            log.warning("auto-debit %s was not sent: %s", intent.id, error.code)
            continue
        if checked is None:
            cancelled.append(intent.id)
            continue
        sent.append(intent_view(send_debit(engine, gateway, checked)))
    done = tuple(r for r in recovered if r is not None)
    return SendReport(tuple(sent), tuple(cancelled), tuple(waiting), done)


def due_day_of(intent: StoredIntent) -> date:
    """The day a queued debit is for: the day after the close of business that queued it
    (its key, ``auto-debit:<day>:<loan>``, names that close's day)."""
    closed = int(intent.idempotency_key.removeprefix(AUTO_DEBIT_PREFIX).split(":")[0])
    return from_day(closed) + timedelta(days=1)


def _recover(
    engine: Engine, gateway: PaymentGateway, intent_id: str, today: date | None
) -> IntentView | None:
    try:
        return refresh_payment_intent(engine, gateway, intent_id, today=today)
    except ThinfileError as error:
        log.warning("claimed auto-debit %s was not recovered: %s", intent_id, error.code)
        return None
