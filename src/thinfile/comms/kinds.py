"""The messages thinfile sends a borrower and the channels each may take (DOMAIN.md §16)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["KINDS", "OVERDUE_DAYS", "REMINDER_DAYS_BEFORE", "Channel", "KindRule", "MessageKind"]


class Channel(StrEnum):
    IN_APP = "in_app"
    """The message centre in the borrower's pages (stored; never a contact in quiet hours)."""
    EMAIL = "email"
    SMS = "sms"


class MessageKind(StrEnum):
    DUE_SOON = "due_soon"
    """Three days before an installment falls due (D−3)."""
    DUE_TODAY = "due_today"
    """The day an installment falls due (D0)."""
    PAYMENT_RECEIVED = "payment_received"
    AUTO_DEBIT_FAILED = "auto_debit_failed"
    OVERDUE_1 = "overdue_1"
    OVERDUE_7 = "overdue_7"
    OVERDUE_15 = "overdue_15"
    OVERDUE_30 = "overdue_30"
    LIMIT_CHANGED = "limit_changed"
    LIMIT_FROZEN = "limit_frozen"
    """The line is frozen (no new draws) by a limit review, its limit kept for later."""
    CONTRACT_READY = "contract_ready"
    PLAN_CHANGED = "plan_changed"
    """An approved hardship plan changed the repayment schedule (holiday, extension, re-age)."""
    SETTLEMENT_READY = "settlement_ready"
    """The loan is repaid in full: the settlement certificate (结清证明) can be downloaded."""
    OFFER = "offer"
    """A marketing message: only with the borrower's separate marketing consent."""


REMINDER_DAYS_BEFORE = 3
"""Days before a due date the ``due_soon`` reminder goes (D−3)."""
OVERDUE_DAYS: dict[int, MessageKind] = {
    1: MessageKind.OVERDUE_1,
    7: MessageKind.OVERDUE_7,
    15: MessageKind.OVERDUE_15,
    30: MessageKind.OVERDUE_30,
}
"""Days past due on which an overdue notice goes (D+1, D+7, D+15, D+30)."""


@dataclass(frozen=True, slots=True)
class KindRule:
    channels: tuple[Channel, ...]
    """Every channel the message goes by unless the borrower chose in-app only."""
    legally_required: bool = False
    """A notice the law requires (overdue notices before negative credit information is
    reported, 征信业管理条例 art. 15; a change of the contract's limit): it keeps its channels
    even when the borrower chose in-app only."""
    marketing: bool = False
    """Needs the borrower's separate marketing consent (PIPL art. 14; DOMAIN.md §16)."""


_ALL = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)
KINDS: dict[MessageKind, KindRule] = {
    MessageKind.DUE_SOON: KindRule(_ALL),
    MessageKind.DUE_TODAY: KindRule((Channel.IN_APP, Channel.SMS)),
    MessageKind.PAYMENT_RECEIVED: KindRule((Channel.IN_APP, Channel.EMAIL)),
    MessageKind.AUTO_DEBIT_FAILED: KindRule(_ALL),
    MessageKind.OVERDUE_1: KindRule(_ALL, legally_required=True),
    MessageKind.OVERDUE_7: KindRule(_ALL, legally_required=True),
    MessageKind.OVERDUE_15: KindRule(_ALL, legally_required=True),
    MessageKind.OVERDUE_30: KindRule(_ALL, legally_required=True),
    MessageKind.LIMIT_CHANGED: KindRule(_ALL, legally_required=True),
    MessageKind.LIMIT_FROZEN: KindRule(_ALL, legally_required=True),
    MessageKind.CONTRACT_READY: KindRule((Channel.IN_APP, Channel.EMAIL)),
    MessageKind.PLAN_CHANGED: KindRule(_ALL, legally_required=True),
    MessageKind.SETTLEMENT_READY: KindRule((Channel.IN_APP, Channel.EMAIL)),
    MessageKind.OFFER: KindRule((Channel.IN_APP, Channel.EMAIL), marketing=True),
}
