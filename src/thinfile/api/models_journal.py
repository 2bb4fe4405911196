"""API models of a loan's journal entries (the double-entry ledger as staff read it)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from thinfile.api.models_applications import YUAN_OUT
from thinfile.servicing.ledger import Account

__all__ = ["JournalEntryPublic", "JournalLinePublic"]


class JournalLinePublic(BaseModel):
    account: Account
    currency: str = Field(description="ISO 4217 code (CNY)")
    amount: str = Field(
        pattern=YUAN_OUT, description="Yuan: a debit is positive, a credit negative"
    )


class JournalEntryPublic(BaseModel):
    """One journal entry posted for the loan; its lines sum to zero in each currency."""

    id: int
    kind: str = Field(
        description="What posted it: disbursement, a payment's allocation, an accrual or "
        "another close-of-business step, a reversal …"
    )
    on: date = Field(description="The business date it was posted for")
    txn_id: int | None = Field(description="The loan transaction it belongs to, if any")
    reverses: int | None = Field(description="The entry this one reverses, if any")
    memo: str
    balanced: bool = Field(description="True when the lines sum to zero in each currency")
    lines: list[JournalLinePublic]
