"""API models of the daily payment reconciliation (对账): amounts as yuan text with two
decimals, outcomes as an enum."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from thinfile.services.payment_intents import IntentStatus
from thinfile.services.reconciliation import ReconOutcome

__all__ = [
    "ReconciliationItemPublic",
    "ReconciliationPublic",
    "ReconciliationsPublic",
    "ResolutionCreate",
]


class ReconciliationItemPublic(BaseModel):
    """One transaction of the gateway's file, or of the books (``missing-at-gateway``)."""

    n: int
    outcome: ReconOutcome
    is_break: bool = Field(description="Staff must look at it (until resolved).")
    gateway_txn_id: str | None
    request_id: str | None = Field(description="The payment intent's id, as the gateway has it.")
    kind: Literal["debit", "refund"] = Field(description="The gateway's transaction kind.")
    file_status: Literal["succeeded", "failed"] | None
    file_amount: str | None = Field(description="Yuan, two decimals.")
    book_status: IntentStatus | None = Field(description="The payment intent's status.")
    book_amount: str | None = Field(description="Yuan, two decimals.")
    loan_id: int | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ReconciliationPublic(BaseModel):
    day: date
    file_sha256: str
    file_rows: int
    counts: dict[str, int] = Field(description="How many items had each outcome.")
    open_breaks: int
    items: list[ReconciliationItemPublic]


class ReconciliationsPublic(BaseModel):
    days: list[date] = Field(description="The reconciled dates, newest first.")


class ResolutionCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the provider's test debit, not a borrower's"}]}
    )

    reason: str = Field(
        min_length=1, max_length=500, description="What was done about the break (audited)."
    )
