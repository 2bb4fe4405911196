"""API models for loans, payments and credit lines (amounts are yuan strings, e.g. "12.34")."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from thinfile.api.enums import TransactionKind
from thinfile.api.models_applications import YUAN
from thinfile.servicing.account import LoanStatus
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.replay import EventKind

__all__ = [
    "BalancesPublic",
    "DrawCreate",
    "LinePublic",
    "LoanInstallmentPublic",
    "LoanPublic",
    "LoanSummaryPublic",
    "PaymentCreate",
    "PayoffPublic",
    "PrepaymentCreate",
    "ReceiptPublic",
    "TransactionPublic",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PaymentCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "521.00"}]})

    amount: str = Field(pattern=YUAN, description="Yuan paid, allocated by the waterfall")


class PrepaymentCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "1000.00", "mode": "shorten-term"}]}
    )

    amount: str = Field(pattern=YUAN, description="Yuan; the payoff quote closes the loan")
    mode: Literal["reduce-installment", "shorten-term"] | None = Field(
        default=None, description="How a partial prepayment re-amortizes the schedule"
    )


class DrawCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "500.00", "term_months": 3}]}
    )

    amount: str = Field(pattern=YUAN)
    term_months: StrictInt = Field(ge=1, le=36)


class BalancesPublic(BaseModel):
    principal: str
    interest: str
    fee: str
    penalty: str
    total: str


class LoanInstallmentPublic(BaseModel):
    n: int
    due_date: date
    due: BalancesPublic
    paid: BalancesPublic


class TransactionPublic(BaseModel):
    id: int
    kind: TransactionKind
    on: date
    amount: str
    reversed: bool


class LoanSummaryPublic(BaseModel):
    id: int
    status: LoanStatus
    currency: str = Field(description="ISO 4217 code (CNY)")
    principal: str
    disbursed_on: date
    outstanding: str = Field(description="Everything owed now (principal, interest, fees)")
    credit_line_id: int | None


class LoanPublic(LoanSummaryPublic):
    bucket: str = Field(
        description="Delinquency bucket, named by the loan's servicing product: CURRENT, "
        "then by days past due M1 (1-30), M2, M3, M4, M5, M6+ (151 and more) by default"
    )
    overdue_since: date | None = Field(
        description="The day days past due count from: the oldest unpaid due date, moved a day "
        "later for each day a dispute of the purchase paused the ageing; null when current"
    )
    closed_on: date | None
    last_closed_date: date = Field(description="The last business date closed for the loan")
    balances: BalancesPublic
    held_overpayment: str
    installments: list[LoanInstallmentPublic]
    transactions: list[TransactionPublic]


class PayoffPublic(BaseModel):
    loan_id: int
    on: date
    amount: str = Field(
        description="Pays the loan off on this date: dues, interest for the "
        "days used, all principal"
    )


class PaymentPreviewPublic(BaseModel):
    """What a payment would do, by the same rule the payment follows; nothing is written."""

    loan_id: int
    on: date
    amount: str
    paid: BalancesPublic = Field(
        description="What it pays, by component; principal includes "
        "any cut ahead of schedule (interest then stops on it)"
    )
    held: str = Field(description="Kept on the loan as overpayment (products that hold it)")
    refunded: str = Field(
        description="Beyond the payoff, returned at once (products that refund it)"
    )
    closes_loan: bool
    next_due: date | None = Field(description="The next installment still owed afterwards")
    next_amount: str = Field(description="What is owed by that date afterwards")
    payoff_after: str = Field(description="What would close the loan afterwards")


class ReceiptPublic(BaseModel):
    txn_id: int
    loan_id: int
    kind: EventKind
    on: date
    amount: str
    paid: BalancesPublic
    overpayment: str
    loan_status: LoanStatus
    replayed: bool = Field(
        description="True when this is the replay of an earlier request with the same "
        "Idempotency-Key (the response then carries Idempotent-Replayed: true)"
    )


class LinePublic(BaseModel):
    id: int
    status: LineStatus
    currency: str = Field(description="ISO 4217 code (CNY)")
    limit: str
    outstanding_principal: str
    available: str
