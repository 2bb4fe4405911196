"""API models of campaigns and coupons: what staff send, and what staff and borrowers read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from thinfile.api.models_applications import YUAN, CalendarDate
from thinfile.api.models_merchants import RATE
from thinfile.commerce import (
    MAX_CAMPAIGN_MERCHANTS,
    MAX_PER_BORROWER,
    BorrowerCouponStatus,
    BudgetState,
    CampaignStatus,
    CouponFunder,
    CouponStatus,
)

__all__ = [
    "CampaignCreate",
    "CampaignPublic",
    "CampaignStatusPut",
    "CouponCreate",
    "CouponIssue",
    "CouponPublic",
    "CouponStatusPut",
    "HeldCouponPublic",
]

_ID = r"^[0-9a-f]{32}$"
MerchantIdText = Annotated[str, Field(min_length=1, max_length=32)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CampaignCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "骑手电动车12期免息",
                    "starts_on": "2026-03-01",
                    "ends_on": "2026-03-31",
                    "merchant_ids": ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
                    "terms": [3, 6, 12],
                    "min_order": "500",
                    "max_order": "20000",
                    "merchant_share": "100%",
                    "budget": "50000",
                    "warning_threshold": "40000",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    starts_on: CalendarDate
    ends_on: CalendarDate = Field(description="The last day (inclusive)")
    merchant_ids: list[MerchantIdText] = Field(min_length=1, max_length=MAX_CAMPAIGN_MERCHANTS)
    terms: list[StrictInt] = Field(min_length=1, max_length=6, description="Periods offered 免息")
    min_order: str = Field(pattern=YUAN, description="Yuan")
    max_order: str = Field(pattern=YUAN, description="Yuan")
    merchant_share: str = Field(
        pattern=RATE, max_length=16, description="The merchant's share of the subsidy (0%–100%)"
    )
    budget: str = Field(pattern=YUAN, description="Yuan of subsidy the campaign may use")
    warning_threshold: str = Field(
        pattern=YUAN, description="Yuan used at which staff are warned (at most the budget)"
    )


class CampaignStatusPut(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "paused"}]})

    status: CampaignStatus


class CampaignPublic(BaseModel):
    """A campaign with its budget use (amounts in yuan as text)."""

    id: str
    name: str
    status: CampaignStatus
    starts_on: date
    ends_on: date
    merchant_ids: list[str]
    terms: list[int]
    min_order: str
    max_order: str
    merchant_share: str
    budget: str
    warning_threshold: str
    spent: str = Field(description="Reserved by confirmed purchases, net of releases")
    remaining: str
    budget_state: BudgetState = Field(description="ok, warning (threshold reached) or spent")
    warned_at: datetime | None = Field(description="When the threshold was last reached")
    created_at: datetime
    created_by: str


class CouponCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "满1000减100",
                    "amount_off": "100",
                    "threshold": "1000",
                    "valid_from": "2026-03-01",
                    "valid_to": "2026-03-31",
                    "per_borrower_limit": 1,
                    "budget": "10000",
                    "funded_by": "lender",
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200)
    amount_off: str = Field(pattern=YUAN, description="Yuan taken off the price")
    threshold: str = Field(pattern=YUAN, description="The least order (yuan), above amount_off")
    valid_from: CalendarDate
    valid_to: CalendarDate = Field(description="The last day (inclusive)")
    per_borrower_limit: StrictInt = Field(ge=1, le=MAX_PER_BORROWER)
    budget: str = Field(pattern=YUAN, description="Yuan of face value that may be issued")
    funded_by: CouponFunder
    merchant_ids: list[MerchantIdText] = Field(
        default_factory=list, max_length=MAX_CAMPAIGN_MERCHANTS, description="Empty: any"
    )
    campaign_id: str | None = Field(default=None, pattern=_ID)


class CouponIssue(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"borrower_id": "0f4c2a7d9b8e4f3a8c1d2e3f4a5b6c7d", "reference": "order-42"}
            ]
        }
    )

    borrower_id: str = Field(pattern=_ID, description="The borrower's account id")
    reference: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_\-:.]{1,100}$",
        description="Issues once per reference (a campaign's reward for an order)",
    )


class CouponStatusPut(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ended"}]})

    status: CouponStatus


class CouponPublic(BaseModel):
    id: str
    name: str
    status: CouponStatus
    amount_off: str
    threshold: str
    valid_from: date
    valid_to: date
    per_borrower_limit: int
    budget: str
    issued: str = Field(description="Face value issued")
    redeemed: str = Field(description="Face value used by orders now")
    remaining: str
    funded_by: CouponFunder
    merchant_ids: list[str]
    campaign_id: str | None
    created_at: datetime


class HeldCouponPublic(BaseModel):
    """A coupon a borrower holds: its ``id`` is what a checkout redeems."""

    id: str
    coupon_id: str
    name: str
    status: BorrowerCouponStatus
    amount_off: str
    threshold: str
    valid_from: date
    valid_to: date
    funded_by: CouponFunder
    merchant_ids: list[str]
    issued_at: datetime
