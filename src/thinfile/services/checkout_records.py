"""The shapes the checkout use cases take in and hand back, and the reads they share.

:class:`CheckoutDraft` is what a merchant sends (text, unparsed); :class:`CheckoutRecord` is a
session as its merchant or its borrower sees it, built from the stored rows by
:func:`checkout_record`; :class:`PlanRecord` is one installment plan shown to the borrower.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from thinfile.commerce import (
    CheckoutAmounts,
    CheckoutStatus,
    MerchantContract,
    TermPricing,
    UnearnedSubsidy,
    status_at,
)
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import NotFoundError
from thinfile.money import Money
from thinfile.services.identity_records import now_utc
from thinfile.services.merchant_records import contract_record
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhooks import enqueue_merchant_event_in_unit
from thinfile.store.checkout_repo import StoredCapture, StoredCheckout, StoredLine, StoredRefund

__all__ = [
    "CheckoutDraft",
    "CheckoutRecord",
    "LineDraft",
    "PlanRecord",
    "amounts_of",
    "checkout_record",
    "contract_of",
    "load_session",
    "pricing_of",
    "save_session",
]


@dataclass(frozen=True, slots=True)
class LineDraft:
    name: str
    sku: str
    quantity: int
    unit_price: str
    """Yuan, as text."""


@dataclass(frozen=True, slots=True)
class CheckoutDraft:
    """A merchant's new session, as sent."""

    merchant_order_id: str
    lines: Sequence[LineDraft]
    total: str
    success_url: str
    cancel_url: str
    allowed_terms: Sequence[int] | None = None


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """One plan for the order: the borrower's installments and cost, and who pays what."""

    periods: int
    interest_free: bool
    financed: Money
    installments: tuple[Money, ...]
    annualized_rate: Decimal
    total_cost: Money
    """Interest and fees the borrower pays (0 when interest-free)."""
    total_repayable: Money
    merchant_subsidy: Money
    """What the merchant pays for the plan (贴息): not the borrower's cost."""
    statement: dict[str, object]


@dataclass(frozen=True, slots=True)
class CheckoutRecord:
    """A session as shown to its merchant or borrower; ``status`` as of now (expiry applied)."""

    row: StoredCheckout
    status: CheckoutStatus
    lines: tuple[StoredLine, ...]
    captures: tuple[StoredCapture, ...]
    refunds: tuple[StoredRefund, ...]

    @property
    def allowed_terms(self) -> tuple[int, ...]:
        return tuple(int(t) for t in self.row.allowed_terms.split(","))

    @property
    def decline_reasons(self) -> list[str]:
        reasons = self.row.decline_reasons
        return [] if reasons is None else [str(r) for r in json.loads(reasons)]

    def money(self, fen: int) -> Money:
        return Money(fen, self.row.currency)


def load_session(uow: UnitOfWork, session_id: str, *, lock: bool = False) -> StoredCheckout:
    row = uow.checkouts.get(session_id, lock=lock)
    if row is None:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    return row


def save_session(uow: UnitOfWork, session_id: str, **values: object) -> StoredCheckout:
    """Write ``values`` to the session; its row as it now stands (read in the same
    statement)."""
    row = uow.checkouts.update(session_id, **values)
    if row is None:
        raise NotFoundError("no such checkout session", field="session_id", value=session_id)
    return row


def checkout_record(
    uow: UnitOfWork,
    row: StoredCheckout,
    *,
    now: datetime | None = None,
    lines: tuple[StoredLine, ...] | None = None,
) -> CheckoutRecord:
    """The session of ``row`` with its lines (``lines``: already read — an order's lines
    never change), captures and refunds. A session with nothing captured has neither
    (``captured`` only grows, by each capture's positive amount, and a refund needs a
    capture), so they are read only once something was."""
    status = status_at(CheckoutStatus(row.status), row.expires_at, now or now_utc())
    captured = row.captured > 0
    return CheckoutRecord(
        row,
        status,
        tuple(uow.checkouts.lines(row.id)) if lines is None else lines,
        tuple(uow.checkouts.captures(row.id)) if captured else (),
        tuple(uow.checkouts.refunds(row.id)) if captured else (),
    )


def amounts_of(row: StoredCheckout, status: CheckoutStatus) -> CheckoutAmounts:
    m = row.currency
    return CheckoutAmounts(
        status,
        Money(row.authorized, m),
        Money(row.captured, m),
        Money(row.refunded, m),
        Money(row.voided, m),
    )


def contract_of(uow: UnitOfWork, row: StoredCheckout) -> MerchantContract:
    """The contract version the session was made under."""
    stored = uow.merchants.contract(row.merchant_id, row.contract_version)
    if stored is None:  # pragma: no cover - a session always names an existing version
        raise NotFoundError("the session's contract is gone", field="session_id", value=row.id)
    return contract_record(stored).contract


def pricing_of(row: StoredCheckout) -> tuple[TermPricing, UnearnedSubsidy]:
    """The term the borrower confirmed, as copied onto the session."""
    if row.periods is None or row.subsidy_rate is None or row.monthly_fee_rate is None:
        raise NotFoundError("the session has no confirmed plan", field="session_id", value=row.id)
    pricing = TermPricing(row.periods, Decimal(row.subsidy_rate), Decimal(row.monthly_fee_rate))
    return pricing, UnearnedSubsidy(row.unearned_subsidy or UnearnedSubsidy.RETURN_TO_MERCHANT)


def checkout_event_in_unit(
    uow: UnitOfWork, row: StoredCheckout, event_type: WebhookEventType, **data: object
) -> str:
    """Tell the session's merchant what just happened to it (``checkout.authorized``,
    ``.captured``, ``.voided``, ``.refunded``), in the unit of work that made the change, so
    the event exists exactly when the change does. The body carries the session as it now
    stands (``row``, as the change left it: amounts as decimal strings) and ``data`` (the
    action's own amount, its loan)."""
    money = {
        name: str(Money(getattr(row, name), row.currency))
        for name in ("total", "authorized", "captured", "refunded", "voided")
    }
    payload = {
        "session_id": row.id,
        "merchant_order_id": row.merchant_order_id,
        "status": row.status,
        "currency": row.currency,
        **money,
        **data,
    }
    return enqueue_merchant_event_in_unit(uow, row.merchant_id, event_type, payload)
