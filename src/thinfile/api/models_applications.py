"""API models for applications, decisions and offers (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from thinfile.decisioning.application import (
    MAX_MONTHLY_YUAN,
    MAX_REQUESTED_YUAN,
    PURPOSES,
    SEGMENTS,
)

__all__ = [
    "YUAN",
    "YUAN_HINT",
    "AcceptanceCreate",
    "AcceptancePublic",
    "AnnualizedRatePublic",
    "ApplicationCreate",
    "ApplicationPublic",
    "InstallmentPublic",
    "OfferPublic",
    "ReasonPublic",
]

YUAN = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"
"""A yuan amount written as text with at most two decimals, e.g. ``"6000.00"``: ASCII digits
only (``\\d`` would let full-width digits such as ``"１２３"`` through), no exponent, sign,
separator, ``NaN`` or infinity. Routes read it with :meth:`thinfile.money.Money.of`."""
YUAN_HINT = (
    'must be yuan in digits 0-9 with at most two decimals, such as "6000.00"; '
    "exponents (1e12), signs, NaN, infinity and full-width digits are refused"
)
"""What a request is told when a yuan field does not match :data:`YUAN`."""


def _one_of(options: tuple[str, ...]) -> str:
    return "^(" + "|".join(options) + ")$"


def _months(description: str = "") -> Any:
    return Field(default=None, ge=0, le=900, description=description or None)


def _yuan(description: str) -> Any:
    return Field(
        default=None, pattern=YUAN, description=f"{description}, at most {MAX_MONTHLY_YUAN:,}"
    )


class ApplicationCreate(BaseModel):
    """The application form. Name, ID number and phone come from the applicant profile and
    the consent flags from the recorded consents; alternative data are optional (null means
    no data, never zero)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "birth_date": "1995-03-07",
                    "segment": "delivery_rider",
                    "months_in_city": 24,
                    "purpose": "phone_purchase",
                    "requested_amount": "6000.00",
                    "requested_term_months": 12,
                    "income_monthly_mean": "8000.00",
                    "income_monthly_cv": 0.3,
                    "income_months_observed": 12,
                    "existing_debt_payment_monthly": "500.00",
                    "bureau_history_months": 0,
                }
            ]
        },
    )

    birth_date: date
    segment: str = Field(pattern=_one_of(SEGMENTS), description="Occupation segment")
    months_in_city: int = Field(ge=0, le=900)
    purpose: str = Field(pattern=_one_of(PURPOSES))
    requested_amount: str = Field(
        pattern=YUAN,
        description=(f'Yuan, e.g. "6000.00": more than 0, at most {MAX_REQUESTED_YUAN:,}'),
    )
    requested_term_months: int = Field(ge=1, le=60)
    gender: str | None = Field(default=None, pattern="^(F|M)$")
    city: str | None = Field(default=None, min_length=1, max_length=40)
    city_tier: int | None = Field(default=None, ge=1, le=4)
    hukou_province: str | None = Field(default=None, min_length=1, max_length=40)
    is_local_hukou: bool | None = None
    device_id: str | None = Field(default=None, min_length=1, max_length=100)
    bureau_history_months: int | None = _months("Months of credit bureau history")
    bureau_records: int | None = Field(default=None, ge=0, le=1000)
    bureau_delinquencies_24m: int | None = Field(default=None, ge=0, le=1000)
    platform_tenure_months: int | None = _months("Months working on a gig platform")
    income_monthly_mean: str | None = _yuan("Mean monthly platform income, yuan")
    income_monthly_cv: float | None = Field(default=None, ge=0, le=100)
    income_months_observed: int | None = Field(default=None, ge=0, le=12)
    income_verified: bool | None = None
    declared_monthly_income: str | None = _yuan("Declared monthly income, yuan")
    rent_months_reported: int | None = _months()
    rent_on_time_ratio: float | None = Field(default=None, ge=0, le=1)
    utility_months_reported: int | None = _months()
    utility_on_time_ratio: float | None = Field(default=None, ge=0, le=1)
    social_insurance_months: int | None = _months()
    ecommerce_months_active: int | None = _months()
    ecommerce_monthly_spend: str | None = _yuan("Monthly e-commerce spend, yuan")
    device_tenure_months: int | None = _months()
    address_changes_24m: int | None = Field(default=None, ge=0, le=100)
    existing_debt_payment_monthly: str | None = _yuan("Monthly payments on other debt, yuan")


class ReasonPublic(BaseModel):
    code: str
    text: str
    advice: str = ""


class AnnualizedRatePublic(BaseModel):
    nominal: str = Field(description="Annualized rate (IRR × periods a year), as a fraction")
    effective: str
    periodic_irr: str
    periods_per_year: str


class InstallmentPublic(BaseModel):
    n: int
    due_date: date
    principal: str
    interest: str
    fee: str
    total: str
    balance: str = Field(description="Principal left after this installment")


class OfferPublic(BaseModel):
    index: int = Field(description="Send this to accept the offer")
    product: str
    method: str
    amount: str
    term_months: int
    annual_rate: str
    monthly_fee_rate: str
    upfront_fee: str
    first_installment: str
    total_repaid: str
    total_cost: str
    credit_limit: str | None
    annualized_rate: AnnualizedRatePublic
    statement: dict[str, Any] = Field(
        description="The all-in cost statement the borrower must read and confirm"
    )
    schedule: list[InstallmentPublic]


class ApplicationPublic(BaseModel):
    id: str
    applicant_id: str
    status: str = Field(description="approved, referred, declined, accepted or offer_declined")
    outcome: str = Field(description="The decision: approve, refer or decline")
    submitted_at: datetime
    decided_on: date
    grade: str
    score: int
    reasons: list[ReasonPublic]
    reasons_zh: list[ReasonPublic]
    offers: list[OfferPublic]
    accepted_offer: int | None
    loan_id: int | None
    policy_version: str
    model_version: str


class AcceptanceCreate(BaseModel):
    """The borrower's confirmation that they read the all-in cost statement of one offer."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"offer": 0, "confirm": True, "seconds_read": 15.0}]},
    )

    offer: int = Field(ge=0, le=20, description="The offer's index")
    confirm: StrictBool = Field(description="Must be true: I have read the cost statement")
    seconds_read: float = Field(ge=0, le=86_400, description="Seconds the statement was on screen")
    statement_shown_at: datetime | None = Field(
        default=None,
        description="When the statement was shown; when given, the time read "
        "is at most the time since then",
    )


class AcceptancePublic(BaseModel):
    application_id: str
    offer: int
    loan_id: int
    credit_line_id: int | None
    start: date = Field(description="The business date the loan was opened and disbursed")
