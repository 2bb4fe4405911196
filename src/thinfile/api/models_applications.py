"""API models for applications, decisions and offers (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    model_serializer,
)

from thinfile.api.enums import Gender, LoanPurpose, Segment
from thinfile.decisioning.application import MAX_MONTHLY_YUAN, MAX_REQUESTED_YUAN
from thinfile.decisioning.engine import Outcome
from thinfile.loanmath.terms import RepaymentMethod
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.applications_records import ApplicationStatus
from thinfile.text import has_hidden

__all__ = [
    "YUAN",
    "YUAN_HINT",
    "AcceptanceCreate",
    "AcceptancePublic",
    "AnnualizedRatePublic",
    "ApplicationCreate",
    "ApplicationPublic",
    "ApplicationStatus",
    "ChargeItemPublic",
    "CostStatementPublic",
    "DefaultCostPublic",
    "DefaultExamplePublic",
    "DefaultTermsPublic",
    "InstallmentPublic",
    "OfferPublic",
    "Outcome",
    "ReasonPublic",
    "StatementRatePublic",
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


def _months(description: str = "") -> Any:
    return Field(default=None, ge=0, le=900, description=description or None)


def _yuan(description: str) -> Any:
    return Field(
        default=None, pattern=YUAN, description=f"{description}, at most {MAX_MONTHLY_YUAN:,}"
    )


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: object) -> object:
    """A date as JSON writes one — ``"YYYY-MM-DD"`` in the digits 0 to 9 — or a date already:
    never a number (0 is not 1970-01-01) nor a moment with a time and a zone. Which dates
    make sense (a birth date, a contract's start) the rules of each say, naming them."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
"""A calendar date in a request body: the ISO form only, then checked as a real date."""


def _plain_text(value: str) -> str:
    """Text a person wrote: no control, format (zero-width, direction), surrogate or private
    character — they hide or reorder what staff, merchants and borrowers read — but line
    breaks and tabs."""
    if has_hidden(value, keep="\n\r\t"):
        raise ValueError("must not hold control, zero-width or direction characters")
    return value


PlainText = Annotated[str, AfterValidator(_plain_text)]
"""Free text in a request body (a note, a reason, a reference, a name)."""


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

    birth_date: CalendarDate
    segment: Segment = Field(description="Occupation segment")
    months_in_city: StrictInt = Field(ge=0, le=900)
    purpose: LoanPurpose
    requested_amount: str = Field(
        pattern=YUAN,
        description=(f'Yuan, e.g. "6000.00": more than 0, at most {MAX_REQUESTED_YUAN:,}'),
    )
    requested_term_months: StrictInt = Field(ge=1, le=60)
    gender: Gender | None = None
    city: str | None = Field(default=None, min_length=1, max_length=40)
    city_tier: StrictInt | None = Field(default=None, ge=1, le=4)
    hukou_province: str | None = Field(default=None, min_length=1, max_length=40)
    is_local_hukou: StrictBool | None = None
    device_id: str | None = Field(default=None, min_length=1, max_length=100)
    bureau_history_months: StrictInt | None = _months("Months of credit bureau history")
    bureau_records: StrictInt | None = Field(default=None, ge=0, le=1000)
    bureau_delinquencies_24m: StrictInt | None = Field(default=None, ge=0, le=1000)
    platform_tenure_months: StrictInt | None = _months("Months working on a gig platform")
    income_monthly_mean: str | None = _yuan("Mean monthly platform income, yuan")
    income_monthly_cv: StrictFloat | None = Field(default=None, ge=0, le=100)
    income_months_observed: StrictInt | None = Field(default=None, ge=0, le=12)
    income_verified: StrictBool | None = None
    declared_monthly_income: str | None = _yuan("Declared monthly income, yuan")
    rent_months_reported: StrictInt | None = _months()
    rent_on_time_ratio: StrictFloat | None = Field(default=None, ge=0, le=1)
    utility_months_reported: StrictInt | None = _months()
    utility_on_time_ratio: StrictFloat | None = Field(default=None, ge=0, le=1)
    social_insurance_months: StrictInt | None = _months()
    ecommerce_months_active: StrictInt | None = _months()
    ecommerce_monthly_spend: str | None = _yuan("Monthly e-commerce spend, yuan")
    device_tenure_months: StrictInt | None = _months()
    address_changes_24m: StrictInt | None = Field(default=None, ge=0, le=100)
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


YUAN_OUT = r"^-?[0-9]+\.[0-9]{2}$"
"""A yuan amount the API answers with: digits, a point and two decimals (``"6000.00"``)."""
DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
"""A rate or ratio as decimal text (``"0.2399"``): never a float."""


def _yuan_out(description: str) -> Any:
    return Field(pattern=YUAN_OUT, description=description)


class ChargeItemPublic(BaseModel):
    """One charge of the loan: who collects it, by what standard, when, and how much."""

    name: str = Field(description="The charge, in English (interest, fee …)")
    name_zh: str = Field(description="The charge, in Chinese")
    collector: str = Field(description="Who collects it (the lender, or a named third party)")
    standard: str = Field(description="How it is computed (rate and base)")
    when: str = Field(description="When it is paid")
    amount: str = _yuan_out("Total over the loan, yuan")


class StatementRatePublic(BaseModel):
    """The annualized all-in cost (IRR method) of the loan under normal repayment."""

    periodic_irr: str = Field(pattern=DECIMAL, description="IRR of one period, a fraction")
    nominal: str = Field(pattern=DECIMAL, description="periodic IRR × periods a year")
    effective: str = Field(pattern=DECIMAL, description="(1 + periodic IRR)^periods − 1")
    xirr: str = Field(pattern=DECIMAL, description="Annualized on the actual dates (XIRR)")
    periods_per_year: str = Field(pattern=DECIMAL)
    first_period: str | None = Field(
        default=None,
        pattern=DECIMAL,
        description="Length of a broken first period, in periods; absent when it is regular",
    )

    @model_serializer(mode="wrap")
    def _omit_regular_first_period(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if isinstance(out, dict) and out.get("first_period") is None:
            out.pop("first_period", None)
        return out


class DefaultCostPublic(BaseModel):
    """A cost of paying late (违约成本), disclosed before signing."""

    name: str
    name_zh: str
    standard: str = Field(description="How it is charged, with its cap")


class DefaultTermsPublic(BaseModel):
    """The servicing product's default terms the default costs disclose."""

    grace_days: int = Field(ge=0, description="Days late before anything is charged")
    penalty_uplift: str = Field(
        pattern=DECIMAL, description="Penalty rate = contract rate × (1 + uplift)"
    )
    penalty_rate: str | None = Field(
        pattern=DECIMAL, description="A fixed annual penalty rate replacing the uplift, if any"
    )
    penalty_rate_cap: str = Field(pattern=DECIMAL, description="Cap of the annual penalty rate")
    late_fee: int = Field(ge=0, description="Late fee per overdue installment, in fen")
    late_fee_cap: int = Field(ge=0, description="Cap of late fees, in fen")
    all_in_cap: str = Field(pattern=DECIMAL, description="Cap of the annualized all-in cost")


class DefaultExamplePublic(BaseModel):
    """What the first installment costs when still unpaid at the end of the ``days_late``-th
    day after its due date (逾期满 ``days_late`` 天; paid on the day after, nothing)."""

    days_late: int
    penalty: str = _yuan_out("Penalty interest, yuan")
    late_fee: str = _yuan_out("Late fee, yuan")
    total: str = _yuan_out("Penalty and late fee, yuan")
    not_charged: str = _yuan_out("What the caps keep from being charged, yuan")


class CostStatementPublic(BaseModel):
    """The all-in cost statement (综合融资成本明示表) the borrower reads before accepting."""

    lender: str
    currency: str = Field(description="ISO 4217 code (CNY)")
    principal: str = _yuan_out("Principal, yuan")
    net_disbursed: str = _yuan_out("What reaches the borrower after upfront fees, yuan")
    periods: int
    method: RepaymentMethod
    items: list[ChargeItemPublic]
    total_cost: str = _yuan_out("Every charge over the loan, yuan")
    annualized_rate: StatementRatePublic
    default_costs: list[DefaultCostPublic]
    default_terms: DefaultTermsPublic
    default_examples: list[DefaultExamplePublic]


class OfferPublic(BaseModel):
    index: int = Field(description="Send this to accept the offer")
    product: str = Field(
        description="The product's code, named by the policy (e.g. consumer_installment, "
        "pos_installment, revolving_line)"
    )
    method: RepaymentMethod
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
    statement: CostStatementPublic = Field(
        description="The all-in cost statement the borrower must read and confirm"
    )
    schedule: list[InstallmentPublic]


class ApplicationPublic(BaseModel):
    id: str
    applicant_id: str
    status: ApplicationStatus = Field(description="Where the application stands")
    outcome: Outcome = Field(description="The decision")
    submitted_at: datetime
    decided_on: date
    grade: str = Field(description="Risk grade, named by the policy (e.g. A to E)")
    score: int
    reasons: list[ReasonPublic]
    reasons_zh: list[ReasonPublic]
    offers: list[OfferPublic]
    accepted_offer: int | None
    loan_id: int | None
    policy_version: str
    model_version: str


class AcceptanceCreate(BaseModel):
    """The borrower's confirmation that they read the all-in cost statement of one offer,
    for at least the reading pause (``seconds_read`` ≥ 10)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"offer": 0, "confirm": True, "seconds_read": 15.0}]},
    )

    offer: StrictInt = Field(ge=0, le=20, description="The offer's index")
    confirm: StrictBool = Field(description="Must be true: I have read the cost statement")
    seconds_read: float = Field(
        ge=0,
        le=86_400,
        description=f"Seconds the statement was on screen: at least {MIN_READING_SECONDS} "
        "(the reading pause); less is refused with 422 invalid_input, details.field "
        "seconds_read. The schema admits 0 so that the refusal names the rule.",
    )
    statement_shown_at: datetime | None = Field(
        default=None,
        description="When the statement was shown; when given, the time read "
        f"is at most the time since then (so it must be {MIN_READING_SECONDS} seconds ago "
        "or more)",
    )
    language: Literal["zh", "en"] = Field(
        default="zh", description="The language of the loan contract signed with the acceptance"
    )
    coupon_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="One of my interest coupons (GET /v1/me/interest-coupons), taken off as "
        "GET /v1/applications/{application_id}/price showed it; at most one per offer",
    )
    standard_price: StrictBool = Field(
        default=False,
        description="Accept at the price before the offer's programme: needed once the "
        "programme's budget is spent (the price shows reason PROGRAMME_BUDGET_EXHAUSTED)",
    )


class AcceptancePublic(BaseModel):
    application_id: str
    offer: int
    loan_id: int
    credit_line_id: int | None
    start: date = Field(description="The business date the loan was opened and disbursed")
    contract_sha256: str | None = Field(
        default=None, description="SHA-256 of the loan contract signed with the acceptance"
    )
