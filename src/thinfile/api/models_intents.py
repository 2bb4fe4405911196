"""API models of payment intents (a payment taken from a bound card through the gateway) and
of the gateway's notification acknowledgement."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from thinfile.api.models_applications import YUAN
from thinfile.services.payment_settlement import Settlement

__all__ = ["IntentCreate", "IntentPublic", "NotificationAck"]


class IntentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"kind": "payment", "amount": "521.00"}]},
    )

    kind: Literal["payment", "payoff", "prepayment"] = Field(
        description="pay now (the waterfall), pay off everything, or repay part early"
    )
    amount: str | None = Field(
        default=None,
        pattern=YUAN,
        description="Yuan; required but for a payoff (its quote is taken); never above the payoff",
    )
    mode: Literal["reduce-installment", "shorten-term"] | None = Field(
        default=None, description="How a part prepayment re-amortizes the schedule"
    )
    card_id: str | None = Field(
        default=None, pattern="^[0-9a-f]{32}$", description="The card to debit (default: mine)"
    )


class IntentPublic(BaseModel):
    id: str
    loan_id: int
    kind: Literal["payment", "payoff", "prepayment"]
    mode: Literal["reduce-installment", "shorten-term"] | None
    amount: str = Field(description="Yuan")
    currency: str
    status: Literal["created", "pending", "succeeded", "failed", "held"]
    failure: str | None = Field(description="Why the gateway failed it (a DebitFailure)")
    card_id: str
    txn_id: int | None = Field(description="The posted transaction, once succeeded")
    created_at: datetime
    settled_at: datetime | None


class NotificationAck(BaseModel):
    received: bool
    outcome: Settlement = Field(description="What the notification did to its intent")
