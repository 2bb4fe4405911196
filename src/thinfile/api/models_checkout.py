"""API models of checkout sessions: what a merchant sends and reads, what a borrower sees."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from thinfile.api.enums import LoanPurpose
from thinfile.api.models_applications import YUAN, ApplicationCreate, CostStatementPublic, PlainText
from thinfile.api.models_campaigns import HeldCouponPublic
from thinfile.commerce import ALLOWED_TERMS, MAX_LINES, MAX_QUANTITY, CheckoutStatus

__all__ = [
    "CaptureCreate",
    "CheckoutConfirm",
    "CheckoutCreate",
    "CheckoutPlansPublic",
    "CheckoutPublic",
    "OrderLineBody",
    "PlanPublic",
    "PurchaseApplication",
    "RefundCreate",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderLineBody(_In):
    name: str = Field(min_length=1, max_length=200)
    sku: str = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    unit_price: str = Field(pattern=YUAN, description='Yuan, e.g. "3999.00"')


class CheckoutCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "merchant_order_id": "SO-2026-000042",
                    "lines": [
                        {"name": "电动车 48V", "sku": "EB-48V", "quantity": 1, "unit_price": "3600"}
                    ],
                    "total": "3600.00",
                    "allowed_terms": [3, 12],
                    "success_url": "https://shop.example/orders/42/done",
                    "cancel_url": "https://shop.example/orders/42",
                }
            ]
        }
    )

    merchant_order_id: str = Field(min_length=1, max_length=64)
    lines: list[OrderLineBody] = Field(min_length=1, max_length=MAX_LINES)
    total: str = Field(pattern=YUAN, description="Yuan: the sum of quantity × unit price")
    allowed_terms: list[StrictInt] | None = Field(
        default=None,
        max_length=len(ALLOWED_TERMS),
        description="Terms to offer (periods), a subset of the contract's; all when absent",
    )
    success_url: str = Field(min_length=1, max_length=2000)
    cancel_url: str = Field(min_length=1, max_length=2000)


class CaptureCreate(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount": "3600.00"}]})

    amount: str = Field(pattern=YUAN, description="Yuan to capture, at most what is left")


class RefundCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"amount": "1200.00", "reference": "RMA-0042"}]}
    )

    amount: str = Field(pattern=YUAN, description="Yuan to refund, at most what is captured")
    reference: PlainText | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The merchant's own reference (a return number), shown in the settlement "
        'file; "dispute:" at its start is reserved for the refunds that resolve a dispute',
    )


class RefundReversalCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "refunded the wrong order"}]}
    )

    reason: str = Field(min_length=3, max_length=200, description="Why the refund is undone")


class PurchaseApplication(ApplicationCreate):
    """The application form of a purchase: the amount, term and purpose come from the order
    (anything sent for them is replaced)."""

    purpose: LoanPurpose | None = None  # type: ignore[assignment]
    requested_amount: str | None = None  # type: ignore[assignment]
    requested_term_months: StrictInt | None = None  # type: ignore[assignment]


class CheckoutConfirm(_In):
    """The borrower's choice and confirmation; ``application`` is the application form used
    when no credit line of theirs has room (amount, term and purpose come from the order)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"periods": 12, "confirm": True, "seconds_read": 15.0}]}
    )

    periods: StrictInt = Field(ge=1, le=60)
    confirm: StrictBool
    seconds_read: StrictFloat = Field(
        ge=0, le=86_400, description="Seconds the statement was on screen"
    )
    application: PurchaseApplication | None = None
    coupon_id: str | None = Field(
        None, min_length=1, max_length=64, description="One of the plans' `coupons` (its id)"
    )
    campaign_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="The campaign of one of the plans' `campaign_plans` (with its periods)",
    )


class OrderLinePublic(BaseModel):
    name: str
    sku: str
    quantity: int
    unit_price: str


class CapturePublic(BaseModel):
    n: int
    amount: str
    subsidy: str
    merchant_subsidy: str = Field(
        description="The part of the subsidy the merchant pays (its settlement is reduced by "
        "it); under a campaign that shares it, the lender pays the rest"
    )
    refunded: str
    loan_id: int
    captured_on: date


class RefundPartPublic(BaseModel):
    loan_id: int
    amount: str
    subsidy_unwound: str
    merchant_unwound: str = Field(
        description="The merchant's part of subsidy_unwound: returned to it in its settlement "
        "when its contract says so (the lender's part reverses the lender's own expense)"
    )
    returned_to_borrower: str


class RefundPublic(BaseModel):
    n: int
    amount: str
    reference: str | None
    refunded_on: date
    reversed_on: date | None = Field(
        default=None, description="When the refund was reversed (merchant error); null in force"
    )
    parts: list[RefundPartPublic]


class CheckoutPublic(BaseModel):
    id: str
    merchant_id: str
    merchant_order_id: str
    status: CheckoutStatus
    currency: str
    total: str
    lines: list[OrderLinePublic]
    allowed_terms: list[int]
    success_url: str
    cancel_url: str
    expires_at: datetime
    created_at: datetime
    periods: int | None
    authorized: str
    captured: str
    refunded: str
    voided: str
    decline_reasons: list[str]
    captures: list[CapturePublic]
    refunds: list[RefundPublic]


class PlanPublic(BaseModel):
    periods: int
    interest_free: bool
    financed: str
    installments: list[str]
    installment: str
    """The regular installment (the first one)."""
    annualized_rate: str
    """Nominal annualized rate, percent with two decimals: "0.00%" when interest-free."""
    total_cost: str
    total_repayable: str
    borrower_pays: str
    merchant_pays: str
    statement: CostStatementPublic = Field(
        description="The all-in cost statement the borrower must read and confirm"
    )


class CampaignPlanPublic(BaseModel):
    """A campaign's interest-free plan, offered while its budget covers the subsidy."""

    campaign_id: str
    campaign_name: str
    periods: int
    subsidy: str
    merchant_pays: str
    lender_pays: str


class CheckoutPlansPublic(BaseModel):
    session: CheckoutPublic
    plans: list[PlanPublic]
    campaign_plans: list[CampaignPlanPublic] = []
    coupons: list[HeldCouponPublic] = []
    """The borrower's coupons this order admits (``coupon_id`` of the confirmation)."""
