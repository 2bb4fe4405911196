"""API models of interest coupons (利息券) and an offer's price: the batches staff define and
issue, the coupons a borrower holds, and what accepting an offer on the business date would
sign for (with a coupon, or at the standard price)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from thinfile.api.enums import Segment
from thinfile.api.models_applications import (
    DECIMAL,
    YUAN,
    YUAN_OUT,
    AnnualizedRatePublic,
    CalendarDate,
    CostStatementPublic,
    InstallmentPublic,
    PlainText,
)
from thinfile.decisioning.interest_coupons import (
    MAX_PER_BORROWER,
    MOST_FREE_DAYS,
    MOST_PERIODS,
    CouponBatchStatus,
    CouponCostBooking,
    CouponKind,
    InterestCouponStatus,
)
from thinfile.services.promotions import PriceReason

__all__ = [
    "CouponBatchCreate",
    "CouponBatchIssue",
    "CouponBatchPublic",
    "InterestCouponPublic",
    "InterestCouponTermsBody",
    "OfferPricePublic",
    "ProgrammePricePublic",
    "SegmentIssueCreate",
    "SegmentIssuePublic",
]

_ID = r"^[0-9a-f]{32}$"
_REFERENCE = r"^[^\x00-\x1f]{1,100}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InterestCouponTermsBody(_In):
    """What the coupon takes off: ``free_days`` needs ``days``; ``rate_discount`` a
    ``factor`` and ``periods``; ``interest_off`` an ``amount_off``."""

    kind: CouponKind
    days: StrictInt | None = Field(default=None, ge=1, le=MOST_FREE_DAYS, description="free_days")
    factor: str | None = Field(
        default=None,
        pattern=DECIMAL,
        description='rate_discount: what the interest is multiplied by, below 1 ("0.8")',
    )
    periods: StrictInt | None = Field(
        default=None, ge=1, le=MOST_PERIODS, description="rate_discount: the first installments"
    )
    amount_off: str | None = Field(
        default=None, pattern=YUAN, description="interest_off: yuan off the interest and fees"
    )


class CouponBatchCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "新市民首贷30天免息券",
                    "terms": {"kind": "free_days", "days": 30},
                    "valid_from": "2026-12-01",
                    "valid_to": "2026-12-31",
                    "per_borrower_limit": 1,
                    "budget": "20000.00",
                }
            ]
        }
    )

    name: PlainText = Field(min_length=1, max_length=200)
    terms: InterestCouponTermsBody
    valid_from: CalendarDate
    valid_to: CalendarDate = Field(description="The last day (inclusive)")
    per_borrower_limit: StrictInt = Field(
        ge=1, le=MAX_PER_BORROWER, description="How many of it one borrower may be given"
    )
    budget: str = Field(
        pattern=YUAN, description="Yuan its redeemed coupons may take off loans in all"
    )
    cost_booking: CouponCostBooking = Field(
        default=CouponCostBooking.MARKETING_EXPENSE,
        description="How a redeemed coupon's value is booked: marketing expense (deferred "
        "by the loan as income) or reduced interest income (nothing booked)",
    )


class CouponBatchPublic(BaseModel):
    """A coupon batch (券批次) with its budget's use (amounts in yuan as text)."""

    id: str
    name: str
    terms: InterestCouponTermsBody
    description: str = Field(description="What the coupon takes off, in words")
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget: str = Field(pattern=YUAN_OUT)
    spent: str = Field(pattern=YUAN_OUT, description="Taken off loans by redeemed coupons")
    remaining: str = Field(pattern=YUAN_OUT)
    issued: int = Field(description="Coupons given to borrowers")
    status: CouponBatchStatus
    cost_booking: CouponCostBooking
    created_at: datetime
    created_by: str


class CouponBatchIssue(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"borrower_id": "0f4c2a7d9b8e4f3a8c1d2e3f4a5b6c7d", "reference": "welcome-1"}
            ]
        }
    )

    borrower_id: str = Field(pattern=_ID, description="The borrower's account id")
    reference: str | None = Field(
        default=None,
        pattern=_REFERENCE,
        description="Issues once per borrower and reference (a repeat returns the same coupon)",
    )


class SegmentIssueCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "segment": "delivery_rider",
                    "reference": "2026-12 新市民首贷",
                    "first_loan_only": True,
                }
            ]
        }
    )

    segment: Segment = Field(description="Borrowers who applied as this segment")
    reference: str = Field(
        pattern=_REFERENCE,
        description="The campaign's name for this issue: one coupon per borrower and reference",
    )
    first_loan_only: StrictBool = Field(
        default=False, description="Only borrowers with no loan yet (a first loan to come)"
    )


class SegmentIssuePublic(BaseModel):
    batch_id: str
    segment: Segment
    reference: str
    issued: int = Field(description="Borrowers given a coupon now")
    already: int = Field(description="Borrowers given one under this reference before")
    at_limit: int = Field(description="Borrowers holding as many of the batch as allowed")
    not_issued: int = Field(description="Borrowers left out: the batch was spent or ended")


class InterestCouponPublic(BaseModel):
    """An interest coupon a borrower holds: send its ``id`` as ``coupon_id`` to price or
    accept an offer with it."""

    id: str
    name: str
    terms: InterestCouponTermsBody
    description: str
    valid_from: date
    valid_to: date
    status: InterestCouponStatus
    batch_id: str | None
    issued_at: datetime
    loan_id: int | None = Field(description="The loan it was redeemed by")
    value: str | None = Field(
        pattern=YUAN_OUT, description="What it took off that loan's interest and fees, yuan"
    )
    redeemed_on: date | None


class ProgrammePricePublic(BaseModel):
    """The preferential programme (让利) whose price this is."""

    code: str
    name_en: str
    name_zh: str
    discount_bps: int
    price_before: str = Field(pattern=DECIMAL, description="The standard price it lowers")
    price_after: str = Field(pattern=DECIMAL)


class OfferPricePublic(BaseModel):
    """What accepting the offer on ``start`` signs for: the schedule paid, its annualized rate
    and all-in cost statement, with the programme's price, or the standard price when its
    budget is spent (``reasons``) or asked for, and the interest coupon taken off."""

    application_id: str
    offer: int
    start: date = Field(description="The business date the loan would start")
    amount: str = Field(pattern=YUAN_OUT)
    term_months: int
    annual_rate: str = Field(pattern=DECIMAL)
    monthly_fee_rate: str = Field(pattern=DECIMAL)
    upfront_fee: str = Field(pattern=YUAN_OUT)
    first_installment: str = Field(pattern=YUAN_OUT)
    total_repaid: str = Field(pattern=YUAN_OUT)
    total_cost: str = Field(pattern=YUAN_OUT, description="Interest and fees actually paid")
    annualized_rate: AnnualizedRatePublic
    statement: CostStatementPublic
    schedule: list[InstallmentPublic]
    programme: ProgrammePricePublic | None = Field(
        description="The programme priced in; null: the standard price"
    )
    programme_discount: str = Field(
        pattern=YUAN_OUT, description="Interest and fees the programme takes off, yuan"
    )
    standard_price: bool = Field(description="The offer is at the price before any programme")
    coupon_id: str | None = Field(description="The interest coupon taken off")
    coupon_value: str = Field(
        pattern=YUAN_OUT, description="What the coupon takes off, yuan (the lender pays it)"
    )
    reasons: list[PriceReason] = Field(
        description="Why the price is not the offer's: PROGRAMME_BUDGET_EXHAUSTED — the "
        "programme's budget is spent, so the standard price; accept with standard_price: true"
    )
