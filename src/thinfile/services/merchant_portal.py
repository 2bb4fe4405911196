"""The merchant portal's reads and actions: a merchant user sees only its own merchant's
orders (checkout sessions), settlements and their files, the campaigns that name it and its
webhook deliveries; capture, void and refund are the checkout service's and a replay the
webhook service's (the same the API runs), each run once per form key
(:func:`thinfile.services.idempotency.run_once`), so a double submit posts once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.commerce.settlement import settlement_csv
from thinfile.commerce.webhooks import WebhookEventStatus
from thinfile.money import Money
from thinfile.services import checkout, checkout_refunds, webhooks
from thinfile.services.audit import AuditDraft
from thinfile.services.campaign_records import CampaignRecord, campaign_record
from thinfile.services.checkout_records import CheckoutRecord, checkout_record
from thinfile.services.idempotency import IdempotencyClaim, run_once
from thinfile.services.identity_records import Actor
from thinfile.services.merchant_records import MerchantRecord
from thinfile.services.merchants import merchant_of_user
from thinfile.services.settlements import (
    SettlementRecord,
    settlement_file_name,
    settlement_with_lines,
    settlements_for_merchant,
)
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhook_records import (
    WebhookAttemptRecord,
    WebhookEventDetail,
    WebhookEventRecord,
    attempt_record,
)

__all__ = [
    "Delivery",
    "DeliveryLog",
    "Portal",
    "campaigns_of",
    "capture",
    "delivery",
    "orders",
    "refund",
    "replay",
    "settlement_file",
    "settlements",
    "void",
    "webhook_deliveries",
]


@dataclass(frozen=True, slots=True)
class Portal:
    merchant: MerchantRecord
    orders: list[CheckoutRecord]


def orders(engine: Engine, actor: Actor, *, limit: int = 100) -> Portal:
    """The caller's merchant and its newest sessions."""
    merchant, _ = merchant_of_user(engine, actor)
    with UnitOfWork(engine) as uow:
        rows = uow.checkouts.of_merchant(merchant.id, limit=limit)
        found = [checkout_record(uow, row) for row in rows]
    return Portal(merchant, found)


def _once(
    engine: Engine,
    actor: Actor,
    key: str,
    what: str,
    work: Callable[[UnitOfWork], tuple[CheckoutRecord, AuditDraft]],
) -> CheckoutRecord:
    claim = IdempotencyClaim(f"web:{actor.user_id}:{what}", key, what)
    answer = run_once(engine, claim, work, render=lambda r: r.row.id)
    return checkout.get_for_merchant(engine, actor, answer.body)


def capture(
    engine: Engine,
    actor: Actor,
    session_id: str,
    amount: Money,
    *,
    key: str,
    today: date | None = None,
) -> CheckoutRecord:
    """Capture ``amount`` of the caller's merchant's session (once per ``key``); ``today``
    as the clock's date (a replayed day)."""
    return _once(
        engine,
        actor,
        key,
        f"capture:{session_id}:{amount.fen}",
        lambda uow: checkout.capture_in_unit(uow, actor, session_id, amount, today=today),
    )


def void(engine: Engine, actor: Actor, session_id: str, *, key: str) -> CheckoutRecord:
    """Void what the caller's merchant's session has authorized and not captured (once per
    ``key``); refused (a conflict) when nothing is left to void."""
    return _once(
        engine,
        actor,
        key,
        f"void:{session_id}",
        lambda uow: checkout.void_in_unit(uow, actor, session_id),
    )


def refund(
    engine: Engine,
    actor: Actor,
    session_id: str,
    amount: Money,
    *,
    key: str,
    today: date | None = None,
) -> CheckoutRecord:
    """Refund ``amount`` of what the caller's merchant captured (once per ``key``);
    ``today`` as the clock's date (a replayed day)."""
    return _once(
        engine,
        actor,
        key,
        f"refund:{session_id}:{amount.fen}",
        lambda uow: checkout_refunds.refund_in_unit(
            uow, actor, session_id, amount, reference=key[-32:], today=today
        ),
    )


def settlements(engine: Engine, actor: Actor) -> list[SettlementRecord]:
    merchant, _ = merchant_of_user(engine, actor)
    return settlements_for_merchant(engine, merchant.id)


def settlement_file(engine: Engine, actor: Actor, on: date) -> tuple[str, str]:
    """The file name and CSV text of the caller's merchant's settlement of ``on``."""
    merchant, _ = merchant_of_user(engine, actor)
    record = settlement_with_lines(engine, merchant.id, on)
    return settlement_file_name(record), settlement_csv(record.settlement)


def campaigns_of(engine: Engine, actor: Actor, *, limit: int = 200) -> list[CampaignRecord]:
    """The campaigns naming the caller's merchant, newest first, with their budgets (the
    latest ``limit``: a lender's other campaigns, however many, never push them out)."""
    merchant, _ = merchant_of_user(engine, actor)
    with UnitOfWork(engine) as uow:
        rows = uow.campaigns.naming(merchant.id, limit=limit)
    return [campaign_record(r) for r in rows]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook event as the portal lists it: where its delivery stands (``state``:
    ``pending``, ``retrying`` — pending after a failed try of this round —, ``delivered``,
    ``failed`` or ``skipped``), the order it is about (when it is about one) and its newest
    attempt."""

    event: WebhookEventRecord
    state: str
    session_id: str | None
    order_id: str | None
    last: WebhookAttemptRecord | None


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    merchant: MerchantRecord
    deliveries: list[Delivery]


def _delivery(event: WebhookEventRecord, body: str, last: WebhookAttemptRecord | None) -> Delivery:
    data = json.loads(body).get("data", {})
    session_id = data.get("session_id")
    order_id = data.get("merchant_order_id") or data.get("order_id")
    state = event.status.value
    if event.status is WebhookEventStatus.PENDING and last is not None and last.outcome == "retry":
        state = "retrying"
    return Delivery(
        event,
        state,
        session_id if isinstance(session_id, str) else None,
        order_id if isinstance(order_id, str) else None,
        last,
    )


def webhook_deliveries(engine: Engine, actor: Actor, *, limit: int = 100) -> DeliveryLog:
    """The caller's merchant's webhook events, newest first, each with its newest attempt."""
    merchant, _ = merchant_of_user(engine, actor)
    events = webhooks.list_events(engine, merchant.id, limit=limit, offset=0)
    ids = [e.id for e in events]
    with UnitOfWork(engine) as uow:
        bodies = uow.webhooks.bodies(ids)
        newest = {i: attempt_record(a) for i, a in uow.webhooks.last_attempts(ids).items()}
    found = [_delivery(e, bodies[e.id], newest.get(e.id)) for e in events]
    return DeliveryLog(merchant, found)


def delivery(engine: Engine, actor: Actor, event_id: str) -> tuple[Delivery, WebhookEventDetail]:
    """One of the caller's merchant's events with its body and every attempt; another
    merchant's event is not found."""
    merchant, _ = merchant_of_user(engine, actor)
    detail = webhooks.get_event(engine, merchant.id, event_id)
    last = detail.attempts[-1] if detail.attempts else None
    return _delivery(detail.event, detail.body, last), detail


def replay(engine: Engine, actor: Actor, event_id: str, *, key: str) -> WebhookEventRecord:
    """Queue one of the caller's merchant's events again, as the API's replay does (once per
    ``key``)."""
    merchant, _ = merchant_of_user(engine, actor)
    claim = IdempotencyClaim(f"web:{actor.user_id}:replay:{event_id}", key, "replay")
    run_once(
        engine,
        claim,
        lambda uow: webhooks.replay_in_unit(uow, actor, merchant.id, event_id),
        render=lambda r: r.id,
    )
    return delivery(engine, actor, event_id)[0].event
