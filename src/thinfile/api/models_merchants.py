"""API models of merchants: onboarding, contracts, merchant users and their API keys."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from thinfile.api.models_applications import CalendarDate
from thinfile.commerce import ALLOWED_TERMS, MAX_SETTLEMENT_DAYS, MerchantCategory, MerchantStatus
from thinfile.commerce import UnearnedSubsidy as UnearnedSubsidyPolicy
from thinfile.money import Rounding

__all__ = [
    "MerchantApiKeyCreate",
    "MerchantApiKeyCreated",
    "MerchantContractPublic",
    "MerchantContractPut",
    "MerchantCreate",
    "MerchantMePublic",
    "MerchantPublic",
    "MerchantUserCreate",
    "MerchantUsersPublic",
    "TermPricingBody",
]

RATE = r"^[0-9]{1,3}(\.[0-9]{1,8})?%?$"
"""A rate as text: ``7.5%`` or ``0.075`` (never a JSON number, so never a float)."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MerchantCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "legal_name": "深圳市骑手电动车有限公司",
                    "credit_code": "91440300708461136T",
                    "category": "e-bikes",
                    "settlement_bank": "招商银行深圳分行",
                    "settlement_account": "6222 0212 3456 7891 234",
                    "contact_name": "王芳",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )

    legal_name: str = Field(min_length=1, max_length=200, description="The name on the licence")
    credit_code: str = Field(
        min_length=1,
        max_length=40,
        description="Unified social credit code (统一社会信用代码), 18 characters",
    )
    category: MerchantCategory
    settlement_bank: str = Field(min_length=1, max_length=100)
    settlement_account: str = Field(
        min_length=1, max_length=40, description="Account number, 8 to 30 digits; stored sealed"
    )
    contact_name: str = Field(min_length=1, max_length=50)
    contact_phone: str = Field(min_length=1, max_length=20, description="Mainland mobile number")


class MerchantPublic(BaseModel):
    """A merchant: its settlement account and contact phone masked."""

    id: str
    legal_name: str
    credit_code: str
    category: MerchantCategory
    status: MerchantStatus
    settlement_bank: str
    settlement_account: str = Field(description="Masked: 6222***********1234")
    contact_name: str
    contact_phone: str = Field(description="Masked: 138****5678")
    contract_version: int = Field(description="The current contract's version; 0 for none")
    created_at: datetime
    updated_at: datetime


class TermPricingBody(_In):
    periods: StrictInt = Field(description=f"One of {', '.join(str(t) for t in ALLOWED_TERMS)}")
    subsidy_rate: str = Field(
        pattern=RATE, max_length=16, description="Share of the financed amount the merchant pays"
    )
    monthly_fee_rate: str = Field(
        default="0", pattern=RATE, max_length=16, description="The borrower's monthly fee rate"
    )


class MerchantContractPut(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "terms": [
                        {"periods": 3, "subsidy_rate": "2%", "monthly_fee_rate": "0"},
                        {"periods": 12, "subsidy_rate": "7.5%", "monthly_fee_rate": "0"},
                    ],
                    "unearned_subsidy": "return-to-merchant",
                    "settlement_days": 1,
                    "effective_from": "2026-01-01",
                }
            ]
        }
    )

    terms: list[TermPricingBody] = Field(min_length=1, max_length=len(ALLOWED_TERMS))
    unearned_subsidy: UnearnedSubsidyPolicy = UnearnedSubsidyPolicy.RETURN_TO_MERCHANT
    settlement_days: StrictInt = Field(default=1, ge=0, le=MAX_SETTLEMENT_DAYS, description="T+n")
    effective_from: CalendarDate


class TermPricingPublic(BaseModel):
    periods: int
    subsidy_rate: str
    monthly_fee_rate: str
    interest_free: bool


class MerchantContractPublic(BaseModel):
    merchant_id: str
    version: int
    terms: list[TermPricingPublic]
    unearned_subsidy: UnearnedSubsidyPolicy
    settlement_days: int
    rounding: Rounding
    effective_from: date
    created_at: datetime


class MerchantMePublic(BaseModel):
    """The merchant a merchant user acts for, and its current contract."""

    merchant: MerchantPublic
    contract: MerchantContractPublic | None


class MerchantUserCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"user_id": "0f4c2a7d9b8e4f3a8c1d2e3f4a5b6c7d"}]}
    )

    user_id: str = Field(
        min_length=1, max_length=32, description="An account with the merchant role"
    )


class MerchantUsersPublic(BaseModel):
    merchant_id: str
    user_ids: list[str]


class MerchantApiKeyCreate(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"user_id": "0f4c2a7d9b8e4f3a8c1d2e3f4a5b6c7d", "name": "shop checkout"}]
        }
    )

    user_id: str = Field(min_length=1, max_length=32, description="One of the merchant's users")
    name: str = Field(min_length=1, max_length=100)


class MerchantApiKeyCreated(BaseModel):
    """A new key: ``key`` is shown this once and never again."""

    id: str
    merchant_id: str
    user_id: str
    name: str
    prefix: str
    key: str
