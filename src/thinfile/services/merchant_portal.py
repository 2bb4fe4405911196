"""The merchant portal's reads and actions: a merchant user sees only its own merchant's
orders (checkout sessions), settlements and their files, and the campaigns that name it;
capture and refund are the checkout service's, run once per form key
(:func:`thinfile.services.idempotency.run_once`), so a double submit posts once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from thinfile.commerce.settlement import settlement_csv
from thinfile.money import Money
from thinfile.services import checkout
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

__all__ = [
    "Portal",
    "campaigns_of",
    "capture",
    "orders",
    "refund",
    "settlement_file",
    "settlements",
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
        lambda uow: checkout.refund_in_unit(
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


def campaigns_of(engine: Engine, actor: Actor) -> list[CampaignRecord]:
    """The campaigns naming the caller's merchant, newest first, with their budgets."""
    merchant, _ = merchant_of_user(engine, actor)
    with UnitOfWork(engine) as uow:
        rows = uow.campaigns.page(limit=200, offset=0, status=None, warning_only=False)
    return [c for c in (campaign_record(r) for r in rows) if merchant.id in c.campaign.merchant_ids]
