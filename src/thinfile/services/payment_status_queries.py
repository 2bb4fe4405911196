"""Status queries (掉单查询): asking the gateway what became of a card payment whose word is
late or lost, and settling it with the answer (:mod:`thinfile.services.payment_settlement`).

A debit the gateway never received is sent again under the same ``request_id``, checked first
against what the loan owes now: a borrower's payment against what the loan can still take (its
payoff: :func:`~thinfile.services.debit_checks.recheck_payment`), an auto-debit claimed by the
sender against what has fallen due (:func:`~thinfile.services.debit_checks.recheck_debit`) —
closed when nothing is left (paid otherwise since, the loan closed), lowered to what is left
once its first request would be refused as stale (the gateway's ``request_expiry`` after it
was sent), else sent again unchanged.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from thinfile.errors import NotFoundError, PaymentGatewayUnavailableError, ThinfileError
from thinfile.services.debit_checks import recheck_debit, recheck_payment
from thinfile.services.identity_records import now_utc
from thinfile.services.payment_intents import (
    IntentStatus,
    IntentView,
    get_payment_intent,
    intent_view,
    send_debit,
)
from thinfile.services.payment_settlement import GatewayWord, settle_payment_intent
from thinfile.services.ports import PaymentGateway
from thinfile.services.uow import UnitOfWork
from thinfile.store.cob_statements import AUTO_DEBIT_PREFIX

__all__ = ["check_payment_intent", "refresh_payment_intent", "settle_stale_intents"]

log = logging.getLogger("thinfile.payments")


def refresh_payment_intent(
    engine: Engine, gateway: PaymentGateway, intent_id: str, *, today: date | None = None
) -> IntentView:
    """Ask the gateway what became of an unsettled intent's debit (a status query) and apply
    its answer; one it never received is sent again under the same ``request_id``, checked
    first against what the loan owes now — a borrower's payment against what the loan can
    still take, an auto-debit claimed by the sender against what has fallen due: closed when
    nothing is left (the borrower paid otherwise, the loan closed, the purchase went under
    dispute), else sent again unchanged while the first request may yet arrive, lowered to
    what is left once the gateway would refuse that request as stale (``request_expiry``
    after it was sent). An auto-debit still queued is left to
    :func:`~thinfile.services.auto_debit.send_queued_debits`, which checks it the same way.
    ``today``: the business date when not the wall clock's."""
    with UnitOfWork(engine) as uow:
        intent = uow.payment_intents.get(intent_id)
    if intent is None:
        raise NotFoundError("no such payment", field="intent_id", value=intent_id)
    if intent.status == IntentStatus.CREATED:
        if intent.idempotency_key.startswith(AUTO_DEBIT_PREFIX):
            return intent_view(intent)  # queued: the sender checks it against what is due
        return intent_view(send_debit(engine, gateway, intent))
    if intent.status != IntentStatus.PENDING:
        return intent_view(intent)
    report = gateway.debit_status(intent.id)
    if report is None:  # never received: checked against what is owed now, then sent again
        automatic = intent.idempotency_key.startswith(AUTO_DEBIT_PREFIX)
        with UnitOfWork(engine) as uow:
            stale_before = now_utc() - gateway.request_expiry
            if automatic:  # claimed by the sender
                checked = recheck_debit(
                    uow, intent, IntentStatus.PENDING, today, stale_before=stale_before
                )
            else:
                checked = recheck_payment(uow, intent, today, stale_before=stale_before)
            uow.commit()
        if checked is None:
            return get_payment_intent(engine, intent.loan_id, intent.id)
        if not automatic:
            _reset(engine, intent.id)
        return intent_view(send_debit(engine, gateway, checked))
    word = GatewayWord(
        report.gateway_txn_id, report.status, report.amount_fen, report.failure, report.completed_at
    )
    settle_payment_intent(engine, intent.id, word)
    return get_payment_intent(engine, intent.loan_id, intent.id)


def _reset(engine: Engine, intent_id: str) -> None:
    """A pending intent the gateway never received goes back to ``created`` to be sent."""
    with UnitOfWork(engine) as uow:
        intent = uow.payment_intents.get(intent_id, lock=True)
        if intent is not None and intent.status == IntentStatus.PENDING:
            uow.payment_intents.update(intent_id, status=IntentStatus.CREATED.value)
            uow.commit()


def settle_stale_intents(
    engine: Engine, gateway: PaymentGateway, *, older_than: timedelta, limit: int = 500
) -> list[IntentView]:
    """:func:`refresh_payment_intent` for each intent still unsettled that was created longer
    ago than ``older_than`` (its notification late or lost), the oldest first, up to
    ``limit`` (CLI ``payments query-unsettled``). Auto-debits still queued are the sender's.
    One intent refused (its loan closed …) does not stop the rest; a gateway that does not
    answer does: :class:`~thinfile.errors.PaymentGatewayUnavailableError` is raised (asking
    the rest would only wait out their timeouts; what was settled before it stays settled)."""
    with UnitOfWork(engine) as uow:
        ids = uow.payment_intents.unsettled(
            before=now_utc() - older_than, limit=limit, unsent_queue=AUTO_DEBIT_PREFIX
        )
    done = []
    for intent_id in ids:
        try:
            done.append(refresh_payment_intent(engine, gateway, intent_id))
        except PaymentGatewayUnavailableError:
            raise
        except ThinfileError as error:
            log.warning("intent %s could not be refreshed: %s", intent_id, error.code)
    return done


def check_payment_intent(
    engine: Engine, gateway: PaymentGateway, loan_id: int, intent_id: str, *, query_after: timedelta
) -> IntentView:
    """:func:`get_payment_intent`, asking the gateway (:func:`refresh_payment_intent`) when
    it has been unsettled for longer than ``query_after``; an unreachable gateway leaves it
    as it is."""
    intent = get_payment_intent(engine, loan_id, intent_id)
    unsettled = intent.status in (IntentStatus.CREATED, IntentStatus.PENDING)
    if not unsettled or now_utc() - intent.created_at < query_after:
        return intent
    try:
        return refresh_payment_intent(engine, gateway, intent_id)
    except PaymentGatewayUnavailableError:
        return intent
