"""Collection strategies by delinquency bucket, and champion/challenger reminder arms.

Early buckets (M1) are worked by reminders and self-service (提醒与自助还款); later buckets go to
agent queues (人工催收); a case may be given to an outsourced agency (委外). Reminder strategies
compete champion/challenger, with a control group that gets no extra reminder, each loan in an
arm chosen deterministically from a hash of its id (the same loan, the same arm, always).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from thinfile.errors import InvalidInputError

__all__ = [
    "AGENT_BUCKETS",
    "CONTROL",
    "Arm",
    "Strategy",
    "assign_arm",
    "strategy_for",
]

AGENT_BUCKETS = frozenset({"M2", "M3", "M4", "M5", "M6+"})
"""Buckets worked by agents; earlier ones (M1) by reminders and self-service."""
CONTROL = "control"


class Strategy(enum.StrEnum):
    SELF_SERVICE = "self_service"
    """Reminders and self-service repayment: no agent calls."""
    AGENT = "agent"
    """An agent queue."""
    AGENCY = "agency"
    """An outsourced collection agency (委外催收)."""


def strategy_for(bucket: str) -> Strategy:
    """The default strategy of a bucket (M1 self-service, M2 and later agents)."""
    return Strategy.AGENT if bucket in AGENT_BUCKETS else Strategy.SELF_SERVICE


@dataclass(frozen=True, slots=True)
class Arm:
    """A reminder strategy and its share of loans (``Decimal`` in [0, 1])."""

    name: str
    share: Decimal


def _unit(loan_id: int, salt: str) -> Decimal:
    digest = hashlib.sha256(f"{salt}:{loan_id}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2**64)


def assign_arm(loan_id: int, arms: Sequence[Arm], *, control: Decimal, salt: str) -> str:
    """The arm of ``loan_id``: ``control`` of loans get :data:`CONTROL`, the rest split by the
    arms' shares (champion first). Deterministic: a hash of ``salt`` and the loan id."""
    total = sum((a.share for a in arms), Decimal(0))
    if not arms or total != 1 or any(a.share < 0 for a in arms):
        raise InvalidInputError("arm shares must be non-negative and sum to 1", field="arms")
    if not Decimal(0) <= control < 1:
        raise InvalidInputError("control share must be in [0, 1)", field="control")
    u = _unit(loan_id, salt)
    if u < control:
        return CONTROL
    rest = (u - control) / (1 - control)
    edge = Decimal(0)
    for arm in arms:
        edge += arm.share
        if rest < edge:
            return arm.name
    return arms[-1].name
